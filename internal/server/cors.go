package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coder/websocket"
	"github.com/rs/cors"
)

// corsMaxAge lets a browser cache a preflight answer for ten minutes: the
// allowed origins change only with the configuration.
const corsMaxAge = 600

// withCORS lets the pages of origins (HELPDESK_CORS_ORIGINS; "*" for any)
// call h from a browser: preflight OPTIONS is answered, Authorization and
// Content-Type may be sent, Retry-After and WWW-Authenticate read.
// Credentials (cookies, HTTP auth) are never allowed: tokens travel in the
// Authorization header. Without origins, h is same-origin only.
func withCORS(origins []string, h http.Handler) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type"},
		ExposedHeaders:   []string{"Retry-After", "WWW-Authenticate"},
		MaxAge:           corsMaxAge,
		AllowCredentials: false,
	}).Handler(h)
}

// originAllowed checks a WebSocket upgrade's Origin against origins, as
// the browser checks CORS for HTTP: a request without Origin (a partner
// integration, a CLI, a server-side client) and a same-origin one are
// allowed, a cross-origin one only from a listed origin.
func originAllowed(r *http.Request, origins []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || slices.Contains(origins, "*") {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(origins, func(o string) bool { return strings.EqualFold(o, u.Scheme+"://"+u.Host) })
}

// acceptOptions makes the WebSocket library check the Origin by the same
// rule (originAllowed has answered first, with a clear error).
func acceptOptions(origins []string) websocket.AcceptOptions {
	if slices.Contains(origins, "*") {
		// Configured so: any origin. Safe only because no credential
		// travels in cookies (a page must hold a token to use one).
		return websocket.AcceptOptions{InsecureSkipVerify: true}
	}
	// Each origin is scheme://host[:port] without wildcards (config checks
	// it), which the library matches exactly against the request's.
	return websocket.AcceptOptions{OriginPatterns: origins}
}
