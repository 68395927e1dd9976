package server

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"helpdesk/graph"
	"helpdesk/graph/generated"
)

// TestEveryListFieldHasACost walks the served schema: every connection and
// every list of objects must cost more than one item, or a new edge would
// slip past the cost limit at the price of a single field: at least three,
// or the length of a list of known length (fixedLists). Add a function to
// complexityRoot when this fails.
func TestEveryListFieldHasACost(t *testing.T) {
	t.Parallel()
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{}, Complexity: complexityRoot()})
	schema := es.Schema()
	const child = 7
	checked := 0
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || strings.HasSuffix(name, "Connection") && f.Name == "edges" {
				continue // a connection's edges: its page size counts them
			}
			elem := schema.Types[f.Type.Name()]
			isList := f.Type.Elem != nil && elem != nil && elem.Kind != ast.Scalar && elem.Kind != ast.Enum
			isConnection := strings.HasSuffix(f.Type.Name(), "Connection") && f.Arguments.ForName("first") != nil
			if !isList && !isConnection {
				continue
			}
			args := map[string]any{}
			if f.Arguments.ForName("ids") != nil {
				args["ids"] = []any{"1", "2", "3"}
			}
			cost, ok := es.Complexity(context.Background(), name, f.Name, child, args)
			items := 3
			if n, fixed := fixedLists[name+"."+f.Name]; fixed {
				items = n
			}
			if want := 1 + items*child; !ok || cost < want {
				t.Errorf("%s.%s costs %d (custom: %v) for items of cost %d; a list must count its items (want at least %d)",
					name, f.Name, cost, ok, child, want)
			}
			checked++
		}
	}
	if checked < 15 {
		t.Fatalf("checked %d list fields; the walk misses some", checked)
	}
}

// TestCostSaturatesInsteadOfWrappingAround: nested huge pages add up to
// the largest int, never to a small or negative cost.
func TestCostSaturatesInsteadOfWrappingAround(t *testing.T) {
	t.Parallel()
	huge := 1<<31 - 1
	c := times(huge, times(huge, times(huge, 3)))
	if c <= MaxComplexity {
		t.Fatalf("three nested pages of %d cost %d", huge, c)
	}
	if times(0, 5) != 1 || times(3, 5) != 16 {
		t.Fatalf("times(0, 5) = %d, times(3, 5) = %d; want 1 and 16", times(0, 5), times(3, 5))
	}
}
