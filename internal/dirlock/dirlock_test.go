package dirlock

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestOneHolderAtATimeEvenInOneProcess: a second Acquire fails with
// ErrHeld until the first holder releases the lock.
func TestOneHolderAtATimeEvenInOneProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.lock")
	first, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if second, err := Acquire(path); !errors.Is(err, ErrHeld) {
		second.Release()
		t.Fatalf("second Acquire: %v, want ErrHeld", err)
	}
	first.Release()
	first.Release() // twice is harmless
	again, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}
