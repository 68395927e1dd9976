package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Organization is a customer.
type Organization struct{ ent.Schema }

// Mixin of Organization.
func (Organization) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Organization.
func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(maxName).Validate(notBlank).Unique().Annotations(entgql.OrderField("NAME")),
		field.String("region").NotEmpty().MaxLen(64).Validate(notBlank).Comment("selects the escalation table"),
		field.String("timezone").NotEmpty().MaxLen(64).Validate(validTimezone).Comment("IANA time zone"),
		field.Int("sla_policy_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("account_manager_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of Organization.
func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("sla_policy", SLAPolicy.Type).Ref("organizations").Field("sla_policy_id").Unique(),
		edge.From("account_manager", Agent.Type).Ref("managed_organizations").Field("account_manager_id").Unique(),
		// No where-filters across contacts and tickets: a USER contact
		// would learn of colleagues' contacts and tickets through them.
		edge.To("contacts", Contact.Type).Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("services", Service.Type),
		edge.To("tickets", Ticket.Type).Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipWhereInput)),
		edge.To("webhooks", Webhook.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("partner_tokens", APIToken.Type).Ref("partner_organizations").Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of Organization.
func (Organization) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_manager_id"), index.Fields("region")}
}

// Annotations of Organization.
func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
