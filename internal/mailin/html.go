package mailin

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// htmlToText renders an HTML mail body as plain text, for the mail that
// has no text/plain part. It is deliberately simple: text is kept with
// entities decoded and white space collapsed as a browser would; <br>
// breaks a line; paragraphs, headings, list items, table rows and other
// blocks start on lines of their own; <pre> keeps its white space; list
// items get "- "; text inside <blockquote> (how HTML clients quote the
// message being answered) gets "> " per level, so that cleanReply drops
// it like a quoted plain-text line. Scripts, styles and the document head
// are left out. Links keep their text, not their address.
func htmlToText(src string) string {
	var w textWriter
	z := html.NewTokenizer(strings.NewReader(src))
	skip := 0 // depth inside elements whose content is not text
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF or a broken document: either way, what was read is
			// the text there is.
			return finishText(w.b.String())
		case html.TextToken:
			if skip == 0 {
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			if hiddenElements[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			w.tag(tag, end)
		}
	}
}

// hiddenElements hold no text a reader of the mail would see.
var hiddenElements = map[string]bool{
	"head": true, "script": true, "style": true, "template": true, "title": true,
	"noscript": true, "object": true, "svg": true,
}

// blockElements start and end a line of text.
var blockElements = map[string]bool{
	"address": true, "article": true, "aside": true, "center": true, "dd": true,
	"div": true, "dl": true, "dt": true, "fieldset": true, "figcaption": true,
	"figure": true, "footer": true, "form": true, "header": true, "hr": true,
	"li": true, "main": true, "nav": true, "ol": true, "section": true,
	"table": true, "tbody": true, "thead": true, "tfoot": true, "tr": true,
	"ul": true,
}

// paragraphElements are blocks set off by a blank line.
var paragraphElements = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "blockquote": true, "pre": true,
}

// textWriter accumulates rendered text, tracking what a browser's layout
// would: whether the current line has text yet, pending white space, and
// the <pre> and <blockquote> nesting.
type textWriter struct {
	b       strings.Builder
	midLine bool // the current line has text
	space   bool // white space seen since the last word on this line
	pre     int
	quote   int
}

// text writes character data.
func (w *textWriter) text(s string) {
	if s == "" {
		return
	}
	if w.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.newline()
			}
			if line != "" {
				w.word(line)
			}
		}
		return
	}
	if first, _ := utf8.DecodeRuneInString(s); isHTMLSpace(first) {
		w.space = true
	}
	for i, f := range strings.FieldsFunc(s, isHTMLSpace) {
		if i > 0 {
			w.space = true
		}
		w.word(f)
	}
	if last, _ := utf8.DecodeLastRuneInString(s); isHTMLSpace(last) {
		w.space = true
	}
}

// word writes a run of text: after the quote prefix at the start of a
// line, or after one space if the source had white space before it.
func (w *textWriter) word(s string) {
	switch {
	case !w.midLine:
		w.b.WriteString(strings.Repeat("> ", w.quote))
	case w.space:
		w.b.WriteByte(' ')
	}
	w.b.WriteString(s)
	w.midLine, w.space = true, false
}

// newline ends the current line.
func (w *textWriter) newline() {
	w.b.WriteByte('\n')
	w.midLine, w.space = false, false
}

// ensureLine makes sure the next text starts on a line of its own.
func (w *textWriter) ensureLine() {
	if w.midLine {
		w.newline()
	}
	w.space = false
}

// blankLine makes sure the next text starts after an empty line (none
// at the very top).
func (w *textWriter) blankLine() {
	w.ensureLine()
	if s := w.b.String(); s != "" && !strings.HasSuffix(s, "\n\n") {
		w.newline()
	}
}

// tag applies an element's effect on layout.
func (w *textWriter) tag(tag string, end bool) {
	switch {
	case tag == "br":
		if !end {
			w.newline()
		}
		return
	case tag == "td" || tag == "th":
		if !end {
			w.space = true
		}
		return
	}
	if paragraphElements[tag] {
		w.blankLine()
	} else if blockElements[tag] {
		w.ensureLine()
	}
	switch tag {
	case "pre":
		w.pre = adjust(w.pre, end)
	case "blockquote":
		w.quote = adjust(w.quote, end)
	case "li":
		if !end {
			w.word("-")
			w.space = true
		}
	}
}

// adjust counts one level of nesting in or out, never below zero.
func adjust(depth int, end bool) int {
	if !end {
		return depth + 1
	}
	if depth > 0 {
		return depth - 1
	}
	return 0
}

// isHTMLSpace reports HTML's ASCII white space, plus the no-break space
// that HTML mail uses for indentation.
func isHTMLSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\u00a0':
		return true
	}
	return false
}

// blankLines matches runs of blank lines to fold into one.
var blankLines = regexp.MustCompile(`\n{3,}`)

// finishText trims trailing spaces from every line, folds runs of blank
// lines into one and trims the whole.
func finishText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	return strings.TrimSpace(blankLines.ReplaceAllString(s, "\n\n"))
}
