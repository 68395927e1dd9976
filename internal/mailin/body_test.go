package mailin

import "testing"

func TestCleanReplyKeepsOnlyTheNewContentOfAReply(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain text is kept, trimmed", "\n  Hello,\nthe VPN is down.  \n\n", "Hello,\nthe VPN is down."},
		{"quoted lines are dropped", "Yes.\n> Did you reboot?\n  > > earlier\nIt works.", "Yes.\nIt works."},
		{"attribution line cuts the rest", "Fixed, thanks.\n\nOn Mon, 3 Jun 2024 at 10:00, Helpdesk <support@helpdesk.test> wrote:\nunquoted old text\n> quoted", "Fixed, thanks."},
		{"attribution wrapped on two lines", "Fixed.\nOn Mon, Jun 3, 2024 at 10:00 AM Helpdesk <\nsupport@helpdesk.test> wrote:\nold", "Fixed."},
		{"Spanish attribution", "Ya funciona.\n\nEl lun, 3 jun 2024 a las 10:00, Soporte (<soporte@helpdesk.test>) escribió:\n> ¿Ha reiniciado?", "Ya funciona."},
		{"Outlook original message", "See below.\n\n-----Original Message-----\nFrom: Helpdesk\nSent: Monday", "See below."},
		{"Spanish original message", "Ver abajo.\n-----Mensaje original-----\nDe: Soporte", "Ver abajo."},
		{"signature separator", "Printer fixed.\n-- \nAna Pérez\nIT, Example Corp", "Printer fixed."},
		{"signature separator without its space", "Printer fixed.\n--\nAna", "Printer fixed."},
		{"a dash line inside text is not a separator", "Steps:\n--- step one\n-- step two", "Steps:\n--- step one\n-- step two"},
		{"a sentence with wrote: and no date is kept", "On Monday the engineer wrote:\nplease restart", "On Monday the engineer wrote:\nplease restart"},
		{"all quote keeps the original", "> only a quote\n> nothing new", "> only a quote\n> nothing new"},
		{"CRLF line ends", "New line\r\n> old\r\nmore\r\n", "New line\nmore"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cleanReply(tc.in); got != tc.want {
				t.Fatalf("cleanReply(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHTMLToTextRendersWhatAReaderSees(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"entities are decoded", "<p>5 &lt; 6 &amp;&amp; caf&eacute; &#8364;</p>", "5 < 6 && café €"},
		{"white space collapses", "<div>a \n\t  b</div>   <div>c</div>", "a b\nc"},
		{"br breaks lines", "one<br>two<br/>three", "one\ntwo\nthree"},
		{"paragraphs are set off by a blank line", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"inline tags join words", "<b>bold</b><i>it</i> <a href=\"https://x.example\">link</a>", "boldit link"},
		{"pre keeps its white space", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"blockquote is quoted", "<p>Fixed.</p><blockquote><p>Did you reboot?</p><blockquote>old</blockquote></blockquote>", "Fixed.\n\n> Did you reboot?\n\n> > old"},
		{"table cells are spaced, rows are lines", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"scripts, styles and head are left out", "<head><title>T</title><style>x{}</style></head><body><script>bad()</script>text</body>", "text"},
		{"a broken document keeps what was read", "<p>half <b>a tag", "half a tag"},
		{"multi-byte text around no-break spaces", "à&nbsp;á", "à á"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlToText(tc.in); got != tc.want {
				t.Fatalf("htmlToText(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
			}
		})
	}
}
