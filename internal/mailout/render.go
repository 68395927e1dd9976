package mailout

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	ttemplate "text/template"

	"helpdesk/internal/notify"
)

// Kinds lists every notification kind that has templates: each of
// internal/notify's.
func Kinds() []string {
	out := make([]string, len(notify.Kinds))
	for i, k := range notify.Kinds {
		out[i] = string(k)
	}
	return out
}

// DefaultLocale is the locale a message falls back to when its recipient's
// locale has no templates: English is the one every agent reads.
const DefaultLocale = notify.DefaultLocale

// Locales lists the locales that have templates: internal/notify's.
func Locales() []string { return slices.Clone(notify.Locales) }

// Data is what the templates may show. Every field is optional except
// Number; a template shows a line only when its field is set.
type Data struct {
	// Number is the ticket's number, e.g. "HD-100001". Required: it heads
	// every subject so replies find their ticket.
	Number string
	// Subject is the ticket's subject as the requester wrote it.
	Subject string
	// RecipientName greets the recipient ("Hello Ana,"); empty greets
	// without a name.
	RecipientName string
	// Status and PreviousStatus are ticket statuses (e.g. "IN_PROGRESS");
	// the templates show them in the recipient's language.
	Status, PreviousStatus string
	// Priority and PreviousPriority are ticket priorities (e.g. "HIGH").
	Priority, PreviousPriority string
	// Comment is the body of a public reply, of an information request,
	// or the reason for a reminder.
	Comment string
	// Author is who wrote Comment.
	Author string
	// Clock is the SLA clock a warning is about: "FIRST_RESPONSE" or
	// "RESOLUTION".
	Clock string
	// DueAt is when that clock's target falls, already formatted for the
	// recipient.
	DueAt string
	// Level is the escalation level reached, e.g. "2".
	Level string
	// Reason says why the priority changed or the ticket was escalated.
	Reason string
	// Reminder marks an INFORMATION_REQUESTED message sent again because
	// the requester has not answered yet.
	Reminder bool
	// URL links to the ticket in the portal; empty leaves the link out.
	URL string
	// Team signs the message, e.g. "Acme Support"; empty signs as the
	// helpdesk team.
	Team string
}

// Rendered is one notification ready to send: its subject line and the
// plain-text and HTML versions of its body.
type Rendered struct {
	Subject, Text, HTML string
}

// ErrUnknownKind is returned by Render for a kind that has no templates.
var ErrUnknownKind = errors.New("mailout: unknown notification kind")

//go:embed templates
var embedded embed.FS

// embeddedRoot is the directory of embedded that holds the locales.
const embeddedRoot = "templates"

// Templates is a loaded, parsed set of notification templates for every
// kind and locale. It is safe for concurrent use.
type Templates struct {
	sets map[string]*kindSet // by locale + "/" + kind
}

// kindSet is one kind's templates in one locale.
type kindSet struct {
	subject *ttemplate.Template
	text    *ttemplate.Template
	html    *htemplate.Template
	// Names of the kind's own text and HTML templates inside text and
	// html, which also hold the locale's common pieces.
	textName, htmlName string
	// shown names each template's file as errors show it: the override's
	// path, or "built-in <name>".
	shown map[string]string
}

// Load parses the embedded templates, with the files of dir replacing
// their embedded namesakes (dir/<locale>/<name>, e.g.
// dir/es/TICKET_RECEIVED.subject.tmpl). dir "" loads the embedded
// templates only. A template that does not parse, or that fails when tried
// with sample data, is an error naming its file; so is a .tmpl file in dir
// that replaces nothing (most likely a misspelt name).
func Load(dir string) (*Templates, error) {
	src := source{}
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("mailout: template directory: %w; give an existing directory, or \"\" for the built-in templates", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("mailout: template directory %s is a file; give the directory that holds en/ and es/", dir)
		}
		src.dir, src.override = dir, os.DirFS(dir)
		if err := src.checkUnknown(); err != nil {
			return nil, err
		}
	}
	t := &Templates{sets: map[string]*kindSet{}}
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			ks, err := src.parseKind(loc, kind)
			if err != nil {
				return nil, err
			}
			t.sets[loc+"/"+kind] = ks
		}
	}
	return t, nil
}

// Render renders one notification of kind in locale (a language tag such
// as "es" or "es-MX"; locales without templates render in English).
func (t *Templates) Render(kind, locale string, d Data) (Rendered, error) {
	ks, ok := t.sets[normalizeLocale(locale)+"/"+kind]
	if !ok {
		return Rendered{}, fmt.Errorf("%w %q; the kinds are %s", ErrUnknownKind, kind, strings.Join(Kinds(), ", "))
	}
	if strings.TrimSpace(d.Number) == "" {
		return Rendered{}, fmt.Errorf("mailout: rendering %s: Data.Number is empty; set the ticket number, every subject carries it so replies find their ticket", kind)
	}
	return ks.render(d)
}

func (ks *kindSet) render(d Data) (Rendered, error) {
	var subject, text, html bytes.Buffer
	if err := ks.subject.Execute(&subject, d); err != nil {
		return Rendered{}, fmt.Errorf("mailout: rendering %s: %w", ks.shown[ks.subject.Name()], err)
	}
	if err := ks.text.ExecuteTemplate(&text, ks.textName, d); err != nil {
		return Rendered{}, fmt.Errorf("mailout: rendering %s: %w", ks.shown[ks.textName], err)
	}
	if err := ks.html.ExecuteTemplate(&html, ks.htmlName, d); err != nil {
		return Rendered{}, fmt.Errorf("mailout: rendering %s: %w", ks.shown[ks.htmlName], err)
	}
	return Rendered{
		Subject: subjectLine(d.Number, subject.String()),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    strings.TrimSpace(html.String()) + "\n",
	}, nil
}

// subjectLine folds the rendered subject onto one line (a subject a
// customer typed may hold line breaks) and puts the ticket number first.
func subjectLine(number, rendered string) string {
	prefix := "[" + strings.TrimSpace(number) + "] "
	rest := strings.Join(strings.Fields(rendered), " ")
	rest = strings.TrimPrefix(rest, strings.TrimSpace(prefix))
	return prefix + strings.TrimSpace(rest)
}

// normalizeLocale maps a language tag to a locale that has templates:
// "es", "ES", "es-MX" and "es_ES" are all "es"; anything unknown is
// DefaultLocale.
func normalizeLocale(locale string) string {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	lang, _, _ = strings.Cut(lang, "_")
	if slices.Contains(Locales(), lang) {
		return lang
	}
	return DefaultLocale
}

// source reads template files: from the override directory when it has
// the file, else from the embedded set.
type source struct {
	dir      string
	override fs.FS
}

// read returns the named file (a path relative to the templates root,
// e.g. "en/common.txt.tmpl") and the name to show in errors.
func (s source) read(name string) (text, shown string, err error) {
	if s.override != nil {
		b, err := fs.ReadFile(s.override, name)
		if err == nil {
			return string(b), filepath.Join(s.dir, filepath.FromSlash(name)), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("mailout: reading template %s: %w", filepath.Join(s.dir, filepath.FromSlash(name)), err)
		}
	}
	b, err := embedded.ReadFile(path.Join(embeddedRoot, name))
	if err != nil {
		return "", "", fmt.Errorf("mailout: built-in template %s is missing: %w", name, err)
	}
	return string(b), "built-in " + name, nil
}

// checkUnknown refuses .tmpl files in the override directory that would
// replace nothing, so a misspelt name does not silently leave the
// built-in template in place.
func (s source) checkUnknown() error {
	return fs.WalkDir(s.override, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("mailout: reading template directory %s: %w", s.dir, err)
		}
		if e.IsDir() || !strings.HasSuffix(name, ".tmpl") {
			return nil
		}
		if _, err := fs.Stat(embedded, path.Join(embeddedRoot, name)); err != nil {
			return fmt.Errorf("mailout: template %s replaces no built-in template; name it <locale>/<KIND>.{subject,txt,html}.tmpl or <locale>/common.{txt,html}.tmpl (locales %s, kinds %s)",
				filepath.Join(s.dir, filepath.FromSlash(name)), strings.Join(Locales(), ", "), strings.Join(Kinds(), ", "))
		}
		return nil
	})
}

// parseKind parses one kind's three templates in one locale and tries
// them with sample data.
func (s source) parseKind(loc, kind string) (*kindSet, error) {
	funcs := labelFuncs(loc)
	ks := &kindSet{
		textName: loc + "/" + kind + ".txt.tmpl",
		htmlName: loc + "/" + kind + ".html.tmpl",
		shown:    map[string]string{},
	}

	subjectName := loc + "/" + kind + ".subject.tmpl"
	body, shown, err := s.read(subjectName)
	if err != nil {
		return nil, err
	}
	ks.shown[subjectName] = shown
	if ks.subject, err = ttemplate.New(subjectName).Funcs(funcs).Parse(body); err != nil {
		return nil, fmt.Errorf("mailout: template %s does not parse: %w", shown, err)
	}

	ks.text = ttemplate.New(loc + "/" + kind + ".txt").Funcs(funcs)
	for _, name := range []string{loc + "/common.txt.tmpl", ks.textName} {
		body, shown, err := s.read(name)
		if err != nil {
			return nil, err
		}
		ks.shown[name] = shown
		if _, err := ks.text.New(name).Parse(body); err != nil {
			return nil, fmt.Errorf("mailout: template %s does not parse: %w", shown, err)
		}
	}

	ks.html = htemplate.New(loc + "/" + kind + ".html").Funcs(htemplate.FuncMap(funcs))
	for _, name := range []string{loc + "/common.html.tmpl", ks.htmlName} {
		body, shown, err := s.read(name)
		if err != nil {
			return nil, err
		}
		ks.shown[name] = shown
		if _, err := ks.html.New(name).Parse(body); err != nil {
			return nil, fmt.Errorf("mailout: template %s does not parse: %w", shown, err)
		}
	}

	if _, err := ks.render(sampleData); err != nil {
		return nil, fmt.Errorf("%w (tried with sample data at load; fix the template)", err)
	}
	return ks, nil
}

// sampleData fills every field, so trying a template with it at Load
// reaches every branch that shows a field.
var sampleData = Data{
	Number: "HD-100001", Subject: "Router down", RecipientName: "Ana",
	Status: "IN_PROGRESS", PreviousStatus: "ACCEPTED", Priority: "HIGH", PreviousPriority: "MEDIUM",
	Comment: "Please send the router's serial number.", Author: "Luis", Clock: "RESOLUTION",
	DueAt: "2025-03-01 14:00", Level: "2", Reason: "No answer from the carrier", Reminder: true,
	URL: "https://helpdesk.example/tickets/HD-100001", Team: "Acme Support",
}
