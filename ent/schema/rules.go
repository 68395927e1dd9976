package schema

// Privacy rules shared by the schemas. Every query and mutation of every
// entity passes through them (node, nodes, connections, edges and
// subscriptions alike), so tenant isolation does not depend on resolvers.

import (
	"context"
	"fmt"

	"helpdesk/ent"
	"helpdesk/ent/comment"
	"helpdesk/ent/notification"
	"helpdesk/ent/organization"
	"helpdesk/ent/predicate"
	"helpdesk/ent/privacy"
	"helpdesk/ent/slapolicy"
	"helpdesk/ent/ticket"
	"helpdesk/ent/ticketevent"
	"helpdesk/internal/viewer"
)

// allowSystem lets the product itself (workflows, intake, start-up) through
// and stops anonymous callers before any other rule looks at them.
func allowSystem() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		switch viewer.FromContext(ctx).Kind {
		case viewer.System:
			return privacy.Allow
		case viewer.Anonymous:
			return viewer.ErrUnauthenticated
		}
		return privacy.Skip
	})
}

// denyPartnerMutations: a partner token changes nothing (checked first, so
// before any input validation).
func denyPartnerMutations() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		if viewer.FromContext(ctx).Kind == viewer.Partner {
			return fmt.Errorf("%w: partner tokens are read-only", viewer.ErrForbidden)
		}
		return privacy.Skip
	})
}

// allowAgents lets every agent through.
func allowAgents() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx).IsAgent() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// allowAdminAgents lets ADMIN agents through.
func allowAdminAgents() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx).IsAdminAgent() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// denyMutation ends a mutation policy: whatever no rule allowed is forbidden.
func denyMutation(what string) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(context.Context, ent.Mutation) error {
		return fmt.Errorf("%w: only an administrator may %s", viewer.ErrForbidden, what)
	})
}

// adminOnlyPolicy is the policy of what only ADMIN agents change and every
// authenticated caller may read.
func adminOnlyPolicy(what string) ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystem(), privacy.AlwaysAllowRule()},
		Mutation: privacy.MutationPolicy{
			denyPartnerMutations(), allowSystem(), allowAdminAgents(), denyMutation(what),
		},
	}
}

// systemOnlyPolicy is the policy of internal records nobody reads or writes
// through the API.
func systemOnlyPolicy() ent.Policy {
	deny := privacy.ContextQueryMutationRule(func(context.Context) error { return viewer.ErrForbidden })
	return privacy.Policy{
		Query:    privacy.QueryPolicy{allowSystem(), deny},
		Mutation: privacy.MutationPolicy{allowSystem(), deny},
	}
}

// ticketScope is what tickets a contact or partner sees: a USER contact the
// tickets it requested, an ADMIN or MASTER contact its organization's, a
// partner those of its organizations.
func ticketScope(v viewer.Viewer) predicate.Ticket {
	switch {
	case v.Kind == viewer.Contact && !v.SeesWholeOrganization():
		return ticket.And(ticket.RequesterID(v.ID), ticket.OrganizationID(v.OrganizationID))
	case v.Kind == viewer.Contact, v.Kind == viewer.Partner:
		return ticket.OrganizationIDIn(v.OrganizationIDs()...)
	}
	return ticket.IDIn() // nothing
}

// filterTickets applies ticketScope to ticket queries of contacts and partners.
func filterTickets() privacy.QueryRule {
	return privacy.TicketQueryRuleFunc(func(ctx context.Context, q *ent.TicketQuery) error {
		q.Where(ticketScope(viewer.FromContext(ctx)))
		return privacy.Allow
	})
}

// filterComments hides internal notes and other tenants' comments.
func filterComments() privacy.QueryRule {
	return privacy.CommentQueryRuleFunc(func(ctx context.Context, q *ent.CommentQuery) error {
		q.Where(comment.Internal(false), comment.HasTicketWith(ticketScope(viewer.FromContext(ctx))))
		return privacy.Allow
	})
}

// filterTicketEvents hides events of internal notes and of other tenants.
func filterTicketEvents() privacy.QueryRule {
	return privacy.TicketEventQueryRuleFunc(func(ctx context.Context, q *ent.TicketEventQuery) error {
		q.Where(ticketevent.Internal(false), ticketevent.HasTicketWith(ticketScope(viewer.FromContext(ctx))))
		return privacy.Allow
	})
}

// filterNotifications shows a contact the notifications of its tickets but
// not the SLA warnings sent to agents.
func filterNotifications() privacy.QueryRule {
	return privacy.NotificationQueryRuleFunc(func(ctx context.Context, q *ent.NotificationQuery) error {
		q.Where(notification.KindNEQ(notification.KindSLA_WARNING), notification.HasTicketWith(ticketScope(viewer.FromContext(ctx))))
		return privacy.Allow
	})
}

// filterPolicies shows a contact the default policy and its organization's.
func filterPolicies() privacy.QueryRule {
	return privacy.SLAPolicyQueryRuleFunc(func(ctx context.Context, q *ent.SLAPolicyQuery) error {
		orgs := viewer.FromContext(ctx).OrganizationIDs()
		q.Where(slapolicy.Or(slapolicy.IsDefault(true), slapolicy.HasOrganizationsWith(organization.IDIn(orgs...))))
		return privacy.Allow
	})
}

// orgManagedBy reports whether agent v is the account manager of org.
func orgManagedBy(ctx context.Context, c *ent.Client, org int, v viewer.Viewer) (bool, error) {
	if v.Kind != viewer.Agent || v.Role != viewer.RoleAccountManager {
		return false, nil
	}
	return c.Organization.Query().
		Where(organization.ID(org), organization.AccountManagerID(v.ID)).
		Exist(viewer.SystemContext(ctx))
}

// allowAccountManagerOf lets the account manager of the mutation's
// organization through.
func allowAccountManagerOf(orgOf func(context.Context, ent.Mutation) (int, error)) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v := viewer.FromContext(ctx)
		if v.Kind != viewer.Agent || v.Role != viewer.RoleAccountManager {
			return privacy.Skip
		}
		org, err := orgOf(ctx, m)
		if err != nil {
			return err
		}
		ok, err := orgManagedBy(ctx, clientOf(m), org, v)
		if err != nil {
			return err
		}
		if ok {
			return privacy.Allow
		}
		return fmt.Errorf("%w: you are not the account manager of this organization", viewer.ErrForbidden)
	})
}

// clientOf returns the client (or transaction) a mutation runs in.
func clientOf(m ent.Mutation) *ent.Client {
	type clienter interface{ Client() *ent.Client }
	return m.(clienter).Client()
}
