package embeddedtemporal

import (
	"errors"
	"fmt"
	"path/filepath"

	"helpdesk/internal/dirlock"
)

// ErrDataDirInUse is returned (wrapped) by Start when another server, in
// this process or another, uses the data directory.
var ErrDataDirInUse = errors.New("embeddedtemporal: data directory in use")

// lockDir takes the lock on dir (DataDir/temporal.lock), or fails with an
// error naming dir if another server holds it.
func lockDir(dir string) (*dirlock.Lock, error) {
	path := filepath.Join(dir, lockFileName)
	l, err := dirlock.Acquire(path)
	if errors.Is(err, dirlock.ErrHeld) {
		return nil, fmt.Errorf("%w: %s is already in use by another Temporal server (lock file %s is held)", ErrDataDirInUse, dir, path)
	} else if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: locking data directory %s: %w", dir, err)
	}
	return l, nil
}
