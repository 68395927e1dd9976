// Package dirlock keeps two processes — or two servers in one process —
// from using one data directory at once. A lock is an OS file lock on a
// file in the directory (flock on Unix, LockFileEx on Windows), so the OS
// drops it when the process dies: a crash never leaves a directory locked.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
)

// ErrHeld is returned (wrapped) by Acquire when another holder has the
// lock.
var ErrHeld = errors.New("dirlock: the lock is held by another process or server")

// Lock is a held lock. Release it with Release.
type Lock struct {
	f    *os.File
	once sync.Once
}

// Acquire takes the exclusive lock on the file at path, creating it if
// missing, without waiting. If another holder (in this process or another)
// has it, the error wraps ErrHeld. The file is left in place; it holds the
// holder's process ID, for people looking at the directory.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("dirlock: opening lock file: %w", err)
	}
	if err := tryLock(f); err != nil {
		_ = f.Close()
		if errors.Is(err, ErrHeld) {
			return nil, fmt.Errorf("dirlock: %s: %w", path, ErrHeld)
		}
		return nil, fmt.Errorf("dirlock: locking %s: %w", path, err)
	}
	// Best effort: the lock is what counts, not the file's content.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock. It is safe to call more than once, and on nil.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	l.once.Do(func() {
		_ = unlock(l.f)
		_ = l.f.Close()
	})
}
