package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"helpdesk/internal/config"
)

// TestHelpIsPrintedOnStdoutAndSucceeds: every way of asking for help
// prints the same text on stdout, nothing on stderr, and exits 0.
func TestHelpIsPrintedOnStdoutAndSucceeds(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err != nil {
			t.Errorf("helpdesk %s: %v, want success", strings.Join(args, " "), err)
		}
		if !strings.HasPrefix(stdout.String(), "usage: helpdesk") || stderr.Len() != 0 {
			t.Errorf("helpdesk %s: stdout %q…, stderr %q; want the help on stdout only", strings.Join(args, " "), first(stdout.String()), stderr.String())
		}
	}
}

// TestHelpListsEveryVariableWithItsDefaultInAColumn: one line per
// variable, its default in a column of its own (so TEMPORAL_NAMESPACE's
// default, the word "default", reads well), and none marked as not used
// yet: mail goes out and comes in.
func TestHelpListsEveryVariableWithItsDefaultInAColumn(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	if err := run([]string{"help"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	help := stdout.String()
	if strings.Contains(help, "(default default)") {
		t.Errorf("help says %q", "(default default)")
	}
	lines := map[string]string{}
	for _, l := range strings.Split(help, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	col := strings.Index(lines["VARIABLE"], "DEFAULT")
	if col < 0 {
		t.Fatalf("no VARIABLE DEFAULT MEANING header in:\n%s", help)
	}
	for _, v := range config.Variables {
		l, ok := lines[v.Name]
		if !ok {
			t.Errorf("help does not list %s", v.Name)
			continue
		}
		def := v.Default
		if def == "" {
			def = "—"
		}
		if len(l) <= col || !strings.HasPrefix(l[col:], def+" ") {
			t.Errorf("%s: default %q not in the DEFAULT column: %q", v.Name, def, l)
		}
		if strings.Contains(l, "not used yet") {
			t.Errorf("%s: says not used yet: %q", v.Name, l)
		}
	}
}

// TestVersionPrintsWhatTheToolchainRecorded: module version, revision with
// the modified mark, commit time and Go version.
func TestVersionPrintsWhatTheToolchainRecorded(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printVersion(&out, &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "helpdesk", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "402a2778e1c0ffee"},
			{Key: "vcs.time", Value: "2026-05-04T10:20:30Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	})
	for _, want := range []string{"v1.4.0", "402a2778e1c0ffee (modified", "2026-05-04T10:20:30Z", "go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	printVersion(&out, &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "helpdesk", Version: "(devel)"}})
	if !strings.Contains(out.String(), "(devel)") || !strings.Contains(out.String(), "unknown (built without VCS information") {
		t.Errorf("version of a build without VCS information:\n%s", out.String())
	}

	out.Reset()
	if err := run([]string{"version"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("helpdesk version: %v", err)
	}
	if !strings.HasPrefix(out.String(), "helpdesk ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Errorf("helpdesk version printed:\n%s", out.String())
	}
}

// TestUnknownCommandFailsWithUsageOnStderr: a mistake is an error, and the
// help goes to stderr, not stdout.
func TestUnknownCommandFailsWithUsageOnStderr(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run([]string{"frobnicate"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "frobnicate") || stdout.Len() != 0 || !strings.Contains(stderr.String(), "usage: helpdesk") {
		t.Fatalf("helpdesk frobnicate: err %v, stdout %q, stderr %q…", err, stdout.String(), first(stderr.String()))
	}
}

// TestLogFormatAndLevelApplyToTheProcessLog: with HELPDESK_LOG_FORMAT=json
// every line helpdesk migrate logs is a JSON object; HELPDESK_LOG_LEVEL=warn
// drops its info lines.
func TestLogFormatAndLevelApplyToTheProcessLog(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("HELPDESK_DATA_DIR", t.TempDir())
	t.Setenv("HELPDESK_LOG_FORMAT", "json")
	var stderr bytes.Buffer
	if err := run([]string{"migrate"}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("helpdesk migrate: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] == nil || rec["level"] == nil {
			t.Errorf("log line is not a JSON record: %q", l)
		}
	}
	if !strings.Contains(stderr.String(), `"msg":"schema is up to date"`) {
		t.Errorf("no JSON record of the migration in:\n%s", stderr.String())
	}

	t.Setenv("HELPDESK_LOG_LEVEL", "warn")
	stderr.Reset()
	if err := run([]string{"migrate"}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("helpdesk migrate: %v", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("HELPDESK_LOG_LEVEL=warn still logs info lines:\n%s", stderr.String())
	}
}

func first(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// TestTheGarbageCollectorTargetsFourHundredPercentUnlessGOGCSaysOtherwise:
// the process's own GOGC default (gcPercent), seen in its /metrics, and an
// operator's GOGC wins over it.
func TestTheGarbageCollectorTargetsFourHundredPercentUnlessGOGCSaysOtherwise(t *testing.T) {
	for _, tc := range []struct {
		gogc string
		want string
	}{{"", "go_gc_gogc_percent 400"}, {"150", "go_gc_gogc_percent 150"}} {
		dir, addr := t.TempDir(), freeAddr(t)
		var env []string
		for _, kv := range daemonEnv(dir, addr, "") {
			if !strings.HasPrefix(kv, "GOGC=") {
				env = append(env, kv)
			}
		}
		if tc.gogc != "" {
			env = append(env, "GOGC="+tc.gogc)
		}
		d := startDaemon(t, "gogc"+tc.gogc, dir, env)
		waitReady(t, d, addr)
		res, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), "\n"+tc.want+"\n") {
			t.Errorf("GOGC=%q: /metrics lacks %q", tc.gogc, tc.want)
		}
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		<-d.exited
	}
}
