package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// Ticket is a customer's request, driven by one workflow.
type Ticket struct{ ent.Schema }

// Mixin of Ticket.
func (Ticket) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Ticket.
func (Ticket) Fields() []ent.Field {
	return []ent.Field{
		field.String("subject").NotEmpty().MaxLen(250).Validate(notBlank),
		field.Text("description").NotEmpty().MaxLen(maxText).Validate(notBlank),
		field.Enum("status").GoType(schematype.Status("")).Default(string(schematype.StatusNew)).
			Annotations(entgql.OrderField("STATUS")),
		field.Enum("priority").GoType(schematype.Priority("")),
		field.Int("priority_rank").Comment("1 = CRITICAL … 4 = LOW, kept by a hook, for ordering").
			Annotations(entgql.OrderField("PRIORITY"), entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)),
		field.Enum("category").Values("INCIDENT", "SERVICE_REQUEST", "CHANGE_REQUEST", "INFORMATION", "ADMINISTRATIVE"),
		field.Enum("channel").Values("PORTAL", "EMAIL", "CHAT", "PHONE", "API").Default("PORTAL").Immutable(),
		field.Int("escalation_level").Default(0).NonNegative().Annotations(entgql.OrderField("ESCALATION_LEVEL")),
		field.String("event_type").Optional().Nillable().MaxLen(200).Comment("incident: what happened"),
		field.String("current_status").Optional().Nillable().MaxLen(2000).Comment("incident: its current state"),
		field.Time("onset_at").Optional().Nillable().Comment("incident: time of onset"),
		field.Text("logs").Optional().Nillable().MaxLen(maxText).Comment("incident: logs or traces"),
		field.String("sof_number").Optional().Nillable().Immutable().MaxLen(64).
			Comment("phone intake: the SOF number the caller gave"),
		field.String("idempotency_key").Optional().Nillable().Immutable().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("first_response_due_at").Optional().Nillable().Annotations(entgql.OrderField("FIRST_RESPONSE_DUE_AT")),
		field.Time("resolution_due_at").Optional().Nillable().Annotations(entgql.OrderField("RESOLUTION_DUE_AT")),
		field.Time("first_responded_at").Optional().Nillable(),
		field.Time("resolved_at").Optional().Nillable(),
		field.Time("closed_at").Optional().Nillable(),
		field.Bool("sla_paused").Default(false),
		field.Time("paused_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("paused_seconds").Default(0).Comment("business time the resolution clock has been paused").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("first_response_breached").Default(false),
		field.Bool("resolution_breached").Default(false),
		// What the product did on its own, once each, so that a timer that
		// fires again (a retried activity, a restart) records nothing twice.
		field.Time("first_response_warned_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("resolution_warned_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("first_response_breached_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("resolution_breached_at").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("reminded_at").Optional().Nillable().
			Comment("the reminder of the wait on the customer in course").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("escalated_at").Optional().Nillable().
			Comment("when the current escalation level was engaged: its wait runs from here").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("paused_intervals", []sla.Interval{}).Optional().
			Comment("the resolution clock's pauses that ended").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("sla_policy", sla.Policy{}).Optional().
			Comment("the policy version the ticket opened under").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("organization_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("requester_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("service_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("assignee_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of Ticket.
func (Ticket) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("tickets").Field("organization_id").Unique().Required().Immutable(),
		edge.From("requester", Contact.Type).Ref("requested_tickets").Field("requester_id").Unique().Required().Immutable(),
		edge.From("service", Service.Type).Ref("tickets").Field("service_id").Unique(),
		edge.From("assignee", Agent.Type).Ref("assigned_tickets").Field("assignee_id").Unique(),
		// No where-filters across these edges: their sub-queries would
		// see internal notes and agents' notifications that privacy hides.
		edge.To("comments", Comment.Type).Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("events", TicketEvent.Type).Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("notifications", Notification.Type).Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of Ticket: one per filter and order a portal uses.
func (Ticket) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "created_at"),
		index.Fields("requester_id", "created_at"),
		index.Fields("requester_id", "idempotency_key").Unique(),
		index.Fields("assignee_id", "status"),
		index.Fields("status", "priority_rank"),
		index.Fields("created_at"),
		index.Fields("first_response_due_at"),
		index.Fields("resolution_due_at"),
		index.Fields("escalation_level"),
		index.Fields("first_response_breached"),
		index.Fields("resolution_breached"),
	}
}

// Annotations of Ticket.
func (Ticket) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
