package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/notify"
)

// Contact is a person of an organization authorized to deal with support.
type Contact struct{ ent.Schema }

// Mixin of Contact.
func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Contact.
func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(maxName).Validate(notBlank).Annotations(entgql.OrderField("NAME")),
		field.String("email").NotEmpty().MaxLen(maxEmail).Validate(validEmail).
			Comment("unique within the organization (compared exactly, as written)").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("phone").Optional().Nillable().MaxLen(64),
		field.Enum("role").Values("MASTER", "ADMIN", "USER").Default("USER"),
		field.JSON("types", []schematype.ContactType{}).Default([]schematype.ContactType{}).
			Annotations(entgql.Type("[ContactType!]")),
		field.String("locale").Default(notify.DefaultLocale).Validate(notify.ValidLocale).
			Comment("language of its messages (internal/notify.Locales)"),
		field.Bool("active").Default(true),
		field.Int("organization_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of Contact.
func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("contacts").Field("organization_id").Unique().Required().Immutable(),
		edge.To("requested_tickets", Ticket.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("tokens", APIToken.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of Contact. An address is unique per organization, not across
// them: one person may be a contact of two customers, and a refusal for an
// address of another tenant would tell that it exists there. Whatever
// finds a contact by address alone must handle several matches (see
// intake.ContactsByEmail).
func (Contact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "role"),
		index.Fields("organization_id", "email").Unique(),
		index.Fields("email"),
		index.Fields("updated_at"), // the event tail's look at who changed (internal/eventtail)
	}
}

// Annotations of Contact.
func (Contact) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
