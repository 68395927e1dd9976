package graph_test

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"helpdesk/graph"
	"helpdesk/graph/generated"
)

// TestServedSchemaKeepsTheContract checks every name of the public
// contract (testdata/contract.graphql, the copy clients are written
// against) against the schema we serve: each type, field, argument, input
// field and enum value exists with the same type. The served schema may
// add anything.
func TestServedSchemaKeepsTheContract(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/contract.graphql")
	if err != nil {
		t.Fatal(err)
	}
	// The contract names entgql's TicketOrder and TicketWhereInput without
	// spelling them out ("follow entgql's conventions"): stand-ins let it
	// load; the served ones are checked by name only.
	conventions := map[string]bool{"TicketOrder": true, "TicketWhereInput": true}
	stand := &ast.Source{Name: "conventions.graphql", Input: "input TicketOrder { x: Int } input TicketWhereInput { x: Int }"}
	contract, gerr := gqlparser.LoadSchema(&ast.Source{Name: "contract.graphql", Input: string(src)}, stand)
	if gerr != nil {
		t.Fatalf("contract: %v", gerr)
	}
	served := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{}}).Schema()
	for name, want := range contract.Types {
		if want.BuiltIn {
			continue
		}
		got := served.Types[name]
		if got == nil {
			t.Errorf("type %s is missing", name)
			continue
		}
		if conventions[name] {
			continue
		}
		if got.Kind != want.Kind {
			t.Errorf("type %s is a %s, the contract says %s", name, got.Kind, want.Kind)
		}
		for _, iface := range want.Interfaces {
			found := false
			for _, g := range got.Interfaces {
				found = found || g == iface
			}
			if !found {
				t.Errorf("type %s does not implement %s", name, iface)
			}
		}
		for _, v := range want.EnumValues {
			if got.EnumValues.ForName(v.Name) == nil {
				t.Errorf("enum %s lacks %s", name, v.Name)
			}
		}
		for _, wf := range want.Fields {
			gf := got.Fields.ForName(wf.Name)
			if gf == nil {
				t.Errorf("%s.%s is missing", name, wf.Name)
				continue
			}
			if gf.Type.String() != wf.Type.String() {
				t.Errorf("%s.%s is %s, the contract says %s", name, wf.Name, gf.Type, wf.Type)
			}
			for _, wa := range wf.Arguments {
				ga := gf.Arguments.ForName(wa.Name)
				if ga == nil {
					t.Errorf("%s.%s lacks argument %s", name, wf.Name, wa.Name)
				} else if ga.Type.String() != wa.Type.String() {
					t.Errorf("%s.%s(%s) is %s, the contract says %s", name, wf.Name, wa.Name, ga.Type, wa.Type)
				}
			}
			for _, ga := range gf.Arguments {
				if ga.Type.NonNull && ga.DefaultValue == nil && wf.Arguments.ForName(ga.Name) == nil {
					t.Errorf("%s.%s requires argument %s, which contract clients do not send", name, wf.Name, ga.Name)
				}
			}
		}
		if want.Kind == ast.InputObject {
			for _, gf := range got.Fields {
				if gf.Type.NonNull && gf.DefaultValue == nil && want.Fields.ForName(gf.Name) == nil {
					t.Errorf("input %s requires %s, which contract clients do not send", name, gf.Name)
				}
			}
		}
	}
}
