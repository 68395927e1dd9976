package graphiql_test

// Browser tests: the real page in headless Chromium (chromium_test.go),
// served by the real helpdesk server on a loopback port.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"helpdesk/internal/apitest"
)

// Selectors of GraphiQL's UI.
const (
	queryEditorSel   = `.graphiql-query-editor .CodeMirror`
	headersEditorSel = `.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror`
	executeSel       = `.graphiql-execute-button`
	responseSel      = `.result-window .CodeMirror`
	docsButtonSel    = `.graphiql-sidebar button[aria-label$="Documentation Explorer"]` // Show…, Hide…
	docExplorerSel   = `.graphiql-doc-explorer`
)

// cmValue is a JavaScript expression for the text of the CodeMirror editor
// that sel finds ("" while there is none).
func cmValue(sel string) string {
	return fmt.Sprintf(`((e) => e && e.CodeMirror ? e.CodeMirror.getValue() : "")(document.querySelector(%q))`, sel)
}

// waitReady waits until GraphiQL shows its editors and has loaded the
// schema, which the documentation explorer then lists.
func (b *browser) waitReady() {
	b.t.Helper()
	b.waitFor("the query editor", `document.querySelector(`+jsString(queryEditorSel)+`)`)
	b.waitFor("the Headers editor", `document.querySelector(`+jsString(headersEditorSel)+`)`)
	b.do("opening the documentation explorer", chromedp.Click(chromedp.CSS(docsButtonSel)))
	b.waitFor("the schema in the documentation explorer",
		`((e) => e && e.textContent.includes("Query") && e.textContent.includes("Mutation"))(document.querySelector(`+jsString(docExplorerSel)+`))`)
	b.do("closing the documentation explorer", chromedp.Click(chromedp.CSS(docsButtonSel)))
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// typeText types text into the editor sel as a person pasting it would.
func (b *browser) typeText(sel, text string) {
	b.t.Helper()
	b.do("focusing "+sel, chromedp.Click(chromedp.CSS(sel)))
	b.insert(sel, text)
}

// typeAtStart types text at the start of the editor sel.
func (b *browser) typeAtStart(sel, text string) {
	b.t.Helper()
	b.do("focusing "+sel, chromedp.Click(chromedp.CSS(sel)))
	b.eval(fmt.Sprintf(`document.querySelector(%q).CodeMirror.setCursor(0, 0)`, sel), nil)
	b.insert(sel, text)
}

// insert inserts text at the cursor of the focused editor sel.
func (b *browser) insert(sel, text string) {
	b.t.Helper()
	b.do("typing into "+sel, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}

// assertNoCredential fails the test if secret is anywhere in d.
func assertNoCredential(t *testing.T, when string, d storageDump, secret string) {
	t.Helper()
	for k, v := range d.Local {
		if strings.Contains(k, secret) || strings.Contains(v, secret) {
			t.Errorf("%s: localStorage[%q] holds the token: %s", when, k, v)
		}
	}
	for k, v := range d.Session {
		if strings.Contains(k, secret) || strings.Contains(v, secret) {
			t.Errorf("%s: sessionStorage[%q] holds the token: %s", when, k, v)
		}
	}
	for _, name := range d.IndexedDB {
		t.Errorf("%s: the page opened IndexedDB database %q", when, name)
	}
	if strings.Contains(d.Cookie, secret) {
		t.Errorf("%s: a cookie holds the token: %s", when, d.Cookie)
	}
	if strings.Contains(d.URL, secret) {
		t.Errorf("%s: the page's URL holds the token: %s", when, d.URL)
	}
}

// assertSameOrigin fails the test if the page requested anything but its
// own origin (data: URLs of inlined fonts and images are no requests out).
func assertSameOrigin(t *testing.T, base string, requests []string) {
	t.Helper()
	own := originOf(base)
	for _, r := range requests {
		if strings.HasPrefix(r, "data:") {
			continue
		}
		o := originOf(r)
		if o.host != own.host || (o.scheme != own.scheme && o.scheme != "ws") {
			t.Errorf("the page sent a request to another origin: %s", r)
		}
	}
}

// signIn types the agent's bearer token into the Headers editor, as the
// page tells a person to, and waits until GraphiQL has saved its tabs.
func (b *browser) signIn(agent apitest.Person) {
	b.t.Helper()
	_, before, _ := b.snapshot()
	b.typeText(headersEditorSel, `{"Authorization": "Bearer `+agent.Token+`"}`)
	var headers string
	b.eval(cmValue(headersEditorSel), &headers)
	if !strings.Contains(headers, agent.Token) {
		b.t.Fatalf("the Headers editor holds %q after typing, want the token", headers)
	}
	// GraphiQL saves its tabs (debounced) after an edit that changes what
	// it keeps: with headers not persisted, typing them may change
	// nothing it writes, so a note in the query makes sure a save of the
	// whole tab state, headers included if they were kept, comes after
	// the headers were typed.
	b.typeAtStart(queryEditorSel, signedInNote+"\n")
	b.waitForWrite("GraphiQL saving its tabs after the headers were typed", len(before), "graphiql:tabState", signedInNote)
}

// signedInNote is the line signIn adds to the query.
const signedInNote = "# signed in"

// runViewer runs the query in the editor (the viewer query) and checks that
// it reached the server with the agent's token and answered with the agent.
func (b *browser) runViewer(rec *graphqlRecorder, agent apitest.Person) {
	b.t.Helper()
	_, before, _ := b.snapshot()
	b.do("running the query", chromedp.Click(chromedp.CSS(executeSel)))
	b.waitFor("the viewer in the response", cmValue(responseSel)+`.includes(`+jsString(agent.Email)+`)`)
	got := rec.withAuthorization("Bearer " + agent.Token)
	if len(got) == 0 || !strings.Contains(got[len(got)-1], "viewer") {
		b.t.Fatalf("no viewer query reached the server with the typed Authorization header (got %q)", got)
	}
	// GraphiQL adds the run to its history, in localStorage.
	b.waitForWrite("GraphiQL saving the run to its history", len(before), "graphiql:queries", "viewer")
}

// checkClean fails the test if the token is anywhere in the page's storage
// or was ever written to it, if the page requested another origin, or if it
// reported an error (a script failing, a load the CSP refused).
func (b *browser) checkClean(base, token string) {
	b.t.Helper()
	requests, writes, problems := b.snapshot()
	for _, w := range writes {
		if strings.Contains(w, token) {
			b.t.Errorf("the page wrote the token to storage: %s", w)
		}
	}
	assertSameOrigin(b.t, base, requests)
	for _, p := range problems {
		b.t.Errorf("page problem: %s", p)
	}
	if b.t.Failed() {
		logRequests(b.t, requests)
	}
}

func TestGraphiQLStoresNoCredentialAcrossRunAndReload(t *testing.T) {
	b := newBrowser(t)
	base, rec, agent := startHelpdesk(t)

	b.do("opening GraphiQL", chromedp.Navigate(base+"/"))
	b.waitReady()
	var query string
	b.eval(cmValue(queryEditorSel), &query)
	if !strings.Contains(query, "viewer") {
		t.Fatalf("the query editor does not hold the default viewer query: %q", query)
	}
	b.signIn(agent)
	// An edit of the query, which the saved tabs must bring back. (Saving
	// the tabs again after it also shows the Headers editor's text is not
	// saved: otherwise the value would differ from the one signIn saw.)
	const marker = "# kept across reloads"
	_, before, _ := b.snapshot()
	b.typeAtStart(queryEditorSel, marker+"\n")
	b.waitForWrite("GraphiQL saving the edited query", len(before), "graphiql:tabState", marker)
	b.runViewer(rec, agent)
	assertNoCredential(t, "after the run", b.dumpStorage(), agent.Token)

	b.do("reloading GraphiQL", chromedp.Reload())
	b.waitReady()
	after := b.dumpStorage()
	assertNoCredential(t, "after the reload", after, agent.Token)
	if !strings.Contains(after.Local["graphiql:queries"], "viewer") {
		t.Errorf("the history lost the run: graphiql:queries = %q", after.Local["graphiql:queries"])
	}
	b.eval(cmValue(queryEditorSel), &query)
	if !strings.Contains(query, marker) {
		t.Errorf("the reload lost the edited query (saved tabs not restored): %q", query)
	}
	var headers string
	b.eval(cmValue(headersEditorSel), &headers)
	if strings.Contains(headers, agent.Token) {
		t.Errorf("the Headers editor shows the token again after the reload: %q", headers)
	}
	b.checkClean(base, agent.Token)
}

func TestGraphiQLRemovesCredentialsThatEarlierVersionsStored(t *testing.T) {
	b := newBrowser(t)
	base, _, agent := startHelpdesk(t)
	// The storage is filled from another page of the origin, so that no
	// GraphiQL is running to overwrite it.
	b.do("opening /healthz", chromedp.Navigate(base+"/healthz"))

	// What GraphiQL 3.9 with shouldPersistHeaders: false left in
	// localStorage before this page cleaned it, plus the headers key that
	// shouldPersistHeaders: true writes.
	headers := `{"Authorization": "Bearer ` + agent.Token + `"}`
	const query = "{ viewer { agent { name } } }"
	leaked := map[string]any{
		"graphiql:queries":   map[string]any{"queries": []any{map[string]any{"query": query, "variables": "", "headers": headers}}},
		"graphiql:favorites": map[string]any{"favorites": []any{map[string]any{"query": query, "headers": headers, "label": "me", "favorite": true}}},
		"graphiql:tabState": map[string]any{"activeTabIndex": 0, "tabs": []any{map[string]any{
			"id": "t1", "hash": nil, "title": "<untitled>", "query": query, "variables": nil,
			"headers": headers, "operationName": nil, "response": nil}}},
	}
	// graphiql:query names the tab that opens active.
	items := map[string]string{"graphiql:headers": headers, "graphiql:query": query}
	for k, v := range leaked {
		j, _ := json.Marshal(v)
		items[k] = string(j)
	}
	j, _ := json.Marshal(items)
	b.eval(`((items) => { for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v); return true; })(`+string(j)+`)`, nil)

	b.do("opening GraphiQL", chromedp.Navigate(base+"/"))
	b.waitReady()
	after := b.dumpStorage()
	assertNoCredential(t, "after loading over an earlier version's storage", after, agent.Token)
	if _, ok := after.Local["graphiql:headers"]; ok {
		t.Errorf("graphiql:headers is still stored: %q", after.Local["graphiql:headers"])
	}
	for _, key := range []string{"graphiql:queries", "graphiql:favorites"} {
		if !strings.Contains(after.Local[key], "viewer") {
			t.Errorf("%s lost its query: %q", key, after.Local[key])
		}
	}
	var got string
	b.eval(cmValue(queryEditorSel), &got)
	if got != query {
		t.Errorf("the saved tab was not restored: the query editor holds %q, want %q", got, query)
	}
	b.eval(cmValue(headersEditorSel), &got)
	if strings.Contains(got, agent.Token) {
		t.Errorf("the Headers editor shows the stored token: %q", got)
	}
	_, _, problems := b.snapshot()
	for _, p := range problems {
		t.Errorf("page problem: %s", p)
	}
}

func TestGraphiQLStoresNoSentHeaderValueUnderAnyKey(t *testing.T) {
	b := newBrowser(t)
	base, rec, agent := startHelpdesk(t)
	b.do("opening GraphiQL", chromedp.Navigate(base+"/"))
	b.waitReady()
	b.signIn(agent)
	b.runViewer(rec, agent)

	// A person pastes the token into the query as well; GraphiQL saves the
	// query text in graphiql:query and graphiql:tabState, which the page
	// then refuses to keep.
	b.mu.Lock()
	removedBefore := len(b.removals)
	b.mu.Unlock()
	b.typeAtStart(queryEditorSel, "# token: "+agent.Token+"\n")
	b.waitForRemoval("GraphiQL's saved tabs being dropped", removedBefore, "graphiql:tabState")
	assertNoCredential(t, "after the token was typed into the query", b.dumpStorage(), agent.Token)

	b.do("reloading GraphiQL", chromedp.Reload())
	b.waitReady()
	assertNoCredential(t, "after the reload", b.dumpStorage(), agent.Token)
	b.checkClean(base, agent.Token)
}
