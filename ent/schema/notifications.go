package schema

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/agent"
	"helpdesk/ent/contact"
	"helpdesk/ent/escalationtable"
	"helpdesk/ent/notification"
	"helpdesk/ent/ticketevent"
	"helpdesk/ent/webhook"
	"helpdesk/internal/notify"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

// plan writes, in the change's transaction, the notifications that the
// events of a change of t owe (internal/notify decides which), each
// PENDING and due at now. They commit with the events or not at all; the
// delivery loop (internal/deliver) sends them after the commit.
func plan(ctx context.Context, c *ent.Client, t *ent.Ticket, now time.Time, saved []*ent.TicketEvent, evs []ticketing.Event) error {
	sys := viewer.SystemContext(ctx)
	v := viewer.FromContext(ctx)
	var (
		dir      *directory
		builders []*ent.NotificationCreate
	)
	for i, e := range saved {
		ne := notify.Event{ID: e.ID, Kind: e.Kind, Internal: e.Internal}
		switch v.Kind {
		case viewer.Agent:
			ne.Side, ne.ActorID = notify.ByAgent, v.ID
		case viewer.Contact:
			ne.Side, ne.ActorID = notify.ByContact, v.ID
		}
		if d, ok := evs[i].Data.(ticketing.EscalatedData); ok {
			ne.Level = d.To
		}
		if _, _, ok := notify.KindOf(ne); !ok {
			continue
		}
		if dir == nil {
			var err error
			if dir, err = lookUp(sys, c, t); err != nil {
				return err
			}
		}
		in, err := dir.input(sys, ne)
		if err != nil {
			return err
		}
		base, err := payloadOf(sys, c, t, e, evs[i])
		if err != nil {
			return err
		}
		for _, d := range notify.Plan(in) {
			p := base
			p.Name, p.Locale, p.Reminder, p.WebhookID = d.Name, d.Locale, d.Reminder, d.WebhookID
			if d.Channel == notify.Webhook {
				p.Name, p.Locale = "", ""
				if p.Body, err = webhookBody(t, e, d); err != nil {
					return err
				}
			}
			raw, err := json.Marshal(p)
			if err != nil {
				return err
			}
			builders = append(builders, c.Notification.Create().SetTicketID(t.ID).SetEventID(e.ID).
				SetKind(notification.Kind(d.Kind)).SetChannel(notification.Channel(d.Channel)).
				SetRecipient(d.Recipient).SetDedupeKey(d.DedupeKey).SetPayload(string(raw)).
				SetNextAttemptAt(now).SetCreatedAt(now).SetUpdatedAt(now))
		}
	}
	if len(builders) == 0 {
		return nil
	}
	return c.Notification.CreateBulk(builders...).Exec(sys)
}

// directory is who is around a ticket, read once per change and only as
// far as its events need (notify.NeedsOf).
type directory struct {
	c           *ent.Client
	t           *ent.Ticket
	requester   notify.Person
	assignee    *notify.Person
	webhooks    []notify.Endpoint
	contacts    *[]notify.Contact
	supervisors *[]notify.Person
	org         *ent.Organization
	accountMgr  *notify.Person
}

type requesterKey struct{}

// withRequester is ctx carrying the ticket's requester as the change has
// just read it (a create reads it to derive the organization), so that the
// notification plan does not read it again in the same transaction.
func withRequester(ctx context.Context, req *ent.Contact) context.Context {
	return context.WithValue(ctx, requesterKey{}, req)
}

// lookUp reads what every notified event needs: the requester, the
// assignee and the organization's webhooks.
func lookUp(ctx context.Context, c *ent.Client, t *ent.Ticket) (*directory, error) {
	d := &directory{c: c, t: t}
	req, _ := ctx.Value(requesterKey{}).(*ent.Contact)
	if req == nil || req.ID != t.RequesterID {
		var err error
		if req, err = c.Contact.Get(ctx, t.RequesterID); err != nil {
			return nil, err
		}
	}
	d.requester = contactPerson(req)
	if t.AssigneeID != nil {
		a, err := c.Agent.Get(ctx, *t.AssigneeID)
		if err != nil {
			return nil, err
		}
		p := agentPerson(a)
		d.assignee = &p
	}
	ws, err := c.Webhook.Query().Where(webhook.OrganizationID(t.OrganizationID), webhook.Active(true)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		e := notify.Endpoint{ID: w.ID, URL: w.URL, Active: w.Active}
		for _, k := range w.Kinds {
			e.Kinds = append(e.Kinds, notify.Kind(k))
		}
		d.webhooks = append(d.webhooks, e)
	}
	return d, nil
}

// input is the planner's input for event e, reading what e needs and the
// directory has not read yet.
func (d *directory) input(ctx context.Context, e notify.Event) (notify.Input, error) {
	in := notify.Input{
		Event: e, Category: string(d.t.Category), Requester: d.requester, Assignee: d.assignee, Webhooks: d.webhooks,
	}
	need := notify.NeedsOf(e, string(d.t.Category), d.assignee != nil)
	if need.Contacts && d.contacts == nil {
		cs, err := d.c.Contact.Query().Where(contact.OrganizationID(d.t.OrganizationID), contact.Active(true)).All(ctx)
		if err != nil {
			return in, err
		}
		all := []notify.Contact{}
		for _, x := range cs {
			nc := notify.Contact{Person: contactPerson(x)}
			for _, ty := range x.Types {
				nc.Types = append(nc.Types, string(ty))
			}
			all = append(all, nc)
		}
		d.contacts = &all
	}
	if need.Supervisors && d.supervisors == nil {
		as, err := d.c.Agent.Query().Where(agent.RoleEQ(agent.RoleSUPERVISOR), agent.Active(true)).All(ctx)
		if err != nil {
			return in, err
		}
		all := []notify.Person{}
		for _, a := range as {
			all = append(all, agentPerson(a))
		}
		d.supervisors = &all
	}
	if need.Escalation {
		if err := d.escalation(ctx, e, &in); err != nil {
			return in, err
		}
	}
	if d.contacts != nil {
		in.Contacts = *d.contacts
	}
	if d.supervisors != nil {
		in.Supervisors = *d.supervisors
	}
	return in, nil
}

// escalation adds to in the addresses of the level e reached, in the
// region's escalation table, and the organization's account manager.
func (d *directory) escalation(ctx context.Context, e notify.Event, in *notify.Input) error {
	if d.org == nil {
		org, err := d.c.Organization.Get(ctx, d.t.OrganizationID)
		if err != nil {
			return err
		}
		d.org = org
		if org.AccountManagerID != nil {
			a, err := d.c.Agent.Get(ctx, *org.AccountManagerID)
			if err != nil {
				return err
			}
			p := agentPerson(a)
			d.accountMgr = &p
		}
	}
	in.AccountManager = d.accountMgr
	table, err := d.c.EscalationTable.Query().Where(escalationtable.Region(d.org.Region)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	for _, l := range table.Levels {
		if l.Level == e.Level {
			in.LevelEmails = l.Emails
		}
	}
	return nil
}

func contactPerson(x *ent.Contact) notify.Person {
	return notify.Person{ID: x.ID, Name: x.Name, Email: x.Email, Locale: x.Locale, Active: x.Active}
}

func agentPerson(a *ent.Agent) notify.Person {
	return notify.Person{ID: a.ID, Name: a.Name, Email: a.Email, Locale: notify.DefaultLocale, Active: a.Active, Agent: true}
}

// payloadOf is what every delivery of event e says, whoever gets it.
func payloadOf(ctx context.Context, c *ent.Client, t *ent.Ticket, e *ent.TicketEvent, ev ticketing.Event) (notify.Payload, error) {
	p := notify.Payload{
		EventID: e.ID, EventKind: e.Kind, TicketID: t.ID, Number: ticketing.Number(t.ID), Subject: t.Subject,
		Status: string(t.Status), Priority: string(t.Priority),
	}
	switch d := ev.Data.(type) {
	case ticketing.StatusChangedData:
		p.From, p.To, p.Text = string(d.From), string(d.To), d.Reason
	case ticketing.PriorityChangedData:
		p.From, p.To, p.Text = string(d.From), string(d.To), d.Reason
	case ticketing.InformationRequestedData:
		p.Text = d.Message
	case ticketing.ClockData:
		p.Clock, p.DueAt = string(d.Clock), d.DueAt.UTC().Format(time.RFC3339)
	case ticketing.EscalatedData:
		p.From, p.To, p.Text = strconv.Itoa(d.From), strconv.Itoa(d.To), d.Reason
	case ticketing.CommentedData:
		cm, err := c.Comment.Get(ctx, d.CommentID)
		if err != nil {
			return p, err
		}
		p.Text = cm.Body
		switch {
		case cm.AuthorAgentID != nil:
			if a, err := c.Agent.Get(ctx, *cm.AuthorAgentID); err == nil {
				p.Author = a.Name
			}
		case cm.AuthorContactID != nil:
			if x, err := c.Contact.Get(ctx, *cm.AuthorContactID); err == nil {
				p.Author = x.Name
			}
		}
	}
	if e.Kind == string(ticketing.EventInformationRequested) || e.Kind == string(ticketing.EventReminderSent) {
		if p.Text == "" {
			p.Text = lastQuestion(ctx, c, t)
		}
	}
	return p, nil
}

// lastQuestion is the question of the ticket's last request for
// information (a reminder repeats it).
func lastQuestion(ctx context.Context, c *ent.Client, t *ent.Ticket) string {
	e, err := c.TicketEvent.Query().Where(ticketevent.TicketID(t.ID), ticketevent.Kind(string(ticketing.EventInformationRequested))).
		Order(ent.Desc(ticketevent.FieldID)).First(ctx)
	if err != nil || e.Data == nil {
		return ""
	}
	var d ticketing.InformationRequestedData
	if json.Unmarshal([]byte(*e.Data), &d) != nil {
		return ""
	}
	return d.Message
}

// webhookBody is the JSON a webhook is POSTed for event e: the kinds,
// the ticket as the event left it (status, priority, SLA fields, times)
// and the event's data.
func webhookBody(t *ent.Ticket, e *ent.TicketEvent, d notify.Delivery) (json.RawMessage, error) {
	type ticketBody struct {
		ID                    string     `json:"id"`
		Number                string     `json:"number"`
		Subject               string     `json:"subject"`
		Status                string     `json:"status"`
		Priority              string     `json:"priority"`
		Category              string     `json:"category"`
		EscalationLevel       int        `json:"escalationLevel"`
		SLAPaused             bool       `json:"slaPaused"`
		FirstResponseDueAt    *time.Time `json:"firstResponseDueAt"`
		ResolutionDueAt       *time.Time `json:"resolutionDueAt"`
		FirstResponseBreached bool       `json:"firstResponseBreached"`
		ResolutionBreached    bool       `json:"resolutionBreached"`
		FirstRespondedAt      *time.Time `json:"firstRespondedAt"`
		ResolvedAt            *time.Time `json:"resolvedAt"`
		ClosedAt              *time.Time `json:"closedAt"`
		CreatedAt             time.Time  `json:"createdAt"`
		UpdatedAt             time.Time  `json:"updatedAt"`
	}
	body := struct {
		Kind       notify.Kind     `json:"kind"`
		Event      string          `json:"event"`
		EventID    string          `json:"eventID"`
		OccurredAt time.Time       `json:"occurredAt"`
		Ticket     ticketBody      `json:"ticket"`
		Data       json.RawMessage `json:"data,omitempty"`
	}{
		Kind: d.Kind, Event: e.Kind, EventID: strconv.Itoa(e.ID), OccurredAt: e.CreatedAt.UTC(),
		Ticket: ticketBody{
			ID: strconv.Itoa(t.ID), Number: ticketing.Number(t.ID), Subject: t.Subject, Status: string(t.Status),
			Priority: string(t.Priority), Category: string(t.Category), EscalationLevel: t.EscalationLevel,
			SLAPaused: t.SLAPaused, FirstResponseDueAt: t.FirstResponseDueAt, ResolutionDueAt: t.ResolutionDueAt,
			FirstResponseBreached: t.FirstResponseBreached, ResolutionBreached: t.ResolutionBreached,
			FirstRespondedAt: t.FirstRespondedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
			CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
		},
	}
	if e.Data != nil {
		body.Data = json.RawMessage(*e.Data)
	}
	return json.Marshal(body)
}
