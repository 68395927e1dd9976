package app_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"helpdesk/internal/apitest"
)

// otlpReceiver is an OTLP/gRPC trace collector in the test: it keeps
// every span exported to it.
type otlpReceiver struct {
	collectortracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.Span
	addr  string
}

func (r *otlpReceiver) Export(_ context.Context, req *collectortracepb.ExportTraceServiceRequest) (*collectortracepb.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
	return &collectortracepb.ExportTraceServiceResponse{}, nil
}

func (r *otlpReceiver) received() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

func startReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &otlpReceiver{addr: ln.Addr().String()}
	srv := grpc.NewServer()
	collectortracepb.RegisterTraceServiceServer(srv, r)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return r
}

// ticketInsert is ent's INSERT of a ticket, on PostgreSQL ("tickets")
// or SQLite (`tickets`).
var ticketInsert = regexp.MustCompile("^INSERT INTO [\"`]tickets[\"`]")

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.GetAttributes() {
		if a.GetKey() == key {
			return a.GetValue().GetStringValue()
		}
	}
	return ""
}

// TestOneTraceRunsFromTheRequestThroughTheDatabaseIntoTheWorkflow: with
// OTEL_EXPORTER_OTLP_ENDPOINT naming a collector (a real OTLP/gRPC
// server here), the createTicket request's trace holds its HTTP span,
// the SQL statement that inserts the ticket (its text, not its values),
// the commit, the outbox's SignalWithStart, the workflow's handling of
// the change in the worker and, when the ticket's SLA warning falls due,
// the workflow's activity and its own statements.
func TestOneTraceRunsFromTheRequestThroughTheDatabaseIntoTheWorkflow(t *testing.T) {
	r := startReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+r.addr)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // milliseconds: export soon
	addr := freeAddr(t)
	extra := map[string]string{}
	if url := apitest.PostgresDB(t); url != "" {
		extra["DATABASE_URL"] = url
	}
	p := launchWith(t, t.TempDir(), addr, extra)
	defer p.deps.Close()
	defer p.cancel()
	// A policy of seconds: the ticket's warning falls due a second after
	// it is opened, and its workflow's activity records it.
	pol := post(t, addr, `mutation { createSLAPolicy(input: {name: "Traced", timezone: "UTC", alwaysOpen: true, warningPercent: 50, targets: [
		{priority: CRITICAL, firstResponseSeconds: 2, resolutionSeconds: 600}, {priority: HIGH, firstResponseSeconds: 7200, resolutionSeconds: 86400},
		{priority: MEDIUM, firstResponseSeconds: 14400, resolutionSeconds: 172800}, {priority: LOW, firstResponseSeconds: 32400, resolutionSeconds: 259200}]}) { id } }`)
	polID := pol["createSLAPolicy"].(map[string]any)["id"].(string)
	o := post(t, addr, `mutation { createOrganization(input: {name: "Traced Ltd", region: "EU", timezone: "UTC", slaPolicyID: "`+polID+`"}) { id } }`)
	org := o["createOrganization"].(map[string]any)["id"].(string)
	c := post(t, addr, `mutation { createContact(input: {organizationID: "`+org+`", name: "Rita", email: "rita@traced.example", role: USER}) { id } }`)
	contact := c["createContact"].(map[string]any)["id"].(string)
	tk := post(t, addr, `mutation { createTicket(input: {requesterID: "`+contact+`", subject: "Down", description: "All down", priority: CRITICAL, category: INCIDENT, channel: API}) { id number } }`)
	number := tk["createTicket"].(map[string]any)["number"].(string)

	want := []struct {
		what string
		is   func(*tracepb.Span) bool
	}{
		{"the HTTP request's server span", func(s *tracepb.Span) bool {
			return s.GetName() == "POST /graphql" && s.GetKind() == tracepb.Span_SPAN_KIND_SERVER
		}},
		{"the INSERT of the ticket", func(s *tracepb.Span) bool {
			q := attr(s, "db.query.text")
			return s.GetName() == "INSERT" && ticketInsert.MatchString(q)
		}},
		{"the commit", func(s *tracepb.Span) bool { return s.GetName() == "COMMIT" }},
		{"the outbox's SignalWithStart", func(s *tracepb.Span) bool {
			return s.GetName() == "SignalWithStartWorkflow:TicketWorkflow" && s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT
		}},
		{"the workflow's handling of the change", func(s *tracepb.Span) bool { return strings.HasPrefix(s.GetName(), "HandleSignal:") }},
		{"the workflow's activity recording the warning", func(s *tracepb.Span) bool { return s.GetName() == "RunActivity:Act" }},
		{"the activity's UPDATE of the ticket", func(s *tracepb.Span) bool {
			return s.GetName() == "UPDATE" && strings.Contains(attr(s, "db.query.text"), "tickets")
		}},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans := r.received()
		var trace []byte
		for _, s := range spans {
			if attr(s, "graphql.operation.field") == "createTicket" {
				trace = s.GetTraceId()
			}
		}
		var missing []string
		for _, w := range want {
			if !slices.ContainsFunc(spans, func(s *tracepb.Span) bool { return string(s.GetTraceId()) == string(trace) && w.is(s) }) {
				missing = append(missing, w.what)
			}
		}
		if trace != nil && len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range spans {
				names = append(names, hex.EncodeToString(s.GetTraceId())[:8]+" "+s.GetName()+" "+attr(s, "graphql.operation.field"))
			}
			t.Fatalf("the trace of createTicket %s (%x) lacks %v; spans received:\n%s", number, trace, missing, strings.Join(names, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, s := range r.received() {
		if strings.Contains(attr(s, "db.query.text"), "rita@traced.example") {
			t.Errorf("a span holds a statement's values: %s", attr(s, "db.query.text"))
		}
	}
}

// TestMetricsCoverTheAPITheWorkerAndTemporal: one process's /metrics
// holds the API's series per GraphQL operation, the delivery's (e-mail is
// off here: the ticket's acknowledgement is recorded failed) and the
// Temporal SDK's own (its workflow tasks and its requests), in
// Prometheus's names.
func TestMetricsCoverTheAPITheWorkerAndTemporal(t *testing.T) {
	addr := freeAddr(t)
	p := launch(t, t.TempDir(), addr)
	defer p.deps.Close()
	defer p.cancel()
	id, _ := openTicket(t, addr)
	ticketID, _ := strconv.Atoi(id)
	waitRunning(t, p.deps.Temporal, ticketID)

	want := []string{
		`helpdesk_graphql_requests_total{operation="createTicket",outcome="ok"} 1`,
		`helpdesk_graphql_request_duration_seconds_count{operation="createTicket"} 1`,
		`helpdesk_notifications_delivered_total{channel="EMAIL",kind="TICKET_RECEIVED",status="failed"} 1`,
		`temporal_workflow_task_execution_latency_seconds_bucket{`,
		`temporal_request_total{`,
		`temporal_long_request_total{`,
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var missing []string
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			if testing.Verbose() {
				t.Logf("%s", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q:\n%s", missing, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
