package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/app"
	"helpdesk/internal/config"
)

// The README's worked example, between these markers, is run as it is
// written: every ```sh block in order, in one bash with `set -euo pipefail`,
// against a fresh server started the way the README says. Each block's
// standard output must equal the `# → …` lines written in it, in order
// ("…" stands for any text: IDs and instants that differ per run).
const (
	exampleBegin = "<!-- example:begin"
	exampleEnd   = "<!-- example:end -->"
)

// exampleBlock is one ```sh block of the example and what it must print.
type exampleBlock struct {
	script string
	want   []string
}

func readmeExample(t *testing.T) (adminToken string, blocks []exampleBlock) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	// The admin token comes from the README's start command.
	m := regexp.MustCompile(`HELPDESK_ADMIN_TOKEN=(\S+) go run \./cmd/helpdesk`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("README: no `HELPDESK_ADMIN_TOKEN=… go run ./cmd/helpdesk` start command")
	}
	begin, end := strings.Index(readme, exampleBegin), strings.Index(readme, exampleEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README: the worked example must sit between %q and %q", exampleBegin, exampleEnd)
	}
	for _, part := range strings.Split(readme[begin:end], "```sh\n")[1:] {
		body, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("README: an unterminated ```sh block in the worked example")
		}
		b := exampleBlock{script: body}
		for _, line := range strings.Split(body, "\n") {
			if want, ok := strings.CutPrefix(strings.TrimSpace(line), "# → "); ok {
				b.want = append(b.want, want)
			}
		}
		blocks = append(blocks, b)
	}
	if len(blocks) < 5 {
		t.Fatalf("README: found %d sh blocks in the worked example; want the whole walk-through", len(blocks))
	}
	return m[1], blocks
}

// matches reports whether got is want with each "…" standing for any text.
func matches(want, got string) bool {
	parts := strings.Split(want, "…")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

func TestREADMEWorkedExampleRunsAsWrittenAgainstAFreshServer(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's example needs %s on PATH (apt-get install %s)", tool, tool)
		}
	}
	token, blocks := readmeExample(t)
	addr := freeAddr(t)
	env := map[string]string{
		"HELPDESK_DATA_DIR": t.TempDir(), "HELPDESK_ADDR": addr, "HELPDESK_ADMIN_TOKEN": token,
		"HELPDESK_TEMPORAL_LISTEN": "127.0.0.1:0", // the suite starts several in-process servers at once
	}
	cfg, err := config.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, app.RoleAll, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitReady(t, addr, done)

	outDir := t.TempDir()
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks {
		fmt.Fprintf(&script, "{\n%s\n} > %q\n", b.script, filepath.Join(outDir, fmt.Sprint(i)))
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Env = append(os.Environ(), "API=http://"+addr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	for i, b := range blocks {
		out, err := os.ReadFile(filepath.Join(outDir, fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("README example: block %d never ran (bash: %v; stderr: %s); it starts:\n%s", i+1, runErr, stderr.String(), head(b.script))
		}
		got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		if len(out) == 0 {
			got = nil
		}
		ok := len(got) == len(b.want)
		for j := 0; ok && j < len(got); j++ {
			ok = matches(b.want[j], got[j])
		}
		if !ok {
			t.Errorf("README example, block %d printed:\n%s\nwhile the README says:\n%s\nblock:\n%s",
				i+1, strings.Join(got, "\n"), "# → "+strings.Join(b.want, "\n# → "), head(b.script))
		}
	}
	if runErr != nil {
		t.Errorf("README example: bash failed: %v\n%s", runErr, stderr.String())
	}
}

func head(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 4 {
		lines = append(lines[:4], "…")
	}
	return strings.Join(lines, "\n")
}

// waitReady waits for /readyz of the server at addr.
func waitReady(t *testing.T, addr string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the server stopped before it was ready: %v", err)
		default:
		}
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server was not ready within a minute")
}
