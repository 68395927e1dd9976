package mailout

import (
	"context"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/notify"
)

func TestLoginOverSTARTTLSToAMailCatcherWithASelfSignedCertificate(t *testing.T) {
	ts := startServer(t, serverOptions{tls: selfSignedTLS(t)})
	ts.User, ts.Pass = "helpdesk", "s3cret"
	sendOK(t, newSender(t, "smtp://helpdesk:s3cret@"+ts.Addr+"?insecure=true", ""), notification(t, string(notify.CommentAdded), "en"))
	got := onlyMessage(t, ts)
	if !got.TLS {
		t.Error("the message crossed in clear although the server offered STARTTLS")
	}
	if got.User != "helpdesk" {
		t.Errorf("session logged in as %q, want helpdesk", got.User)
	}
}

func TestImplicitTLSDeliversAndLogsIn(t *testing.T) {
	ts := startServer(t, serverOptions{tls: selfSignedTLS(t), implicitTLS: true})
	ts.User, ts.Pass = "helpdesk", "s3cret"
	sendOK(t, newSender(t, "smtps://helpdesk:s3cret@"+ts.Addr+"?insecure=true", ""), notification(t, string(notify.TicketReceived), "es"))
	got := onlyMessage(t, ts)
	if !got.TLS || got.User != "helpdesk" {
		t.Errorf("TLS %v, user %q: want a TLS session logged in as helpdesk", got.TLS, got.User)
	}
	if p := parse(t, got.Data); !strings.HasPrefix(p.Subject, "[HD-100001] Hemos recibido") {
		t.Errorf("subject %q", p.Subject)
	}
}

func TestAnUnverifiableCertificateIsATemporaryFailureThatPointsToInsecure(t *testing.T) {
	for name, c := range map[string]struct {
		opts   serverOptions
		scheme string
	}{
		"STARTTLS":     {serverOptions{}, "smtp"},
		"implicit TLS": {serverOptions{implicitTLS: true}, "smtps"},
	} {
		t.Run(name, func(t *testing.T) {
			c.opts.tls = selfSignedTLS(t)
			ts := startServer(t, c.opts)
			err := newSender(t, c.scheme+"://"+ts.Addr, "").Send(t.Context(), notification(t, string(notify.CommentAdded), "en"))
			if err == nil {
				t.Fatal("Send trusted a self-signed certificate")
			}
			if IsPermanent(err) || !strings.Contains(err.Error(), "?insecure=true") {
				t.Errorf("error %q: want a temporary failure that suggests ?insecure=true", err)
			}
			if n := len(ts.Messages()); n != 0 {
				t.Errorf("server received %d messages", n)
			}
		})
	}
}

func TestAPasswordInTheURLNeverAppearsInAnError(t *testing.T) {
	const secret = "Hunter2-secret"
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error shows the password: %q", what, err)
		}
	}
	t.Run("bad URLs", func(t *testing.T) {
		for _, u := range []string{
			"ftp://bot:" + secret + "@mail.example.com",
			"smtp://bot:" + secret + "@mail.example.com:port",
			"smtp://bot:" + secret + "@mail.example.com:99999",
			"smtp://bot:" + secret + "@mail.example.com/x",
			"smtp://bot:" + secret + "@mail.example.com?insecure=perhaps",
			"smtp://bot:" + secret + "@mail example.com",
			"smtp://bot:" + secret + "%zz@mail.example.com",
			"smtp://bot:" + secret + "@",
		} {
			_, err := New(u, "")
			check(t, u, err)
		}
	})
	t.Run("refused login", func(t *testing.T) {
		ts := startServer(t, serverOptions{tls: selfSignedTLS(t)})
		ts.User, ts.Pass = "bot", "another-password"
		err := newSender(t, "smtp://bot:"+secret+"@"+ts.Addr+"?insecure=true", "").Send(t.Context(), notification(t, string(notify.CommentAdded), "en"))
		check(t, "refused login", err)
		if IsPermanent(err) {
			t.Errorf("a refused login is a configuration to fix, not a message to drop: IsPermanent(%q)", err)
		}
	})
	t.Run("no TLS for the login", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		err := newSender(t, "smtp://bot:"+secret+"@"+ts.Addr, "").Send(t.Context(), notification(t, string(notify.CommentAdded), "en"))
		check(t, "plain connection", err)
		if !strings.Contains(err.Error(), "use smtps://") {
			t.Errorf("error %q does not say how to log in safely", err)
		}
	})
	t.Run("closed port", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		err := newSender(t, "smtps://bot:"+secret+"@"+closedPort(t), "").Send(ctx, notification(t, string(notify.CommentAdded), "en"))
		check(t, "closed port", err)
	})
}
