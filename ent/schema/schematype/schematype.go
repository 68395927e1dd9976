// Package schematype holds the value types the data model stores in its
// fields and that the workflows and the GraphQL layer share: ticket status
// and priority, SLA targets, escalation levels and contact types. Their
// rules live in internal/ticketing. It depends on nothing generated, so
// ent schemas, generated code and workflow code can all import it.
package schematype

import (
	"fmt"
	"io"
	"strconv"
)

// Status is a ticket's place in its lifecycle.
type Status string

// The ticket statuses, in lifecycle order.
const (
	StatusNew               Status = "NEW"
	StatusAccepted          Status = "ACCEPTED"
	StatusInProgress        Status = "IN_PROGRESS"
	StatusWaitingOnCustomer Status = "WAITING_ON_CUSTOMER"
	// StatusWaitingOnThirdParty: the agents wait on a carrier, a vendor or
	// another team.
	StatusWaitingOnThirdParty Status = "WAITING_ON_THIRD_PARTY"
	StatusResolved            Status = "RESOLVED"
	StatusClosed              Status = "CLOSED"
)

// Values lists every status; ent uses it for the enum column.
func (Status) Values() []string {
	return []string{"NEW", "ACCEPTED", "IN_PROGRESS", "WAITING_ON_CUSTOMER", "WAITING_ON_THIRD_PARTY", "RESOLVED", "CLOSED"}
}

// MarshalGQL writes the status as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *Status) UnmarshalGQL(v any) error { return unmarshalEnum(v, s, Status.Values) }

// Priority is a ticket's urgency; it selects the SLA targets.
type Priority string

// The priorities, most urgent first.
const (
	PriorityCritical Priority = "CRITICAL"
	PriorityHigh     Priority = "HIGH"
	PriorityMedium   Priority = "MEDIUM"
	PriorityLow      Priority = "LOW"
)

// Values lists every priority; ent uses it for the enum column.
func (Priority) Values() []string { return []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"} }

// Rank orders priorities for sorting: 1 is the most urgent.
func (p Priority) Rank() int {
	for i, v := range p.Values() {
		if v == string(p) {
			return i + 1
		}
	}
	return 0
}

// MarshalGQL writes the priority as a GraphQL enum value.
func (p Priority) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(p))) }

// UnmarshalGQL reads a GraphQL enum value.
func (p *Priority) UnmarshalGQL(v any) error { return unmarshalEnum(v, p, Priority.Values) }

// ContactType decides which notifications a contact gets besides those of
// its own tickets.
type ContactType string

// The contact types.
const (
	ContactTypeAdministrative ContactType = "ADMINISTRATIVE"
	ContactTypeTechnical      ContactType = "TECHNICAL"
)

// Values lists every contact type.
func (ContactType) Values() []string { return []string{"ADMINISTRATIVE", "TECHNICAL"} }

// MarshalGQL writes the type as a GraphQL enum value.
func (c ContactType) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads a GraphQL enum value.
func (c *ContactType) UnmarshalGQL(v any) error { return unmarshalEnum(v, c, ContactType.Values) }

func unmarshalEnum[T ~string](v any, dst *T, values func(T) []string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("schematype: enum value must be a string, got %T", v)
	}
	for _, allowed := range values(*dst) {
		if s == allowed {
			*dst = T(s)
			return nil
		}
	}
	return fmt.Errorf("schematype: %q is not one of %v", s, values(*dst))
}

// SLATarget is a priority's first-response and resolution targets, in
// seconds of business time.
type SLATarget struct {
	Priority             Priority `json:"priority"`
	FirstResponseSeconds int      `json:"firstResponseSeconds"`
	ResolutionSeconds    int      `json:"resolutionSeconds"`
}

// EscalationLevel is one level of a region's escalation table.
type EscalationLevel struct {
	Level       int      `json:"level"`
	Name        string   `json:"name"`
	Emails      []string `json:"emails"`
	WaitSeconds int      `json:"waitSeconds"`
}
