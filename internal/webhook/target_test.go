package webhook

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// fakeDNS answers from a table; a name it does not know does not resolve.
func fakeDNS(names map[string][]string) Lookup {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range names[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if len(out) == 0 {
			return nil, errors.New("no such host")
		}
		return out, nil
	}
}

var dns = fakeDNS(map[string][]string{
	"hooks.partner.example":    {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
	"rebind.partner.example":   {"93.184.215.14", "10.1.2.3"},
	"metadata.partner.example": {"169.254.169.254"},
	"v6only.partner.example":   {"fd00::1"},
})

func TestTargets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, url string
		refused   string // a part of the reason; "" when accepted
	}{
		{"a public https URL → accepted", "https://hooks.partner.example/helpdesk", ""},
		{"a public http URL with a port → accepted", "http://hooks.partner.example:8080/helpdesk", ""},
		{"a public IPv4 address → accepted", "https://93.184.215.14/hook", ""},
		{"a public IPv6 address → accepted", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook", ""},
		{"a name that does not resolve now → accepted (delivery checks again)", "https://not-yet.partner.example/hook", ""},
		{"a NAT64 address of a public IPv4 address → accepted", "https://[64:ff9b::5db8:d70e]/", ""},
		{"a name that looks numeric but ends in a label → a name", "https://0x7f.example/", ""},

		{"ftp → refused", "ftp://hooks.partner.example/", "http or https, not ftp"},
		{"javascript: → refused", "javascript:alert(1)", "not an absolute http(s) URL"},
		{"a relative URL → refused", "/hook", "not an absolute http(s) URL"},
		{"no host → refused", "https:///hook", "has no host"},

		{"127.0.0.1 → loopback", "http://127.0.0.1/", "127.0.0.1 is a loopback address"},
		{"127.0.0.1 with a port and a trailing dot → loopback", "http://127.0.0.1.:9000/", "loopback"},
		{"127.1 → loopback", "http://127.1/", "127.1 (127.0.0.1) is a loopback"},
		{"2130706433 → loopback", "http://2130706433/", "2130706433 (127.0.0.1) is a loopback"},
		{"0x7f.1 → loopback", "http://0x7f.1/", "(127.0.0.1) is a loopback"},
		{"0x7f000001 → loopback", "http://0x7F000001/", "(127.0.0.1) is a loopback"},
		{"0177.0.0.1 (octal) → loopback", "http://0177.0.0.1/", "(127.0.0.1) is a loopback"},
		{"[::1] → loopback", "http://[::1]:8080/", "::1 is the loopback address"},
		{"[::ffff:127.0.0.1] → loopback", "http://[::ffff:127.0.0.1]/", "(127.0.0.1) is a loopback"},
		{"[::ffff:7f00:1] → loopback", "http://[::ffff:7f00:1]/", "loopback"},
		{"localhost → the local host", "http://localhost:8080/", "localhost is the local host"},
		{"LOCALHOST. → the local host", "http://LOCALHOST./", "the local host"},
		{"a name under .localhost → the local host", "http://api.dev.localhost/", "the local host"},
		{"an mDNS name → local link", "http://printer.local/", "multicast DNS"},
		{"a .internal name → private", "http://billing.internal/", "private networks"},
		{"a home.arpa name → home network", "http://nas.home.arpa/", "home network"},
		{"0.0.0.0 → this network", "http://0.0.0.0/", "this network"},
		{"0 → this network", "http://0/", "this network"},
		{"[::] → unspecified", "http://[::]/", "unspecified"},
		{"10.0.0.8 → private", "http://10.0.0.8/", "private address (10.0.0.0/8)"},
		{"172.16.5.4 → private", "http://172.16.5.4/", "private address (172.16.0.0/12)"},
		{"172.31.255.255 → private", "http://172.31.255.255/", "172.16.0.0/12"},
		{"172.32.0.1 → accepted (outside 172.16/12)", "http://172.32.0.1/", ""},
		{"192.168.1.1 → private", "http://192.168.1.1/", "192.168.0.0/16"},
		{"100.64.0.1 → carrier-grade NAT", "http://100.64.0.1/", "carrier-grade NAT"},
		{"169.254.169.254 → link-local (metadata)", "http://169.254.169.254/latest/meta-data/", "link-local"},
		{"224.0.0.1 → multicast", "http://224.0.0.1/", "multicast"},
		{"255.255.255.255 → broadcast", "http://255.255.255.255/", "broadcast"},
		{"198.18.0.1 → benchmarking", "http://198.18.0.1/", "benchmarking"},
		{"192.0.2.1 → documentation", "http://192.0.2.1/", "documentation"},
		{"[fc00::1] → unique local", "http://[fc00::1]/", "unique local"},
		{"[fd12:3456::1] → unique local", "http://[fd12:3456::1]/", "unique local"},
		{"[fe80::1] → link-local", "http://[fe80::1]/", "link-local"},
		{"[fe80::1%25eth0] → names an interface", "http://[fe80::1%25eth0]/", "network interface"},
		{"[ff02::1] → multicast", "http://[ff02::1]/", "multicast"},
		{"[2001:db8::1] → documentation", "http://[2001:db8::1]/", "documentation"},
		{"[::127.0.0.1] → IPv4-compatible", "http://[::127.0.0.1]/", "IPv4-compatible"},
		{"a NAT64 address of 127.0.0.1 → loopback", "http://[64:ff9b::7f00:1]/", "leads to 127.0.0.1, a loopback"},
		{"a 6to4 address of 10.0.0.1 → private", "http://[2002:a00:1::1]/", "leads to 10.0.0.1, a private"},

		{"256.1.1.1 → not an address", "http://256.1.1.1/", "neither a host name nor an IPv4 address"},
		{"1.2.3.4.5 → not an address", "http://1.2.3.4.5/", "neither a host name nor an IPv4 address"},
		{"08.1.1.1 (bad octal) → not an address", "http://08.1.1.1/", "neither a host name nor an IPv4 address"},
		{"4294967296 → not an address", "http://4294967296/", "neither a host name nor an IPv4 address"},

		{"a name resolving to a private address among public ones → refused", "https://rebind.partner.example/", "rebind.partner.example resolves to 10.1.2.3, a private"},
		{"a name resolving to the metadata address → refused", "https://metadata.partner.example/", "resolves to 169.254.169.254"},
		{"a name resolving to a unique local IPv6 address → refused", "https://v6only.partner.example/", "resolves to fd00::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := Targets{Lookup: dns}.Check(context.Background(), c.url)
			if c.refused == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", c.url, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), c.refused) {
				t.Fatalf("Check(%q) = %v, want a refusal saying %q", c.url, err, c.refused)
			}
		})
	}
}

// TestAllowPrivateLetsSpecialNetworksThrough: with the setting, only the
// form of the URL is checked.
func TestAllowPrivateLetsSpecialNetworksThrough(t *testing.T) {
	t.Parallel()
	allow := Targets{AllowPrivate: true, Lookup: dns}
	for _, u := range []string{"http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/", "http://10.0.0.1/",
		"http://169.254.169.254/", "https://rebind.partner.example/", "http://0x7f.1/"} {
		if err := allow.Check(context.Background(), u); err != nil {
			t.Errorf("Check(%q) with AllowPrivate = %v, want accepted", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/", "/hook", "http://256.1.1.1/"} {
		if err := allow.Check(context.Background(), u); err == nil {
			t.Errorf("Check(%q) with AllowPrivate accepted it, want refused", u)
		}
	}
}

// TestRefusalNamesTheSetting: a refusal of a network says how to allow it.
func TestRefusalNamesTheSetting(t *testing.T) {
	t.Parallel()
	err := Targets{}.Check(context.Background(), "http://127.0.0.1/")
	if err == nil || !strings.Contains(err.Error(), "HELPDESK_WEBHOOK_ALLOW_PRIVATE=true") {
		t.Fatalf("refusal %v does not name HELPDESK_WEBHOOK_ALLOW_PRIVATE", err)
	}
}

// TestResolvedNamesAreCheckedWithTheSystemResolver: the default look-up
// is the system's (localhost comes from the hosts file, without DNS).
func TestResolvedNamesAreCheckedWithTheSystemResolver(t *testing.T) {
	t.Parallel()
	err := Targets{}.checkResolved(context.Background(), "localhost")
	if err == nil || !strings.Contains(err.Error(), "localhost resolves to") || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("checkResolved(localhost) = %v, want a loopback refusal", err)
	}
}
