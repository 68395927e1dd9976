package mailout

import (
	"strings"
	"testing"
)

func TestABadServerURLIsRefusedNamingTheWrongPartWithAnExample(t *testing.T) {
	for _, c := range []struct{ url, part string }{
		{"", "URL"},
		{"mail.example.com:25", "scheme"},
		{"http://mail.example.com", "scheme"},
		{"smtp:mail.example.com", "host"},
		{"smtp://", "host"},
		{"smtp://:25", "host"},
		{"smtp://mail.example.com:port", "port"},
		{"smtp://mail.example.com:0", "port"},
		{"smtp://mail.example.com:70000", "port"},
		{"smtp://mail.example.com:", "port"},
		{"smtp://mail.example.com/inbox", "path"},
		{"smtp://mail.example.com?tls=off", "query"},
		{"smtp://mail.example.com?insecure=maybe", "query"},
		{"smtp://:secret@mail.example.com", "user"},
	} {
		t.Run(c.url, func(t *testing.T) {
			_, err := New(c.url, "")
			if err == nil {
				t.Fatal("New accepted it")
			}
			msg := err.Error()
			if !strings.Contains(msg, "mail server URL: "+c.part+":") {
				t.Errorf("error %q does not name the %s", msg, c.part)
			}
			if !strings.Contains(msg, "smtps://user:password@mail.example.com:465") {
				t.Errorf("error %q gives no example of a good URL", msg)
			}
		})
	}
}

func TestABadFromAddressIsRefusedWithAnExample(t *testing.T) {
	_, err := New("smtp://mail.example.com", "not an address")
	if err == nil || !strings.Contains(err.Error(), "from address") || !strings.Contains(err.Error(), "helpdesk@example.com") {
		t.Errorf("New with a bad from: %v", err)
	}
}

func TestAGoodServerURLIsUnderstood(t *testing.T) {
	for _, c := range []struct {
		url  string
		want serverConfig
	}{
		{"smtp://mail.example.com", serverConfig{host: "mail.example.com", port: 25}},
		{"smtp://mail.example.com:587/", serverConfig{host: "mail.example.com", port: 587}},
		{"smtps://mail.example.com", serverConfig{host: "mail.example.com", port: 465, implicitTLS: true}},
		{"smtps://bot%40example.com:p%40ss:w0rd@mail.example.com:2465",
			serverConfig{host: "mail.example.com", port: 2465, implicitTLS: true, user: "bot@example.com", pass: "p@ss:w0rd", auth: true}},
		{"smtp://localhost:1025?insecure=true", serverConfig{host: "localhost", port: 1025, insecure: true}},
		{"smtp://[::1]:2525", serverConfig{host: "::1", port: 2525}},
	} {
		got, err := parseServerURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.url, got, c.want)
		}
	}
}

func TestTheFromAddressDefaultsToHelpdeskAtLocalhost(t *testing.T) {
	s, err := New("smtp://mail.example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.from.Address != "helpdesk@localhost" {
		t.Errorf("default from %q", s.from.Address)
	}
}
