package schema

import (
	"context"

	"helpdesk/ent"
	"helpdesk/ent/hook"
)

// Hooks of APIToken: a token belongs to exactly one agent, one contact, or
// (read-only) one or more partner organizations.
func (APIToken) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.APITokenFunc(func(ctx context.Context, m *ent.APITokenMutation) (ent.Value, error) {
				owners := 0
				if _, ok := m.AgentID(); ok {
					owners++
				}
				if _, ok := m.ContactID(); ok {
					owners++
				}
				if p, _ := m.Partner(); p {
					owners++
					if len(m.PartnerOrganizationsIDs()) == 0 {
						return nil, badInput("a partner token needs at least one organization")
					}
				}
				if owners != 1 {
					return nil, badInput("give exactly one of contactID, agentID or a non-empty partnerOrganizationIDs")
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate),
	}
}
