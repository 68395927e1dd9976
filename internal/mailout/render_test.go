package mailout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpdesk/internal/notify"
)

// ticket is a typical notification's data.
func ticket() Data {
	return Data{
		Number: "HD-100001", Subject: "Router down", RecipientName: "Ana",
		Status: "IN_PROGRESS", PreviousStatus: "ACCEPTED", Priority: "HIGH", PreviousPriority: "MEDIUM",
		Comment: "Could you send us the router's serial number?", Author: "Luis",
		Clock: "FIRST_RESPONSE", DueAt: "2025-03-01 14:00", Level: "2", Reason: "No answer from the carrier",
		URL: "https://helpdesk.example/tickets/HD-100001",
	}
}

func mustLoad(t *testing.T, dir string) *Templates {
	t.Helper()
	tm, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q): %v", dir, err)
	}
	return tm
}

func TestEveryKindRendersInEveryLocaleWithTheNumberInItsSubjectAndBothParts(t *testing.T) {
	tm := mustLoad(t, "")
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			t.Run(loc+"/"+kind, func(t *testing.T) {
				r, err := tm.Render(kind, loc, ticket())
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(r.Subject, "[HD-100001] ") {
					t.Errorf("subject %q does not start with [HD-100001]", r.Subject)
				}
				if len(r.Subject) <= len("[HD-100001] ") {
					t.Errorf("subject %q says nothing after the number", r.Subject)
				}
				for part, body := range map[string]string{"text": r.Text, "html": r.HTML} {
					if strings.TrimSpace(body) == "" {
						t.Errorf("%s part is empty", part)
					}
					if !strings.Contains(body, "HD-100001") {
						t.Errorf("%s part does not carry the ticket number:\n%s", part, body)
					}
					if strings.Contains(body, "<no value>") {
						t.Errorf("%s part shows a missing value:\n%s", part, body)
					}
				}
			})
		}
	}
}

func TestTheAutoReplySaysTheRequestWasReceivedAndCarriesTheNumber(t *testing.T) {
	tm := mustLoad(t, "")
	for loc, received := range map[string]string{"en": "received your request", "es": "recibido su solicitud"} {
		r, err := tm.Render(string(notify.TicketReceived), loc, ticket())
		if err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"subject": r.Subject, "text": r.Text, "html": r.HTML} {
			if !strings.Contains(body, received) {
				t.Errorf("%s %s does not say %q:\n%s", loc, part, received, body)
			}
		}
		if !strings.Contains(r.HTML, "<strong style=\"font-size:24px;letter-spacing:1px;\">HD-100001</strong>") {
			t.Errorf("%s HTML does not show the number prominently:\n%s", loc, r.HTML)
		}
		if !strings.Contains(r.Text, "HD-100001\n") {
			t.Errorf("%s text does not give the number on a line of its own:\n%s", loc, r.Text)
		}
	}
}

func TestSpanishRendersSpanishAndAnUnknownLocaleFallsBackToEnglish(t *testing.T) {
	tm := mustLoad(t, "")
	es, err := tm.Render(string(notify.CommentAdded), "es", ticket())
	if err != nil {
		t.Fatal(err)
	}
	if es.Subject != "[HD-100001] Nueva respuesta a su solicitud: Router down" {
		t.Errorf("Spanish subject %q", es.Subject)
	}
	for _, body := range []string{es.Text, es.HTML} {
		if !strings.Contains(body, "ha respondido a su ticket") {
			t.Errorf("Spanish body lacks %q:\n%s", "ha respondido a su ticket", body)
		}
	}
	status := ticket()
	status.Status = "RESOLVED"
	if r, _ := tm.Render(string(notify.StatusChanged), "es", status); !strings.Contains(r.Subject, "Resuelto") {
		t.Errorf("Spanish status subject %q does not name the status in Spanish", r.Subject)
	}
	if r, _ := tm.Render(string(notify.CommentAdded), "es-MX", ticket()); r != es {
		t.Errorf("es-MX did not render as Spanish: %q", r.Subject)
	}

	en, err := tm.Render(string(notify.CommentAdded), "en", ticket())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(en.Text, "Luis replied to your ticket HD-100001") {
		t.Errorf("English text:\n%s", en.Text)
	}
	for _, loc := range []string{"fr", "", "xx-YY"} {
		r, err := tm.Render(string(notify.CommentAdded), loc, ticket())
		if err != nil {
			t.Fatal(err)
		}
		if r != en {
			t.Errorf("locale %q did not fall back to English: %q", loc, r.Subject)
		}
	}
}

func TestUserTextIsEscapedInTheHTMLPartAndKeptInTheTextPart(t *testing.T) {
	tm := mustLoad(t, "")
	const evil = `<script>alert("x")</script>`
	d := ticket()
	d.Subject, d.Comment, d.Author, d.RecipientName, d.Reason = evil, evil, evil, evil, evil
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			r, err := tm.Render(kind, loc, d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.HTML, "<script") {
				t.Errorf("%s/%s HTML holds a live <script>:\n%s", loc, kind, r.HTML)
			}
			if !strings.Contains(r.HTML, "&lt;script&gt;") {
				t.Errorf("%s/%s HTML does not show the escaped text:\n%s", loc, kind, r.HTML)
			}
			if !strings.Contains(r.Text, evil) {
				t.Errorf("%s/%s text part does not show the text as typed:\n%s", loc, kind, r.Text)
			}
		}
	}
	d = ticket()
	d.URL = "javascript:alert(1)"
	r, _ := tm.Render(string(notify.TicketReceived), "en", d)
	if strings.Contains(r.HTML, "javascript:") {
		t.Errorf("a javascript: URL reached an href:\n%s", r.HTML)
	}
}

func TestASubjectWithLineBreaksStaysOnOneLine(t *testing.T) {
	tm := mustLoad(t, "")
	d := ticket()
	d.Subject = "Router down\r\nBcc: everyone@example.com"
	r, err := tm.Render(string(notify.TicketReceived), "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[HD-100001] We received your request: Router down Bcc: everyone@example.com"; r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
}

func TestRenderRefusesAnUnknownKindAndAMissingNumber(t *testing.T) {
	tm := mustLoad(t, "")
	if _, err := tm.Render("TICKET_EXPLODED", "en", ticket()); err == nil || !strings.Contains(err.Error(), "TICKET_RECEIVED") {
		t.Errorf("unknown kind: %v, want an error listing the kinds", err)
	}
	d := ticket()
	d.Number = ""
	if _, err := tm.Render(string(notify.TicketReceived), "en", d); err == nil || !strings.Contains(err.Error(), "Number") {
		t.Errorf("missing number: %v, want an error naming Data.Number", err)
	}
}

// writeFile writes dir/name, making its directories.
func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAnOverrideFileReplacesOnlyItsNamesake(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "en/COMMENT_ADDED.txt.tmpl", `{{.Author}} wrote on {{.Number}}: {{.Comment}}`)
	writeFile(t, dir, "README.md", "not a template, ignored")
	builtin, custom := mustLoad(t, ""), mustLoad(t, dir)

	got, err := custom.Render(string(notify.CommentAdded), "en", ticket())
	if err != nil {
		t.Fatal(err)
	}
	if want := "Luis wrote on HD-100001: Could you send us the router's serial number?\n"; got.Text != want {
		t.Errorf("overridden text %q, want %q", got.Text, want)
	}
	want, _ := builtin.Render(string(notify.CommentAdded), "en", ticket())
	if got.Subject != want.Subject || got.HTML != want.HTML {
		t.Error("the override changed the subject or HTML of COMMENT_ADDED too")
	}
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			if loc == "en" && kind == string(notify.CommentAdded) {
				continue
			}
			a, _ := builtin.Render(kind, loc, ticket())
			b, _ := custom.Render(kind, loc, ticket())
			if a != b {
				t.Errorf("the override changed %s/%s", loc, kind)
			}
		}
	}
}

func TestAnOverrideOfTheCommonPiecesChangesEveryKindOfItsLocale(t *testing.T) {
	dir := t.TempDir()
	builtin, err := embedded.ReadFile("templates/es/common.txt.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "es/common.txt.tmpl", strings.Replace(string(builtin), "Atentamente,", "Un saludo cordial,", 1))
	tm := mustLoad(t, dir)
	for _, kind := range []string{string(notify.TicketReceived), string(notify.CommentAdded), string(notify.StatusChanged)} {
		r, _ := tm.Render(kind, "es", ticket())
		if !strings.Contains(r.Text, "Un saludo cordial,") {
			t.Errorf("es/%s does not use the overridden sign-off:\n%s", kind, r.Text)
		}
	}
}

func TestABrokenOverrideIsALoadErrorNamingTheFile(t *testing.T) {
	for name, c := range map[string]struct{ file, text, want string }{
		"does not parse":        {"es/STATUS_CHANGED.html.tmpl", `<p>{{if .Status}}unclosed</p>`, "does not parse"},
		"unknown field":         {"en/ESCALATED.subject.tmpl", `{{.Escalation}}`, "Escalation"},
		"unknown function":      {"en/SLA_WARNING.txt.tmpl", `{{shout .Clock}}`, "shout"},
		"misspelt name":         {"en/TICKET_RECIEVED.txt.tmpl", `hello`, "replaces no built-in template"},
		"broken common pieces":  {"en/common.html.tmpl", `{{define "top"}}`, "does not parse"},
		"unknown locale folder": {"fr/TICKET_RECEIVED.txt.tmpl", `Bonjour`, "replaces no built-in template"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, c.file, c.text)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if path := filepath.Join(dir, filepath.FromSlash(c.file)); !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestLoadRefusesADirectoryThatIsNotThere(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Load(missing dir): %v", err)
	}
}
