package intake_test

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/deliver"
	"helpdesk/internal/intake"
	"helpdesk/internal/mailin"
)

// mailDesk is a helpdesk taking mail in on a real listener, its
// notifications going to a real SMTP sink.
type mailDesk struct {
	*apitest.Env
	sink   *apitest.MailSink
	listen string
}

func newMailDesk(t *testing.T) *mailDesk {
	t.Helper()
	sink := apitest.NewMailSink(t, "127.0.0.1:0")
	m, err := deliver.NewMailer(sink.URL(), "desk@helpdesk.test", "")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{Deliver: true, Mailer: m})
	srv, err := mailin.Listen(mailin.Config{Addr: "127.0.0.1:0", Domain: "helpdesk.test"}, func(ctx context.Context, msg mailin.Message) error {
		err := intake.Mail(ctx, e.DB.Client, msg)
		e.Deliverer.Kick()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Close() })
	return &mailDesk{Env: e, sink: sink, listen: srv.Addr().String()}
}

// send mails raw (headers and body, \n line ends) from from; the SMTP
// answer's error, if any.
func (d *mailDesk) send(from, raw string) error {
	return smtp.SendMail(d.listen, nil, from, []string{"desk@helpdesk.test"}, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

func message(from, subject, id, body string, extra ...string) string {
	h := fmt.Sprintf("From: %s\nTo: desk@helpdesk.test\nSubject: %s\nMessage-ID: <%s>\nDate: %s\n", from, subject, id, time.Now().Format(time.RFC1123Z))
	for _, x := range extra {
		h += x + "\n"
	}
	return h + "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

type mailTicket struct {
	ID, Number, Subject, Description, Status, Channel string
	Organization                                      struct{ ID string }
	Comments                                          []struct{ Body string }
}

func (d *mailDesk) ticketsOf(t *testing.T, token string) []mailTicket {
	t.Helper()
	var out struct {
		Tickets struct{ Edges []struct{ Node mailTicket } }
	}
	d.Do(t, token, `{ tickets(first: 50) { edges { node { id number subject description status channel organization { id } comments { body } } } } }`, nil, &out)
	var ts []mailTicket
	for _, e := range out.Tickets.Edges {
		ts = append(ts, e.Node)
	}
	return ts
}

func TestMailFromAnActiveContactOpensAnEmailTicketAndGetsTheAutoReply(t *testing.T) {
	d := newMailDesk(t)
	tn := d.Tenant(t, "mailin")
	if err := d.send(tn.User.Email, message(tn.User.Email, "Router down in Lima", "m1@customer.example", "The router in Lima is down since 9:00.")); err != nil {
		t.Fatal(err)
	}
	ts := d.ticketsOf(t, tn.User.Token)
	if len(ts) != 1 || ts[0].Channel != "EMAIL" || ts[0].Subject != "Router down in Lima" ||
		!strings.Contains(ts[0].Description, "since 9:00") || ts[0].Organization.ID != tn.OrgID {
		t.Fatalf("tickets %+v", ts)
	}
	d.sink.Wait(t, 10*time.Second, func(ms []apitest.Mail) bool {
		for _, m := range ms {
			if m.To[0] == tn.User.Email && strings.HasPrefix(m.Subject(), "["+ts[0].Number+"]") {
				return true
			}
		}
		return false
	})
}

func TestTheSameMessageTwiceMakesOneTicket(t *testing.T) {
	d := newMailDesk(t)
	tn := d.Tenant(t, "dup")
	raw := message(tn.User.Email, "Link flapping", "dup-1@customer.example", "It flaps every minute.")
	for range 2 {
		if err := d.send(tn.User.Email, raw); err != nil {
			t.Fatal(err)
		}
	}
	if ts := d.ticketsOf(t, tn.User.Token); len(ts) != 1 {
		t.Fatalf("%d tickets", len(ts))
	}
}

func TestMailFromAnUnknownOrDeactivatedSenderIsPolitelyRefused(t *testing.T) {
	d := newMailDesk(t)
	tn := d.Tenant(t, "refuse")
	gone := d.Contact(t, tn.OrgID, "USER")
	d.Do(t, apitest.AdminToken, `mutation($id: ID!) { deactivateContact(id: $id) { id } }`, map[string]any{"id": gone.ID}, nil)
	for _, from := range []string{"stranger@elsewhere.example", gone.Email} {
		err := d.send(from, message(from, "Please help", apitest.Unique("r")+"@x.example", "Hello"))
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != 550 || !strings.Contains(te.Msg, "registered") {
			t.Fatalf("%s: answer %v", from, err)
		}
	}
	if ts := d.ticketsOf(t, tn.Master.Token); len(ts) != 0 {
		t.Fatalf("tickets %+v", ts)
	}
}

func TestAReplyWithTheNumberBecomesACommentAndResumesAWaitingTicket(t *testing.T) {
	d := newMailDesk(t)
	tn := d.Tenant(t, "reply")
	agent := d.Agent(t, "AGENT")
	tk := d.CreateTicket(t, tn.User.Token, nil)
	d.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": tk.ID}, nil)
	d.Do(t, agent.Token, `mutation($id: ID!) { requestInformation(id: $id, message: "Which port?") { id } }`, map[string]any{"id": tk.ID}, nil)
	body := "Port 7.\n\nOn Mon, 1 Dec 2026 at 10:00, Help desk <desk@helpdesk.test> wrote:\n> Which port?"
	if err := d.send(tn.User.Email, message(tn.User.Email, "Re: ["+tk.Number+"] "+"Something", "reply-1@customer.example", body)); err != nil {
		t.Fatal(err)
	}
	ts := d.ticketsOf(t, tn.User.Token)
	if len(ts) != 1 {
		t.Fatalf("a reply opened another ticket: %+v", ts)
	}
	if ts[0].Status != "IN_PROGRESS" {
		t.Fatalf("status %s, want the customer's reply to resume the ticket", ts[0].Status)
	}
	last := ts[0].Comments[len(ts[0].Comments)-1].Body
	if last != "Port 7." {
		t.Fatalf("comment %q, want only the new text of the reply", last)
	}
}

func TestAForgedNumberOfAnotherTenantsTicketNeverReachesIt(t *testing.T) {
	d := newMailDesk(t)
	a, b := d.Tenant(t, "own"), d.Tenant(t, "other")
	theirs := d.CreateTicket(t, b.User.Token, nil)
	if err := d.send(a.User.Email, message(a.User.Email, "Re: ["+theirs.Number+"] give me their data", "forged@customer.example", "hello")); err != nil {
		t.Fatal(err)
	}
	for _, tk := range d.ticketsOf(t, b.Master.Token) {
		if len(tk.Comments) != 0 {
			t.Fatalf("the other tenant's ticket got a comment: %+v", tk)
		}
	}
	own := d.ticketsOf(t, a.User.Token)
	if len(own) != 1 || own[0].Organization.ID != a.OrgID {
		t.Fatalf("the sender's tickets: %+v", own)
	}
}

func TestAnAutomaticReplyIsDroppedSoNoLoopStarts(t *testing.T) {
	d := newMailDesk(t)
	tn := d.Tenant(t, "loop")
	if err := d.send(tn.User.Email, message(tn.User.Email, "Out of office", "ooo@customer.example", "I am away.", "Auto-Submitted: auto-replied")); err != nil {
		t.Fatal(err)
	}
	if ts := d.ticketsOf(t, tn.User.Token); len(ts) != 0 {
		t.Fatalf("an auto-reply opened %+v", ts)
	}
}

func TestANewRequestFromAnAddressOfSeveralOrganizationsIsRefusedButARepliesFindsItsTicket(t *testing.T) {
	d := newMailDesk(t)
	a, b := d.Tenant(t, "twoA"), d.Tenant(t, "twoB")
	shared := strings.ToLower(apitest.Unique("shared")) + "@consultant.example"
	var ids [2]string
	for i, org := range []string{a.OrgID, b.OrgID} {
		var c struct{ CreateContact struct{ ID string } }
		d.Do(t, apitest.AdminToken, `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"organizationID": org, "name": "Consultant", "email": shared, "role": "USER"}}, &c)
		ids[i] = c.CreateContact.ID
	}
	err := d.send(shared, message(shared, "New request", "amb-1@consultant.example", "hello"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 || !strings.Contains(te.Msg, "more than one") {
		t.Fatalf("answer %v", err)
	}
	bTok := d.Token(t, apitest.AdminToken, map[string]any{"contactID": ids[1]})
	tk := d.CreateTicket(t, bTok, nil)
	if err := d.send(shared, message(shared, "Re: ["+tk.Number+"] x", "amb-2@consultant.example", "More details")); err != nil {
		t.Fatal(err)
	}
	ts := d.ticketsOf(t, bTok)
	if len(ts) != 1 || len(ts[0].Comments) != 1 || ts[0].Comments[0].Body != "More details" {
		t.Fatalf("B's tickets %+v", ts)
	}
	if own := d.ticketsOf(t, a.Master.Token); len(own) != 0 {
		t.Fatalf("A got %+v", own)
	}
}
