package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"helpdesk/internal/app"
	"helpdesk/internal/config"
	"helpdesk/workflows"
)

const adminToken = "restart-admin-token-123"

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a running zero-set-up default.
type process struct {
	deps   *app.Deps
	cancel context.CancelFunc // what SIGTERM does
	done   chan error         // Serve's result
}

// start runs the zero-set-up default (embedded SQLite and Temporal) on dir
// until the returned stop is called.
func start(t *testing.T, dir, addr string) (deps *app.Deps, stop func()) {
	t.Helper()
	p := launch(t, dir, addr)
	return p.deps, func() {
		p.cancel()
		if err := <-p.done; err != nil {
			t.Errorf("serve: %v", err)
		}
		p.deps.Close()
	}
}

// launch starts the default and waits until it is ready.
func launch(t *testing.T, dir, addr string) *process {
	t.Helper()
	return launchWith(t, dir, addr, nil)
}

// testConfig is the configuration of the default on dir and addr, with
// extra variables set. The in-process Temporal server takes a free port:
// tests run beside each other and beside a helpdesk on 7233.
func testConfig(t *testing.T, dir, addr string, extra map[string]string) config.Config {
	t.Helper()
	env := map[string]string{"HELPDESK_DATA_DIR": dir, "HELPDESK_ADDR": addr, "HELPDESK_ADMIN_TOKEN": adminToken, "HELPDESK_TEMPORAL_LISTEN": "127.0.0.1:0"}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// launchWith starts the default with extra variables set and waits until
// it is ready.
func launchWith(t *testing.T, dir, addr string, extra map[string]string) *process {
	t.Helper()
	cfg := testConfig(t, dir, addr, extra)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	deps, err := app.Open(ctx, cfg, app.RoleAll, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, app.RoleAll, deps, log) }()
	for i := 0; ; i++ {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i > 200 {
			t.Fatalf("not ready on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &process{deps: deps, cancel: cancel, done: done}
}

func post(t *testing.T, addr, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%s: %s", query, raw)
	}
	return out.Data
}

// TestEmbeddedDefaultKeepsTicketsAndWorkflowsAcrossRestart stops and starts
// the zero-set-up default on one data directory: the ticket and its running
// workflow are still there, and the workflow takes the next change.
func TestEmbeddedDefaultKeepsTicketsAndWorkflowsAcrossRestart(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	deps, stop := start(t, dir, addr)
	id, number := openTicket(t, addr)
	ticketID, _ := strconv.Atoi(id)
	waitRunning(t, deps.Temporal, ticketID)
	stop()

	deps, stop = start(t, dir, addr)
	defer stop()
	got := post(t, addr, `{ ticketByNumber(number: "`+number+`") { id status } }`)
	if got["ticketByNumber"] == nil {
		t.Fatalf("ticket %s is gone after a restart", number)
	}
	waitRunning(t, deps.Temporal, ticketID)
	post(t, addr, `mutation { acceptTicket(id: "`+id+`") { status } }`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		v, err := deps.Temporal.QueryWorkflow(ctx, workflows.TicketWorkflowID(ticketID), "", workflows.QueryState)
		cancel()
		var st workflows.State
		if err == nil && v.Get(&st) == nil && st.Ticket.Status == "ACCEPTED" {
			if st.Changes < 2 {
				t.Fatalf("the workflow after restart lost its history: %+v", st)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workflow never took the change made after the restart (last error %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openTicket creates an organization, a contact and a ticket of theirs on
// the helpdesk at addr, and returns the ticket's ID and number.
func openTicket(t *testing.T, addr string) (id, number string) {
	t.Helper()
	o := post(t, addr, `mutation { createOrganization(input: {name: "Restart Ltd", region: "EU", timezone: "Europe/Berlin"}) { id } }`)
	org := o["createOrganization"].(map[string]any)["id"].(string)
	c := post(t, addr, `mutation { createContact(input: {organizationID: "`+org+`", name: "Rita", email: "rita@restart.example", role: USER}) { id } }`)
	contact := c["createContact"].(map[string]any)["id"].(string)
	tk := post(t, addr, `mutation { createTicket(input: {requesterID: "`+contact+`", subject: "Down", description: "All down", priority: HIGH, category: INCIDENT, channel: API}) { id number } }`)
	return tk["createTicket"].(map[string]any)["id"].(string), tk["createTicket"].(map[string]any)["number"].(string)
}

func waitRunning(t *testing.T, tc client.Client, ticketID int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		d, err := tc.DescribeWorkflowExecution(ctx, workflows.TicketWorkflowID(ticketID), "")
		cancel()
		if err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return
		}
		if time.Now().After(deadline) {
			msg := "no answer"
			if err != nil {
				msg = err.Error()
			}
			t.Fatalf("workflow of ticket %d is not running: %s", ticketID, strings.TrimSpace(msg))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestShutdownDrainsInFlightRequests stops the process while a request is
// half sent: the request is still answered, then the server stops.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	addr := freeAddr(t)
	p := launch(t, t.TempDir(), addr)
	defer p.deps.Close()
	defer p.cancel()
	cancel, done := p.cancel, p.done

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query": "{ viewer { agent { role } } }"}`
	head := "POST /graphql HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nAuthorization: Bearer " + adminToken +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server is reading the body
	cancel()                           // SIGTERM
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the server stopped with a request in flight (%v)", err)
	default:
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(reply), "HTTP/1.1 200") || !strings.Contains(string(reply), "ADMIN") {
		t.Fatalf("the in-flight request was not answered: %q", reply)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop after draining")
	}
}
