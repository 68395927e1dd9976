// Package graphiql serves an offline GraphiQL IDE for the product's GraphQL
// endpoint.
//
// Everything the page loads — scripts, stylesheets, fonts — is embedded in the
// binary with go:embed, so the IDE works without any CDN or other external
// request. The vendored files under assets/ are the unmodified browser builds
// published on npm (graphiql 3.9.0 UMD, react and react-dom 18.3.1 UMD; see
// assets/VERSIONS) and are reproduced or upgraded with update-assets.sh.
// Our own files (the page template, its boot script and stylesheet) live in
// web/.
//
// # URL layout
//
// Handler is meant to be mounted at "/" (it also works under a prefix with
// http.StripPrefix, as all URLs in the page are relative):
//
//	/                                    the HTML page (Cache-Control: no-cache)
//	/graphiql/<version>/graphiql/...     graphiql.min.js, graphiql.min.css, LICENSE
//	/graphiql/<version>/react/...        react.production.min.js, LICENSE
//	/graphiql/<version>/react-dom/...    react-dom.production.min.js, LICENSE
//	/graphiql/<version>/app/...          init.js, page.css, favicon.svg (ours)
//	/graphiql/<version>/VERSIONS         npm package versions of the vendored files
//
// <version> is a hash of the content of all assets, so asset URLs change
// whenever any asset does, and assets are served with a one-year immutable
// Cache-Control. Any other path, including an asset path with a stale
// version, is 404.
//
// # Endpoint
//
// Queries and mutations are sent as HTTP POST to the endpoint given to
// Handler; subscriptions use a WebSocket on the same path with the
// graphql-transport-ws protocol (ws:// or wss:// following the page's scheme).
// The JSON object typed in GraphiQL's Headers tab, e.g.
// {"Authorization": "Bearer <token>"}, is sent as HTTP headers and as the
// WebSocket connection_init payload.
//
// # Credentials
//
// The page stores no credential in the browser. GraphiQL keeps its tabs,
// query history and favourites in localStorage, and its history saves each
// run's headers even with shouldPersistHeaders off; so web/init.js gives
// GraphiQL a localStorage wrapper that nulls the headers of every saved tab,
// history entry and favourite, never writes "graphiql:headers", refuses any
// write holding a header value the page has sent, and on load cleans what
// earlier versions of the page stored. Queries, variables and the history
// itself are still kept. Nothing goes to sessionStorage, IndexedDB, cookies
// or the URL. The browser tests (browser_test.go, headless Chromium) check
// this against the running server.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// AssetPrefix is the URL path, relative to where Handler is mounted, under
// which Handler serves the page's static assets (followed by a content
// version and the file name, e.g. "/graphiql/1a2b3c4d5e6f/graphiql/graphiql.min.js").
const AssetPrefix = "/graphiql/"

//go:embed assets web
var files embed.FS

// asset is one static file served under AssetPrefix.
type asset struct {
	body        []byte
	contentType string
	etag        string

	gzipOnce sync.Once
	gzipBody []byte // nil when compressing does not pay off
}

// gzipped returns the gzip-compressed body, computed on first use, or nil if
// the asset is not worth compressing.
func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		if len(a.body) < 1024 || !compressible(a.contentType) {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		_ = zw.Close()
		if buf.Len() < len(a.body) {
			a.gzipBody = buf.Bytes()
		}
	})
	return a.gzipBody
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.HasPrefix(contentType, "image/svg+xml")
}

// bundle is the set of assets built once from the embedded files.
type bundle struct {
	version string            // content hash used in asset URLs
	assets  map[string]*asset // by path below AssetPrefix+version+"/"
	page    *template.Template
}

var loadBundle = sync.OnceValue(func() *bundle {
	b := &bundle{assets: make(map[string]*asset)}
	add := func(root, prefix string) {
		err := fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := prefix + strings.TrimPrefix(p, root+"/")
			if name == "app/index.html" {
				return nil // the page template, served at "/"
			}
			body, err := files.ReadFile(p)
			if err != nil {
				return err
			}
			b.assets[name] = &asset{body: body, contentType: contentTypeOf(name)}
			return nil
		})
		if err != nil {
			panic("graphiql: reading embedded files: " + err.Error())
		}
	}
	add("assets", "")
	add("web", "app/")

	names := make([]string, 0, len(b.assets))
	for name := range b.assets {
		names = append(names, name)
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		a := b.assets[name]
		sum := sha256.Sum256(a.body)
		a.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
		all.Write([]byte(name))
		all.Write([]byte{0})
		all.Write(sum[:])
	}
	b.version = hex.EncodeToString(all.Sum(nil))[:12]

	b.page = template.Must(template.ParseFS(files, "web/index.html"))
	return b
})

// contentTypeOf returns the Content-Type for an asset name. It does not use
// mime.TypeByExtension, whose answers depend on the host's mime tables.
func contentTypeOf(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".html":
		return "text/html; charset=utf-8"
	default: // LICENSE, VERSIONS
		return "text/plain; charset=utf-8"
	}
}

// handler serves the page and its assets; see the package documentation.
type handler struct {
	b    *bundle
	page []byte
	csp  string
}

// Handler returns an http.Handler, to be mounted at "/", that serves an
// offline GraphiQL IDE titled title for the GraphQL endpoint endpoint
// (normally "/graphql" on the same host; a path is resolved against the
// page's URL). It serves the HTML page at "/" and its embedded assets under
// AssetPrefix; every other path is 404 and methods other than GET and HEAD
// are 405. See the package documentation for the URL layout and caching.
func Handler(title, endpoint string) http.Handler {
	b := loadBundle()
	var page bytes.Buffer
	err := b.page.Execute(&page, struct {
		Title, Endpoint, Assets string
	}{
		Title:    title,
		Endpoint: endpoint,
		// Relative, so that the page also works when mounted under a prefix.
		Assets: strings.TrimPrefix(AssetPrefix, "/") + b.version + "/",
	})
	if err != nil {
		panic("graphiql: rendering page: " + err.Error())
	}
	return &handler{b: b, page: page.Bytes(), csp: contentSecurityPolicy(endpoint)}
}

// contentSecurityPolicy lets the page load nothing but its own same-origin
// assets (plus the data: fonts and images inlined in GraphiQL's stylesheet)
// and connect only to its own origin over HTTP and WebSocket, or to endpoint's
// origin if endpoint is an absolute URL.
func contentSecurityPolicy(endpoint string) string {
	connect := []string{"'self'", "ws:", "wss:"}
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" &&
		(u.Scheme == "http" || u.Scheme == "https") {
		connect = append(connect, u.Scheme+"://"+u.Host)
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		// GraphiQL and its UI libraries set inline styles and insert <style> elements.
		"style-src 'self' 'unsafe-inline'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'self'",
	}, "; ")
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var a *asset
	switch {
	case p == "/" || p == "":
	case strings.HasPrefix(p, AssetPrefix):
		version, name, _ := strings.Cut(strings.TrimPrefix(p, AssetPrefix), "/")
		if version == h.b.version {
			a = h.b.assets[name]
		}
		if a == nil {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	if a == nil {
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", h.csp)
		hdr.Set("Referrer-Policy", "no-referrer")
		writeBody(w, r, h.page)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	body, etag := a.body, a.etag
	if gz := a.gzipped(); gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = gz, strings.TrimSuffix(etag, `"`)+`-gzip"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, r, body)
}

// writeBody writes body with its Content-Length, or only the headers for HEAD.
func writeBody(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// etagMatches reports whether an If-None-Match header value matches etag
// (weak comparison, as RFC 9110 requires for If-None-Match).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
