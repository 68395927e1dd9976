package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/deliver"
)

// mailEnv is a helpdesk whose notifications go to a real SMTP sink.
func mailEnv(t *testing.T) (*apitest.Env, *apitest.MailSink) {
	t.Helper()
	sink := apitest.NewMailSink(t, "127.0.0.1:0")
	m, err := deliver.NewMailer(sink.URL(), "desk@helpdesk.test", "")
	if err != nil {
		t.Fatal(err)
	}
	return apitest.New(t, apitest.Options{Deliver: true, Mailer: m}), sink
}

// mailsTo are the messages to addr whose subject contains want.
func mailsTo(got []apitest.Mail, addr, want string) []apitest.Mail {
	var out []apitest.Mail
	for _, m := range got {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) && strings.Contains(m.Subject(), want) {
				out = append(out, m)
			}
		}
	}
	return out
}

func spanishContact(t *testing.T, e *apitest.Env, org string) apitest.Person {
	t.Helper()
	email := strings.ToLower(apitest.Unique("lucia")) + "@cliente.example"
	var c struct{ CreateContact struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"organizationID": org, "name": "Lucía", "email": email, "role": "USER", "locale": "es"}}, &c)
	return apitest.Person{ID: c.CreateContact.ID, Email: email, Token: e.Token(t, apitest.AdminToken, map[string]any{"contactID": c.CreateContact.ID})}
}

func TestTheAutoReplyArrivesWithTheNumberInTheContactsLanguage(t *testing.T) {
	e, sink := mailEnv(t)
	tn := e.Tenant(t, "autoreply")
	lu := spanishContact(t, e, tn.OrgID)
	tk := e.CreateTicket(t, lu.Token, map[string]any{"category": "SERVICE_REQUEST"})
	got := sink.Wait(t, 10*time.Second, func(ms []apitest.Mail) bool { return len(mailsTo(ms, lu.Email, tk.Number)) > 0 })
	m := mailsTo(got, lu.Email, tk.Number)[0]
	if !strings.HasPrefix(m.Subject(), "["+tk.Number+"] ") {
		t.Fatalf("subject %q does not start with the number", m.Subject())
	}
	if !strings.Contains(m.Raw, "Hemos recibido") && !strings.Contains(strings.ToLower(m.Subject()), "recib") {
		t.Fatalf("the auto-reply is not in Spanish: %q\n%s", m.Subject(), m.Raw)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<notification-") || !strings.HasSuffix(id, "@helpdesk.test>") {
		t.Fatalf("Message-ID %q", id)
	}
	if m.Header.Get("In-Reply-To") == "" || m.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("threading and loop headers: In-Reply-To %q Auto-Submitted %q", m.Header.Get("In-Reply-To"), m.Header.Get("Auto-Submitted"))
	}
	ns := waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool { return len(ns) == 1 && ns[0].Status == "SENT" })
	if ns[0].Kind != "TICKET_RECEIVED" || ns[0].Attempts != 1 || ns[0].SentAt == nil {
		t.Fatalf("notification %+v", ns[0])
	}
}

func TestEveryNotificationOfALifecycleArrivesOncePerRecipient(t *testing.T) {
	e, sink := mailEnv(t)
	tn := e.Tenant(t, "lifecycle")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, map[string]any{"category": "SERVICE_REQUEST"})
	op := func(token, q string, vars map[string]any) {
		t.Helper()
		vars["id"] = tk.ID
		e.Do(t, token, q, vars, nil)
	}
	op(agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{})
	op(agent.Token, `mutation($id: ID!) { requestInformation(id: $id, message: "Which port is down?") { id } }`, map[string]any{})
	e.Comment(t, tn.User.Token, tk.ID, "Port 7 of the edge switch", false)
	op(agent.Token, `mutation($id: ID!) { changeTicketPriority(id: $id, priority: CRITICAL, reason: "Whole site down") { id } }`, map[string]any{})
	e.Comment(t, agent.Token, tk.ID, "A technician is on the way", false)
	e.Comment(t, agent.Token, tk.ID, "internal: truck 3", true)
	op(agent.Token, `mutation($id: ID!) { resolveTicket(id: $id, resolution: "Replaced the optic") { id } }`, map[string]any{})

	// What the requester and the assignee are owed, by subject words the
	// English templates use for each kind; counted by notification rows.
	ns := waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool {
		for _, n := range ns {
			if n.Status != "SENT" {
				return false
			}
		}
		return len(ns) >= 9
	})
	count := map[string]int{}
	for _, n := range ns {
		count[fmt.Sprintf("%s %s", n.Kind, n.Recipient)]++
	}
	want := map[string]int{
		"TICKET_RECEIVED " + tn.User.Email:       1,
		"STATUS_CHANGED " + tn.User.Email:        4, // accepted, waiting on customer, back in progress, resolved
		"INFORMATION_REQUESTED " + tn.User.Email: 1,
		"COMMENT_ADDED " + agent.Email:           1, // the customer's reply
		"PRIORITY_CHANGED " + tn.User.Email:      1,
		"COMMENT_ADDED " + tn.User.Email:         1, // the agent's public reply; the internal note notifies nobody
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d notifications, want %d (all: %v)", k, count[k], n, count)
		}
	}
	if len(ns) != 9 {
		t.Errorf("%d notifications, want 9: %v", len(ns), count)
	}
	// Each arrived once, and every message of the ticket threads on it.
	got := sink.Wait(t, 10*time.Second, func(ms []apitest.Mail) bool { return len(ms) >= len(ns) })
	time.Sleep(300 * time.Millisecond)
	got = sink.Received()
	if len(got) != len(ns) {
		t.Fatalf("%d messages for %d notifications", len(got), len(ns))
	}
	ids := map[string]bool{}
	for _, m := range got {
		if ids[m.Header.Get("Message-Id")] {
			t.Fatalf("Message-ID %s twice", m.Header.Get("Message-Id"))
		}
		ids[m.Header.Get("Message-Id")] = true
		if !strings.HasPrefix(m.Subject(), "["+tk.Number+"]") || m.Header.Get("References") != got[0].Header.Get("References") {
			t.Fatalf("message %q References %q, not threaded with %q", m.Subject(), m.Header.Get("References"), got[0].Header.Get("References"))
		}
	}
}

func TestMailIsRetriedWhileTheSMTPServerIsDownAndSentOnceWhenItIsBack(t *testing.T) {
	e, sink := mailEnv(t)
	tn := e.Tenant(t, "smtpdown")
	sink.Stop()
	tk := e.CreateTicket(t, tn.User.Token, map[string]any{"category": "SERVICE_REQUEST"})
	ns := waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool {
		return len(ns) == 1 && ns[0].Attempts >= 1 && ns[0].LastError != nil
	})
	if ns[0].Status != "PENDING" {
		t.Fatalf("a temporary failure gives up: %+v", ns[0])
	}
	sink.Restart(t)
	ns = waitNotifications(t, e, tk.ID, func(ns []gotNotification) bool { return ns[0].Status == "SENT" })
	if ns[0].Attempts < 2 || ns[0].LastError != nil {
		t.Fatalf("after the server came back: %+v", ns[0])
	}
	time.Sleep(300 * time.Millisecond)
	if got := mailsTo(sink.Received(), tn.User.Email, tk.Number); len(got) != 1 {
		t.Fatalf("%d auto-replies arrived, want 1", len(got))
	}
}
