// Package server is the HTTP face of helpdesk: GraphQL over HTTP and
// WebSocket (graphql-transport-ws) on /graphql, the offline GraphiQL at /,
// /healthz, /readyz and /metrics, with the limits that keep one client from
// hurting the rest (body size, rate per token, query depth, aliases and
// complexity).
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"helpdesk/ent"
	"helpdesk/graph"
	"helpdesk/graph/generated"
	"helpdesk/internal/auth"
	"helpdesk/internal/eventtail"
	"helpdesk/internal/graphiql"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

// Limits of one request (SPEC §8).
const (
	// MaxBodyBytes refuses larger request bodies with 413.
	MaxBodyBytes = 1 << 20
	// MaxDepth is deeper than any real portal query (and than GraphiQL's
	// introspection, about 13) but far from a hostile 50 levels.
	MaxDepth = 20
	// MaxAliases allows batching a few dozen lookups in one request.
	MaxAliases = 100
	// parserTokenLimit bounds the parse work of one document.
	parserTokenLimit = 20000
	// DefaultBodyReadTimeout is how long a request body may take to
	// arrive: a 1 MiB body needs well under a second on any real link,
	// while a body trickled a byte a second would hold a connection and a
	// goroutine for days.
	DefaultBodyReadTimeout = 10 * time.Second
)

// Options are what the server needs.
type Options struct {
	Client *ent.Client
	Logger *slog.Logger
	// RateLimit is requests per second per token (burst twice that); 0 is off.
	RateLimit float64
	// Ready reports whether the process can serve (database, Temporal).
	Ready func(context.Context) error
	// AfterMutation runs after each mutation has committed (kicks the
	// outbox, so its workflow hears of the change at once).
	AfterMutation func()
	// Events is the event tail subscriptions listen to; nil makes one
	// (kicked after each mutation).
	Events *eventtail.Tail
	// Registry receives the metrics; nil means a new one.
	Registry *prometheus.Registry
	// CORSOrigins may call the API from a browser (scheme://host[:port],
	// or "*" for any); none means same-origin only. WebSocket upgrades
	// are checked against the same list.
	CORSOrigins []string
	// MaxSubscriptionsPerConnection and MaxSubscriptionsPerToken cap the
	// open subscriptions; 0 means the defaults.
	MaxSubscriptionsPerConnection, MaxSubscriptionsPerToken int
	// BodyReadTimeout bounds the time to receive a request body; 0 means
	// DefaultBodyReadTimeout.
	BodyReadTimeout time.Duration
	// SocketInitTimeout closes a WebSocket that sends no connection_init
	// in time; 0 means DefaultSocketInitTimeout.
	SocketInitTimeout time.Duration
	// AuthFailureRate (per second) and AuthFailureBurst limit failed
	// authentications per client address; 0 means the defaults
	// (DefaultAuthFailureRate, DefaultAuthFailureBurst), a negative rate
	// turns the limit off (tests that send many bad tokens).
	AuthFailureRate  float64
	AuthFailureBurst int
	// MaxResponseObjects bounds the objects of one query's answer; 0 is
	// MaxResponseObjects (tests lower it to reach it with little data).
	MaxResponseObjects int
	// MetricsElsewhere leaves /metrics out: another listener serves Registry.
	MetricsElsewhere bool
	// Clock, if set, is the instant of every change a request makes
	// (ticketing.WithClock); nil is the wall clock. Tests pass a clock
	// they control.
	Clock func() time.Time
}

// New returns the HTTP handler of the API.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.BodyReadTimeout <= 0 {
		o.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if o.Events == nil {
		o.Events = &eventtail.Tail{DB: o.Client, Logger: o.Logger}
	}
	after, tail := o.AfterMutation, o.Events
	o.AfterMutation = func() {
		tail.Kick()
		if after != nil {
			after()
		}
	}
	m := newMetrics(o.Registry)
	limiter := newRateLimiter(o.RateLimit)
	guard := newAuthGuard(o.Client, o.AuthFailureRate, o.AuthFailureBurst)
	ws := newSockets(o, limiter, guard)
	gql := newGraphQL(o, ws, m)

	mux := http.NewServeMux()
	mux.Handle("/graphql", m.instrument("graphql", withCORS(o.CORSOrigins, gqlEndpoint(o, gql, limiter, guard))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if o.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			if err := o.Ready(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "not ready: "+err.Error()+"\n")
				return
			}
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	if !o.MetricsElsewhere {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{}))
	}
	mux.Handle("/", graphiql.Handler("helpdesk", "/graphql"))
	return withAccessLog(o.Logger, withBodyDeadline(mux, o.BodyReadTimeout))
}

// newGraphQL builds the gqlgen server.
func newGraphQL(o Options, ws *sockets, m *metrics) *handler.Server {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{
		Client: o.Client, ErrorPresenter: errorPresenter(o.Logger), Events: o.Events},
		Complexity: complexityRoot(),
	}))
	srv.AddTransport(ws.transport())
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(parserTokenLimit)
	// The first extension is the outermost: it sees every answer's errors.
	srv.Use(noteUnavailable{})
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(queryLimits{MaxDepth: MaxDepth, MaxAliases: MaxAliases})
	srv.Use(&costLimit{})
	srv.Use(refuseNUL{})
	srv.AroundRootFields(requireViewer)
	srv.AroundResponses(countResponses(o.MaxResponseObjects))
	srv.AroundFields(countObjects)
	srv.Use(transactioner{client: o.Client, present: errorPresenter(o.Logger)})
	srv.AroundOperations(recordOperation)
	srv.Use(operations{ws})
	srv.AroundOperations(singleResult(o.AfterMutation))
	srv.AroundFields(liveViewer)
	srv.AroundFields(noteTicket)
	// Registered last, so outermost: they see every answer as sent.
	srv.AroundOperations(m.observeOperation)
	srv.Use(observeRefusal{m})
	srv.SetErrorPresenter(errorPresenter(o.Logger))
	srv.SetRecoverFunc(recoverFunc(o.Logger))
	return srv
}

// gqlEndpoint guards /graphql: method, body size and read time,
// well-formed JSON, no mutation over GET, a WebSocket's Origin, the bearer
// token (under the failed-authentication limit) and the rate limit; then
// GraphQL.
func gqlEndpoint(o Options, gql http.Handler, limiter *rateLimiter, guard *authGuard) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			if r.ContentLength > MaxBodyBytes {
				writeError(w, http.StatusRequestEntityTooLarge, CodeBadUserInput, "request body over 1 MiB")
				return
			}
			if !isJSON(r.Header.Get("Content-Type")) {
				writeError(w, http.StatusUnsupportedMediaType, CodeBadUserInput, `send the request as Content-Type: application/json, {"query": "...", "variables": {...}}`)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
			// The body is in (withBodyDeadline set the limit): the handler
			// may take its time, and a deadline left set would cancel it.
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, CodeBadUserInput, "request body over 1 MiB")
				return
			} else if errors.Is(err, os.ErrDeadlineExceeded) {
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusRequestTimeout, CodeBadUserInput, fmt.Sprintf("the request body did not arrive within %v; send it at once", o.BodyReadTimeout))
				return
			} else if err != nil {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, "could not read the request body")
				return
			}
			if !json.Valid(body) {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, `the request body is not valid JSON; send {"query": "...", "variables": {...}}`)
				return
			}
			if msg := checkParams(body); msg != "" {
				writeError(w, http.StatusBadRequest, CodeBadUserInput, msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json") // what gqlgen's POST transport takes
		case http.MethodGet:
			if !isWebSocketUpgrade(r) && isMutation(r) {
				w.Header().Set("Allow", "POST")
				writeError(w, http.StatusMethodNotAllowed, CodeBadUserInput, "mutations and subscriptions are not sent over GET; use POST (or WebSocket for subscriptions)")
				return
			}
		case http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, CodeBadUserInput, "use POST (or GET for queries)")
			return
		}
		ctx := r.Context()
		ip := clientIP(r)
		key := "ip:" + ip
		if isWebSocketUpgrade(r) {
			if !originAllowed(r, o.CORSOrigins) {
				writeError(w, http.StatusForbidden, CodeForbidden, "WebSocket connections from the origin "+r.Header.Get("Origin")+" are not allowed (see HELPDESK_CORS_ORIGINS)")
				return
			}
			ctx = withSocket(ctx, &socket{ip: ip})
		}
		if token := auth.BearerToken(r.Header.Get("Authorization")); token != "" {
			v, err := guard.authenticate(ctx, ip, token)
			var tooMany tooManyFailures
			if errors.As(err, &tooMany) {
				w.Header().Set("Retry-After", strconv.Itoa(retryAfter(tooMany.retry)))
				writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many failed authentications from your address; retry after the Retry-After seconds")
				return
			} else if errors.Is(err, viewer.ErrUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="helpdesk"`)
				writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "unknown or revoked token, or its owner is deactivated")
				return
			} else if err != nil && unreachable(err) {
				o.Logger.WarnContext(ctx, "server: authenticating: database unreachable", "err", err)
				w.Header().Set("Retry-After", strconv.Itoa(retryAfter(UnavailableRetryAfter)))
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, unavailableMessage)
				return
			} else if err != nil {
				o.Logger.ErrorContext(ctx, "server: authenticating", "err", err)
				writeError(w, http.StatusServiceUnavailable, CodeInternal, "could not check the token; try again")
				return
			}
			ctx = viewer.NewContext(ctx, v)
			noteViewer(ctx, v)
			key = "token:" + strconv.Itoa(v.TokenID)
		} else if r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="helpdesk"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "the Authorization header must be: Bearer <token>")
			return
		}
		if ok, retry := limiter.allow(key); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(retry)))
			writeError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded; slow down and retry after the Retry-After seconds")
			return
		}
		if o.Clock != nil {
			ctx = ticketing.WithClock(ctx, o.Clock)
		}
		if !isWebSocketUpgrade(r) {
			out := &outage{}
			ctx = withOutage(ctx, out)
			w = &outageWriter{ResponseWriter: w, o: out}
		}
		gql.ServeHTTP(w, r.WithContext(ctx))
	})
}

// isMutation reports whether a GET request asks for a mutation or a
// subscription (which GET must not run).
func isMutation(r *http.Request) bool {
	q := r.URL.Query().Get("query")
	if q == "" {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		return false // gqlgen reports the parse error
	}
	name := r.URL.Query().Get("operationName")
	for _, op := range doc.Operations {
		if (name == "" || op.Name == name) && op.Operation != ast.Query {
			return true
		}
	}
	return false
}

// isJSON reports whether a POST's Content-Type is JSON, the one body the
// GraphQL endpoint reads. A request without a Content-Type is read as
// JSON too (its body is checked next), so a terse client still works.
func isJSON(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || mt == "application/graphql+json")
}

// checkParams checks a POST body is a GraphQL-over-HTTP request: a JSON
// object whose query and operationName are strings and whose variables
// and extensions are objects (or null). It returns what is wrong, or "".
func checkParams(body []byte) string {
	var params map[string]json.RawMessage
	if err := json.Unmarshal(body, &params); err != nil || params == nil {
		return `the request body must be a JSON object: {"query": "...", "variables": {...}}`
	}
	for _, key := range []string{"query", "operationName"} {
		if v, ok := params[key]; ok && !isNull(v) {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return key + " must be a string"
			}
		}
	}
	for _, key := range []string{"variables", "extensions"} {
		if v, ok := params[key]; ok && !isNull(v) {
			var m map[string]json.RawMessage
			if json.Unmarshal(v, &m) != nil {
				return key + " must be a JSON object"
			}
		}
	}
	return ""
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// writeError answers with a GraphQL-shaped error body.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// withBodyDeadline bounds the time a request body may take to arrive (the
// GraphQL endpoint clears the deadline once it has read the body).
// Requests without a body — WebSocket upgrades among them — get none, so
// a long-lived socket is not cut.
func withBodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && !isWebSocketUpgrade(r) {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}

func isWebSocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}
