package schema

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"helpdesk/internal/ticketing"
)

// TimeMixin records when a row was created and last changed.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// CreatedMixin records when an append-only row was created.
type CreatedMixin struct{ mixin.Schema }

// Fields of the CreatedMixin.
func (CreatedMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Limits on free text, so that one client cannot store megabytes in a name.
const (
	maxName  = 200
	maxEmail = 254
	maxText  = ticketing.MaxTextBytes
	// maxLevelEmails bounds the addresses one escalation level notifies.
	maxLevelEmails = 50
)

// notBlank refuses a string of only white space (NotEmpty lets "  " in).
func notBlank(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("must not be blank")
	}
	return nil
}

// validEmail accepts a bare address such as ana@example.com.
func validEmail(s string) error {
	if len(s) > maxEmail {
		return fmt.Errorf("an e-mail address has at most %d characters", maxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return fmt.Errorf("%q is not an e-mail address like name@example.com", s)
	}
	return nil
}

// validTimezone accepts an IANA time zone name such as Europe/Berlin.
func validTimezone(s string) error {
	if s == "Local" {
		return fmt.Errorf("%q is not an IANA time zone; use e.g. Europe/Berlin or UTC", s)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return fmt.Errorf("%q is not an IANA time zone; use e.g. Europe/Berlin or UTC", s)
	}
	return nil
}

// validURL accepts an absolute http or https URL.
func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
