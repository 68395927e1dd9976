package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"helpdesk/ent"
	"helpdesk/ent/comment"
	"helpdesk/ent/privacy"
	"helpdesk/ent/schema/schematype"
	"helpdesk/ent/ticket"
	"helpdesk/internal/mailin"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

// What a ticket opened by e-mail gets that a message cannot say.
const (
	mailPriority = schematype.Priority("MEDIUM")
	mailCategory = ticket.CategorySERVICE_REQUEST
	// maxSubject is the ticket subject's bound (the data model's).
	maxSubject = 250
	// maxKey is the idempotency key's bound.
	maxKey = 200
)

// Refusal is the answer to mail from an address that is not an active
// contact: polite, and saying what to do.
var Refusal = &mailin.Reject{Code: 550, Message: "This address does not accept mail from you: only the contacts " +
	"registered with the help desk can open tickets by e-mail. Ask your account manager to add you, " +
	"or write from the address they registered."}

// Mail takes in one e-mail (c may not be a transaction: each step runs in
// its own). From an active contact, a message whose subject carries the
// number of a ticket the contact may see becomes a public comment on it
// (resuming it if it waits on the customer); any other message opens an
// EMAIL ticket, which the auto-reply acknowledges. The same Message-ID
// twice is taken once. From anyone else: Refusal, and nothing is stored.
//
// An address registered in several organizations (see ContactsByEmail)
// may reply to a ticket one of them may see; a new ticket from it is
// refused with Ambiguous, since opening it in either tenant could be the
// wrong one.
func Mail(ctx context.Context, c *ent.Client, m mailin.Message) (err error) {
	all, err := ContactsByEmail(ctx, c, m.From)
	if err != nil {
		return err
	}
	var senders []*ent.Contact
	for _, s := range all {
		if s.Active {
			senders = append(senders, s)
		}
	}
	if len(senders) == 0 {
		return Refusal
	}
	if m.Number != "" {
		if id, ok := ticketing.IDFromNumber(m.Number); ok {
			for _, s := range senders {
				done, err := reply(ctx, c, s, id, m)
				if done || err != nil {
					return err
				}
			}
		}
	}
	if len(senders) > 1 {
		return Ambiguous
	}
	return open(ctx, c, senders[0], m)
}

// Ambiguous is the answer to a new request from an address that several
// organizations registered.
var Ambiguous = &mailin.Reject{Code: 550, Message: "This address is registered with more than one " +
	"organization, so the help desk cannot tell for which one to open a ticket. Open it on the portal, " +
	"or reply to one of your tickets' messages (their subject carries the ticket's number)."}

// asContact is ctx with s as its caller.
func asContact(ctx context.Context, s *ent.Contact) context.Context {
	return viewer.NewContext(ctx, viewer.Viewer{Kind: viewer.Contact, ID: s.ID, Role: string(s.Role), OrganizationID: s.OrganizationID})
}

// reply adds m as s's comment on the ticket with this ID if s may see it
// and comment on it; false when it may not (m then opens a ticket).
func reply(ctx context.Context, c *ent.Client, s *ent.Contact, id int, m mailin.Message) (bool, error) {
	cctx := asContact(ctx, s)
	if _, err := c.Ticket.Get(cctx, id); err != nil {
		if ent.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	sys := viewer.SystemContext(ctx)
	if n, err := c.Comment.Query().Where(comment.MessageID(m.MessageID)).Count(sys); err != nil || n > 0 {
		return true, err // taken already
	}
	tx, err := c.Tx(cctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.Comment.Create().SetTicketID(id).SetBody(body(m)).SetMessageID(m.MessageID).Save(ent.NewTxContext(cctx, tx))
	switch {
	case ent.IsConstraintError(err):
		return true, nil // a concurrent copy won
	case errors.Is(err, ticketing.ErrInvalidTransition), errors.Is(err, viewer.ErrForbidden), errors.Is(err, privacy.Deny):
		// A closed ticket takes no comment: the message opens a new one.
		return false, nil
	case err != nil:
		return false, err
	}
	return true, tx.Commit()
}

// open opens an EMAIL ticket for s from m.
func open(ctx context.Context, c *ent.Client, s *ent.Contact, m mailin.Message) error {
	cctx := asContact(ctx, s)
	tx, err := c.Tx(cctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	ch := ticket.ChannelEMAIL
	key := "email:" + m.MessageID
	if len(key) > maxKey {
		sum := sha256.Sum256([]byte(m.MessageID))
		key = "email:sha256-" + hex.EncodeToString(sum[:])
	}
	_, err = Create(ent.NewTxContext(cctx, tx), tx.Client(), Request{
		Subject: subject(m), Description: body(m), Priority: mailPriority, Category: mailCategory,
		Channel: &ch, IdempotencyKey: &key,
	})
	if err != nil {
		return fmt.Errorf("intake: opening a ticket from %s's mail: %w", m.From, err)
	}
	return tx.Commit()
}

func subject(m mailin.Message) string {
	s := strings.Join(strings.Fields(m.Subject), " ")
	if s == "" {
		s = "(no subject)"
	}
	if r := []rune(s); len(r) > maxSubject {
		s = string(r[:maxSubject-1]) + "…"
	}
	return s
}

func body(m mailin.Message) string {
	if strings.TrimSpace(m.Text) == "" {
		return "(the message had no text)"
	}
	return m.Text
}
