package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"

	"helpdesk/ent"
	"helpdesk/internal/config"
	"helpdesk/internal/deliver"
	"helpdesk/internal/intake"
	"helpdesk/internal/mailin"
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
		m, err := deliver.NewMailer(cfg.SMTPURL, cfg.SMTPFrom, cfg.MailTemplates)
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

// listenMail takes tickets in by e-mail on HELPDESK_SMTP_LISTEN; every
// message it takes wakes the outbox and the delivery loop (the
// auto-reply goes out at once). stop closes the listener.
func listenMail(cfg config.Config, db *ent.Client, kick func(), log *slog.Logger) (stop func(), err error) {
	srv, err := mailin.Listen(mailin.Config{Addr: cfg.SMTPListen, Domain: mailHost(cfg.SMTPFrom), Logger: log},
		func(ctx context.Context, m mailin.Message) error {
			err := intake.Mail(ctx, db, m)
			kick()
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("app: HELPDESK_SMTP_LISTEN: %w", err)
	}
	go func() {
		if err := srv.Serve(); err != nil {
			log.Error("mail listener stopped", "err", err)
		}
	}()
	log.Info("taking mail in", "addr", srv.Addr().String())
	return func() { _ = srv.Close() }, nil
}
