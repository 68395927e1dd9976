package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIToken is a bearer token, stored as the SHA-256 digest of its value.
// It belongs to an agent, a contact, or (read-only) partner organizations.
type APIToken struct{ ent.Schema }

// Mixin of APIToken.
func (APIToken) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

// Fields of APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("digest").NotEmpty().Unique().Immutable().Sensitive().Comment("hex SHA-256 of the token"),
		field.Int("agent_id").Optional().Nillable().Immutable(),
		field.Int("contact_id").Optional().Nillable().Immutable(),
		field.Bool("partner").Default(false).Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of APIToken.
func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("agent", Agent.Type).Ref("tokens").Field("agent_id").Unique().Immutable(),
		edge.From("contact", Contact.Type).Ref("tokens").Field("contact_id").Unique().Immutable(),
		edge.To("partner_organizations", Organization.Type),
	}
}

// Annotations of APIToken.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Indexes of APIToken: the event tail looks up the latest change of who may
// see what (internal/eventtail).
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("revoked_at")}
}
