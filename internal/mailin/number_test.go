package mailin

import "testing"

func TestNumberFindsTheTicketNumberInASubject(t *testing.T) {
	cases := []struct{ subject, want string }{
		{"[HD-100001] Router down", "HD-100001"},
		{"Re: [HD-100042] Router down", "HD-100042"},
		{"RE: Fwd: [hd-100042] Router down", "HD-100042"},
		{"Re: [ HD-1234567 ] long numbers count too", "HD-1234567"},
		{"question about HD-100007", "HD-100007"},
		{"HD-100007: still broken", "HD-100007"},
		{"(HD-100007)", "HD-100007"},
		// A bracketed number wins over a bare one before it.
		{"HD-100001 merged into [HD-100002]", "HD-100002"},
		// Of two of the same form, the first.
		{"[HD-100001] and [HD-100002]", "HD-100001"},
		{"HD-100003 and HD-100004", "HD-100003"},
		// Too few digits: not a ticket number.
		{"HD-12345 is too short", ""},
		{"[HD-2024] planning", ""},
		// Part of a longer word: not a ticket number.
		{"XHD-100001", ""},
		{"HD-100001a", ""},
		{"HD100001", ""},
		{"Router down", ""},
		{"", ""},
	}
	for _, tc := range cases {
		if got := Number(tc.subject); got != tc.want {
			t.Errorf("Number(%q) = %q, want %q", tc.subject, got, tc.want)
		}
	}
}
