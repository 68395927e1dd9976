package server

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// The operation label of helpdesk_graphql_requests_total is the root field
// an operation selects (createTicket, ticket, tickets…): the schema bounds
// those names, where an operationName is whatever a client chose. An
// operation that selects several root fields, or one refused before it
// was validated (its field names may be anything), gets one of these.
const (
	labelSeveral = "(several)"
	labelInvalid = "(invalid)"
	// outcomeOK is the outcome of an operation answered without errors.
	outcomeOK = "ok"
	// observedExtension marks an operation counted by observeOperation, so
	// that observeRefusal counts only those refused before they ran.
	observedExtension = "helpdesk.observed"
)

// knownCodes are the outcomes besides ok: the contract's codes, which
// errorPresenter gives every error. Anything else counts as INTERNAL, so
// the label set stays what it is.
var knownCodes = map[string]bool{
	CodeUnauthenticated: true, CodeForbidden: true, CodeNotFound: true, CodeBadUserInput: true,
	CodeConflict: true, CodeInvalidTransition: true, CodeRateLimited: true, CodeUnavailable: true, CodeInternal: true,
}

// observeOperation is a gqlgen AroundOperations hook that counts each
// operation once with its outcome, times queries and mutations (a
// subscription lives for hours: it is counted when its first result or
// error comes, not timed), and names the operation on the request's
// trace span.
func (m *metrics) observeOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	oc.Stats.SetExtension(observedExtension, true)
	name := operationLabel(oc)
	timed := oc.Operation == nil || oc.Operation.Operation != ast.Subscription
	start := oc.Stats.OperationStart
	if start.IsZero() {
		start = time.Now()
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs := []attribute.KeyValue{attribute.String("graphql.operation.field", name)}
		if oc.Operation != nil {
			attrs = append(attrs, attribute.String("graphql.operation.type", string(oc.Operation.Operation)))
			if oc.Operation.Name != "" {
				attrs = append(attrs, attribute.String("graphql.operation.name", oc.Operation.Name))
			}
		}
		span.SetAttributes(attrs...)
	}
	h := next(ctx)
	counted := false
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if !counted {
			counted = true
			var errs gqlerror.List
			if resp != nil {
				errs = resp.Errors
			}
			m.operations.WithLabelValues(name, outcomeLabel(errs)).Inc()
			if timed {
				m.operationDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
			}
		}
		return resp
	}
}

// observeRefusal counts the operations refused before they ran (parse and
// validation errors, the depth and cost limits): gqlgen answers those
// through the response interceptors alone.
type observeRefusal struct{ m *metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = observeRefusal{}

func (observeRefusal) ExtensionName() string                   { return "ObserveRefusal" }
func (observeRefusal) Validate(graphql.ExecutableSchema) error { return nil }
func (o observeRefusal) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) || resp == nil {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Stats.GetExtension(observedExtension) != nil {
		return resp // counted by observeOperation
	}
	name := labelInvalid
	if !oc.Stats.Validation.End.IsZero() {
		name = operationLabel(oc) // validated: its fields are the schema's
	}
	o.m.operations.WithLabelValues(name, outcomeLabel(resp.Errors)).Inc()
	return resp
}

// operationLabel is the root field the operation selects (its aliases
// and fragments count as that one field), labelSeveral for several,
// labelInvalid when there is no operation.
func operationLabel(oc *graphql.OperationContext) string {
	if oc == nil || oc.Operation == nil {
		return labelInvalid
	}
	name := ""
	several, typename := false, false
	var walk func(ast.SelectionSet, int)
	walk = func(set ast.SelectionSet, depth int) {
		for _, sel := range set {
			if several {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == "__typename" {
					typename = true
					continue
				}
				if name != "" && name != s.Name {
					several = true
					return
				}
				name = s.Name
			case *ast.InlineFragment:
				walk(s.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				// Fragments may not form cycles (validation), but a
				// refused document is not validated: depth bounds it.
				if f := oc.Doc.Fragments.ForName(s.Name); f != nil && depth < MaxDepth {
					walk(f.SelectionSet, depth+1)
				}
			}
		}
	}
	if oc.Doc != nil {
		walk(oc.Operation.SelectionSet, 0)
	}
	switch {
	case several:
		return labelSeveral
	case name == "" && typename:
		return "__typename"
	case name == "":
		return labelInvalid
	}
	return name
}

// outcomeLabel is ok, or the extensions.code of the first error.
func outcomeLabel(errs gqlerror.List) string {
	if len(errs) == 0 {
		return outcomeOK
	}
	code, _ := errs[0].Extensions["code"].(string)
	if !knownCodes[code] {
		return CodeInternal
	}
	return code
}
