package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"helpdesk/ent"
	"helpdesk/internal/auth"
	"helpdesk/internal/viewer"
)

// Defaults of the subscription caps (Options, HELPDESK_MAX_SUBSCRIPTIONS_*).
const (
	// DefaultMaxSubscriptionsPerConnection is more than a portal page
	// needs (one stream of all its tickets plus a few open tickets).
	DefaultMaxSubscriptionsPerConnection = 10
	// DefaultMaxSubscriptionsPerToken allows a person a few tabs or
	// devices while bounding what one token costs: an idle subscription
	// polls two indexed queries every 300 ms.
	DefaultMaxSubscriptionsPerToken = 25
)

const (
	// DefaultSocketInitTimeout closes a WebSocket that sends no
	// connection_init: ample for any client, and an unauthenticated socket
	// costs a goroutine and a connection for no longer than that.
	DefaultSocketInitTimeout = 10 * time.Second
	// wsKeepAlive is the keep-alive of the legacy graphql-ws protocol.
	wsKeepAlive = 10 * time.Second
)

// The close codes of graphql-transport-ws for a refused connection_init.
const (
	closeForbidden       = 4403 // bad or missing token
	closeTooManyRequests = 4429 // over the failed-authentication limit
	closeInternal        = 1011 // the token could not be checked
	closeTryAgainLater   = 1013 // the database is unreachable: retry shortly
)

// socket is the state of one WebSocket connection, put in the context of
// its upgrade request (and so of every operation on it).
type socket struct {
	ip            string
	subscriptions int // guarded by sockets.mu
}

type socketKey struct{}

func withSocket(ctx context.Context, s *socket) context.Context {
	return context.WithValue(ctx, socketKey{}, s)
}

// socketFrom is the WebSocket an operation came on, or nil for HTTP.
func socketFrom(ctx context.Context) *socket {
	s, _ := ctx.Value(socketKey{}).(*socket)
	return s
}

// sockets serves GraphQL over WebSocket (graphql-transport-ws): the
// connection authenticates once, in the upgrade's Authorization header or
// in connection_init, and then every operation on it is authorized as of
// now — the token's owner is re-read per operation (a deactivated owner
// gets UNAUTHENTICATED, a changed role applies at once), each operation is
// rate limited like an HTTP request with the same token, and subscriptions
// are capped per connection and per token.
type sockets struct {
	client   *ent.Client
	log      *slog.Logger
	limiter  *rateLimiter
	guard    *authGuard
	origins  []string
	perConn  int
	perToken int
	initWait time.Duration

	mu      sync.Mutex
	byToken map[int]int // open subscriptions per token, in this process
}

func newSockets(o Options, limiter *rateLimiter, guard *authGuard) *sockets {
	s := &sockets{client: o.Client, log: o.Logger, limiter: limiter, guard: guard, origins: o.CORSOrigins,
		perConn: o.MaxSubscriptionsPerConnection, perToken: o.MaxSubscriptionsPerToken, initWait: o.SocketInitTimeout,
		byToken: map[int]int{}}
	if s.perConn <= 0 {
		s.perConn = DefaultMaxSubscriptionsPerConnection
	}
	if s.perToken <= 0 {
		s.perToken = DefaultMaxSubscriptionsPerToken
	}
	if s.initWait <= 0 {
		s.initWait = DefaultSocketInitTimeout
	}
	return s
}

// transport is the gqlgen WebSocket transport.
func (s *sockets) transport() transport.Websocket {
	return transport.Websocket{
		KeepAlivePingInterval: wsKeepAlive,
		InitTimeout:           s.initWait,
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: acceptOptions(s.origins)},
		InitFunc:              s.init,
	}
}

// init authenticates connection_init (unless the upgrade request did).
// The acknowledgement carries no payload: nothing a client sent as a
// credential comes back.
func (s *sockets) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if viewer.FromContext(ctx).Kind != viewer.Anonymous {
		return ctx, nil, nil // authenticated by the upgrade request's header
	}
	ip := ""
	if sock := socketFrom(ctx); sock != nil {
		ip = sock.ip
	}
	v, err := s.guard.authenticate(ctx, ip, auth.BearerToken(p.Authorization()))
	var tooMany tooManyFailures
	switch {
	case errors.As(err, &tooMany):
		return refuse(ctx, closeTooManyRequests, "too many failed authentications; retry later"), nil, err
	case errors.Is(err, viewer.ErrUnauthenticated):
		return refuse(ctx, closeForbidden, "unauthenticated: send a valid token"), nil, err
	case unreachable(err):
		s.log.WarnContext(ctx, "server: authenticating a WebSocket: database unreachable", "err", err)
		return refuse(ctx, closeTryAgainLater, unavailableMessage), nil, err
	case err != nil:
		s.log.ErrorContext(ctx, "server: authenticating a WebSocket", "err", err)
		return refuse(ctx, closeInternal, "could not check the token; try again"), nil, err
	}
	return viewer.NewContext(ctx, v), nil, nil
}

// refuse closes the connection with code and reason (at most 123 bytes).
func refuse(ctx context.Context, code int, reason string) context.Context {
	return transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
}

// acquire counts one more subscription of token on sock, or refuses it
// over a cap; release (idempotent) gives it back.
func (s *sockets) acquire(sock *socket, token int) (release func(), err *gqlerror.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sock.subscriptions >= s.perConn {
		return nil, codedError(CodeRateLimited, "at most %d subscriptions per connection; complete one first", s.perConn)
	}
	if s.byToken[token] >= s.perToken {
		return nil, codedError(CodeRateLimited, "at most %d subscriptions per token; complete one first", s.perToken)
	}
	sock.subscriptions++
	s.byToken[token]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			sock.subscriptions--
			if s.byToken[token]--; s.byToken[token] <= 0 {
				delete(s.byToken, token)
			}
		})
	}, nil
}

// operations is the extension that authorizes every operation on a socket.
type operations struct{ s *sockets }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationInterceptor
} = operations{}

// ExtensionName names the extension.
func (operations) ExtensionName() string { return "SocketOperations" }

// Validate accepts any schema.
func (operations) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters applies the per-token rate limit to an
// operation on a socket before it is even parsed.
func (o operations) MutateOperationParameters(ctx context.Context, _ *graphql.RawParams) *gqlerror.Error {
	if socketFrom(ctx) == nil {
		return nil // HTTP: limited in gqlEndpoint
	}
	v := viewer.FromContext(ctx)
	if ok, retry := o.s.limiter.allow("token:" + strconv.Itoa(v.TokenID)); !ok {
		e := codedError(CodeRateLimited, "rate limit exceeded; slow down and retry after %d s", retryAfter(retry))
		e.Extensions["retryAfter"] = retryAfter(retry)
		return e
	}
	return nil
}

// InterceptOperation runs an operation on a socket as the token's owner of
// now, and counts its subscriptions. Subscriptions over HTTP are refused.
func (o operations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx).Operation
	subscription := op != nil && op.Operation == ast.Subscription
	sock := socketFrom(ctx)
	if sock == nil {
		if subscription {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{codedError(CodeBadUserInput,
				"subscriptions are served over WebSocket (graphql-transport-ws) on /graphql, not over HTTP")}})
		}
		return next(ctx)
	}
	v, err := auth.Recheck(ctx, o.s.client, viewer.FromContext(ctx))
	if err != nil {
		code, msg := classify(err)
		if code == CodeInternal {
			o.s.log.ErrorContext(ctx, "server: rechecking a WebSocket's token", "err", err)
			msg = "could not check the token; try again"
		}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{codedError(code, "%s", msg)}})
	}
	if !subscription {
		return next(viewer.NewContext(ctx, v))
	}
	release, cerr := o.s.acquire(sock, v.TokenID)
	if cerr != nil {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{cerr}})
	}
	h := next(auth.NewLiveContext(ctx, v))
	return func(ctx context.Context) *graphql.Response {
		ended := true // also when h panics
		defer func() {
			if ended {
				release()
			}
		}()
		res := h(ctx)
		ended = res == nil
		return res
	}
}

// liveViewer resolves each field of a subscription's events as the
// subscriber of now (auth.Live, refreshed by each poll), not as the one
// who subscribed: an edge such as ticket { organization { tickets } }
// follows a role taken away meanwhile.
func liveViewer(ctx context.Context, next graphql.Resolver) (any, error) {
	if l := auth.LiveFromContext(ctx); l != nil {
		ctx = viewer.NewContext(ctx, l.Viewer())
	}
	return next(ctx)
}

// singleResult makes a query or mutation yield one result on every
// transport. graphql-transport-ws asks the response handler for results
// until it answers nil; asking a query or mutation a second time ran the
// response interceptors again, and entgql.Transactioner then opened a
// second transaction and dereferenced the nil response (a panic after the
// commit: the client got the data, then an INTERNAL error). after, if not
// nil, runs once a mutation's transaction has ended.
func singleResult(after func()) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		op := graphql.GetOperationContext(ctx).Operation
		if op == nil || op.Operation == ast.Subscription {
			return next(ctx)
		}
		h := next(ctx)
		done := false
		return func(ctx context.Context) *graphql.Response {
			if done {
				return nil
			}
			done = true
			res := h(ctx) // a mutation's transaction has committed (or rolled back)
			if op.Operation == ast.Mutation && after != nil {
				after()
			}
			return res
		}
	}
}

// codedError is an error with the contract's extensions.code.
func codedError(code, format string, a ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, a...), Extensions: map[string]any{"code": code}}
}
