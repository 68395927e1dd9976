//go:build unix

package main

// A PostgreSQL server of the test's own, which it can stop and start:
// initdb into a temporary directory, pg_ctl on a spare port. PostgreSQL
// refuses to run as root, so as root its programs run as the postgres
// user.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgBinDirs are where the PostgreSQL programs are looked for, in order.
var pgBinDirs = []string{"/usr/local/bin", "/usr/lib/postgresql/*/bin"}

// pgCluster is a PostgreSQL server the test started.
type pgCluster struct {
	bin     string // the directory of initdb and pg_ctl
	dir     string // PGDATA
	port    int
	logFile string
	asUser  string // the user the programs run as, "" for ourselves
}

// findPostgres is the directory holding initdb and pg_ctl, or "".
func findPostgres() string {
	for _, pattern := range pgBinDirs {
		dirs, _ := filepath.Glob(pattern)
		for i := len(dirs) - 1; i >= 0; i-- { // the newest version first
			if isFile(filepath.Join(dirs[i], "initdb")) && isFile(filepath.Join(dirs[i], "pg_ctl")) {
				return dirs[i]
			}
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startPostgres creates a cluster on a spare port and starts it; t's
// cleanup stops it and removes its files. It skips t when the programs
// are not installed.
func startPostgres(t *testing.T) *pgCluster {
	t.Helper()
	bin := findPostgres()
	if bin == "" {
		t.Skipf("this test stops and starts a PostgreSQL server of its own: initdb and pg_ctl are not installed (looked in %s)", strings.Join(pgBinDirs, ", "))
	}
	// Under /tmp itself, not t.TempDir(): the postgres user must reach it.
	root, err := os.MkdirTemp("", "helpdesk-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	c := &pgCluster{bin: bin, dir: filepath.Join(root, "data"), logFile: filepath.Join(root, "postgres.log")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("this test runs PostgreSQL, which refuses root, as the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = "postgres"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.run(t, "initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	c.start(t)
	t.Cleanup(func() {
		_ = c.command("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop").Run()
		if t.Failed() {
			out, _ := os.ReadFile(c.logFile)
			t.Logf("postgres.log:\n%s", tail(string(out), 40))
		}
	})
	return c
}

// url is the cluster's postgres database as DATABASE_URL.
func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the server and waits until it takes connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	// Its socket in its own directory (none in /var/run/postgresql); no
	// fsync: the test stops the server, never the machine.
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c max_connections=200", c.port, c.dir)
	c.run(t, "pg_ctl", "-D", c.dir, "-l", c.logFile, "-o", opts, "-w", "-t", "60", "start")
}

// stop stops the server in mode (fast: backends are told to end;
// immediate: they are killed, and the next start recovers from the WAL).
func (c *pgCluster) stop(t *testing.T, mode string) {
	t.Helper()
	c.run(t, "pg_ctl", "-D", c.dir, "-m", mode, "-w", "-t", "60", "stop")
}

func (c *pgCluster) command(program string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, program)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *pgCluster) run(t *testing.T, program string, args ...string) {
	t.Helper()
	start := time.Now()
	out, err := c.command(program, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v after %s\n%s", program, strings.Join(args, " "), err, time.Since(start).Round(time.Millisecond), out)
	}
}
