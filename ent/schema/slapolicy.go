package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/bizhours"
	"helpdesk/internal/sla"
)

// SLAPolicy is a business calendar with per-priority targets. Editing one
// bumps its version; tickets keep the version they opened under.
type SLAPolicy struct{ ent.Schema }

// Mixin of SLAPolicy.
func (SLAPolicy) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of SLAPolicy.
func (SLAPolicy) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(maxName).Validate(notBlank),
		field.String("timezone").NotEmpty().MaxLen(64),
		field.Bool("always_open").Default(false),
		field.JSON("opening_hours", []bizhours.OpeningHours{}).Default([]bizhours.OpeningHours{}).
			Annotations(entgql.Type("[OpeningHours!]")),
		field.JSON("holidays", []string{}).Default([]string{}),
		field.String("holiday_country").Optional().MaxLen(2).
			Comment("ISO 3166-1 alpha-2: that country's public holidays are closed too; empty for none"),
		field.Bool("pause_on_third_party").Default(true).
			Comment("WAITING_ON_THIRD_PARTY pauses the resolution clock"),
		field.JSON("targets", []schematype.SLATarget{}).Annotations(entgql.Type("[SLATarget!]")),
		field.Int("warning_percent").Default(sla.DefaultWarningPercent).Range(1, 99),
		field.Int("reminder_seconds").Default(sla.DefaultReminderSeconds).Positive(),
		field.Int("auto_close_seconds").Default(sla.DefaultAutoCloseSeconds).Positive(),
		field.Int("reopen_window_seconds").Default(sla.DefaultReopenWindowSeconds).Positive(),
		field.Int("version").Default(1).Comment("bumped by every update"),
		field.Bool("is_default").Default(false).Comment("the installation's default policy"),
	}
}

// Edges of SLAPolicy.
func (SLAPolicy) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organizations", Organization.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of SLAPolicy.
func (SLAPolicy) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Type("SLAPolicy")}
}
