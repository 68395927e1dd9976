package schema

// The privacy policies of every entity, in one file so that who may see and
// change what (SPEC §7) reads as one table.

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"helpdesk/ent"
	"helpdesk/ent/contact"
	"helpdesk/ent/organization"
	"helpdesk/ent/privacy"
	"helpdesk/ent/service"
	"helpdesk/ent/ticket"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
	"helpdesk/internal/viewer"
)

// Policy of Agent: everyone signed in reads agents (they show as
// assignees); only ADMIN agents manage them.
func (Agent) Policy() ent.Policy { return adminOnlyPolicy("manage agents") }

// Policy of SLAPolicy: contacts and partners see the default policy and
// their organizations'; only ADMIN agents manage policies.
func (SLAPolicy) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), filterPolicies()},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(), denyMutation("manage SLA policies"),
		},
	}
}

// Policy of EscalationTable: agents only.
func (EscalationTable) Policy() ent.Policy {
	hide := privacy.EscalationTableQueryRuleFunc(func(_ context.Context, q *ent.EscalationTableQuery) error {
		q.Where(func(s *sql.Selector) { s.Where(sql.False()) })
		return privacy.Allow
	})
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), hide},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(), denyMutation("manage escalation tables"),
		},
	}
}

// Policy of Organization: contacts and partners see their own; ADMIN agents
// manage them.
func (Organization) Policy() ent.Policy {
	scope := privacy.OrganizationQueryRuleFunc(func(ctx context.Context, q *ent.OrganizationQuery) error {
		q.Where(organization.IDIn(viewer.FromContext(ctx).OrganizationIDs()...))
		return privacy.Allow
	})
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), scope},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(), denyMutation("manage organizations"),
		},
	}
}

// Policy of Contact: a USER sees itself, an ADMIN or MASTER its
// organization's contacts. ADMIN agents manage all, an account manager those
// of its organizations, a MASTER its organization's, an ADMIN contact its
// organization's USER contacts.
func (Contact) Policy() ent.Policy {
	scope := privacy.ContactQueryRuleFunc(func(ctx context.Context, q *ent.ContactQuery) error {
		v := viewer.FromContext(ctx)
		if v.Kind == viewer.Contact && !v.SeesWholeOrganization() {
			q.Where(contact.ID(v.ID))
		} else {
			q.Where(contact.OrganizationIDIn(v.OrganizationIDs()...))
		}
		return privacy.Allow
	})
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), scope},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(),
			privacy.OnMutationOperation(privacy.ContactMutationRuleFunc(mayManageContact), ent.OpCreate|ent.OpUpdateOne),
			denyMutation("manage these contacts"),
		},
	}
}

// mayManageContact decides for account managers and contacts.
func mayManageContact(ctx context.Context, m *ent.ContactMutation) error {
	v := viewer.FromContext(ctx)
	sys := viewer.SystemContext(ctx)
	org, ok := m.OrganizationID()
	role, _ := m.Role()
	if !ok || m.Op().Is(ent.OpUpdateOne) {
		id, exists := m.ID()
		if !exists {
			return fmt.Errorf("%w: contact to change is unknown", viewer.ErrForbidden)
		}
		old, err := m.Client().Contact.Get(sys, id)
		if err != nil {
			return err
		}
		org = old.OrganizationID
		if v.Kind == viewer.Contact && org != v.OrganizationID {
			// Another organization's contact does not exist for a contact:
			// the same answer as for an unknown ID, telling nothing of it.
			return &ent.NotFoundError{}
		}
		if v.Kind == viewer.Contact && v.Role == viewer.RoleContactAdmin && old.Role != contact.RoleUSER {
			return fmt.Errorf("%w: an ADMIN contact manages USER contacts only", viewer.ErrForbidden)
		}
	}
	switch v.Kind {
	case viewer.Agent:
		managed, err := orgManagedBy(ctx, m.Client(), org, v)
		if err != nil {
			return err
		}
		if managed {
			return privacy.Allow
		}
	case viewer.Contact:
		if org != v.OrganizationID {
			return fmt.Errorf("%w: contacts of another organization", viewer.ErrForbidden)
		}
		switch v.Role {
		case viewer.RoleMaster:
			return privacy.Allow
		case viewer.RoleContactAdmin:
			if role == "" || role == contact.RoleUSER {
				return privacy.Allow
			}
			return fmt.Errorf("%w: an ADMIN contact manages USER contacts only", viewer.ErrForbidden)
		}
	}
	return fmt.Errorf("%w: you may not manage these contacts", viewer.ErrForbidden)
}

// Policy of Service: readers of the organization see its services; ADMIN
// agents and the organization's account manager manage them.
func (Service) Policy() ent.Policy {
	scope := privacy.ServiceQueryRuleFunc(func(ctx context.Context, q *ent.ServiceQuery) error {
		q.Where(service.OrganizationIDIn(viewer.FromContext(ctx).OrganizationIDs()...))
		return privacy.Allow
	})
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), scope},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(),
			privacy.OnMutationOperation(allowAccountManagerOf(func(ctx context.Context, m ent.Mutation) (int, error) {
				if org, ok := m.(*ent.ServiceMutation).OrganizationID(); ok {
					return org, nil
				}
				return 0, fmt.Errorf("%w: organization unknown", viewer.ErrForbidden)
			}), ent.OpCreate),
			denyMutation("manage services"),
		},
	}
}

// Policy of Webhook: ADMIN agents and the organization's account manager.
func (Webhook) Policy() ent.Policy {
	deny := privacy.ContextQueryMutationRule(func(context.Context) error { return viewer.ErrForbidden })
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAdminAgents(), deny},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(),
			privacy.OnMutationOperation(allowAccountManagerOf(func(ctx context.Context, m ent.Mutation) (int, error) {
				if org, ok := m.(*ent.WebhookMutation).OrganizationID(); ok {
					return org, nil
				}
				return 0, fmt.Errorf("%w: organization unknown", viewer.ErrForbidden)
			}), ent.OpCreate),
			denyMutation("manage webhooks"),
		},
	}
}

// Policy of APIToken: tokens are read only by the product (to authenticate);
// ADMIN agents issue any token, an account manager tokens of its
// organizations' contacts, a MASTER contact tokens of its organization's
// contacts, an ADMIN contact tokens of its organization's USER contacts.
func (APIToken) Policy() ent.Policy {
	deny := privacy.ContextQueryMutationRule(func(context.Context) error { return viewer.ErrForbidden })
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), deny},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(),
			privacy.OnMutationOperation(privacy.APITokenMutationRuleFunc(mayIssueToken), ent.OpCreate),
			denyMutation("issue this token"),
		},
	}
}

// mayIssueToken decides for account managers and contacts: only contact
// tokens, only for contacts they manage.
func mayIssueToken(ctx context.Context, m *ent.APITokenMutation) error {
	v := viewer.FromContext(ctx)
	if p, set := m.Partner(); set && p {
		return fmt.Errorf("%w: only an administrator issues partner tokens", viewer.ErrForbidden)
	}
	cid, ok := m.ContactID()
	if !ok {
		return fmt.Errorf("%w: only an administrator issues agent tokens", viewer.ErrForbidden)
	}
	c, err := m.Client().Contact.Get(viewer.SystemContext(ctx), cid)
	if err != nil {
		return err
	}
	switch v.Kind {
	case viewer.Agent:
		managed, err := orgManagedBy(ctx, m.Client(), c.OrganizationID, v)
		if err != nil {
			return err
		}
		if managed {
			return privacy.Allow
		}
	case viewer.Contact:
		if c.OrganizationID != v.OrganizationID {
			return &ent.NotFoundError{} // as for an unknown contact (see mayManageContact)
		}
		if v.Role == viewer.RoleMaster || v.Role == viewer.RoleContactAdmin && c.Role == contact.RoleUSER {
			return privacy.Allow
		}
	}
	return fmt.Errorf("%w: you may not issue a token for this contact", viewer.ErrForbidden)
}

// Policy of Ticket: agents work every ticket; contacts and partners see
// their scope (ticketScope). A contact may open tickets for itself, and
// change a ticket only as the lifecycle lets a customer (mayCustomerChange).
func (Ticket) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), filterTickets()},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAgents(),
			privacy.TicketMutationRuleFunc(mayCustomerChange),
		},
	}
}

// mayCustomerChange: a contact opens tickets for itself in its
// organization, and changes a ticket only as the rules of a ticket let a
// customer (ticketing.Authorize: reply, reopen, escalate, close). Fields
// that no request of a customer touches are the agents'.
func mayCustomerChange(ctx context.Context, m *ent.TicketMutation) error {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Contact {
		return viewer.ErrForbidden
	}
	if m.Op().Is(ent.OpCreate) {
		// The organization follows from the requester (see createTicket).
		req, _ := m.RequesterID()
		if req != v.ID {
			return fmt.Errorf("%w: a contact opens tickets for itself; requesterID is for agents", viewer.ErrForbidden)
		}
		if org, set := m.OrganizationID(); set && org != v.OrganizationID {
			return fmt.Errorf("%w: a contact opens tickets for itself only", viewer.ErrForbidden)
		}
		return privacy.Allow
	}
	if !m.Op().Is(ent.OpUpdateOne) {
		return viewer.ErrForbidden
	}
	id, _ := m.ID()
	old, err := m.Client().Ticket.Query().Where(ticket.ID(id), ticketScope(v)).Only(viewer.SystemContext(ctx))
	if err != nil {
		return err
	}
	for _, f := range m.Fields() {
		switch f {
		case ticket.FieldUpdatedAt, ticket.FieldStatus, ticket.FieldEscalationLevel:
			// What a change of these means is the request's (requestOf),
			// which Authorize decides on.
		default:
			return fmt.Errorf("%w: only agents change a ticket's %s", viewer.ErrForbidden, f)
		}
	}
	t := tickets.Of(old)
	r, err := requestOf(ctx, m, t)
	if err != nil {
		return err
	}
	if err := ticketing.Authorize(t, r); err != nil {
		return err
	}
	return privacy.Allow
}

// Policy of Comment: contacts never see internal notes; a contact comments
// publicly on tickets in its scope.
func (Comment) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), allowAgents(), filterComments()},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAgents(),
			privacy.CommentMutationRuleFunc(func(ctx context.Context, m *ent.CommentMutation) error {
				v := viewer.FromContext(ctx)
				if v.Kind != viewer.Contact || !m.Op().Is(ent.OpCreate) {
					return viewer.ErrForbidden
				}
				if internal, _ := m.Internal(); internal {
					return fmt.Errorf("%w: internal notes are for agents", viewer.ErrForbidden)
				}
				tid, _ := m.TicketID()
				ok, err := m.Client().Ticket.Query().Where(ticket.ID(tid), ticketScope(v)).Exist(viewer.SystemContext(ctx))
				if err != nil {
					return err
				}
				if !ok {
					return &ent.NotFoundError{}
				}
				return privacy.Allow
			}),
		},
	}
}

// Policy of TicketEvent: the timeline, written only by the product.
func (TicketEvent) Policy() ent.Policy {
	deny := privacy.ContextQueryMutationRule(func(context.Context) error { return viewer.ErrForbidden })
	return privacy.Policy{
		Query:    privacy.QueryPolicy{allowSystem(), allowAgents(), filterTicketEvents()},
		Mutation: privacy.MutationPolicy{allowSystem(), deny},
	}
}

// Policy of Notification: delivery records, written only by the product.
func (Notification) Policy() ent.Policy {
	deny := privacy.ContextQueryMutationRule(func(context.Context) error { return viewer.ErrForbidden })
	return privacy.Policy{
		Query:    privacy.QueryPolicy{allowSystem(), allowAgents(), filterNotifications()},
		Mutation: privacy.MutationPolicy{allowSystem(), deny},
	}
}

// Policy of OutboxMessage: internal.
func (OutboxMessage) Policy() ent.Policy { return systemOnlyPolicy() }
