package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxMessage is a change of a ticket that its workflow has not been told
// of yet. It is written in the transaction of the change and deleted once
// Temporal has taken it, so the database and the workflow never disagree for
// good, even when Temporal is down while a change commits.
type OutboxMessage struct{ ent.Schema }

// Mixin of OutboxMessage.
func (OutboxMessage) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

// Fields of OutboxMessage.
func (OutboxMessage) Fields() []ent.Field {
	return []ent.Field{
		field.Int("ticket_id").Immutable(),
		// text on PostgreSQL: every parameter travels as text there, so
		// that a statement and its parameters go in one round trip
		// (store.Open); JSON is text, and the schema holds no bytea.
		field.Bytes("payload").Immutable().Comment("JSON of the workflow signal").
			SchemaType(map[string]string{dialect.Postgres: "text"}),
		field.Int("attempts").Default(0),
		field.Text("last_error").Optional(),
		field.Time("next_attempt_at").Optional().Nillable(),
	}
}

// Indexes of OutboxMessage.
func (OutboxMessage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ticket_id")}
}

// Annotations of OutboxMessage.
func (OutboxMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
