package embeddedtemporal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// errLocked is returned by tryLock when another holder has the lock.
var errLocked = errors.New("locked")

// dirLock is an exclusive lock on a data directory, held through an OS file
// lock on DataDir/temporal.lock. The OS drops the lock when the process
// dies, so a crash never leaves a directory locked.
type dirLock struct {
	f    *os.File
	once sync.Once
}

// lockDir takes the lock on dir, or fails with an error naming dir if
// another server (in this process or another) holds it.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: opening lock file: %w", err)
	}
	if err := tryLock(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("embeddedtemporal: data directory %s is already in use by another Temporal server (lock file %s is held)", dir, path)
		}
		return nil, fmt.Errorf("embeddedtemporal: locking data directory %s: %w", dir, err)
	}
	// For people looking at the directory: who holds it. Best effort.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release drops the lock. It is safe to call more than once.
func (l *dirLock) release() {
	l.once.Do(func() {
		_ = unlock(l.f)
		_ = l.f.Close()
	})
}
