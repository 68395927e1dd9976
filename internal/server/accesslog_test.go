package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"helpdesk/ent/apitoken"
	"helpdesk/internal/apitest"
	"helpdesk/internal/auth"
	"helpdesk/internal/server"
	"helpdesk/internal/viewer"
)

// logBuffer collects what a logger writes while the server goroutines
// write to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records are the access-log records written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if rec["msg"] == "http request" {
			out = append(out, rec)
		}
	}
	return out
}

// waitRecord waits for the access-log record that match selects.
func (b *logBuffer) waitRecord(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, rec := range b.records(t) {
			if match(rec) {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log record of %s in:\n%s", what, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAccessLogHasOneLinePerRequestWithItsOperationAndViewerButNoToken
// sends requests as an agent, a contact (over HTTP and over a WebSocket
// authenticated by its init payload), a partner and nobody through the
// real handler with a JSON logger: each gets a line with method, path,
// status, duration, operation and the token's owner, and no token appears
// anywhere in the log.
func TestAccessLogHasOneLinePerRequestWithItsOperationAndViewerButNoToken(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "access-log")
	partner := e.Partner(t, tn.OrgID)
	partnerTokenID, err := e.DB.Client.APIToken.Query().Where(apitoken.Digest(auth.Digest(partner))).OnlyID(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	var agent struct {
		Viewer struct{ Agent struct{ ID string } }
	}
	e.Do(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil, &agent)

	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(server.New(server.Options{Client: e.DB.Client, Logger: log}))
	defer srv.Close()
	env := *e
	env.URL = srv.URL

	env.Do(t, apitest.AdminToken, `query WhoAmI { viewer { agent { id } } }`, nil, nil)
	env.Do(t, tn.User.Token, `query MyTickets { tickets(first: 5) { totalCount } }`, nil, nil)
	env.Do(t, partner, `query PartnerOrgs { viewer { partnerOrganizations { id } } }`, nil, nil)
	if res := env.Post(t, "hd_not-a-token-at-all", `query Sneaky { viewer { agent { id } } }`, nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("unknown token: HTTP %d, want 401", res.Status)
	}
	if code, _, _ := get(t, srv.URL+"/healthz?secret=in-the-query-string"); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}
	wsSubscribe(t, srv.URL, tn.User.Token, `subscription WatchTickets { ticketEvents(ticketID: "999999999") { id } }`)

	byOperation := func(op string) func(map[string]any) bool {
		return func(rec map[string]any) bool { return rec["operation"] == op }
	}
	for _, tc := range []struct {
		name, operation, opType, viewer string
		status                          float64
	}{
		{"an agent's query", "WhoAmI", "query", "agent:" + agent.Viewer.Agent.ID, 200},
		{"a contact's query", "MyTickets", "query", "contact:" + tn.User.ID, 200},
		{"a partner's query", "PartnerOrgs", "query", "partner:" + strconv.Itoa(partnerTokenID), 200},
		{"a contact's subscription over a WebSocket", "WatchTickets", "subscription", "contact:" + tn.User.ID, 101},
	} {
		rec := logs.waitRecord(t, tc.name, byOperation(tc.operation))
		if rec["level"] != "INFO" || rec["path"] != "/graphql" || rec["status"] != tc.status ||
			rec["operation_type"] != tc.opType || rec["viewer"] != tc.viewer {
			t.Errorf("%s: record %v, want level INFO, path /graphql, status %v, operation_type %s, viewer %s", tc.name, rec, tc.status, tc.opType, tc.viewer)
		}
		if _, ok := rec["duration_ms"].(float64); !ok {
			t.Errorf("%s: no duration_ms in %v", tc.name, rec)
		}
	}
	for _, rec := range logs.records(t) {
		if rec["method"] != http.MethodPost && rec["method"] != http.MethodGet {
			t.Errorf("record without the method: %v", rec)
		}
	}
	rejected := logs.waitRecord(t, "the request with an unknown token", func(rec map[string]any) bool { return rec["status"] == float64(401) })
	if _, ok := rejected["viewer"]; ok || rejected["method"] != http.MethodPost {
		t.Errorf("rejected request: %v, want a POST without a viewer", rejected)
	}
	probe := logs.waitRecord(t, "the health check", func(rec map[string]any) bool { return rec["path"] == "/healthz" })
	if probe["level"] != "DEBUG" || probe["status"] != float64(200) {
		t.Errorf("health check: %v, want a DEBUG record with status 200", probe)
	}

	all := logs.String()
	for _, secret := range []string{apitest.AdminToken, tn.User.Token, partner, "hd_not-a-token-at-all", "Bearer", "in-the-query-string"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log contains %q:\n%s", secret, all)
		}
	}
}

// wsSubscribe opens a graphql-transport-ws connection authenticated by its
// init payload, runs one subscription until its first answer and closes the
// connection.
func wsSubscribe(t *testing.T, url, token, query string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	defer conn.CloseNow()
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatal(err)
	}
	var ack struct{ Type string }
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("websocket init: %+v %v", ack, err)
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}}); err != nil {
		t.Fatal(err)
	}
	// Any answer to the subscription proves the server has run it.
	var msg struct{ Type string }
	if err := wsjson.Read(ctx, conn, &msg); err != nil {
		t.Fatalf("websocket: no answer to the subscription: %v", err)
	}
	_ = conn.Close(websocket.StatusNormalClosure, "done")
}

// TestAccessLogNamesTheTicketAnOperationAnsweredWith: the line of a
// request whose root field answered with a ticket (creating it, looking
// it up by number) carries its number and its workflow's ID, as the
// worker's and the outbox's lines about it do; other lines carry none.
func TestAccessLogNamesTheTicketAnOperationAnsweredWith(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "access-log-ticket")
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	srv := httptest.NewServer(server.New(server.Options{Client: e.DB.Client, Logger: log}))
	defer srv.Close()
	env := *e
	env.URL = srv.URL

	tk := env.CreateTicket(t, tn.User.Token, nil)
	env.Do(t, tn.User.Token, `query Lookup { ticketByNumber(number: "`+tk.Number+`") { id } }`, nil, nil)
	env.Do(t, tn.User.Token, `query Page { tickets(first: 5) { totalCount } }`, nil, nil)
	id, _ := strconv.Atoi(tk.ID)
	wantWorkflow := "ticket-" + strconv.Itoa(id)
	for _, op := range []string{"", "Lookup"} {
		rec := logs.waitRecord(t, "operation "+op, func(rec map[string]any) bool {
			name, _ := rec["operation"].(string) // the unnamed mutation has none
			return name == op && rec["ticket"] != nil
		})
		if rec["ticket"] != tk.Number || rec["workflowID"] != wantWorkflow {
			t.Errorf("%q: ticket %v workflowID %v, want %s %s", op, rec["ticket"], rec["workflowID"], tk.Number, wantWorkflow)
		}
	}
	page := logs.waitRecord(t, "the page", func(rec map[string]any) bool { return rec["operation"] == "Page" })
	if _, ok := page["ticket"]; ok {
		t.Errorf("a page of tickets names one: %v", page)
	}
}
