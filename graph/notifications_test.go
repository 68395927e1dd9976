package graph_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"helpdesk/internal/apitest"
)

type gotNotification struct {
	Kind, Channel, Recipient, Status string
	Attempts                         int
	LastError                        *string
	SentAt                           *string
}

const notificationsOp = `query($id: ID!) { node(id: $id) { ... on Ticket {
	notifications { kind channel recipient status attempts lastError sentAt } } } }`

func hmacSHA256Hex(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func notificationsOf(t *testing.T, e *apitest.Env, token, ticket string) []gotNotification {
	t.Helper()
	var out struct {
		Node struct{ Notifications []gotNotification }
	}
	e.Do(t, token, notificationsOp, map[string]any{"id": ticket}, &out)
	return out.Node.Notifications
}

// waitNotifications polls until ok holds of the ticket's notifications.
func waitNotifications(t *testing.T, e *apitest.Env, ticket string, ok func([]gotNotification) bool) []gotNotification {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ns := notificationsOf(t, e, apitest.AdminToken, ticket)
		if ok(ns) {
			return ns
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications never got there: %+v", ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWithoutSMTPTheAutoReplyIsRecordedAndMarkedNotSent(t *testing.T) {
	e := apitest.New(t, apitest.Options{Deliver: true})
	tn := e.Tenant(t, "nosmtp")
	tk := e.CreateTicket(t, tn.User.Token, nil) // an INCIDENT: the TECHNICAL contact is copied
	ns := waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool {
		return len(ns) == 2 && ns[0].Status != "PENDING" && ns[1].Status != "PENDING"
	})
	var to []string
	for _, n := range ns {
		if n.Kind != "TICKET_RECEIVED" || n.Channel != "EMAIL" || n.Status != "FAILED" || n.Attempts != 0 ||
			n.LastError == nil || !strings.Contains(*n.LastError, "HELPDESK_SMTP_URL") {
			t.Errorf("notification %+v", n)
		}
		to = append(to, n.Recipient)
	}
	slices.Sort(to)
	want := []string{tn.Master.Email, tn.User.Email}
	slices.Sort(want)
	if !slices.Equal(to, want) {
		t.Fatalf("recipients %v, want the requester and the technical contact %v", to, want)
	}
}

// hookReceiver is a real HTTP receiver that answers with fail's codes
// first, then 200.
type hookReceiver struct {
	mu   sync.Mutex
	reqs []http.Header
	body [][]byte
	fail []int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs, h.body = append(h.reqs, r.Header.Clone()), append(h.body, b)
	if len(h.reqs) <= len(h.fail) {
		w.WriteHeader(h.fail[len(h.reqs)-1])
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *hookReceiver) got() ([]http.Header, [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs), slices.Clone(h.body)
}

func TestAWebhookGetsEachNotificationOfItsKindsOnceSignedBothWays(t *testing.T) {
	e := apitest.New(t, apitest.Options{Deliver: true, WebhookAllowPrivate: true})
	recv := &hookReceiver{}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	tn := e.Tenant(t, "hook")
	e.Do(t, apitest.AdminToken, `mutation($org: ID!, $url: String!) { createWebhook(input: {organizationID: $org, url: $url, secret: "partner-secret-1", kinds: [STATUS_CHANGED]}) }`,
		map[string]any{"org": tn.OrgID, "url": srv.URL + "/hook"}, nil)
	tk := e.CreateTicket(t, tn.User.Token, nil)
	agent := e.Agent(t, "AGENT")
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": tk.ID}, nil)

	ns := waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool {
		for _, n := range ns {
			if n.Channel == "WEBHOOK" && n.Status == "SENT" {
				return true
			}
		}
		return false
	})
	hooks := 0
	for _, n := range ns {
		if n.Channel == "WEBHOOK" {
			hooks++
			if n.Kind != "STATUS_CHANGED" || n.Recipient != srv.URL+"/hook" || n.Attempts != 1 || n.SentAt == nil {
				t.Errorf("webhook notification %+v", n)
			}
		}
	}
	if hooks != 1 {
		t.Fatalf("%d webhook notifications, want 1 (the webhook takes STATUS_CHANGED only): %+v", hooks, ns)
	}
	time.Sleep(300 * time.Millisecond) // nothing more arrives
	hdrs, bodies := recv.got()
	if len(hdrs) != 1 {
		t.Fatalf("%d POSTs, want 1", len(hdrs))
	}
	var body struct {
		Kind, Event string
		Ticket      struct {
			ID, Number, Status, Priority string
			FirstResponseDueAt           *time.Time
		}
		Data struct{ From, To string }
	}
	if err := json.Unmarshal(bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	if body.Kind != "STATUS_CHANGED" || body.Ticket.ID != tk.ID || body.Ticket.Number != tk.Number ||
		body.Ticket.Status != "ACCEPTED" || body.Ticket.Priority != "HIGH" || body.Ticket.FirstResponseDueAt == nil ||
		body.Data.From != "NEW" || body.Data.To != "ACCEPTED" {
		t.Fatalf("body %s", bodies[0])
	}
	if sig := hdrs[0].Get("X-Helpdesk-Signature"); sig != "sha256="+hmacSHA256Hex("partner-secret-1", bodies[0]) {
		t.Fatalf("X-Helpdesk-Signature %q", sig)
	}
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte("partner-secret-1")))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(bodies[0], hdrs[0]); err != nil {
		t.Fatalf("Standard Webhooks verification: %v", err)
	}
}

func TestAFailingWebhookIsRetriedWithTheSameDeliveryIDUntilItAccepts(t *testing.T) {
	e := apitest.New(t, apitest.Options{Deliver: true, WebhookAllowPrivate: true})
	recv := &hookReceiver{fail: []int{500}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	tn := e.Tenant(t, "retry")
	e.Do(t, apitest.AdminToken, `mutation($org: ID!, $url: String!) { createWebhook(input: {organizationID: $org, url: $url, secret: "partner-secret-2", kinds: [TICKET_RECEIVED]}) }`,
		map[string]any{"org": tn.OrgID, "url": srv.URL}, nil)
	tk := e.CreateTicket(t, tn.User.Token, nil)
	ns := waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool {
		for _, n := range ns {
			if n.Channel == "WEBHOOK" && n.Status == "SENT" {
				return true
			}
		}
		return false
	})
	for _, n := range ns {
		if n.Channel == "WEBHOOK" && (n.Attempts != 2 || n.LastError != nil) {
			t.Fatalf("after a 500 and a 200: %+v", n)
		}
	}
	hdrs, _ := recv.got()
	if len(hdrs) != 2 || hdrs[0].Get("webhook-id") == "" || hdrs[0].Get("webhook-id") != hdrs[1].Get("webhook-id") {
		t.Fatalf("deliveries %v", hdrs)
	}
}

func TestAContactsLocaleIsEnglishOrSpanish(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "locale")
	const create = `mutation($in: CreateContactInput!) { createContact(input: $in) { id locale } }`
	in := func(email, locale string) map[string]any {
		m := map[string]any{"organizationID": tn.OrgID, "name": "Lu", "email": email, "role": "USER"}
		if locale != "" {
			m["locale"] = locale
		}
		return map[string]any{"in": m}
	}
	var out struct{ CreateContact struct{ ID, Locale string } }
	e.Do(t, apitest.AdminToken, create, in("default@customer.example", ""), &out)
	if out.CreateContact.Locale != "en" {
		t.Fatalf("default locale %q", out.CreateContact.Locale)
	}
	e.Do(t, apitest.AdminToken, create, in("es@customer.example", "es"), &out)
	if out.CreateContact.Locale != "es" {
		t.Fatalf("locale %q", out.CreateContact.Locale)
	}
	res := e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, create, in("fr@customer.example", "fr"))
	if !strings.Contains(res.Errors[0].Message, "locale") {
		t.Fatalf("the error does not name the locale: %+v", res.Errors)
	}
	var found struct{ Contacts struct{ TotalCount int } }
	e.Do(t, apitest.AdminToken, `query { contacts(where: {email: "fr@customer.example"}) { totalCount } }`, nil, &found)
	if found.Contacts.TotalCount != 0 {
		t.Fatal("a refused contact was stored")
	}
	e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, `mutation($id: ID!) { updateContact(id: $id, input: {locale: "EN"}) { id } }`,
		map[string]any{"id": out.CreateContact.ID})
	var upd struct{ UpdateContact struct{ Locale string } }
	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { updateContact(id: $id, input: {locale: "en"}) { locale } }`,
		map[string]any{"id": out.CreateContact.ID}, &upd)
	if upd.UpdateContact.Locale != "en" {
		t.Fatalf("updated locale %q", upd.UpdateContact.Locale)
	}
}
