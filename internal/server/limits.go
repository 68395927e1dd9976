package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// queryLimits refuses over-deep and over-wide operations before they run
// (SPEC §8): a 50-level or 1000-alias query costs nothing but its parse.
type queryLimits struct {
	MaxDepth   int
	MaxAliases int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queryLimits{}

// ExtensionName names the extension.
func (queryLimits) ExtensionName() string { return "QueryLimits" }

// Validate accepts any schema.
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation.
func (l queryLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	aliases := 0
	depth := l.measure(oc.Operation.SelectionSet, oc.Doc.Fragments, 1, &aliases, map[string]bool{})
	switch {
	case depth > l.MaxDepth:
		return limitError("the query is %d levels deep; at most %d are allowed", depth, l.MaxDepth)
	case aliases > l.MaxAliases:
		return limitError("the query uses %d aliases; at most %d are allowed", aliases, l.MaxAliases)
	}
	return nil
}

func limitError(format string, a ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, a...)
	e.Extensions = map[string]any{"code": CodeBadUserInput, "reason": "QUERY_TOO_COMPLEX"}
	return e
}

// measure returns the depth of set and counts its aliases; it stops early
// once past the limits, so a hostile query costs little.
func (l queryLimits) measure(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int, aliases *int, visiting map[string]bool) int {
	if level > l.MaxDepth || *aliases > l.MaxAliases {
		return level
	}
	deepest := level - 1
	for _, sel := range set {
		d := level - 1
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				*aliases++
			}
			d = level
			if len(s.SelectionSet) > 0 {
				d = l.measure(s.SelectionSet, frags, level+1, aliases, visiting)
			}
		case *ast.InlineFragment:
			d = l.measure(s.SelectionSet, frags, level, aliases, visiting)
		case *ast.FragmentSpread:
			if visiting[s.Name] {
				continue
			}
			if f := frags.ForName(s.Name); f != nil {
				visiting[s.Name] = true
				d = l.measure(f.SelectionSet, frags, level, aliases, visiting)
				delete(visiting, s.Name)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
