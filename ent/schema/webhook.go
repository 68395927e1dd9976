package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Webhook is a partner integration's endpoint for notifications.
type Webhook struct{ ent.Schema }

// Mixin of Webhook.
func (Webhook) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Webhook.
func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2048).Validate(validURL).
			Comment("where notifications go: public http(s) unless HELPDESK_WEBHOOK_ALLOW_PRIVATE (see internal/webhook)"),
		field.String("secret").NotEmpty().MaxLen(512).Validate(notBlank).Sensitive().Comment("HMAC-SHA256 key of the signature"),
		field.Strings("kinds").Optional().Comment("notification kinds to send; empty means all"),
		field.Bool("active").Default(true),
		field.Int("organization_id").Immutable(),
	}
}

// Edges of Webhook.
func (Webhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("webhooks").Field("organization_id").Unique().Required().Immutable(),
	}
}

// Annotations of Webhook.
func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
