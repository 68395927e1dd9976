package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/mail"

	"helpdesk/internal/mailout"
	"helpdesk/internal/notify"
)

// errRender marks a message its templates could not render: a broken
// template override, which retrying cannot mend.
var errRender = errors.New("rendering the message")

// SMTPMailer renders notifications from templates (internal/mailout's,
// or a directory's overrides of them) in the recipient's language and
// sends them through one SMTP server, threaded by ticket.
type SMTPMailer struct {
	sender    *mailout.Sender
	templates *mailout.Templates
}

// NewMailer is the mailer of HELPDESK_SMTP_URL and HELPDESK_SMTP_FROM,
// with the templates of dir ("" for the embedded ones only).
func NewMailer(smtpURL, from, dir string) (*SMTPMailer, error) {
	t, err := mailout.Load(dir)
	if err != nil {
		return nil, err
	}
	s, err := mailout.New(smtpURL, from)
	if err != nil {
		return nil, err
	}
	return &SMTPMailer{sender: s, templates: t}, nil
}

// Send implements Mailer.
func (m *SMTPMailer) Send(ctx context.Context, x Mail) error {
	p := x.Payload
	d := mailout.Data{
		Number: p.Number, Subject: p.Subject, RecipientName: p.Name, Status: p.Status, Priority: p.Priority,
		Comment: p.Text, Author: p.Author, Clock: p.Clock, DueAt: p.DueAt, Reminder: p.Reminder,
	}
	switch x.Kind {
	case notify.StatusChanged:
		d.PreviousStatus, d.Status, d.Reason = p.From, p.To, p.Text
	case notify.PriorityChanged:
		d.PreviousPriority, d.Priority, d.Reason, d.Comment = p.From, p.To, p.Text, ""
	case notify.Escalated:
		d.Level, d.Reason, d.Comment = p.To, p.Text, ""
	}
	r, err := m.templates.Render(string(x.Kind), p.Locale, d)
	if err != nil {
		return fmt.Errorf("%w: %w", errRender, err)
	}
	to := (&mail.Address{Name: p.Name, Address: x.To}).String()
	return m.sender.Send(ctx, mailout.Message{
		To: to, Rendered: r, MessageID: x.MessageID,
		InReplyTo: x.ThreadID, References: []string{x.ThreadID}, AutoSubmitted: true,
	})
}

// Permanent implements Mailer.
func (m *SMTPMailer) Permanent(err error) bool {
	return errors.Is(err, errRender) || mailout.IsPermanent(err)
}
