package mailout

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Ports used when the server URL gives none: 25 is SMTP's own port and 465
// the registered port for SMTP over implicit TLS (RFC 8314).
const (
	defaultSMTPPort  = 25
	defaultSMTPSPort = 465
)

// DefaultFrom is the sender address used when New is given none.
const DefaultFrom = "helpdesk@localhost"

// urlExample is shown with every URL error, so the fix is one copy away.
const urlExample = `e.g. "smtp://mail.example.com:587", "smtps://user:password@mail.example.com:465" or "smtp://localhost:1025?insecure=true"`

// serverConfig is a parsed server URL.
type serverConfig struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	auth        bool
	insecure    bool
}

// addr is host:port, for messages.
func (c serverConfig) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// parseServerURL reads an smtp:// or smtps:// URL. Its errors never repeat
// the URL itself, which may hold a password.
func parseServerURL(raw string) (serverConfig, error) {
	var c serverConfig
	bad := func(part, format string, args ...any) error {
		return fmt.Errorf("mailout: mail server URL: %s: %s; %s", part, fmt.Sprintf(format, args...), urlExample)
	}
	if strings.TrimSpace(raw) == "" {
		return c, bad("URL", "empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL; its inner error does not.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		part := "URL"
		if strings.Contains(err.Error(), "port") {
			part = "port"
		}
		return c, bad(part, "%s", scrub(err.Error(), passwordIn(raw)))
	}
	switch u.Scheme {
	case "smtp":
		c.port = defaultSMTPPort
	case "smtps":
		c.port, c.implicitTLS = defaultSMTPSPort, true
	case "":
		return c, bad("scheme", "missing")
	default:
		return c, bad("scheme", "%q is not supported, use smtp (STARTTLS when offered) or smtps (implicit TLS)", u.Scheme)
	}
	if u.Opaque != "" {
		return c, bad("host", "missing (write the scheme with two slashes, smtp://host)")
	}
	c.host = u.Hostname()
	if c.host == "" {
		return c, bad("host", "missing")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, bad("port", "%q is not a port number from 1 to 65535", p)
		}
		c.port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return c, bad("port", "empty after the colon")
	}
	if u.Path != "" && u.Path != "/" {
		return c, bad("path", "%q is not allowed, the URL names a server only", u.Path)
	}
	if u.Fragment != "" {
		return c, bad("fragment", "%q is not allowed", u.Fragment)
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.pass, _ = u.User.Password()
		if c.user == "" {
			return c, bad("user", "empty before the password; write user:password@host")
		}
		c.auth = true
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, bad("query", "%v", err)
	}
	for key, values := range q {
		if key != "insecure" {
			return c, bad("query", "unknown parameter %q, the only one is insecure=true", key)
		}
		v := values[len(values)-1]
		c.insecure, err = strconv.ParseBool(v)
		if err != nil {
			return c, bad("query", "insecure=%q is not true or false", v)
		}
	}
	return c, nil
}

// parseFrom checks the sender address; "" is DefaultFrom.
func parseFrom(from string) (*mail.Address, error) {
	if strings.TrimSpace(from) == "" {
		from = DefaultFrom
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mailout: from address %q: %v; give an address such as \"helpdesk@example.com\" or \"Acme Support <support@example.com>\"", from, err)
	}
	return a, nil
}

// passwordIn finds the password of a URL that may not parse, so errors
// about it can leave the password out: the text between the first colon
// after "//" and the last "@" of the authority.
func passwordIn(raw string) string {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		rest = raw
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pass, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pass
}

// scrub replaces every occurrence of secret in text, in its raw and in
// its URL-decoded form.
func scrub(text, secret string) string {
	if secret == "" {
		return text
	}
	text = strings.ReplaceAll(text, secret, "xxxxx")
	if dec, err := url.PathUnescape(secret); err == nil && dec != "" {
		text = strings.ReplaceAll(text, dec, "xxxxx")
	}
	return text
}
