package graph

import (
	"context"
	"strings"
	"unicode"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"helpdesk/ent"
	"helpdesk/ent/ticket"
)

// ticketImplementors are the type conditions a Ticket's fields may come
// under in a selection: the type itself and the interface it implements.
var ticketImplementors = []string{"Ticket", "Node"}

// narrowTickets makes q read only the ticket columns that the selection
// of Ticket fields at path (under the field being resolved) shows, when
// every field there maps onto columns; else it leaves q reading whole rows.
//
// entgql's own field collection reads the whole row as soon as the
// selection holds a field it does not know — number or slaClocks, which
// every portal list shows — and a ticket's row is mostly its description
// and its JSON (the policy it opened under, its pauses): PostgreSQL reads
// a page of 50 four times as fast without them, and the process no longer
// decodes the JSON of every ticket.
func narrowTickets(ctx context.Context, q *ent.TicketQuery, path ...string) *ent.TicketQuery {
	if cols := ticketColumns(ctx, path...); cols != nil {
		q.Select(cols...) // narrows q itself; the TicketSelect it returns is for scanning into other types
	}
	return q
}

// ticketColumns is the columns the Ticket fields at path read, the ID
// first, or nil when one of them maps onto no column (slaClocks: it is
// explained from the whole row) or path is not in the selection.
func ticketColumns(ctx context.Context, path ...string) []string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	fields := selectionAt(graphql.GetOperationContext(ctx), fc.Field.Selections, path)
	if len(fields) == 0 {
		return nil
	}
	cols := []string{ticket.FieldID}
	seen := map[string]bool{ticket.FieldID: true}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	for _, f := range fields {
		switch f.Name {
		case "__typename", "id", "number": // the number is the ID's
		case "comments", "events", "notifications": // read by the ticket's ID
		case "organization":
			add(ticket.FieldOrganizationID)
		case "requester":
			add(ticket.FieldRequesterID)
		case "assignee":
			add(ticket.FieldAssigneeID)
		case "service":
			add(ticket.FieldServiceID)
		default:
			c := snakeCase(f.Name)
			if !ticket.ValidColumn(c) {
				return nil
			}
			add(c)
		}
	}
	return cols
}

// selectionAt is the fields of the Ticket selection reached from sel by
// the field names of path (every alias of each), nil when there is none.
func selectionAt(oc *graphql.OperationContext, sel ast.SelectionSet, path []string) []graphql.CollectedField {
	sets := []ast.SelectionSet{sel}
	for _, name := range path {
		var next []ast.SelectionSet
		for _, s := range sets {
			for _, f := range graphql.CollectFields(oc, s, nil) {
				if f.Name == name {
					next = append(next, f.Selections)
				}
			}
		}
		sets = next
	}
	var fields []graphql.CollectedField
	for _, s := range sets {
		fields = append(fields, graphql.CollectFields(oc, s, ticketImplementors)...)
	}
	return fields
}

// snakeCase is the column name of an ent field's GraphQL name
// (firstResponseDueAt → first_response_due_at), the inverse of entgql's.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
