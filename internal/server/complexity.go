package server

// What one operation may cost, measured before it runs, and how much one
// answer may hold, counted while it runs (SPEC §8).
//
// The cost rule. Every field costs 1 plus the cost of its selection, except:
//
//   - a connection (tickets, organizations, contacts, agents,
//     Organization.tickets) costs 1 + n × its selection, where n is first or
//     last (the larger when both are given, 100 when neither);
//   - nodes(ids) costs 1 + len(ids) × its selection;
//   - Ticket.slaClocks, a list of exactly two (fixedLists), costs
//     1 + 2 × its selection;
//   - any other list of objects (Ticket.events, comments, notifications,
//     Organization.contacts, services, slaPolicies, escalationTables,
//     Viewer.partnerOrganizations, a policy's openingHours and targets, an
//     escalation table's levels, a clock's pausedIntervals) has no page
//     size and costs
//     1 + listEstimate × its selection;
//   - introspection (__schema) costs nothing.
//
// An operation that costs more than MaxComplexity is refused before any SQL
// with BAD_USER_INPUT (reason COMPLEXITY_LIMIT_EXCEEDED). Because lists
// without a page size are estimated, a query's answer is also counted as it
// is built: a query whose answer grows past MaxResponseObjects objects stops
// resolving and answers one BAD_USER_INPUT error (reason
// RESPONSE_TOO_LARGE) instead of data.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync/atomic"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"helpdesk/ent"
	"helpdesk/graph"
	"helpdesk/graph/generated"
)

// Bounds of the cost and the size of one operation.
const (
	// MaxComplexity lets a full page (first: 1000) of tickets with about 40
	// fields, or with their organization, requester, assignee and a few
	// fields of their events, through; it refuses what no portal asks for,
	// such as 1,000 tickets each with 1,000 tickets of its organization
	// (a cost of about 3,000,000).
	MaxComplexity = 50000
	// MaxResponseObjects equals MaxComplexity: every object costs at least
	// 1, so a query within the cost limit whose lists hold no more than
	// estimated never reaches it; one that does is a list far longer than
	// its estimate (a ticket with hundreds of events, an organization's
	// tickets without first) and is cut at some megabytes of JSON.
	MaxResponseObjects = MaxComplexity
	// listEstimate is how many items a list without a page size is counted
	// to hold: a ticket's events and comments, an organization's contacts
	// and services number a few to a few dozen.
	listEstimate = 10
)

// fixedLists are the lists of objects whose length is known, by
// "Type.field": they cost 1 + that many × their selection. A ticket's
// slaClocks are its two clocks, first response and resolution.
var fixedLists = map[string]int{"Ticket.slaClocks": 2}

// complexityRoot is the cost rule as gqlgen's complexity functions; they
// are nil-safe, as absent arguments arrive as nil.
func complexityRoot() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Tickets = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.TicketOrder, _ *ent.TicketWhereInput) int {
		return connection(child, first, last)
	}
	c.Query.Organizations = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.OrganizationOrder, _ *ent.OrganizationWhereInput) int {
		return connection(child, first, last)
	}
	c.Query.Contacts = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.ContactOrder, _ *ent.ContactWhereInput) int {
		return connection(child, first, last)
	}
	c.Query.Agents = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.AgentOrder, _ *ent.AgentWhereInput) int {
		return connection(child, first, last)
	}
	c.Organization.Tickets = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.TicketOrder) int {
		return connection(child, first, last)
	}
	c.Query.Nodes = func(child int, ids []int) int { return times(len(ids), child) }
	c.Query.SLAPolicies = list
	c.Query.EscalationTables = list
	c.Viewer.PartnerOrganizations = list
	c.Organization.Contacts = list
	c.Organization.Services = list
	c.Ticket.Comments = list
	c.Ticket.Events = list
	c.Ticket.Notifications = list
	c.Ticket.SLAClocks = func(child int) int { return times(fixedLists["Ticket.slaClocks"], child) }
	c.SLAClock.PausedIntervals = list
	c.SLAPolicy.OpeningHours = list
	c.SLAPolicy.Targets = list
	c.EscalationTable.Levels = list
	return c
}

// connection is the cost of a page of first/last nodes.
func connection(child int, first, last *int) int {
	return times(graph.PageNodes(first, last), child)
}

// list is the cost of a list without a page size.
func list(child int) int { return times(listEstimate, child) }

// times is 1 + n × child, saturating rather than overflowing, so that no
// nesting of large pages wraps around to a small cost.
func times(n, child int) int {
	if n <= 0 || child <= 0 {
		return 1
	}
	if child > (math.MaxInt-1)/n {
		return math.MaxInt
	}
	return 1 + n*child
}

// costLimit refuses an operation that costs more than MaxComplexity, with
// a message saying the cost, the limit and what to change.
type costLimit struct {
	schema graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &costLimit{}

// ExtensionName names the extension.
func (*costLimit) ExtensionName() string { return "CostLimit" }

// Validate keeps the schema whose complexity functions price fields.
func (c *costLimit) Validate(s graphql.ExecutableSchema) error {
	c.schema = s
	return nil
}

// MutateOperationContext prices the operation.
func (c *costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost := complexity.Calculate(ctx, c.schema, oc.Operation, oc.Variables)
	if cost <= MaxComplexity {
		return nil
	}
	costs := fmt.Sprintf("costs %d", cost)
	if cost == math.MaxInt {
		costs = "costs more than can be counted"
	}
	e := gqlerror.Errorf("the query %s, over the limit of %d: ask for fewer nodes per page "+
		"(a smaller first or last on each connection; %d when neither is given), fewer nested lists or fewer fields, "+
		"and page through the rest with after/before", costs, MaxComplexity, graph.PageNodes(nil, nil))
	e.Extensions = map[string]any{"code": CodeBadUserInput, "reason": "COMPLEXITY_LIMIT_EXCEEDED"}
	return e
}

// errResponseTooLarge stops every object field of a query once its answer
// holds more than MaxResponseObjects objects.
var errResponseTooLarge = errors.New("server: the answer holds too many objects")

// objectCount counts the objects of one answer against its ceiling.
type objectCount struct {
	limit int64
	n     atomic.Int64
	over  atomic.Bool
}

type objectCountKey struct{}

// countResponses gives each answer of a query its own count of at most
// limit objects (0 is MaxResponseObjects) and, if the answer grew past it,
// answers one error instead of partial data. Mutations are not counted
// (their change is made by then: refusing the answer would hide it), nor
// subscriptions (one event at a time).
func countResponses(limit int) graphql.ResponseMiddleware {
	if limit <= 0 {
		limit = MaxResponseObjects
	}
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		oc := graphql.GetOperationContext(ctx)
		if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
			return next(ctx)
		}
		c := &objectCount{limit: int64(limit)}
		res := next(context.WithValue(ctx, objectCountKey{}, c))
		if res == nil || !c.over.Load() {
			return res
		}
		e := gqlerror.Errorf("the answer would hold more than %d objects (lists without a page size, such as a ticket's events, "+
			"are longer than their estimate): ask for fewer nodes per page (first/last) or fewer nested lists", limit)
		e.Extensions = map[string]any{"code": CodeBadUserInput, "reason": "RESPONSE_TOO_LARGE"}
		return &graphql.Response{Errors: gqlerror.List{e}, Extensions: res.Extensions}
	}
}

// countObjects counts the objects each object field of a query resolves
// (a list counts its length) and, past the answer's ceiling, resolves none
// any more, so no further edge is loaded. Introspection is not counted:
// the schema bounds it.
func countObjects(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(fc.Field.Selections) == 0 || strings.HasPrefix(fc.Field.Name, "__") || strings.HasPrefix(fc.Object, "__") {
		return next(ctx) // a scalar (most fields) or introspection
	}
	c, _ := ctx.Value(objectCountKey{}).(*objectCount)
	if c == nil {
		return next(ctx) // a mutation or subscription
	}
	if c.over.Load() {
		return nil, errResponseTooLarge
	}
	res, err := next(ctx)
	if err != nil {
		return res, err
	}
	if c.n.Add(objects(res)) > c.limit {
		c.over.Store(true)
		return nil, errResponseTooLarge
	}
	return res, nil
}

// objects is how many objects a resolved value holds: a list its length,
// nil none, anything else one.
func objects(v any) int64 {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return 0
	case reflect.Slice, reflect.Array:
		return int64(rv.Len())
	case reflect.Pointer, reflect.Interface, reflect.Map:
		if rv.IsNil() {
			return 0
		}
	}
	return 1
}
