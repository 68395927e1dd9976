package schema

import (
	"context"
	"fmt"
	"strings"

	"helpdesk/ent"
	"helpdesk/ent/hook"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
	"helpdesk/internal/viewer"
)

// Hooks of SLAPolicy: a policy is validated as a whole, and every update
// is a new version.
func (SLAPolicy) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.SLAPolicyFunc(func(ctx context.Context, m *ent.SLAPolicyMutation) (ent.Value, error) {
				pol := sla.Policy{}
				if m.Op().Is(ent.OpUpdateOne) {
					id, _ := m.ID()
					old, err := m.Client().SLAPolicy.Get(viewer.SystemContext(ctx), id)
					if err != nil {
						return nil, err
					}
					pol = tickets.PolicyOf(old)
					m.AddVersion(1)
				} else {
					pol = sla.Default("UTC", false)
				}
				if v, ok := m.Name(); ok {
					pol.Name = v
				}
				if v, ok := m.Timezone(); ok {
					pol.Timezone = v
				}
				if v, ok := m.AlwaysOpen(); ok {
					pol.AlwaysOpen = v
				}
				if v, ok := m.OpeningHours(); ok {
					pol.OpeningHours = v
				}
				if v, ok := m.Holidays(); ok {
					pol.Holidays = v
				}
				if v, ok := m.HolidayCountry(); ok {
					pol.HolidayCountry = v
				}
				if v, ok := m.PauseOnThirdParty(); ok {
					pol.RunsOnThirdParty = !v
				}
				if v, ok := m.Targets(); ok {
					pol.Targets = v
				}
				if v, ok := m.WarningPercent(); ok {
					pol.WarningPercent = v
				}
				if v, ok := m.ReminderSeconds(); ok {
					pol.ReminderSeconds = v
				}
				if v, ok := m.AutoCloseSeconds(); ok {
					pol.AutoCloseSeconds = v
				}
				if v, ok := m.ReopenWindowSeconds(); ok {
					pol.ReopenWindowSeconds = v
				}
				if err := pol.Validate(); err != nil {
					return nil, fmt.Errorf("%w: %w", ticketing.ErrBadInput, err)
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdateOne),
	}
}

// Hooks of EscalationTable: levels are numbered 1..N in order, each with a
// name, valid e-mail addresses and a positive wait.
func (EscalationTable) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.EscalationTableFunc(func(ctx context.Context, m *ent.EscalationTableMutation) (ent.Value, error) {
				if region, ok := m.Region(); ok {
					if err := notBlank(region); err != nil {
						return nil, badInput("region %v", err)
					}
				}
				levels, ok := m.Levels()
				if !ok {
					return next.Mutate(ctx, m)
				}
				if len(levels) == 0 || len(levels) > 20 {
					return nil, badInput("an escalation table has 1 to 20 levels, got %d", len(levels))
				}
				for i := range levels {
					l := &levels[i]
					l.Level = i + 1
					if strings.TrimSpace(l.Name) == "" {
						return nil, badInput("level %d has no name", l.Level)
					}
					if len(l.Name) > maxName {
						return nil, badInput("level %d: the name is longer than %d characters", l.Level, maxName)
					}
					if len(l.Emails) > maxLevelEmails {
						return nil, badInput("level %d: at most %d e-mail addresses, got %d", l.Level, maxLevelEmails, len(l.Emails))
					}
					if l.WaitSeconds <= 0 {
						return nil, badInput("level %d: waitSeconds must be positive, got %d", l.Level, l.WaitSeconds)
					}
					for _, e := range l.Emails {
						if err := validEmail(e); err != nil {
							return nil, badInput("level %d: %v", l.Level, err)
						}
					}
				}
				m.SetLevels(levels)
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}
