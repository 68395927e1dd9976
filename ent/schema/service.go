package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Service is a contracted service of an organization, identified by its
// Service Order Form (SOF) number and a service id.
type Service struct{ ent.Schema }

// Mixin of Service.
func (Service) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Service.
func (Service) Fields() []ent.Field {
	return []ent.Field{
		field.String("sof_number").NotEmpty().MaxLen(64).Validate(notBlank),
		field.String("service_id").NotEmpty().MaxLen(64).Validate(notBlank).Annotations(entgql.MapsTo("serviceID")),
		field.String("name").NotEmpty().MaxLen(maxName).Validate(notBlank),
		field.Int("organization_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of Service.
func (Service) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("services").Field("organization_id").Unique().Required().Immutable(),
		edge.To("tickets", Ticket.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of Service.
func (Service) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("sof_number", "service_id").Unique(),
		index.Fields("organization_id", "sof_number"),
	}
}
