package webhook

import "net/netip"

// specialNetworks are the networks a webhook may not point at without
// HELPDESK_WEBHOOK_ALLOW_PRIVATE: every block of the IANA IPv4 and IPv6
// Special-Purpose Address Registries that is not globally reachable, plus
// multicast and the reserved 240.0.0.0/4. The phrase completes "… is".
var specialNetworks = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `an address of "this network" (0.0.0.0/8; 0.0.0.0 reaches the local host)`},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (10.0.0.0/8)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address (100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address (127.0.0.0/8)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (169.254.0.0/16, where cloud metadata services answer)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (172.16.0.0/12)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address (192.0.2.0/24)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay address (192.88.99.0/24)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (192.168.0.0/16)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address (198.18.0.0/15)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address (198.51.100.0/24)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address (203.0.113.0/24)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address (224.0.0.0/4)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address (240.0.0.0/4)"},

	{netip.MustParsePrefix("::/128"), "the unspecified address (::)"},
	{netip.MustParsePrefix("::1/128"), "the loopback address (::1)"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (::/96, deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use IPv4/IPv6 translation address (64:ff9b:1::/48)"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address (100::/64)"},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol address (2001::/23, e.g. Teredo)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address (2001:db8::/32)"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address (3fff::/20)"},
	{netip.MustParsePrefix("5f00::/16"), "a segment-routing address (5f00::/16)"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local (private) address (fc00::/7)"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address (fe80::/10)"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (fec0::/10, deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address (ff00::/8)"},
}

// Prefixes whose addresses carry an IPv4 address that the packets reach:
// that address is checked too.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the IPv4 address is the last 32 bits
	sixTo4 = netip.MustParsePrefix("2002::/16")    // RFC 3056: the IPv4 address follows the prefix
)

// special says why a is an address of a special network, or "" for a
// public address. An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is
// judged as its IPv4 address.
func special(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	for _, n := range specialNetworks {
		if n.prefix.Contains(a) {
			return n.why
		}
	}
	if a.Is6() {
		b := a.As16()
		var v4 netip.Addr
		switch {
		case nat64.Contains(a):
			v4 = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		case sixTo4.Contains(a):
			v4 = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		}
		if v4.IsValid() {
			if why := special(v4); why != "" {
				return "an IPv6 address that leads to " + v4.String() + ", " + why
			}
		}
	}
	return ""
}
