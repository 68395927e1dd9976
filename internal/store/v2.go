package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"helpdesk/ent"
	"helpdesk/ent/agent"
	"helpdesk/ent/contact"
	"helpdesk/ent/schema/schematype"
	"helpdesk/ent/ticket"
	"helpdesk/ent/ticketevent"
)

// Sizes of the batches of the version 2 step: tickets replayed at a time,
// and IDs in one UPDATE (well below the bound parameters both databases
// take in one statement).
const (
	v2TicketBatch = 500
	v2IDsPerStmt  = 1000
)

// toVersion2 migrates the data to schema version 2:
//   - the global unique index of contact e-mails goes (an address is
//     unique per organization now, which the schema diff adds);
//   - events get typed actors from the legacy actor column
//     ("agent:<id>", "contact:<id>", "system");
//   - events get the ticket's status and priority after them, replayed
//     from each ticket's timeline.
func toVersion2(ctx context.Context, tx *ent.Tx, dia string) error {
	if _, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS contacts_email_key"); err != nil {
		return fmt.Errorf("dropping the global unique index of contact e-mails: %w", err)
	}
	if err := backfillActors(ctx, tx, dia); err != nil {
		return fmt.Errorf("typed actors of events: %w", err)
	}
	if err := backfillEventState(ctx, tx, dia); err != nil {
		return fmt.Errorf("ticket state of events: %w", err)
	}
	return nil
}

// backfillActors sets actor_agent_id or actor_contact_id from the legacy
// actor column ("agent:<id>", "contact:<id>", "system"). An actor whose
// agent or contact no longer exists stays null, as the system's.
func backfillActors(ctx context.Context, tx *ent.Tx, dia string) error {
	actors, err := tx.TicketEvent.Query().Unique(true).Select(ticketevent.FieldActor).Strings(ctx)
	if err != nil {
		return err
	}
	for _, a := range actors {
		kind, rawID, _ := strings.Cut(a, ":")
		id, err := strconv.Atoi(rawID)
		if err != nil {
			continue // "system", or nothing we wrote
		}
		var column string
		var exists bool
		switch kind {
		case "agent":
			column = ticketevent.FieldActorAgentID
			exists, err = tx.Agent.Query().Where(agent.ID(id)).Exist(ctx)
		case "contact":
			column = ticketevent.FieldActorContactID
			exists, err = tx.Contact.Query().Where(contact.ID(id)).Exist(ctx)
		default:
			continue
		}
		if err != nil {
			return err
		}
		if !exists {
			continue
		}
		q, args := entsql.Dialect(dia).Update(ticketevent.Table).Set(column, id).
			Where(entsql.And(entsql.EQ(ticketevent.FieldActor, a), entsql.IsNull(column))).Query()
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// backfillEventState replays each ticket's timeline: the status starts
// as the first STATUS_CHANGED left it ("from"), or as the ticket is when
// it never changed, and follows every STATUS_CHANGED "to"; the priority
// likewise with PRIORITY_CHANGED. The hooks have recorded every change of
// either since the first version, so the replay is exact for timelines
// they wrote.
func backfillEventState(ctx context.Context, tx *ent.Tx, dia string) error {
	for last := 0; ; {
		ts, err := tx.Ticket.Query().Where(ticket.IDGT(last)).Order(ticket.ByID()).Limit(v2TicketBatch).
			Select(ticket.FieldID, ticket.FieldStatus, ticket.FieldPriority).All(ctx)
		if err != nil || len(ts) == 0 {
			return err
		}
		last = ts[len(ts)-1].ID
		ids := make([]int, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		evs, err := tx.TicketEvent.Query().Where(ticketevent.TicketIDIn(ids...)).
			Order(ticketevent.ByTicketID(), ticketevent.ByID()).
			Select(ticketevent.FieldID, ticketevent.FieldTicketID, ticketevent.FieldKind, ticketevent.FieldData).All(ctx)
		if err != nil {
			return err
		}
		byTicket := map[int][]*ent.TicketEvent{}
		for _, ev := range evs {
			byTicket[ev.TicketID] = append(byTicket[ev.TicketID], ev)
		}
		runs := map[eventState][]int{}
		for _, t := range ts {
			for id, st := range replay(t, byTicket[t.ID]) {
				runs[st] = append(runs[st], id)
			}
		}
		for st, ids := range runs {
			for len(ids) > 0 {
				n := min(len(ids), v2IDsPerStmt)
				q, args := entsql.Dialect(dia).Update(ticketevent.Table).
					Set(ticketevent.FieldStatusAfter, string(st.status)).
					Set(ticketevent.FieldPriorityAfter, string(st.priority)).
					Where(entsql.InInts(ticketevent.FieldID, ids[:n]...)).Query()
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return err
				}
				ids = ids[n:]
			}
		}
	}
}

// eventState is a ticket's status and priority after an event.
type eventState struct {
	status   schematype.Status
	priority schematype.Priority
}

// replay returns the state after each of t's events (in order), by ID.
func replay(t *ent.Ticket, evs []*ent.TicketEvent) map[int]eventState {
	type change struct{ From, To string }
	changes := make([]change, len(evs))
	for i, ev := range evs {
		if ev.Data != nil && (ev.Kind == "STATUS_CHANGED" || ev.Kind == "PRIORITY_CHANGED") {
			_ = json.Unmarshal([]byte(*ev.Data), &changes[i]) // unreadable: no change
		}
	}
	st := eventState{status: t.Status, priority: t.Priority}
	// The state before the first change of each is that change's "from".
	for i := len(evs) - 1; i >= 0; i-- {
		switch c := changes[i]; evs[i].Kind {
		case "STATUS_CHANGED":
			if s := schematype.Status(c.From); validStatus(s) {
				st.status = s
			}
		case "PRIORITY_CHANGED":
			if p := schematype.Priority(c.From); validPriority(p) {
				st.priority = p
			}
		}
	}
	out := make(map[int]eventState, len(evs))
	for i, ev := range evs {
		switch c := changes[i]; ev.Kind {
		case "STATUS_CHANGED":
			if s := schematype.Status(c.To); validStatus(s) {
				st.status = s
			}
		case "PRIORITY_CHANGED":
			if p := schematype.Priority(c.To); validPriority(p) {
				st.priority = p
			}
		}
		out[ev.ID] = st
	}
	return out
}

func validStatus(s schematype.Status) bool { return ticket.StatusValidator(s) == nil }

func validPriority(p schematype.Priority) bool { return ticket.PriorityValidator(p) == nil }
