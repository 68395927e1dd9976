package embeddedtemporal

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

func TestLeakDebug(t *testing.T) {
	if os.Getenv("LEAKDEBUG") == "" {
		t.Skip()
	}
	dir := t.TempDir()
	s, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	t.Logf("running: %d", runtime.NumGoroutine())
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	t.Logf("after stop: %d", runtime.NumGoroutine())
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		t.Logf("fd %s -> %s", e.Name(), l)
	}
	f, _ := os.Create("/tmp/goroutines.txt")
	pprof.Lookup("goroutine").WriteTo(f, 1)
	f.Close()
}
