package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"helpdesk/ent/schema/schematype"
)

// TicketEvent is one entry of a ticket's timeline: who did what, when, and
// the ticket's status and priority right after. Events are append-only.
type TicketEvent struct{ ent.Schema }

// Mixin of TicketEvent.
func (TicketEvent) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

// Fields of TicketEvent.
func (TicketEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").NotEmpty().MaxLen(64).Immutable(),
		field.Text("data").Optional().Nillable().Immutable().Comment("JSON with the details"),
		field.Bool("internal").Default(false).Immutable().Comment("records an internal note: hidden from contacts"),
		// Required of every writer (the hooks of TicketEvent fill them from
		// the ticket when a writer does not); the column default only
		// serves rows of databases older than these fields, until the
		// migration to schema version 2 backfills them.
		field.Enum("status_after").GoType(schematype.Status("")).Immutable().
			Comment("the ticket's status right after the event").
			Annotations(entsql.Default(string(schematype.StatusNew)), entgql.Type("TicketStatus")),
		field.Enum("priority_after").GoType(schematype.Priority("")).Immutable().
			Comment("the ticket's priority right after the event").
			Annotations(entsql.Default(string(schematype.PriorityMedium)), entgql.Type("TicketPriority")),
		// Schema version 1 named the actor only here. The API has the
		// actor edges instead; the column stays in the schema because
		// SQLite migrations rebuild a table without the columns the schema
		// no longer has, and it stays written so that it never lies.
		field.String("actor").Default("system").Immutable().MaxLen(300).
			Comment(`legacy: who did it as "agent:<id>", "contact:<id>" or "system"; read the actor edges`).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("ticket_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("actor_agent_id").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)),
		field.Int("actor_contact_id").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)),
	}
}

// Edges of TicketEvent. The actor edges have no where-filters: a filter
// on a contact the caller may not see would tell of it.
func (TicketEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ticket", Ticket.Type).Ref("events").Field("ticket_id").Unique().Required().Immutable(),
		edge.To("actor_agent", Agent.Type).Field("actor_agent_id").Unique().Immutable().
			Comment("the agent who did it; null for the product itself or a contact").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("actor_contact", Contact.Type).Field("actor_contact_id").Unique().Immutable().
			Comment("the contact who did it; null for the product itself, an agent, or a contact the caller may not see").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of TicketEvent.
func (TicketEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ticket_id", "created_at"), index.Fields("created_at")}
}
