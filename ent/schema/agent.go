package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Agent is a member of the support staff.
type Agent struct{ ent.Schema }

// Mixin of Agent.
func (Agent) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Agent.
func (Agent) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(maxName).Validate(notBlank).Annotations(entgql.OrderField("NAME")),
		field.String("email").NotEmpty().MaxLen(maxEmail).Validate(validEmail).Unique().Annotations(entgql.OrderField("EMAIL")),
		field.Enum("role").Values("AGENT", "SUPERVISOR", "ACCOUNT_MANAGER", "ADMIN").Default("AGENT"),
		field.Bool("active").Default(true),
	}
}

// Edges of Agent.
func (Agent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("managed_organizations", Organization.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("assigned_tickets", Ticket.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("tokens", APIToken.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of Agent.
func (Agent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// Indexes of Agent: the event tail looks up the latest change of who may
// see what (internal/eventtail).
func (Agent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("updated_at")}
}
