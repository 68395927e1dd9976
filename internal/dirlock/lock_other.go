//go:build !unix && !windows

package embeddedtemporal

import "os"

// tryLock does nothing on platforms without file locks: the caller must
// not start two servers on one data directory there.
func tryLock(*os.File) error { return nil }

// unlock does nothing (see tryLock).
func unlock(*os.File) error { return nil }
