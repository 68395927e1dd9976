package ticketing

import (
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// EventKind is the kind of a timeline event (TicketEvent.kind, SPEC §3).
type EventKind string

// The event kinds.
const (
	EventCreated              EventKind = "CREATED"
	EventStatusChanged        EventKind = "STATUS_CHANGED"
	EventPriorityChanged      EventKind = "PRIORITY_CHANGED"
	EventAssigned             EventKind = "ASSIGNED"
	EventCommented            EventKind = "COMMENTED"
	EventInformationRequested EventKind = "INFORMATION_REQUESTED"
	EventSLAWarning           EventKind = "SLA_WARNING"
	EventSLABreached          EventKind = "SLA_BREACHED"
	EventEscalated            EventKind = "ESCALATED"
	EventReminderSent         EventKind = "REMINDER_SENT"
)

// Event is one timeline entry a change records. Data is one of the *Data
// types below (nil for none): its JSON is the event's data, as SPEC §3
// and the API's clients know it — fields in the order of their names, as
// they have always been written.
type Event struct {
	Kind EventKind
	Data any
	// Internal: the event records an internal note, hidden from contacts.
	Internal bool
}

// CreatedData is the data of CREATED.
type CreatedData struct {
	Channel  string              `json:"channel"`
	Number   string              `json:"number"`
	Priority schematype.Priority `json:"priority"`
}

// StatusChangedData is the data of STATUS_CHANGED; Reason is the caller's
// reason, message or resolution, left out when there is none.
type StatusChangedData struct {
	From   schematype.Status `json:"from"`
	Reason string            `json:"reason,omitempty"`
	To     schematype.Status `json:"to"`
}

// PriorityChangedData is the data of PRIORITY_CHANGED.
type PriorityChangedData struct {
	From   schematype.Priority `json:"from"`
	Reason string              `json:"reason"`
	To     schematype.Priority `json:"to"`
}

// AssignedData is the data of ASSIGNED: the agents' IDs (null for none)
// and, when there is a new assignee, its name.
type AssignedData struct {
	Agent string `json:"agent,omitempty"`
	From  *int   `json:"from"`
	To    *int   `json:"to"`
}

// CommentedData is the data of COMMENTED.
type CommentedData struct {
	CommentID int  `json:"commentID"`
	Internal  bool `json:"internal"`
}

// InformationRequestedData is the data of INFORMATION_REQUESTED: the
// question put to the customer.
type InformationRequestedData struct {
	Message string `json:"message"`
}

// ClockData is the data of SLA_WARNING and SLA_BREACHED: which clock,
// and its due time.
type ClockData struct {
	Clock sla.Clock `json:"clock"`
	DueAt time.Time `json:"dueAt"`
}

// EscalatedData is the data of ESCALATED; Manual is false for an
// escalation the product made (a breach, the next level of the ladder).
type EscalatedData struct {
	From   int    `json:"from"`
	Manual bool   `json:"manual"`
	Reason string `json:"reason"`
	To     int    `json:"to"`
}

// ReminderData is the data of REMINDER_SENT: since when the ticket waits
// on the customer.
type ReminderData struct {
	WaitingSince time.Time `json:"waitingSince"`
}

// Created is the event that records a new ticket, opened through channel.
func Created(t Ticket, channel string) Event {
	return Event{Kind: EventCreated, Data: CreatedData{Channel: channel, Number: Number(t.ID), Priority: t.Priority}}
}

// Commented is the event that records a comment.
func Commented(commentID int, internal bool) Event {
	return Event{Kind: EventCommented, Internal: internal, Data: CommentedData{CommentID: commentID, Internal: internal}}
}
