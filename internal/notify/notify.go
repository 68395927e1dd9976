// Package notify plans the notifications of a ticket's events (SPEC §5):
// given one event, the ticket and the people and endpoints around it, Plan
// returns every delivery owed — its notification kind, channel,
// recipient, language and dedupe key — and nothing else. It is pure: no
// database, no clock, no I/O. The data model calls it in the transaction
// that records the event, so a notification is planned exactly when its
// event commits; delivering it is another package's job, later and
// outside that transaction.
//
// The rules, one per row of SPEC §5:
//
//   - CREATED: TICKET_RECEIVED (the instant auto-reply) to the requester.
//   - STATUS_CHANGED: STATUS_CHANGED to the requester.
//   - PRIORITY_CHANGED by an agent: PRIORITY_CHANGED to the requester and
//     the assignee.
//   - INFORMATION_REQUESTED, and each REMINDER_SENT: INFORMATION_REQUESTED
//     to the requester (a reminder says so).
//   - COMMENTED, public: COMMENT_ADDED to the other side — a contact's
//     reply to the assignee (every supervisor while nobody is assigned),
//     an agent's to the requester. Internal notes notify nobody.
//   - SLA_WARNING: SLA_WARNING to the assignee, or to every supervisor
//     while nobody is assigned.
//   - ESCALATED (a breach or by hand): ESCALATED to the addresses of the
//     level reached in the region's escalation table, the assignee and
//     the organization's account manager.
//
// Every message that goes to the requester also goes to the
// organization's TECHNICAL contacts when the ticket is an incident and to
// its ADMINISTRATIVE contacts when it is administrative. A deactivated
// contact or agent is never a recipient, and an agent is not told of its
// own change (a requester is: what it did is confirmed to it, the
// auto-reply first of all). Each active webhook of the organization that takes
// the kind (an empty list takes all) gets one delivery per event. A
// recipient appears once per event and channel, whatever the number of
// reasons it has: its dedupe key is event/channel/recipient.
package notify

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is a notification kind (Notification.kind).
type Kind string

// The notification kinds of SPEC §5.
const (
	TicketReceived       Kind = "TICKET_RECEIVED"
	StatusChanged        Kind = "STATUS_CHANGED"
	PriorityChanged      Kind = "PRIORITY_CHANGED"
	InformationRequested Kind = "INFORMATION_REQUESTED"
	CommentAdded         Kind = "COMMENT_ADDED"
	SLAWarning           Kind = "SLA_WARNING"
	Escalated            Kind = "ESCALATED"
)

// Kinds are all notification kinds, in SPEC §5's order.
var Kinds = []Kind{TicketReceived, StatusChanged, PriorityChanged, InformationRequested, CommentAdded, SLAWarning, Escalated}

// Channel is a delivery channel (Notification.channel).
type Channel string

// The channels a notification is delivered on. Subscriptions are not one:
// they stream the events themselves.
const (
	Email   Channel = "EMAIL"
	Webhook Channel = "WEBHOOK"
)

// Locales are the languages messages are written in; the first is the
// default.
var Locales = []string{"en", "es"}

// DefaultLocale is the language of a contact that names none.
const DefaultLocale = "en"

// ValidLocale reports an error unless l is one of Locales.
func ValidLocale(l string) error {
	if !slices.Contains(Locales, l) {
		return fmt.Errorf("locale %q is not one of %s", l, strings.Join(Locales, ", "))
	}
	return nil
}

// Side is who made the change an event records.
type Side int

// The sides of a change.
const (
	// BySystem: the product itself (a breach, a reminder, auto-close).
	BySystem Side = iota
	// ByAgent: an agent of the service desk.
	ByAgent
	// ByContact: one of the customer's contacts.
	ByContact
)

// Event is the event to plan for, as recorded.
type Event struct {
	ID   int
	Kind string // ticketing.EventKind: CREATED, STATUS_CHANGED, …
	// Internal: an internal note (hidden from contacts).
	Internal bool
	// Side and ActorID say who made the change (ActorID is an agent's or
	// a contact's ID, per Side).
	Side    Side
	ActorID int
	// Level is the escalation level an ESCALATED event reached.
	Level int
}

// Person is someone a message may go to.
type Person struct {
	ID     int
	Name   string
	Email  string
	Locale string
	Active bool
	// Agent: an agent of the service desk (IDs of agents and contacts
	// are separate).
	Agent bool
}

// Contact is one of the organization's contacts.
type Contact struct {
	Person
	// Types are its contact types (TECHNICAL, ADMINISTRATIVE, …).
	Types []string
}

// Endpoint is one of the organization's webhooks.
type Endpoint struct {
	ID     int
	URL    string
	Kinds  []Kind // empty: every kind
	Active bool
}

// Input is what Plan needs to know about one event.
type Input struct {
	Event Event
	// Category is the ticket's category (INCIDENT, ADMINISTRATIVE, …).
	Category  string
	Requester Person
	// Contacts are the organization's contacts (for the TECHNICAL and
	// ADMINISTRATIVE copies); only those two kinds' rows matter.
	Contacts []Contact
	// Assignee is the ticket's assignee; nil while nobody is assigned.
	Assignee *Person
	// Supervisors are the service desk's supervisors (SLA warnings and
	// replies of unassigned tickets).
	Supervisors []Person
	// AccountManager is the organization's account manager, if any.
	AccountManager *Person
	// LevelEmails are the addresses of the escalation level the event
	// reached (ESCALATED).
	LevelEmails []string
	Webhooks    []Endpoint
}

// Delivery is one message owed.
type Delivery struct {
	Kind    Kind
	Channel Channel
	// Recipient is an e-mail address or a webhook's URL.
	Recipient string
	// Name and Locale are the recipient's, for e-mail (Locale is
	// DefaultLocale for addresses of no known person).
	Name   string
	Locale string
	// WebhookID is the endpoint of a webhook delivery.
	WebhookID int
	// Reminder marks an INFORMATION_REQUESTED sent again as a reminder.
	Reminder bool
	// DedupeKey is event/channel/recipient: one delivery of each.
	DedupeKey string
}

// KindOf is the notification kind an event of this kind is notified as,
// if any; reminder says it is a reminder of a request for information.
func KindOf(e Event) (k Kind, reminder, ok bool) {
	switch e.Kind {
	case "CREATED":
		return TicketReceived, false, true
	case "STATUS_CHANGED":
		return StatusChanged, false, true
	case "PRIORITY_CHANGED":
		return PriorityChanged, false, e.Side == ByAgent
	case "INFORMATION_REQUESTED":
		return InformationRequested, false, true
	case "REMINDER_SENT":
		return InformationRequested, true, true
	case "COMMENTED":
		return CommentAdded, false, !e.Internal
	case "SLA_WARNING":
		return SLAWarning, false, true
	case "ESCALATED":
		return Escalated, false, true
	}
	return "", false, false
}

// Needs says which parts of Input the rules read for an event, so that a
// caller reads only those: the organization's contacts (the TECHNICAL
// and ADMINISTRATIVE copies), the supervisors, and what an escalation
// needs (the level's addresses, the account manager). The requester, the
// assignee and the webhooks are read for every notified event.
type Needs struct {
	Contacts, Supervisors, Escalation bool
}

// NeedsOf is what Plan reads of an Input for e on a ticket of this
// category, assigned or not.
func NeedsOf(e Event, category string, assigned bool) Needs {
	kind, _, ok := KindOf(e)
	if !ok {
		return Needs{}
	}
	toCustomer := kind == TicketReceived || kind == StatusChanged || kind == InformationRequested ||
		kind == PriorityChanged || (kind == CommentAdded && e.Side != ByContact)
	toAgents := kind == SLAWarning || (kind == CommentAdded && e.Side == ByContact)
	return Needs{
		Contacts:    toCustomer && (category == "INCIDENT" || category == "ADMINISTRATIVE"),
		Supervisors: toAgents && !assigned,
		Escalation:  kind == Escalated,
	}
}

// Plan returns the deliveries owed for in.Event, e-mail first, in the
// order of the rules, each recipient once per channel.
func Plan(in Input) []Delivery {
	kind, reminder, ok := KindOf(in.Event)
	if !ok {
		return nil
	}
	p := planner{in: in, kind: kind, reminder: reminder, seen: map[string]bool{}}
	toCustomer := false
	switch kind {
	case TicketReceived, StatusChanged, InformationRequested:
		toCustomer = true
	case PriorityChanged:
		toCustomer = true
		p.person(in.Assignee)
	case CommentAdded:
		if in.Event.Side == ByContact {
			p.agentSide()
		} else {
			toCustomer = true
		}
	case SLAWarning:
		p.agentSide()
	case Escalated:
		for _, e := range in.LevelEmails {
			p.address(e, "", DefaultLocale)
		}
		p.person(in.Assignee)
		p.person(in.AccountManager)
	}
	if toCustomer {
		p.person(&in.Requester)
		p.copies()
	}
	for _, w := range in.Webhooks {
		if w.Active && (len(w.Kinds) == 0 || slices.Contains(w.Kinds, kind)) {
			p.add(Delivery{Channel: Webhook, Recipient: w.URL, WebhookID: w.ID})
		}
	}
	return p.out
}

type planner struct {
	in       Input
	kind     Kind
	reminder bool
	seen     map[string]bool
	out      []Delivery
}

// agentSide is the assignee, or every supervisor while nobody is
// assigned.
func (p *planner) agentSide() {
	if p.in.Assignee != nil {
		p.person(p.in.Assignee)
		return
	}
	for i := range p.in.Supervisors {
		p.person(&p.in.Supervisors[i])
	}
}

// copies are the organization's TECHNICAL contacts of an incident and
// ADMINISTRATIVE contacts of an administrative ticket.
func (p *planner) copies() {
	want := map[string]string{"INCIDENT": "TECHNICAL", "ADMINISTRATIVE": "ADMINISTRATIVE"}[p.in.Category]
	if want == "" {
		return
	}
	for i := range p.in.Contacts {
		if slices.Contains(p.in.Contacts[i].Types, want) {
			p.person(&p.in.Contacts[i].Person)
		}
	}
}

// person adds an active person by e-mail, unless it made the change.
func (p *planner) person(x *Person) {
	if x == nil || !x.Active {
		return
	}
	if p.isActor(x) {
		return
	}
	p.address(x.Email, x.Name, x.Locale)
}

// isActor reports whether x is the agent who made the change.
func (p *planner) isActor(x *Person) bool {
	e := p.in.Event
	return e.Side == ByAgent && x.Agent && x.ID == e.ActorID
}

func (p *planner) address(email, name, locale string) {
	email = strings.TrimSpace(email)
	if email == "" {
		return
	}
	if ValidLocale(locale) != nil {
		locale = DefaultLocale
	}
	p.add(Delivery{Channel: Email, Recipient: email, Name: name, Locale: locale})
}

func (p *planner) add(d Delivery) {
	d.Kind, d.Reminder = p.kind, p.reminder
	d.DedupeKey = DedupeKey(p.in.Event.ID, d.Channel, d.Recipient)
	if p.seen[d.DedupeKey] {
		return
	}
	p.seen[d.DedupeKey] = true
	p.out = append(p.out, d)
}

// DedupeKey is the key of the one delivery of event's notification to
// recipient on ch. E-mail addresses compare without case.
func DedupeKey(event int, ch Channel, recipient string) string {
	if ch == Email {
		recipient = strings.ToLower(recipient)
	}
	return fmt.Sprintf("%d/%s/%s", event, ch, recipient)
}
