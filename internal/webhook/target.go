// Package webhook holds the rules of partner webhooks. Target decides
// where a webhook may point: an http(s) URL on the public internet, unless
// HELPDESK_WEBHOOK_ALLOW_PRIVATE lets loopback, private and the other
// special networks through (development, tests). The rule refuses a URL
// when it is created; delivery must check the address it connects to
// again, since a name may resolve elsewhere by then.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrTarget is the error of a target the rule refuses; a RefusedError
// says why.
var ErrTarget = errors.New("webhook: target refused")

// RefusedError is a refused target with the reason, in words for the
// partner who gave the URL.
type RefusedError struct {
	// Reason says what is wrong and what to do.
	Reason string
}

// Error implements error.
func (e *RefusedError) Error() string { return "webhook: " + e.Reason }

// Unwrap makes errors.Is(err, ErrTarget) hold.
func (e *RefusedError) Unwrap() error { return ErrTarget }

// AllowPrivateVariable is the setting that lets special networks through;
// refusals name it.
const AllowPrivateVariable = "HELPDESK_WEBHOOK_ALLOW_PRIVATE"

// lookupTimeout bounds the look-up of a target's host name: the check runs
// while the mutation's transaction is open, and a name that does not
// answer in time counts as one that does not resolve (delivery checks it
// again).
const lookupTimeout = 2 * time.Second

// Lookup resolves a host name to its addresses (net.Resolver.LookupNetIP
// with network "ip" does).
type Lookup func(ctx context.Context, host string) ([]netip.Addr, error)

// Targets is the rule of where webhooks may point. Its zero value is the
// safe default: public addresses only, names looked up with the system's
// resolver.
type Targets struct {
	// AllowPrivate lets loopback, private and other special networks
	// through (HELPDESK_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// Lookup resolves host names; nil uses net.DefaultResolver.
	Lookup Lookup
}

// Check refuses a URL that is not http(s) with a host, or (unless
// AllowPrivate) whose host is, or resolves to, an address of a special
// network, or is a name reserved for local use. A host name that does not
// resolve now is accepted.
func (t Targets) Check(ctx context.Context, raw string) error {
	host, addr, err := parse(raw)
	if err != nil || t.AllowPrivate {
		return err
	}
	if addr.IsValid() {
		return checkAddr(host, addr)
	}
	if err := checkName(host); err != nil {
		return err
	}
	return t.checkResolved(ctx, host)
}

// checkResolved refuses a name any of whose addresses is special.
func (t Targets) checkResolved(ctx context.Context, host string) error {
	lookup := t.Lookup
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil // does not resolve now: delivery checks again
	}
	for _, a := range addrs {
		if why := special(a); why != "" {
			return refused("%s resolves to %s, %s", host, a.Unmap(), why)
		}
	}
	return nil
}

// parse returns the URL's host (lower case, without brackets or a
// trailing dot) and, when the host is an IP address in any form a
// resolver accepts, that address.
func parse(raw string) (host string, addr netip.Addr, err error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "", addr, &RefusedError{Reason: fmt.Sprintf("%q is not an absolute http(s) URL like https://hooks.example.com/helpdesk", raw)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", addr, &RefusedError{Reason: fmt.Sprintf("webhooks are sent over http or https, not %s", u.Scheme)}
	}
	host = strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return "", addr, &RefusedError{Reason: fmt.Sprintf("%q has no host", raw)}
	}
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return "", addr, &RefusedError{Reason: fmt.Sprintf("%s is not an IPv6 address", host)}
		}
		return host, a, nil
	}
	if endsInNumber(host) {
		a, ok := parseIPv4(host)
		if !ok {
			return "", addr, &RefusedError{Reason: fmt.Sprintf("%s is neither a host name nor an IPv4 address", host)}
		}
		return host, a, nil
	}
	return host, addr, nil
}

// endsInNumber tells whether the last label of host is a number, which
// makes the whole host an IPv4 address (as the WHATWG URL standard reads
// it): "127.1", "2130706433", "0x7f.1".
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Part(last)
	return ok && (strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X"))
}

// parseIPv4 reads an IPv4 address in every form inet_aton and browsers
// accept: one to four parts, each decimal, octal (leading 0) or
// hexadecimal (0x); the last part fills the remaining bytes.
func parseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := ipv4Part(p)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, false
			}
			v |= n << (8 * (3 - i))
			continue
		}
		if n >= 1<<(8*(4-i)) {
			return netip.Addr{}, false
		}
		v |= n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// ipv4Part reads one part of an IPv4 address.
func ipv4Part(p string) (uint64, bool) {
	base := 10
	switch {
	case strings.HasPrefix(p, "0x"), strings.HasPrefix(p, "0X"):
		p, base = p[2:], 16
		if p == "" {
			return 0, true // "0x" alone is zero
		}
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" || strings.ContainsAny(p, "+-_") {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 32)
	return n, err == nil
}

// checkAddr refuses an address of a special network.
func checkAddr(host string, a netip.Addr) error {
	if a.Zone() != "" {
		return refused("%s names a network interface (a link-local address)", host)
	}
	why := special(a)
	switch {
	case why == "":
		return nil
	case host != a.Unmap().String():
		return refused("%s (%s) is %s", host, a.Unmap(), why)
	}
	return refused("%s is %s", host, why)
}

// localNames are the names and domains reserved for local use: they never
// lead to the public internet.
var localNames = []struct{ domain, why string }{
	{"localhost", "the local host (RFC 6761)"},
	{"local", "a multicast DNS name of the local link (RFC 6762)"},
	{"home.arpa", "a name of a home network (RFC 8375)"},
	{"internal", "a name reserved for private networks"},
}

// checkName refuses a host name reserved for local use.
func checkName(host string) error {
	for _, n := range localNames {
		if host == n.domain || strings.HasSuffix(host, "."+n.domain) {
			return refused("%s is %s", host, n.why)
		}
	}
	return nil
}

func refused(format string, a ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, a...) +
		"; webhooks go to public internet addresses only (set " + AllowPrivateVariable + "=true to allow loopback, private and other special networks)"}
}
