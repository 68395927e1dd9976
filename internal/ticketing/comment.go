package ticketing

import "helpdesk/ent/schema/schematype"

// CustomerReplyReason is the reason STATUS_CHANGED records when a
// customer's reply resumes a ticket waiting on it.
const CustomerReplyReason = "the customer replied"

// Comment checks that by may comment on t — a customer does not reply to
// a closed ticket (it reopens it first) — and returns what the comment
// then asks of the ticket, if anything: a customer's public reply to a
// ticket waiting on it resumes it (CustomerReply); an agent's first
// public reply is the first response (Respond). Internal notes ask
// nothing.
func Comment(t Ticket, by Actor, internal bool) (then *Request, err error) {
	if by.IsContact() && t.Status == schematype.StatusClosed {
		return nil, invalidTransition("the ticket is closed; reopen it to reply")
	}
	switch {
	case internal:
	case by.IsContact() && t.Status == schematype.StatusWaitingOnCustomer:
		return &Request{Action: CustomerReply, Actor: by, Reason: CustomerReplyReason}, nil
	case by.IsAgent() && t.FirstRespondedAt == nil:
		return &Request{Action: Respond, Actor: by}, nil
	}
	return nil, nil
}
