package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Notification is the delivery record of one message to one recipient on
// one channel.
type Notification struct{ ent.Schema }

// Mixin of Notification.
func (Notification) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

// Fields of Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("TICKET_RECEIVED", "STATUS_CHANGED", "PRIORITY_CHANGED", "INFORMATION_REQUESTED", "COMMENT_ADDED", "SLA_WARNING", "ESCALATED"),
		field.Enum("channel").Values("EMAIL", "WEBHOOK"),
		field.String("recipient").NotEmpty().MaxLen(2048).Comment("e-mail address or webhook URL"),
		field.Enum("status").Values("PENDING", "SENT", "FAILED").Default("PENDING"),
		field.Int("attempts").Default(0),
		field.Text("last_error").Optional().Nillable(),
		field.Time("sent_at").Optional().Nillable(),
		field.String("dedupe_key").NotEmpty().Unique().Immutable().
			Comment("event, recipient and channel: a notification is sent once").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("payload").Optional().Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("what the delivery needs, fixed when planned (JSON; see internal/deliver)"),
		field.Time("next_attempt_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("when the next attempt is due; null once SENT or FAILED"),
		field.Int("event_id").Optional().Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("the event it notifies"),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("ticket_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of Notification.
func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ticket", Ticket.Type).Ref("notifications").Field("ticket_id").Unique().Required().Immutable(),
	}
}

// Indexes of Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ticket_id"), index.Fields("status", "next_attempt_at")}
}
