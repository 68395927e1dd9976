package notify

import "encoding/json"

// Payload is what the delivery of one notification needs, fixed when it
// is planned (Notification.payload): a retry a day later sends what the
// event said at its moment, in the recipient's language of that moment.
type Payload struct {
	EventID   int    `json:"eventID"`
	EventKind string `json:"eventKind"`
	TicketID  int    `json:"ticketID"`
	Number    string `json:"number"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
	Priority  string `json:"priority"`
	// From and To are the previous and new value of a status or priority
	// change, or the escalation levels.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Text is a comment's body, a request for information's question, or
	// a change's reason.
	Text   string `json:"text,omitempty"`
	Author string `json:"author,omitempty"`
	Clock  string `json:"clock,omitempty"`
	DueAt  string `json:"dueAt,omitempty"`
	// Name and Locale are the recipient's (e-mail).
	Name     string `json:"name,omitempty"`
	Locale   string `json:"locale,omitempty"`
	Reminder bool   `json:"reminder,omitempty"`
	// WebhookID and Body are a webhook delivery's endpoint and the JSON
	// it is POSTed.
	WebhookID int             `json:"webhookID,omitempty"`
	Body      json.RawMessage `json:"body,omitempty"`
}
