package graphiql

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const testEndpoint = "/graphql"

func get(t *testing.T, rawURL string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", rawURL, err)
	}
	return resp, string(body)
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler("Helpdesk GraphiQL", testEndpoint))
	t.Cleanup(srv.Close)
	return srv
}

func TestPage(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /: Content-Type %q, want text/html", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET /: Cache-Control %q, want no-cache", cc)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") ||
		!strings.Contains(csp, "script-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q does not restrict loads to the page's origin", csp)
	}
	for _, want := range []string{"GraphiQL", `data-endpoint="` + testEndpoint + `"`, "<title>Helpdesk GraphiQL</title>"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /: page lacks %q", want)
		}
	}
}

// sameOrigin resolves ref against base and reports whether the result is on
// base's origin (tests never fetch anything else).
func sameOrigin(base *url.URL, ref string) (string, bool) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	abs := base.ResolveReference(u)
	return abs.String(), abs.Scheme == base.Scheme && abs.Host == base.Host
}

var (
	tagRE  = regexp.MustCompile(`(?is)<(script|link)\b[^>]*>`)
	attrRE = regexp.MustCompile(`(?is)\b(src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
	relRE  = regexp.MustCompile(`(?is)\brel\s*=\s*"([^"]*)"`)
)

// pageRefs returns the src of every <script> and the href of every <link> in
// page, with the kind of resource each one is ("script", "stylesheet", "icon").
func pageRefs(t *testing.T, page string) map[string]string {
	t.Helper()
	refs := make(map[string]string)
	for _, tag := range tagRE.FindAllStringSubmatch(page, -1) {
		m := attrRE.FindStringSubmatch(tag[0])
		if m == nil {
			if strings.EqualFold(tag[1], "link") {
				t.Errorf("<link> without href: %s", tag[0])
			}
			continue // inline script
		}
		ref := m[2] + m[3] + m[4]
		kind := "script"
		if strings.EqualFold(tag[1], "link") {
			rel := relRE.FindStringSubmatch(tag[0])
			if rel == nil {
				t.Errorf("<link> without rel: %s", tag[0])
				continue
			}
			kind = strings.ToLower(rel[1])
		}
		refs[ref] = kind
	}
	return refs
}

func TestPageAssetsAreServedSameOrigin(t *testing.T) {
	srv := newServer(t)
	_, page := get(t, srv.URL+"/", nil)
	refs := pageRefs(t, page)
	if len(refs) < 6 { // 4 scripts, 2 stylesheets, 1 icon
		t.Fatalf("found only %d script/link URLs in the page: %v", len(refs), refs)
	}
	base, _ := url.Parse(srv.URL + "/")
	wantType := map[string]string{
		"script":     "text/javascript",
		"stylesheet": "text/css",
		"icon":       "image/svg+xml",
	}
	for ref, kind := range refs {
		u, err := url.Parse(ref)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if u.Scheme != "" || u.Host != "" {
			t.Errorf("%s (%s) is not a relative URL", ref, kind)
			continue
		}
		abs := base.ResolveReference(u)
		if !strings.HasPrefix(abs.Path, AssetPrefix) {
			t.Errorf("%s resolves to %s, outside %s", ref, abs.Path, AssetPrefix)
		}
		resp, body := get(t, abs.String(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s (%s): status %d", abs.Path, kind, resp.StatusCode)
			continue
		}
		if ct, want := resp.Header.Get("Content-Type"), wantType[kind]; want == "" || !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s (%s): Content-Type %q, want %q", abs.Path, kind, ct, want)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want a long max-age", abs.Path, cc)
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty body", abs.Path)
		}
		// The body (transparently gunzipped by the client) is the embedded file.
		name := strings.TrimPrefix(abs.Path, AssetPrefix+loadBundle().version+"/")
		if a := loadBundle().assets[name]; a == nil || string(a.body) != body {
			t.Errorf("GET %s: body is not the embedded asset %q", abs.Path, name)
		}
	}
}

var (
	// An attribute that makes the browser load a URL with a scheme or a
	// scheme-relative one (//host/...).
	remoteAttrRE = regexp.MustCompile(`(?is)\b(?:src|href|srcset|poster|data|action|formaction)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//`)
	// CSS url(...) of a remote resource, and any @import.
	remoteCSSURLRE = regexp.MustCompile(`(?is)url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//`)
	cssImportRE    = regexp.MustCompile(`(?i)@import`)
	anyHTTPURLRE   = regexp.MustCompile(`(?i)https?://[^\s"'<>)]*`)
)

func TestNoRemoteURLs(t *testing.T) {
	srv := newServer(t)
	_, page := get(t, srv.URL+"/", nil)
	if m := remoteAttrRE.FindAllString(page, -1); m != nil {
		t.Errorf("page loads remote URLs: %q", m)
	}
	if m := anyHTTPURLRE.FindAllString(page, -1); m != nil {
		t.Errorf("page contains http(s) URLs: %q", m)
	}
	if m := remoteCSSURLRE.FindAllString(page, -1); m != nil {
		t.Errorf("page's inline CSS loads remote URLs: %q", m)
	}
	base, _ := url.Parse(srv.URL + "/")
	sheets := 0
	for ref, kind := range pageRefs(t, page) {
		if kind != "stylesheet" {
			continue
		}
		sheets++
		abs, ok := sameOrigin(base, ref)
		if !ok {
			t.Errorf("stylesheet %s is not same-origin", ref)
			continue
		}
		_, css := get(t, abs, nil)
		if m := remoteCSSURLRE.FindAllString(css, -1); m != nil {
			t.Errorf("%s loads remote URLs: %q", ref, m)
		}
		if cssImportRE.MatchString(css) {
			t.Errorf("%s has an @import", ref)
		}
		// url(...) may only be data: URLs or same-origin relative ones.
		for _, m := range regexp.MustCompile(`(?is)url\(\s*["']?([^"')]{0,40})`).FindAllStringSubmatch(css, -1) {
			if v := strings.ToLower(strings.TrimSpace(m[1])); strings.Contains(v, ":") && !strings.HasPrefix(v, "data:") {
				t.Errorf("%s: url(%s...) is not a data: or relative URL", ref, m[1])
			}
		}
		// Namespaces such as http://www.w3.org/2000/svg inside data: URLs are
		// not loaded; anything else with a scheme would be worth a look.
		for _, m := range anyHTTPURLRE.FindAllString(css, -1) {
			if !strings.HasPrefix(m, "http://www.w3.org/") {
				t.Errorf("%s contains URL %q", ref, m)
			}
		}
	}
	if sheets == 0 {
		t.Error("page links no stylesheet")
	}
}

func TestNotFound(t *testing.T) {
	srv := newServer(t)
	v := loadBundle().version
	for _, p := range []string{
		"/nope",
		"/favicon.ico",
		"/index.html",
		AssetPrefix,
		AssetPrefix + v,
		AssetPrefix + v + "/",
		AssetPrefix + v + "/nope.js",
		AssetPrefix + v + "/graphiql/",
		AssetPrefix + v + "/graphiql/nope.js",
		AssetPrefix + v + "/app/index.html",           // the template is not an asset
		AssetPrefix + "0123456789ab/graphiql/LICENSE", // stale version
		AssetPrefix + "graphiql/graphiql.min.js",      // no version
	} {
		resp, _ := get(t, srv.URL+p, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestLicensesAndVersionsServed(t *testing.T) {
	srv := newServer(t)
	v := loadBundle().version
	for _, p := range []string{"graphiql/LICENSE", "react/LICENSE", "react-dom/LICENSE", "VERSIONS"} {
		resp, body := get(t, srv.URL+AssetPrefix+v+"/"+p, nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || body == "" {
			t.Errorf("GET %s: status %d, Content-Type %q, %d bytes", p, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	srv := newServer(t)
	for _, p := range []string{"/", AssetPrefix + loadBundle().version + "/app/init.js"} {
		resp, err := http.Post(srv.URL+p, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status %d, want 405", p, resp.StatusCode)
		}
	}
}

func TestHead(t *testing.T) {
	srv := newServer(t)
	resp, err := http.Head(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HEAD /: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestGzipAndConditionalGet(t *testing.T) {
	srv := newServer(t)
	p := srv.URL + AssetPrefix + loadBundle().version + "/graphiql/graphiql.min.js"
	plain, plainBody := get(t, p, http.Header{"Accept-Encoding": {"identity"}})
	if plain.Header.Get("Content-Encoding") != "" || len(plainBody) != len(loadBundle().assets["graphiql/graphiql.min.js"].body) {
		t.Fatalf("identity: Content-Encoding %q, %d bytes", plain.Header.Get("Content-Encoding"), len(plainBody))
	}
	gz, gzBody := get(t, p, http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if gz.Header.Get("Content-Encoding") != "gzip" || len(gzBody) >= len(plainBody) {
		t.Errorf("gzip: Content-Encoding %q, %d bytes (plain %d)", gz.Header.Get("Content-Encoding"), len(gzBody), len(plainBody))
	}
	if !strings.Contains(gz.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("gzip: Vary %q", gz.Header.Get("Vary"))
	}
	if plain.Header.Get("ETag") == "" || plain.Header.Get("ETag") == gz.Header.Get("ETag") {
		t.Errorf("ETags: identity %q, gzip %q", plain.Header.Get("ETag"), gz.Header.Get("ETag"))
	}
	notMod, _ := get(t, p, http.Header{"Accept-Encoding": {"identity"}, "If-None-Match": {plain.Header.Get("ETag")}})
	if notMod.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", notMod.StatusCode)
	}
}

func TestTitleAndEndpointAreEscaped(t *testing.T) {
	srv := httptest.NewServer(Handler(`<script>alert(1)</script>`, `/graphql?x="><script>`))
	defer srv.Close()
	_, page := get(t, srv.URL+"/", nil)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, `"><script>`) {
		t.Errorf("title or endpoint not escaped:\n%s", page)
	}
}

func TestWorksUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/ide/", http.StripPrefix("/ide", Handler("GraphiQL", testEndpoint)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, page := get(t, srv.URL+"/ide/", nil)
	base, _ := url.Parse(srv.URL + "/ide/")
	for ref := range pageRefs(t, page) {
		abs, ok := sameOrigin(base, ref)
		if !ok {
			t.Errorf("%s is not same-origin", ref)
			continue
		}
		if resp, _ := get(t, abs, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("under /ide/: GET %s: status %d", ref, resp.StatusCode)
		}
	}
}

func TestAssetsSize(t *testing.T) {
	total := 0
	for _, a := range loadBundle().assets {
		total += len(a.body)
	}
	if total > 4<<20 {
		t.Errorf("embedded assets total %d bytes, over 4 MiB", total)
	}
	t.Logf("embedded assets: %d bytes, version %s", total, loadBundle().version)
}
