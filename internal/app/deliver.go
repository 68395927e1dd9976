package app

import (
	"log/slog"
	"net/mail"
	"strings"

	"helpdesk/ent"
	"helpdesk/internal/config"
	"helpdesk/internal/deliver"
	"helpdesk/internal/webhook"
)

// newDeliverer is the delivery loop of cfg's channels: e-mail through
// HELPDESK_SMTP_URL (off when unset: notifications are recorded, marked
// as not sent), webhooks under the target rule.
func newDeliverer(cfg config.Config, db *ent.Client, log *slog.Logger) (*deliver.Deliverer, error) {
	d := &deliver.Deliverer{
		DB: db, Logger: log, Host: mailHost(cfg.SMTPFrom),
		Webhooks: webhook.NewSender(webhook.Targets{AllowPrivate: cfg.WebhookAllowPrivate}),
	}
	if cfg.SMTPURL != "" {
		m, err := newMailer(cfg)
		if err != nil {
			return nil, err
		}
		d.Mailer = m
	}
	return d, nil
}

// mailHost is the domain of the sender address, which names Message-IDs.
func mailHost(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			return a.Address[i+1:]
		}
	}
	return "helpdesk.localhost"
}
