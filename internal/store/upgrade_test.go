package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"entgo.io/ent/dialect"

	"helpdesk/ent"
	"helpdesk/internal/apitest"
	"helpdesk/internal/store"
	"helpdesk/internal/viewer"
)

// v1Rows is what the upgrade test stores in a version 1 database.
type v1Rows struct {
	agent, orgA, orgB, contactA, ticket int
}

// loadV1 builds the version 1 schema from testdata and stores a ticket
// with a timeline as version 1 wrote it: actors as strings, no state.
func loadV1(t testing.TB, db *store.DB, rows *v1Rows) {
	t.Helper()
	ddl, err := os.ReadFile("testdata/schema-v1." + map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[db.Dialect] + ".sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.SQL.ExecContext(ctx, string(ddl)); err != nil {
		t.Fatalf("loading the version 1 schema: %v", err)
	}
	insert := func(q string) int {
		t.Helper()
		var id int
		if err := db.SQL.QueryRowContext(ctx, q+" RETURNING id").Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	now := "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
	rows.agent = insert("INSERT INTO agents (created_at, updated_at, name, email, role, active) VALUES (" + now + ", 'Olga Old', 'olga@helpdesk.example', 'AGENT', true)")
	rows.orgA = insert("INSERT INTO organizations (created_at, updated_at, name, region, timezone) VALUES (" + now + ", 'Old A GmbH', 'EU', 'Europe/Berlin')")
	rows.orgB = insert("INSERT INTO organizations (created_at, updated_at, name, region, timezone) VALUES (" + now + ", 'Old B GmbH', 'EU', 'Europe/Berlin')")
	rows.contactA = insert(fmt.Sprintf("INSERT INTO contacts (created_at, updated_at, name, email, role, types, active, organization_id) VALUES (%s, 'Ana', 'ana@shared.example', 'USER', '[]', true, %d)", now, rows.orgA))
	rows.ticket = insert(fmt.Sprintf(`INSERT INTO tickets (created_at, updated_at, subject, description, status, priority, priority_rank, category, channel,
		escalation_level, sla_paused, paused_seconds, first_response_breached, resolution_breached, requester_id, organization_id)
		VALUES (%s, 'Printer', 'It jams', 'IN_PROGRESS', 'LOW', 4, 'INCIDENT', 'PORTAL', 0, false, 0, false, false, %d, %d)`, now, rows.contactA, rows.orgA))
	agent, contact := "agent:"+strconv.Itoa(rows.agent), "contact:"+strconv.Itoa(rows.contactA)
	for _, ev := range []struct{ kind, data, actor string }{
		{"CREATED", `{"number":"HD-1","priority":"HIGH","channel":"PORTAL"}`, contact},
		{"STATUS_CHANGED", `{"from":"NEW","to":"ACCEPTED"}`, agent},
		{"PRIORITY_CHANGED", `{"from":"HIGH","to":"LOW","reason":"workaround"}`, agent},
		{"STATUS_CHANGED", `{"from":"ACCEPTED","to":"IN_PROGRESS"}`, agent},
		{"SLA_WARNING", `{}`, "system"},
		{"REMINDER_SENT", `{}`, "agent:1"}, // an agent that does not exist
	} {
		insert(fmt.Sprintf("INSERT INTO ticket_events (created_at, kind, data, internal, actor, ticket_id) VALUES (CURRENT_TIMESTAMP, '%s', '%s', false, '%s', %d)",
			ev.kind, ev.data, ev.actor, rows.ticket))
	}
	insertPending(t, db, rows.ticket) // as version 1 kept it
}

// pendingPayload is the JSON of an outbox message not delivered yet,
// with a backslash and a letter beyond ASCII, which a payload column's
// change of type must keep byte for byte.
const pendingPayload = `{"events":[{"id":1,"kind":"CREATED"}],"note":"C:\\temp \u00e9 é"}`

// insertPending stores pendingPayload for ticket as bytes, as the
// payload column held it before it became text.
func insertPending(t testing.TB, db *store.DB, ticket int) {
	t.Helper()
	blob := map[string]string{dialect.SQLite: "CAST('%s' AS BLOB)", dialect.Postgres: "convert_to('%s', 'UTF8')"}[db.Dialect]
	if _, err := db.SQL.ExecContext(context.Background(), fmt.Sprintf(
		"INSERT INTO outbox_messages (created_at, ticket_id, payload, attempts) VALUES (CURRENT_TIMESTAMP, %d, "+blob+", 0)", ticket, pendingPayload)); err != nil {
		t.Fatalf("storing an undelivered change: %v", err)
	}
}

// TestUpgradeFromSchemaVersion1KeepsTheTimelineAndScopesEmails starts
// from a database of schema version 1 with data and checks, through the
// API, what version 2 makes of it: actors become links, events get the
// ticket's state replayed from the timeline, an address may now be a
// contact of another organization, and new changes record as they should.
func TestUpgradeFromSchemaVersion1KeepsTheTimelineAndScopesEmails(t *testing.T) {
	t.Parallel()
	var rows v1Rows
	e := apitest.New(t, apitest.Options{BeforeMigrate: func(t testing.TB, db *store.DB) { loadV1(t, db, &rows) }})
	ctx := context.Background()
	if v, err := e.DB.Version(ctx); err != nil || v != store.SchemaVersion {
		t.Fatalf("version after the upgrade: %d %v, want %d", v, err, store.SchemaVersion)
	}
	// The additive upgrade left the baseline's schema: recorded, not run.
	if files, revs := fileNames(t, e.DB.Dialect), revisionNames(t, e.DB); len(revs) != len(files) || revs[0] != files[0]+" (baseline)" {
		t.Fatalf("revisions after the upgrade: %v, want %s as the baseline, then every file", revs, files[0])
	}
	noDrift(t, e.DB, "the upgraded database")
	sameObjects(t, e.DB, "the upgraded database")
	if m, err := e.DB.Client.OutboxMessage.Query().Only(viewer.SystemContext(ctx)); err != nil || string(m.Payload) != pendingPayload {
		t.Fatalf("the undelivered change after the upgrade: %v, payload %q, want %q", err, payloadOf(m), pendingPayload)
	}
	id := func(n int) string { return strconv.Itoa(n) }
	type event struct {
		Kind, StatusAfter, PriorityAfter string
		ActorAgent, ActorContact         *struct{ ID string }
	}
	events := func() []event {
		t.Helper()
		var out struct {
			Node struct{ Events []event } `json:"node"`
		}
		e.Do(t, apitest.AdminToken, `query($id: ID!) { node(id: $id) { ... on Ticket { events {
			kind statusAfter priorityAfter actorAgent { id } actorContact { id } } } } }`, map[string]any{"id": id(rows.ticket)}, &out)
		return out.Node.Events
	}
	describe := func(ev event) string {
		who := "nobody"
		switch {
		case ev.ActorAgent != nil && ev.ActorContact != nil:
			who = "both"
		case ev.ActorAgent != nil:
			who = "agent " + ev.ActorAgent.ID
		case ev.ActorContact != nil:
			who = "contact " + ev.ActorContact.ID
		}
		return ev.Kind + " " + ev.StatusAfter + " " + ev.PriorityAfter + " by " + who
	}
	want := []string{
		"CREATED NEW HIGH by contact " + id(rows.contactA),
		"STATUS_CHANGED ACCEPTED HIGH by agent " + id(rows.agent),
		"PRIORITY_CHANGED ACCEPTED LOW by agent " + id(rows.agent),
		"STATUS_CHANGED IN_PROGRESS LOW by agent " + id(rows.agent),
		"SLA_WARNING IN_PROGRESS LOW by nobody",
		"REMINDER_SENT IN_PROGRESS LOW by nobody",
	}
	got := events()
	if len(got) != len(want) {
		t.Fatalf("%d events after the upgrade, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if describe(got[i]) != want[i] {
			t.Errorf("event %d after the upgrade: %s, want %s", i, describe(got[i]), want[i])
		}
	}

	// The global unique index of e-mails is gone, the per-organization one holds.
	const create = `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`
	contact := func(org int) map[string]any {
		return map[string]any{"in": map[string]any{"organizationID": id(org), "name": "Ana", "email": "ana@shared.example", "role": "USER"}}
	}
	e.Do(t, apitest.AdminToken, create, contact(rows.orgB), nil)
	e.Fail(t, "CONFLICT", apitest.AdminToken, create, contact(rows.orgA))

	// A change on the upgraded database records actor and state.
	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { resolveTicket(id: $id, resolution: "Cleaned") { id } }`, map[string]any{"id": id(rows.ticket)}, nil)
	var admin struct {
		Viewer struct{ Agent struct{ ID string } } `json:"viewer"`
	}
	e.Do(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil, &admin)
	got = events()
	if last := describe(got[len(got)-1]); last != "STATUS_CHANGED RESOLVED LOW by agent "+admin.Viewer.Agent.ID {
		t.Fatalf("the event of a change after the upgrade: %s", last)
	}
	if err := e.DB.Migrate(ctx); err != nil {
		t.Fatalf("migrating the upgraded database again: %v", err)
	}
}

func payloadOf(m *ent.OutboxMessage) string {
	if m == nil {
		return ""
	}
	return string(m.Payload)
}
