package schema

import (
	"context"
	"errors"

	"helpdesk/ent"
	"helpdesk/ent/hook"
	"helpdesk/internal/webhook"
)

// Hooks of Webhook: a target URL must pass the client's target rule
// (webhook.Targets, fed by HELPDESK_WEBHOOK_ALLOW_PRIVATE) whenever it is
// set. The rule runs after the privacy policy: a caller who may not manage
// webhooks learns nothing of its targets.
func (Webhook) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.WebhookFunc(func(ctx context.Context, m *ent.WebhookMutation) (ent.Value, error) {
				if u, ok := m.URL(); ok {
					if err := m.WebhookTargets.Check(ctx, u); err != nil {
						var refused *webhook.RefusedError
						if errors.As(err, &refused) {
							return nil, badInput("invalid url: %s", refused.Reason)
						}
						return nil, err
					}
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}
