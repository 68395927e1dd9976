package bench_test

import (
	"context"
	"encoding/json"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/bench"
	"helpdesk/internal/deliver"
)

// sinkListener reserves the bench sink's address before the server starts,
// so that the server's mailer can be pointed at it.
func sinkListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() }) // the run closes it; this is for a run that never starts
	return ln
}

// TestEveryTicketsAutoReplyReachesTheBenchSinkOnce runs the autoreply
// scenario against a real server whose notifications are mailed to the
// bench's own SMTP sink: every ticket's auto-reply is received exactly
// once, nothing foreign or misaddressed arrives, the delays are measured
// and the report has its JSON shape.
func TestEveryTicketsAutoReplyReachesTheBenchSinkOnce(t *testing.T) {
	t.Parallel()
	ln := sinkListener(t)
	m, err := deliver.NewMailer("smtp://"+ln.Addr().String(), "desk@helpdesk.test", "")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{Deliver: true, Mailer: m})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const tickets = 30
	rep, err := bench.RunAutoreply(ctx, bench.AutoreplyConfig{
		Addr: e.URL, Token: apitest.AdminToken, Clients: 4, Tickets: tickets, Grace: 5 * time.Second, SinkListener: ln,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Autoreply
	if s.Tickets != tickets || s.CreateFailed != 0 {
		t.Fatalf("created %d of %d (%d failed; errors: %v)", s.Tickets, tickets, s.CreateFailed, rep.ErrorSamples)
	}
	if s.Received != tickets || s.Missing != 0 || s.Duplicated != 0 || s.Misaddressed != 0 || s.Foreign != 0 {
		t.Errorf("of %d tickets: %d received, %d missing, %d duplicated, %d misaddressed, %d foreign; want every one received once and nothing else",
			tickets, s.Received, s.Missing, s.Duplicated, s.Misaddressed, s.Foreign)
	}
	if s.P50Ms == nil || s.P99Ms == nil || s.MaxMs == nil || *s.P50Ms < 0 || *s.P99Ms < *s.P50Ms || *s.MaxMs < *s.P99Ms {
		t.Errorf("delays out of order or absent: p50 %v, p99 %v, max %v", s.P50Ms, s.P99Ms, s.MaxMs)
	}
	if s.CreateP99Ms == nil || *s.CreateP99Ms <= 0 || s.CreateS <= 0 {
		t.Errorf("creation not measured: p99 %v ms over %vs", s.CreateP99Ms, s.CreateS)
	}
	if rep.SinkAddr != ln.Addr().String() {
		t.Errorf("the report names the sink %s, it listened on %s", rep.SinkAddr, ln.Addr())
	}

	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]map[string]any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatalf("JSON %s: %v", raw, err)
	}
	var keys []string
	for k := range shape["autoreply"] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"create_failed", "create_p99_ms", "create_s", "duplicated", "foreign", "max_ms", "misaddressed",
		"missing", "p50_ms", "p99_ms", "received", "targets_met", "tickets"}
	if len(shape) != 1 || !reflect.DeepEqual(keys, want) {
		t.Errorf("JSON %s: want one object \"autoreply\" with the keys %q", raw, want)
	}
	if shape["autoreply"]["received"] != float64(tickets) {
		t.Errorf("JSON received = %v, want %d", shape["autoreply"]["received"], tickets)
	}
}

// TestAServerNotMailingTheSinkFailsTheRunBeforeItCreates runs the scenario
// against a server whose e-mail is off: the probe's auto-reply never
// arrives, and the run ends with the address HELPDESK_SMTP_URL must name,
// without creating the tickets.
func TestAServerNotMailingTheSinkFailsTheRunBeforeItCreates(t *testing.T) {
	t.Parallel()
	ln := sinkListener(t)
	e := apitest.New(t, apitest.Options{Deliver: true})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	started := time.Now()
	rep, err := bench.RunAutoreply(ctx, bench.AutoreplyConfig{
		Addr: e.URL, Token: apitest.AdminToken, Clients: 2, Tickets: 1000, SinkListener: ln,
	})
	if err == nil {
		t.Fatalf("a run without mail succeeded: %+v", rep.Autoreply)
	}
	want := "no auto-reply reached the sink at " + ln.Addr().String()
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "HELPDESK_SMTP_URL=smtp://"+ln.Addr().String()) {
		t.Errorf("error %q, want it to say %q and how to start helpdesk", err, want)
	}
	if took := time.Since(started); took > bench.AutoreplyProbeWait+10*time.Second {
		t.Errorf("failing took %s; the probe waits %s", took, bench.AutoreplyProbeWait)
	}
	if rep != nil && rep.Autoreply.Tickets != 0 {
		t.Errorf("%d tickets were created after the probe failed", rep.Autoreply.Tickets)
	}
}
