package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"helpdesk/internal/viewer"
)

// requireViewer answers UNAUTHENTICATED for every root field asked without
// a token (SPEC §7), before its arguments are read or its resolver runs, so
// no field can answer null or an empty list where it should say who may
// ask. Introspection (__schema, __type, __typename) stays open to all, so
// GraphiQL loads before a token is entered.
func requireViewer(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rf := graphql.GetRootFieldContext(ctx)
	if rf == nil || strings.HasPrefix(rf.Field.Name, "__") || viewer.FromContext(ctx).Kind != viewer.Anonymous {
		return next(ctx)
	}
	graphql.AddError(ctx, &gqlerror.Error{
		Err:     viewer.ErrUnauthenticated,
		Message: viewer.ErrUnauthenticated.Error(),
		Path:    ast.Path{ast.PathName(rf.Field.Alias)},
	})
	return graphql.Null
}

// refuseNUL refuses an operation with a NUL character (U+0000) in any of
// its strings, in variables and inline literals alike, whatever the
// transport: PostgreSQL cannot store it, and in a SQLite LIKE pattern it
// ends the pattern, so a *Contains filter would match everything.
type refuseNUL struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = refuseNUL{}

// ExtensionName names the extension.
func (refuseNUL) ExtensionName() string { return "RefuseNUL" }

// Validate accepts any schema.
func (refuseNUL) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext looks at every string of the operation.
func (refuseNUL) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(oc.Variables)) {
		if where, ok := nulInVariable(oc.Variables[name], "$"+name); ok {
			return nulError(where)
		}
	}
	if where, ok := nulInSelection(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}); ok {
		return nulError(where)
	}
	return nil
}

func nulError(where string) *gqlerror.Error {
	e := gqlerror.Errorf("invalid %s: text must not contain the NUL character (U+0000)", where)
	e.Extensions = map[string]any{"code": CodeBadUserInput, "reason": "NUL_CHARACTER"}
	return e
}

// nulInVariable finds a NUL in a variable's value (as decoded from JSON)
// and says where: $in.subject, $ids[2].
func nulInVariable(v any, where string) (string, bool) {
	switch v := v.(type) {
	case string:
		return where, strings.ContainsRune(v, 0)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if strings.ContainsRune(k, 0) {
				return where, true
			}
			if w, ok := nulInVariable(v[k], where+"."+k); ok {
				return w, true
			}
		}
	case []any:
		for i, item := range v {
			if w, ok := nulInVariable(item, fmt.Sprintf("%s[%d]", where, i)); ok {
				return w, true
			}
		}
	}
	return "", false
}

// nulInSelection finds a NUL in the inline arguments of a selection (and
// of the fragments it spreads) and says where: where.subjectContains of
// tickets.
func nulInSelection(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) (string, bool) {
	for _, sel := range set {
		var dirs ast.DirectiveList
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if w, ok := nulInValue(a.Value, a.Name); ok {
					return w + " of " + s.Name, true
				}
			}
			if w, ok := nulInSelection(s.SelectionSet, frags, seen); ok {
				return w, true
			}
			dirs = s.Directives
		case *ast.InlineFragment:
			if w, ok := nulInSelection(s.SelectionSet, frags, seen); ok {
				return w, true
			}
			dirs = s.Directives
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil && !seen[s.Name] {
				seen[s.Name] = true
				if w, ok := nulInSelection(f.SelectionSet, frags, seen); ok {
					return w, true
				}
			}
			dirs = s.Directives
		}
		for _, d := range dirs {
			for _, a := range d.Arguments {
				if w, ok := nulInValue(a.Value, a.Name); ok {
					return w + " of @" + d.Name, true
				}
			}
		}
	}
	return "", false
}

// nulInValue finds a NUL in an inline literal.
func nulInValue(v *ast.Value, where string) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return where, strings.ContainsRune(v.Raw, 0)
	case ast.ListValue:
		for i, c := range v.Children {
			if w, ok := nulInValue(c.Value, fmt.Sprintf("%s[%d]", where, i)); ok {
				return w, true
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if w, ok := nulInValue(c.Value, where+"."+c.Name); ok {
				return w, true
			}
		}
	}
	return "", false
}
