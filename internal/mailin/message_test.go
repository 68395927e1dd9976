package mailin

import (
	"slices"
	"strings"
	"testing"
)

func TestAPlainMessageReachesTheHandlerWithItsSenderSubjectAndText(t *testing.T) {
	s := startServer(t, Config{})
	raw := `From: =?UTF-8?B?QW5hIFDDqXJleg==?= <Ana.Perez@Example.COM>
To: support@helpdesk.test
Subject: =?UTF-8?B?UmVkIGNhw61kYSBlbiBsYSBvZmljaW5hIFtIRC0xMDAwMDFd?=
Message-ID: <abc.123@mail.example.com>
In-Reply-To: <n1@helpdesk.test>
References: <n0@helpdesk.test> <n1@helpdesk.test>
Date: Mon, 3 Jun 2024 10:00:00 +0200
Content-Type: text/plain; charset=utf-8

La red no funciona desde esta mañana.
Gracias.
`
	wantCode(t, s.sendOne(t, raw), 250)

	m := s.rec.only(t)
	want := Message{
		From:       "ana.perez@example.com",
		FromName:   "Ana Pérez",
		Subject:    "Red caída en la oficina [HD-100001]",
		Text:       "La red no funciona desde esta mañana.\nGracias.",
		MessageID:  "abc.123@mail.example.com",
		InReplyTo:  "n1@helpdesk.test",
		References: []string{"n0@helpdesk.test", "n1@helpdesk.test"},
		Number:     "HD-100001",
	}
	if !equalMessages(m, want) {
		t.Fatalf("handler got\n%#v\nwant\n%#v", m, want)
	}
}

func TestMultipartAlternativeGivesThePlainTextPart(t *testing.T) {
	s := startServer(t, Config{})
	raw := `From: ana@example.com
Subject: Impresora
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

La impresora del segundo piso no imprime en color. Lo intent=C3=A9 dos vece=
s.
--b1
Content-Type: text/html; charset=utf-8

<p>HTML version that must not be used</p>
--b1--
`
	wantCode(t, s.sendOne(t, raw), 250)
	want := "La impresora del segundo piso no imprime en color. Lo intenté dos veces."
	if got := s.rec.only(t).Text; got != want {
		t.Fatalf("Text = %q, want %q", got, want)
	}
}

func TestThePlainTextPartIsFoundInsideNestedMultipartsAndAttachmentsAreIgnored(t *testing.T) {
	s := startServer(t, Config{})
	raw := `From: ana@example.com
Subject: Logs
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="notes.txt"

attached notes, not the body
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

See the attached log.
--inner
Content-Type: text/html; charset=utf-8

<p>See the attached log.</p>
--inner--
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="router.log"
Content-Transfer-Encoding: base64

AAECAwQFBgc=
--outer--
`
	wantCode(t, s.sendOne(t, raw), 250)
	if got := s.rec.only(t).Text; got != "See the attached log." {
		t.Fatalf("Text = %q, want the inline text/plain part", got)
	}
}

func TestAnHTMLOnlyMessageIsReadAsText(t *testing.T) {
	s := startServer(t, Config{})
	raw := `From: ana@example.com
Subject: HTML
Content-Type: text/html; charset=utf-8

<html><head><title>t</title><style>p {color: red}</style></head>
<body><p>Hola,</p><p>El servidor   <b>no</b> responde &amp; el
correo tampoco.<br>Urgente&nbsp;&mdash; gracias</p>
<ul><li>VPN</li><li>Correo</li></ul>
<script>alert("x")</script></body></html>
`
	wantCode(t, s.sendOne(t, raw), 250)
	want := "Hola,\n\nEl servidor no responde & el correo tampoco.\nUrgente — gracias\n\n- VPN\n- Correo"
	if got := s.rec.only(t).Text; got != want {
		t.Fatalf("Text =\n%q\nwant\n%q", got, want)
	}
}

func TestABase64ISO88591BodyIsDecodedToUTF8(t *testing.T) {
	s := startServer(t, Config{})
	// "Contraseña caducada, ¿podéis ayudarme?" in ISO-8859-1, base64.
	raw := `From: ana@example.com
Subject: =?ISO-8859-1?Q?Contrase=F1a?=
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: base64

Q29udHJhc2XxYSBjYWR1Y2FkYSwgv3BvZOlpcyBheXVkYXJtZT8=
`
	wantCode(t, s.sendOne(t, raw), 250)
	m := s.rec.only(t)
	if want := "Contraseña caducada, ¿podéis ayudarme?"; m.Text != want {
		t.Fatalf("Text = %q, want %q", m.Text, want)
	}
	if m.Subject != "Contraseña" {
		t.Fatalf("Subject = %q, want %q", m.Subject, "Contraseña")
	}
}

func TestAReplyCarriesTheTicketNumberInItsSubjectAndOnlyItsNewLines(t *testing.T) {
	s := startServer(t, Config{})
	raw := `From: Ana <ana@example.com>
Subject: Re: [HD-100042] Router down
Message-ID: <reply-1@example.com>
In-Reply-To: <ticket-100042@helpdesk.test>
Content-Type: text/plain; charset=utf-8

It works again after the reboot.
> the agent's advice, quoted inline
Thanks!

On Mon, Jun 3, 2024 at 10:00 AM Helpdesk <support@helpdesk.test>
wrote:
> Please reboot the router.
> Regards
`
	wantCode(t, s.sendOne(t, raw), 250)
	m := s.rec.only(t)
	if m.Number != "HD-100042" {
		t.Fatalf("Number = %q, want HD-100042", m.Number)
	}
	if want := "It works again after the reboot.\nThanks!"; m.Text != want {
		t.Fatalf("Text = %q, want %q", m.Text, want)
	}
	if m.InReplyTo != "ticket-100042@helpdesk.test" {
		t.Fatalf("InReplyTo = %q", m.InReplyTo)
	}
}

func TestAMessageWithoutMessageIDIsIdentifiedByItsHashTheSameBothTimes(t *testing.T) {
	s := startServer(t, Config{})
	body := `From: ana@example.com
Subject: No id
Content-Type: text/plain

Same message twice.
`
	// The second copy came by another route: a server added its trace.
	wantCode(t, s.sendOne(t, body), 250)
	wantCode(t, s.sendOne(t, "Received: from relay.example.com by mx.helpdesk.test; Mon, 3 Jun 2024 10:05:00 +0200\n"+body), 250)
	wantCode(t, s.sendOne(t, strings.Replace(body, "twice", "thrice", 1)), 250)

	got := s.rec.messages()
	if len(got) != 3 {
		t.Fatalf("handler called %d times, want 3", len(got))
	}
	if !strings.HasPrefix(got[0].MessageID, "sha256-") || len(got[0].MessageID) != len("sha256-")+64 {
		t.Fatalf("MessageID = %q, want sha256-<64 hex digits>", got[0].MessageID)
	}
	if got[0].MessageID != got[1].MessageID {
		t.Fatalf("the same message got two ids: %q and %q", got[0].MessageID, got[1].MessageID)
	}
	if got[2].MessageID == got[0].MessageID {
		t.Fatalf("a different message got the same id %q", got[2].MessageID)
	}
}

func TestTheFromHeaderWinsOverTheEnvelopeSenderAndAnEmptyGroupFallsBackToIt(t *testing.T) {
	s := startServer(t, Config{})
	c := s.dial(t)
	wantCode(t, send(t, c, "bounces+123@relay.example.net", []string{"support@helpdesk.test"},
		"From: Luis <Luis@Example.com>\nSubject: a\n\nbody\n"), 250)
	wantCode(t, send(t, c, "Luis@Example.com", []string{"support@helpdesk.test"},
		"From: undisclosed-senders:;\nSubject: b\n\nbody\n"), 250)
	got := s.rec.messages()
	if len(got) != 2 || got[0].From != "luis@example.com" || got[1].From != "luis@example.com" {
		t.Fatalf("From = %v, want luis@example.com for both", froms(got))
	}
}

func froms(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.From)
	}
	return out
}

func equalMessages(a, b Message) bool {
	return a.From == b.From && a.FromName == b.FromName && a.Subject == b.Subject &&
		a.Text == b.Text && a.MessageID == b.MessageID && a.InReplyTo == b.InReplyTo &&
		slices.Equal(a.References, b.References) && a.Number == b.Number
}

func TestHeadersAsClientsReallyWriteThemAreReadNotRefused(t *testing.T) {
	s := startServer(t, Config{})
	// A folded subject, a Message-ID without angle brackets, and a body
	// in a charset no decoder knows (read as it stands).
	raw := "From: ana@example.com\n" +
		"Subject: Re: [HD-100009] the VPN drops\n\tevery ten minutes\n" +
		"Message-ID: no-brackets.42@example.com\n" +
		"Content-Type: text/plain; charset=x-unheard-of\n" +
		"\n" +
		"Still dropping.\n"
	wantCode(t, s.sendOne(t, raw), 250)
	m := s.rec.only(t)
	if m.Subject != "Re: [HD-100009] the VPN drops every ten minutes" || m.Number != "HD-100009" {
		t.Fatalf("Subject = %q, Number = %q", m.Subject, m.Number)
	}
	if m.MessageID != "no-brackets.42@example.com" {
		t.Fatalf("MessageID = %q, want it as written", m.MessageID)
	}
	if m.Text != "Still dropping." {
		t.Fatalf("Text = %q", m.Text)
	}
}
