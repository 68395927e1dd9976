package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Comment is a public reply or an internal note on a ticket.
type Comment struct{ ent.Schema }

// Mixin of Comment.
func (Comment) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

// Fields of Comment.
func (Comment) Fields() []ent.Field {
	return []ent.Field{
		field.Text("body").NotEmpty().MaxLen(maxText).Validate(notBlank),
		field.Bool("internal").Default(false).Immutable().Comment("internal notes are never shown to contacts"),
		field.Int("ticket_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("author_contact_id").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("author_agent_id").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("message_id").Optional().Nillable().Immutable().MaxLen(998).
			Comment("the e-mail Message-ID it came from, so a message is taken once").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of Comment.
func (Comment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ticket", Ticket.Type).Ref("comments").Field("ticket_id").Unique().Required().Immutable(),
		edge.To("author_contact", Contact.Type).Field("author_contact_id").Unique().Immutable(),
		edge.To("author_agent", Agent.Type).Field("author_agent_id").Unique().Immutable(),
	}
}

// Indexes of Comment.
func (Comment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ticket_id", "created_at"), index.Fields("message_id").Unique()}
}
