package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TicketEvent is one entry of a ticket's timeline: who did what, when.
// Events are append-only.
type TicketEvent struct{ ent.Schema }

// Mixin of TicketEvent.
func (TicketEvent) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

// Fields of TicketEvent.
func (TicketEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").NotEmpty().MaxLen(64).Immutable(),
		field.Text("data").Optional().Nillable().Immutable().Comment("JSON with the details"),
		field.Bool("internal").Default(false).Immutable().Comment("records an internal note: hidden from contacts"),
		field.String("actor").Default("system").Immutable().MaxLen(300).
			Comment(`who did it: "agent:<id>", "contact:<id>" or "system"`),
		field.Int("ticket_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of TicketEvent.
func (TicketEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ticket", Ticket.Type).Ref("events").Field("ticket_id").Unique().Required().Immutable(),
	}
}

// Indexes of TicketEvent.
func (TicketEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ticket_id", "created_at"), index.Fields("created_at")}
}
