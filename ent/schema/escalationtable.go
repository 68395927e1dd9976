package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"

	"helpdesk/ent/schema/schematype"
)

// EscalationTable is a region's ordered escalation levels 1..N.
type EscalationTable struct{ ent.Schema }

// Mixin of EscalationTable.
func (EscalationTable) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of EscalationTable.
func (EscalationTable) Fields() []ent.Field {
	return []ent.Field{
		field.String("region").NotEmpty().MaxLen(64).Unique(),
		field.JSON("levels", []schematype.EscalationLevel{}).Annotations(entgql.Type("[EscalationLevel!]")),
	}
}
