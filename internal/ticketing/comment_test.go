package ticketing

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
)

// TestCommentRules: what a comment may do and what it then asks of the
// ticket (SPEC §3, §4).
func TestCommentRules(t *testing.T) {
	t.Parallel()
	responded := func(tk Ticket) Ticket { tk.FirstRespondedAt = at(t0); return tk }
	tests := []struct {
		name     string
		ticket   Ticket
		by       Actor
		internal bool
		then     *Request
		err      error
	}{
		{"a customer does not reply to a closed ticket", ticketIn(schematype.StatusClosed), requester, false, nil, ErrInvalidTransition},
		{"an agent comments on a closed ticket", responded(ticketIn(schematype.StatusClosed)), agent, false, nil, nil},
		{"a customer's public reply to a ticket waiting on it resumes it", ticketIn(schematype.StatusWaitingOnCustomer), requester, false,
			&Request{Action: CustomerReply, Actor: requester, Reason: "the customer replied"}, nil},
		{"a customer's reply to a ticket in progress asks nothing", ticketIn(schematype.StatusInProgress), requester, false, nil, nil},
		{"a customer's reply to a ticket waiting on a third party asks nothing: the wait is the agents'", ticketIn(schematype.StatusWaitingOnThirdParty), requester, false, nil, nil},
		{"an agent's first public reply is the first response", ticketIn(schematype.StatusInProgress), agent, false,
			&Request{Action: Respond, Actor: agent}, nil},
		{"an agent's later reply asks nothing", responded(ticketIn(schematype.StatusInProgress)), agent, false, nil, nil},
		{"an internal note asks nothing", ticketIn(schematype.StatusNew), agent, true, nil, nil},
	}
	for _, tt := range tests {
		then, err := Comment(tt.ticket, tt.by, tt.internal)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.err)
			continue
		}
		if !reflect.DeepEqual(then, tt.then) {
			t.Errorf("%s: then %+v, want %+v", tt.name, then, tt.then)
		}
	}
	// The follow-up goes through Decide like any request.
	out, err := Decide(ticketIn(schematype.StatusWaitingOnCustomer), allDay,
		Request{Action: CustomerReply, Actor: requester, Reason: CustomerReplyReason}, now)
	if err != nil || out.Ticket.Status != schematype.StatusInProgress {
		t.Fatalf("customer reply: %v, %v", out.Ticket.Status, err)
	}
}

// TestOpeningATicket: a new ticket is NEW, created now, with both due
// times from its creation under the policy it pins (SPEC §2, §4).
func TestOpeningATicket(t *testing.T) {
	t.Parallel()
	friday := time.Date(2026, 11, 27, 17, 30, 0, 0, time.UTC)
	got, err := Open(Ticket{Priority: schematype.PriorityCritical}, office, friday)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != schematype.StatusNew || !got.CreatedAt.Equal(friday) || !got.UpdatedAt.Equal(friday) ||
		!got.FirstResponseDueAt.Equal(time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)) ||
		!got.ResolutionDueAt.Equal(time.Date(2026, 11, 30, 12, 30, 0, 0, time.UTC)) {
		t.Fatalf("opened %s", show(got))
	}
	if _, err := Open(Ticket{Priority: schematype.PriorityLow}, allDay, time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("a due time past 9999 was accepted")
	}
	if e := Created(Ticket{ID: TicketIDBase + 42, Priority: schematype.PriorityHigh}, "PHONE"); e.Kind != EventCreated ||
		e.Data != (CreatedData{Channel: "PHONE", Number: "HD-100042", Priority: schematype.PriorityHigh}) {
		t.Fatalf("CREATED %+v", e)
	}
}

// TestTheNewTicketsPolicy: an organization's own policy; else the
// installation's default in the organization's time zone; else the
// built-in default there.
func TestTheNewTicketsPolicy(t *testing.T) {
	t.Parallel()
	own := allDay
	own.Name = "Own"
	inst := office
	inst.Name = "Installation"
	if p := PinnedPolicy(&own, &inst, "America/Bogota"); p.Name != "Own" || p.Timezone != "UTC" {
		t.Errorf("own policy: %s in %s", p.Name, p.Timezone)
	}
	if p := PinnedPolicy(nil, &inst, "America/Bogota"); p.Name != "Installation" || p.Timezone != "America/Bogota" {
		t.Errorf("installation default: %s in %s", p.Name, p.Timezone)
	}
	if p := PinnedPolicy(nil, nil, "America/Bogota"); p.Name != "Default" || p.Timezone != "America/Bogota" || p.AlwaysOpen {
		t.Errorf("built-in default: %s in %s", p.Name, p.Timezone)
	}
}
