package graphiql_test

// The harness of the browser tests: headless Chromium driven over the
// Chrome DevTools Protocol with chromedp, recording what the page requests,
// stores and reports, and the real helpdesk server (internal/apitest) on a
// loopback port behind a recorder of the GraphQL requests it gets.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/domstorage"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"helpdesk/internal/apitest"
)

// browserTimeout bounds one browser test from Chromium's start to its end;
// a run takes a few seconds, the rest is room for a slow shared machine.
const browserTimeout = 90 * time.Second

// waitTimeout bounds each wait for the page to reach a state (editor shown,
// schema loaded, response rendered, storage written).
const waitTimeout = 20 * time.Second

// chromiumPath returns the Chromium binary the browser tests drive. When
// there is none the test fails, saying how to install it: a browser test
// never skips, since a skipped test would count as a pass.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("graphiql: this test drives headless Chromium, and neither chromium nor chromium-browser is on PATH; " +
		"install Debian's package with `apt-get update && apt-get install -y chromium` (.ci/run does this when it is missing)")
	return ""
}

// origin is what the page may talk to: its own scheme, host and port.
type origin struct{ scheme, host string }

func originOf(raw string) origin {
	u, err := url.Parse(raw)
	if err != nil {
		return origin{}
	}
	return origin{u.Scheme, u.Host}
}

// browser is one headless Chromium with one tab, and what the tab did.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	requests []string // URL of every request the page sent
	writes   []string // "key=value" of every localStorage/sessionStorage write
	removals []string // key of every item removed from storage
	problems []string // uncaught exceptions, console errors, browser log errors
}

// newBrowser starts headless Chromium; it stops at the test's cleanup.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // tests run as root, where Chromium's sandbox cannot start
		// Resolve no host name but the loopback address: whatever the page
		// tried to reach elsewhere fails here, and is still seen in requests.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts Chromium, without a deadline
		t.Fatalf("starting %s: %v", chromiumPath(t), err)
	}
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, domstorage.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("DOMStorage.enable: %v", err)
	}
	deadline, cancel := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(cancel)
	b.ctx = deadline
	return b
}

// record runs in the tab's event loop: it only appends under the lock.
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *domstorage.EventDomStorageItemAdded:
		b.writes = append(b.writes, ev.Key+"="+ev.NewValue)
	case *domstorage.EventDomStorageItemUpdated:
		b.writes = append(b.writes, ev.Key+"="+ev.NewValue)
	case *domstorage.EventDomStorageItemRemoved:
		b.removals = append(b.removals, ev.Key)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.problems = append(b.problems, "exception: "+text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			b.problems = append(b.problems, "console.error: "+strings.Join(args, " "))
		}
	case *cdplog.EventEntryAdded:
		// Chromium asks for /favicon.ico on pages without an icon (such as
		// /healthz); GraphiQL's page names its own.
		if e := ev.Entry; e.Level == cdplog.EntryLevelError && !strings.HasSuffix(e.URL, "/favicon.ico") {
			b.problems = append(b.problems, fmt.Sprintf("log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	}
}

// snapshot returns copies of what the tab did so far.
func (b *browser) snapshot() (requests, writes, problems []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...), append([]string(nil), b.writes...), append([]string(nil), b.problems...)
}

// do runs actions on the tab within waitTimeout, failing the test with
// what on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its JSON value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("evaluating %s: decoding %s: %v", expr, raw, err)
		}
	}
}

// waitFor polls a JavaScript expression until it is true, or fails the test
// saying what did not happen.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("Boolean("+expr+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			_, _, problems := b.snapshot()
			b.t.Fatalf("waiting %s for %s (%s): last error %v; page problems: %q", waitTimeout, what, expr, err, problems)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForWrite waits until a storage write for key whose value contains
// part was seen after the first n writes.
func (b *browser) waitForWrite(what string, n int, key, part string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		_, writes, _ := b.snapshot()
		for _, w := range writes[min(n, len(writes)):] {
			k, v, _ := strings.Cut(w, "=")
			if k == key && strings.Contains(v, part) {
				return
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting %s for %s: no write of %s containing %q; writes: %q", waitTimeout, what, key, part, writes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForRemoval waits until key was removed from storage after the first
// n removals.
func (b *browser) waitForRemoval(what string, n int, key string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		b.mu.Lock()
		removals := append([]string(nil), b.removals...)
		b.mu.Unlock()
		for _, k := range removals[min(n, len(removals)):] {
			if k == key {
				return
			}
		}
		if time.Now().After(deadline) {
			_, writes, _ := b.snapshot()
			b.t.Fatalf("waiting %s for %s: %s was not removed; removals %q, writes %q", waitTimeout, what, key, removals, writes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// storageDump is everything the page's origin keeps in the browser.
type storageDump struct {
	Local     map[string]string `json:"local"`
	Session   map[string]string `json:"session"`
	IndexedDB []string          `json:"indexedDB"` // database names
	Cookie    string            `json:"cookie"`
	URL       string            `json:"url"`
}

const dumpStorageJS = `(async () => {
	const all = (s) => { const o = {}; for (let i = 0; i < s.length; i++) { const k = s.key(i); o[k] = s.getItem(k); } return o; };
	const dbs = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [];
	return { local: all(localStorage), session: all(sessionStorage), indexedDB: dbs, cookie: document.cookie, url: location.href };
})()`

func (b *browser) dumpStorage() storageDump {
	b.t.Helper()
	var d storageDump
	b.eval(dumpStorageJS, &d)
	return d
}

// graphqlRecorder is a real HTTP server in front of the helpdesk: it keeps
// the Authorization header and the body of every POST /graphql and passes
// every request on unchanged.
type graphqlRecorder struct {
	mu    sync.Mutex
	posts []recordedPost
}

type recordedPost struct {
	authorization string
	query         string
}

func (g *graphqlRecorder) handler(backend string) http.Handler {
	u, _ := url.Parse(backend)
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" && r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				Query string `json:"query"`
			}
			_ = json.Unmarshal(body, &req)
			g.mu.Lock()
			g.posts = append(g.posts, recordedPost{r.Header.Get("Authorization"), req.Query})
			g.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	})
}

// withAuthorization returns the queries that arrived with Authorization auth.
func (g *graphqlRecorder) withAuthorization(auth string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, p := range g.posts {
		if p.authorization == auth {
			out = append(out, p.query)
		}
	}
	return out
}

// startHelpdesk runs the helpdesk (GraphiQL at "/", GraphQL at "/graphql")
// behind a graphqlRecorder and returns the recorder's URL and an agent's
// bearer token.
func startHelpdesk(t *testing.T) (string, *graphqlRecorder, apitest.Person) {
	t.Helper()
	env := apitest.New(t, apitest.Options{})
	agent := env.Agent(t, "AGENT")
	if !strings.HasPrefix(agent.Token, "hd_") {
		t.Fatalf("issued token %q lacks the hd_ prefix", agent.Token)
	}
	rec := &graphqlRecorder{}
	front := httptest.NewServer(rec.handler(env.URL))
	t.Cleanup(front.Close)
	return front.URL, rec, agent
}

// logRequests logs the URLs the page requested, data: URLs cut short.
func logRequests(t *testing.T, requests []string) {
	t.Helper()
	for _, r := range requests {
		if len(r) > 100 {
			r = r[:100] + "…"
		}
		t.Logf("request: %s", r)
	}
}
