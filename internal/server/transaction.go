package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"helpdesk/ent"
)

// errCommitUnknown marks a commit that failed: the database may have
// applied it before the failure reached us.
var errCommitUnknown = errors.New("server: committing the mutation's transaction")

// transactioner runs each mutation in one transaction, its root fields
// one after the other, as entgql.Transactioner does — but a failure to
// begin or to commit goes through the error presenter with its cause, so
// an unreachable database answers UNAVAILABLE (entgql's turns the cause
// into text, which could only be INTERNAL).
type transactioner struct {
	client  *ent.Client
	present graphql.ErrorPresenterFunc
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = transactioner{}

func (transactioner) ExtensionName() string                   { return "Transactioner" }
func (transactioner) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext serializes a mutation's field resolvers: they
// share one transaction.
func (transactioner) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if !isMutationOp(oc.Operation) {
		return nil
	}
	previous := oc.ResolverMiddleware
	var mu sync.Mutex
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return previous(ctx, next)
	}
	return nil
}

// InterceptResponse runs a mutation in a transaction, committed when it
// answers without errors and rolled back otherwise.
func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !isMutationOp(graphql.GetOperationContext(ctx).Operation) {
		return next(ctx)
	}
	tx, err := t.client.Tx(ctx)
	if err != nil {
		return t.fail(ctx, fmt.Errorf("server: beginning the mutation's transaction: %w", err))
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	resp := next(ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client()))
	if resp == nil || len(resp.Errors) > 0 {
		_ = tx.Rollback()
		if resp == nil {
			return nil
		}
		return &graphql.Response{Errors: resp.Errors}
	}
	if err := tx.Commit(); err != nil {
		return t.fail(ctx, fmt.Errorf("%w: %w", errCommitUnknown, err))
	}
	return resp
}

// fail answers err alone, through the error presenter.
func (t transactioner) fail(ctx context.Context, err error) *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{t.present(ctx, err)}}
}

func isMutationOp(op *ast.OperationDefinition) bool {
	return op != nil && op.Operation == ast.Mutation
}

// outage notes, between the GraphQL answer and its HTTP response, that an
// error of the answer is UNAVAILABLE: the response is then a 503 with
// Retry-After, which a client, proxy or load balancer retries by itself.
type outage struct{ unavailable atomic.Bool }

type outageKey struct{}

func withOutage(ctx context.Context, o *outage) context.Context {
	return context.WithValue(ctx, outageKey{}, o)
}

// noteUnavailable is a gqlgen response interceptor that marks the
// request's outage when the answer holds an UNAVAILABLE error.
type noteUnavailable struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = noteUnavailable{}

func (noteUnavailable) ExtensionName() string                   { return "NoteUnavailable" }
func (noteUnavailable) Validate(graphql.ExecutableSchema) error { return nil }
func (noteUnavailable) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	o, _ := ctx.Value(outageKey{}).(*outage)
	if resp == nil || o == nil {
		return resp
	}
	for _, e := range resp.Errors {
		if code, _ := e.Extensions["code"].(string); code == CodeUnavailable {
			o.unavailable.Store(true)
		}
	}
	return resp
}

// outageWriter turns the 200 of a GraphQL answer holding an UNAVAILABLE
// error into 503 with Retry-After.
type outageWriter struct {
	http.ResponseWriter
	o     *outage
	wrote bool
}

func (w *outageWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if code == http.StatusOK && w.o.unavailable.Load() {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(UnavailableRetryAfter)))
			code = http.StatusServiceUnavailable
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *outageWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *outageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
