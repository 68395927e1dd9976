//go:build unix

package main

// The SLA engine's durability, on the process as it runs in production:
// the zero-set-up default (embedded database and in-process Temporal on a
// data directory) is killed with SIGKILL while tickets have running
// clocks, left dead for a while, and started again on the same directory.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/config"
)

// asHelpdesk, set to 1 in this test binary's environment, makes it the
// helpdesk binary: TestMain runs main instead of the tests. The
// durability test starts it so as a subprocess — the same main, built
// once with the tests, without linking a second binary of a few hundred
// megabytes.
const asHelpdesk = "HELPDESK_TEST_RUN_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asHelpdesk) == "1" {
		main() // exits 1 on an error; returns after a clean shutdown
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	// downtime is how long the killed process stays dead: longer than the
	// due times the test places right after the kill.
	downtime = 5 * time.Second
	// lateBound is the generous bound of the test on an automatic
	// action's lateness: from its due time, or from the restarted
	// process's readiness when it fell due while the process was dead.
	// (The product aims at about a second; the test asserts what a busy
	// machine keeps.)
	lateBound = 10 * time.Second
	// warnPercent is the policy's warning threshold.
	warnPercent = 50
)

// firstResponse is the first-response target of each priority on the
// test's 24x7 policy, in seconds (LOW is not used). Resolution targets are
// resolutionSeconds: that clock never falls due here.
var firstResponse = map[string]int{"CRITICAL": 4, "MEDIUM": 6, "HIGH": 24, "LOW": 32400}

// resolutionSeconds is the resolution target of every priority.
const resolutionSeconds = 3 * 24 * 3600

// ladder is the waitSeconds of the levels of the test's escalation table.
var ladder = []int{2, 2, 2}

// daemon is a helpdesk process started by the test.
type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    string // the file of its output
}

// daemonEnv is the environment of a helpdesk on dir serving addr: the
// test's own, without any helpdesk variable, plus these. dbURL "" is the
// embedded SQLite database.
func daemonEnv(dir, addr, dbURL string) []string {
	ours := map[string]bool{asHelpdesk: true}
	for _, v := range config.Variables {
		ours[v.Name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !ours[k] {
			env = append(env, kv)
		}
	}
	env = append(env, asHelpdesk+"=1", "HELPDESK_DATA_DIR="+dir, "HELPDESK_ADDR="+addr,
		"HELPDESK_ADMIN_TOKEN="+apitest.AdminToken,
		"HELPDESK_TEMPORAL_LISTEN=127.0.0.1:0", // beside other helpdesks and Temporal servers
		"HELPDESK_RATE_LIMIT=0",                // the test polls its tickets
	)
	if dbURL != "" {
		env = append(env, "DATABASE_URL="+dbURL)
	}
	return env
}

// startDaemon starts `helpdesk serve` with env in a process group of its
// own, its output in logDir/name.log (shown if the test fails). At t's
// cleanup a process still running is stopped as SIGTERM does.
func startDaemon(t *testing.T, name, logDir string, env []string) *daemon {
	t.Helper()
	return startCommand(t, name, "serve", logDir, env)
}

// startCommand starts `helpdesk command` as startDaemon starts serve.
func startCommand(t *testing.T, name, command, logDir string, env []string) *daemon {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, command)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	d := &daemon{cmd: cmd, exited: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); logFile.Close(); close(d.exited) }()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-time.After(30 * time.Second):
				d.kill()
			}
		}
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("%s (pid %d) wrote:\n%s", name, cmd.Process.Pid, tail(string(out), 60))
		}
	})
	return d
}

// kill sends SIGKILL to the daemon's whole process group and waits until
// it is gone.
func (d *daemon) kill() {
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.exited
}

// waitReady polls /readyz of the daemon at addr and returns the instant
// it first answered 200.
func waitReady(t *testing.T, d *daemon, addr string) time.Time {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			t.Fatalf("helpdesk exited before it was ready: %v", d.cmd.ProcessState)
		default:
		}
		if res, err := client.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Now()
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("helpdesk on %s was not ready within 90s", addr)
	return time.Time{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// event is a timeline event as a portal reads it.
type event struct {
	Kind      string
	CreatedAt time.Time
	Data      string
}

func (ev event) data(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		t.Fatalf("%s data %q: %v", ev.Kind, ev.Data, err)
	}
	return m
}

// slaTicket is a ticket with its SLA fields and timeline.
type slaTicket struct {
	ID, Number, Priority                      string
	CreatedAt, FirstResponseDueAt             time.Time
	EscalationLevel                           int
	FirstResponseBreached, ResolutionBreached bool
	Events                                    []event
}

func (tk slaTicket) events(kind string) []event {
	var out []event
	for _, ev := range tk.Events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func readTicket(t *testing.T, e *apitest.Env, id string) slaTicket {
	t.Helper()
	var out struct{ Node slaTicket }
	e.Do(t, apitest.AdminToken, `query($id: ID!) { node(id: $id) { ... on Ticket {
	  id number priority createdAt firstResponseDueAt escalationLevel firstResponseBreached resolutionBreached
	  events { kind createdAt data } } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

// fastSLA creates a 24x7 policy of firstResponse's targets, an
// escalation table of ladder's waits for region KILL, and an
// organization on both; it returns a contact's token.
func fastSLA(t *testing.T, e *apitest.Env) string {
	t.Helper()
	var targets []map[string]any
	for _, p := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"} {
		targets = append(targets, map[string]any{"priority": p, "firstResponseSeconds": firstResponse[p], "resolutionSeconds": resolutionSeconds})
	}
	var pol struct{ CreateSLAPolicy struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateSLAPolicyInput!) { createSLAPolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "seconds", "timezone": "UTC", "alwaysOpen": true, "warningPercent": warnPercent, "targets": targets}}, &pol)
	var levels []map[string]any
	for i, w := range ladder {
		levels = append(levels, map[string]any{"name": fmt.Sprintf("L%d", i+1), "emails": []string{fmt.Sprintf("l%d@noc.example", i+1)}, "waitSeconds": w})
	}
	e.Do(t, apitest.AdminToken, `mutation($l: [EscalationLevelInput!]!) { setEscalationTable(region: "KILL", levels: $l) { id } }`,
		map[string]any{"l": levels}, nil)
	var org struct{ CreateOrganization struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "Kill Nine Ltd", "region": "KILL", "timezone": "UTC", "slaPolicyID": pol.CreateSLAPolicy.ID}}, &org)
	return e.Contact(t, org.CreateOrganization.ID, "USER").Token
}

// due is one automatic action a ticket relies on: when it fell due and
// when its event was recorded.
type due struct {
	ticket, what string
	due, at      time.Time
}

// TestKilledProcessFiresEveryPendingSLAActionOnceAfterRestart: the
// zero-set-up default is killed with SIGKILL while tickets have running
// clocks — one climbing the escalation ladder, one warned and about to
// breach, one whose warning and breach both fall due while the process is
// dead, one due well after the restart — and started again on the same
// data directory. Every ticket then has exactly one SLA_WARNING and one
// SLA_BREACHED of its first-response clock and climbs every level of the
// table once, in order, and no further; what fell due while the process
// was dead is recorded soon after it is ready again, and nothing is
// recorded before its due time.
func TestKilledProcessFiresEveryPendingSLAActionOnceAfterRestart(t *testing.T) {
	dir, logDir, addr := t.TempDir(), t.TempDir(), freeAddr(t)
	env := daemonEnv(dir, addr, apitest.PostgresDB(t))
	first := startDaemon(t, "helpdesk", logDir, env)
	waitReady(t, first, addr)
	api := &apitest.Env{URL: "http://" + addr, HTTP: &http.Client{Timeout: 30 * time.Second}}
	token := fastSLA(t, api)

	open := func(priority string) slaTicket {
		tk := api.CreateTicket(t, token, map[string]any{"priority": priority})
		return readTicket(t, api, tk.ID)
	}
	// ladder: breached and at level 1 at the kill; level 2 falls due while dead.
	// warned: warned before the kill, breached while dead.
	ladderTk, warnedTk := open("CRITICAL"), open("MEDIUM")
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, w := readTicket(t, api, ladderTk.ID), readTicket(t, api, warnedTk.ID)
		if l.EscalationLevel >= 1 && len(w.events("SLA_WARNING")) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("before the kill: ladder ticket at level %d, warned ticket with events %v", l.EscalationLevel, w.Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// down: warning and breach both while dead. after: both after the restart.
	downTk, afterTk := open("CRITICAL"), open("HIGH")

	kill := time.Now()
	first.kill()
	time.Sleep(time.Until(kill.Add(downtime)))
	restarted := time.Now()
	second := startDaemon(t, "helpdesk-restarted", logDir, env)
	ready := waitReady(t, second, addr)
	t.Logf("killed at %s, restarted %s later, ready %s after the kill", kill.Format(time.StampMilli), restarted.Sub(kill).Round(time.Millisecond), ready.Sub(kill).Round(time.Millisecond))

	tickets := []*slaTicket{&ladderTk, &warnedTk, &downTk, &afterTk}
	names := map[string]string{ladderTk.ID: "ladder", warnedTk.ID: "warned", downTk.ID: "down", afterTk.ID: "after"}
	// Every ticket climbs to the last level; then wait out its wait, to
	// see that nothing comes past it.
	deadline = afterTk.FirstResponseDueAt.Add(lateBound + 10*time.Second)
	for {
		top := 0
		for _, tk := range tickets {
			*tk = readTicket(t, api, tk.ID)
			if tk.EscalationLevel == len(ladder) {
				top++
			}
		}
		if top == len(tickets) {
			break
		}
		if time.Now().After(deadline) {
			for _, tk := range tickets {
				t.Logf("%s ticket %s at level %d: %+v", names[tk.ID], tk.Number, tk.EscalationLevel, tk.Events)
			}
			t.Fatalf("not every ticket reached level %d by %s", len(ladder), deadline.Format(time.StampMilli))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var lastLevel time.Time
	for _, tk := range tickets {
		if esc := tk.events("ESCALATED"); len(esc) > 0 && esc[len(esc)-1].CreatedAt.After(lastLevel) {
			lastLevel = esc[len(esc)-1].CreatedAt
		}
	}
	time.Sleep(time.Until(lastLevel.Add(time.Duration(ladder[len(ladder)-1])*time.Second + time.Second)))

	var dues []due
	for _, tk := range tickets {
		*tk = readTicket(t, api, tk.ID)
		dues = append(dues, checkOnce(t, names[tk.ID], *tk)...)
	}
	checkTiming(t, dues, kill, restarted, ready)
}

// checkOnce checks that tk has every event its first-response clock and
// the ladder owe it, each exactly once, and returns when each fell due
// and was recorded.
func checkOnce(t *testing.T, name string, tk slaTicket) []due {
	t.Helper()
	who := fmt.Sprintf("%s ticket %s (%s)", name, tk.Number, tk.Priority)
	var out []due
	for _, kind := range []string{"SLA_WARNING", "SLA_BREACHED"} {
		var fr []event
		for _, ev := range tk.events(kind) {
			d := ev.data(t)
			if d["clock"] != "FIRST_RESPONSE" {
				t.Errorf("%s: %s of the %v clock, which never fell due: %s", who, kind, d["clock"], ev.Data)
				continue
			}
			if d["dueAt"] != tk.FirstResponseDueAt.Format(time.RFC3339Nano) {
				t.Errorf("%s: %s says due at %v, the ticket at %s", who, kind, d["dueAt"], tk.FirstResponseDueAt.Format(time.RFC3339Nano))
			}
			fr = append(fr, ev)
		}
		if len(fr) != 1 {
			t.Errorf("%s: %d %s events of the first-response clock, want exactly one: %+v", who, len(fr), kind, fr)
			continue
		}
		at := tk.FirstResponseDueAt
		if kind == "SLA_WARNING" {
			at = tk.CreatedAt.Add(time.Duration(firstResponse[tk.Priority]) * time.Second / 100 * warnPercent)
		}
		out = append(out, due{ticket: who, what: kind, due: at, at: fr[0].CreatedAt})
	}
	if !tk.FirstResponseBreached || tk.ResolutionBreached {
		t.Errorf("%s: firstResponseBreached %v, resolutionBreached %v; want true, false", who, tk.FirstResponseBreached, tk.ResolutionBreached)
	}
	esc := tk.events("ESCALATED")
	if len(esc) != len(ladder) || tk.EscalationLevel != len(ladder) {
		t.Errorf("%s: at level %d with %d ESCALATED events, want each of the %d levels once: %+v", who, tk.EscalationLevel, len(esc), len(ladder), esc)
	}
	for i, ev := range esc {
		d := ev.data(t)
		if d["from"] != float64(i) || d["to"] != float64(i+1) || d["manual"] != false {
			t.Errorf("%s: ESCALATED #%d is %s, want from %d to %d, not manual", who, i+1, ev.Data, i, i+1)
			continue
		}
		// Level 1 comes with the breach; level n+1 level n's wait after it.
		at := tk.FirstResponseDueAt
		if i > 0 {
			at = esc[i-1].CreatedAt.Add(time.Duration(ladder[i-1]) * time.Second)
		}
		out = append(out, due{ticket: who, what: fmt.Sprintf("level %d", i+1), due: at, at: ev.CreatedAt})
	}
	return out
}

// checkTiming checks that nothing was recorded before its due time or
// while the process was dead, and that each action was recorded within
// lateBound of its due time — or of readiness after the restart, when it
// fell due (or was still undone) while the process was dead.
func checkTiming(t *testing.T, dues []due, kill, restarted, ready time.Time) {
	t.Helper()
	classes := map[string]int{}
	for _, d := range dues {
		class, from, fromWhat := "before the kill", d.due, "its due time"
		switch {
		case !d.due.Before(ready):
			class = "after the restart"
		case !d.due.Before(kill) || d.at.After(kill):
			class, from, fromWhat = "while dead", ready, "the restarted process was ready"
		}
		classes[class]++
		late := d.at.Sub(from)
		t.Logf("%-32s %-12s due %s  recorded %s  %-17s %+.3fs after %s", d.ticket, d.what, d.due.Format("15:04:05.000"),
			d.at.Format("15:04:05.000"), class, late.Seconds(), fromWhat)
		if d.at.Before(d.due) {
			t.Errorf("%s: %s recorded at %s, before its due time %s", d.ticket, d.what, d.at.Format(time.StampMicro), d.due.Format(time.StampMicro))
		}
		if d.at.After(kill) && d.at.Before(restarted) {
			t.Errorf("%s: %s recorded at %s, while the process was dead", d.ticket, d.what, d.at.Format(time.StampMicro))
		}
		if late > lateBound {
			t.Errorf("%s: %s recorded %s after %s, more than %s", d.ticket, d.what, late, fromWhat, lateBound)
		}
	}
	// The test's own aim: something fell due while dead, and something after.
	if classes["while dead"] == 0 || classes["after the restart"] == 0 {
		t.Errorf("the test's timing missed its aim: %v actions due per phase", classes)
	}
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = append([]string{"…"}, l[len(l)-lines:]...)
	}
	return strings.Join(l, "\n")
}
