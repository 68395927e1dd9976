package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"

	entmigrate "helpdesk/ent/migrate"
	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/apitest"
	"helpdesk/internal/store"
	"helpdesk/internal/viewer"
)

// TestPostgresSchemaHoldsNoBytea: on PostgreSQL every byte slice is sent
// as a text parameter (store.Open: one round trip per statement), which
// bytea would read as its escape format. A Bytes field must be text there.
func TestPostgresSchemaHoldsNoBytea(t *testing.T) {
	t.Parallel()
	for _, tb := range entmigrate.Tables {
		for _, c := range tb.Columns {
			if c.Type == field.TypeBytes && c.SchemaType[dialect.Postgres] != "text" {
				t.Errorf("%s.%s is bytea on PostgreSQL: give it SchemaType text there (store sends byte slices as text)", tb.Name, c.Name)
			}
		}
	}
}

// rawJSON is a Valuer that gives its JSON as bytes, as some libraries' types do.
type rawJSON string

func (r rawJSON) Value() (driver.Value, error) { return []byte(r), nil }

// TestPostgresParametersOfEveryByteKindArriveAsTheirText: []byte, a named
// byte slice, a pointer to one and a Valuer's bytes reach jsonb and text
// as the text they hold, nil ones as NULL, and ent's JSON fields read back
// what they wrote.
func TestPostgresParametersOfEveryByteKindArriveAsTheirText(t *testing.T) {
	t.Parallel()
	u := apitest.PostgresDB(t)
	if u == "" {
		t.Skip("PostgreSQL only: set HELPDESK_TEST_DATABASE_URL")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := []byte(`{"k":"v\\w é"}`)
	var nilBytes []byte
	for name, arg := range map[string]any{
		"[]byte": b, "json.RawMessage": json.RawMessage(b), "*[]byte": &b, "Valuer": rawJSON(b),
	} {
		var k, s string
		if err := db.SQL.QueryRowContext(ctx, `SELECT ($1::jsonb)->>'k', $2::text`, arg, arg).Scan(&k, &s); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if k != `v\w é` || s != string(b) {
			t.Errorf("%s arrived as %q and %q", name, k, s)
		}
	}
	var isNull, ptrNull bool
	if err := db.SQL.QueryRowContext(ctx, `SELECT $1::jsonb IS NULL, $2::text IS NULL`, nilBytes, (*[]byte)(nil)).Scan(&isNull, &ptrNull); err != nil || !isNull || !ptrNull {
		t.Errorf("nil byte slices: NULL %v %v, %v", isNull, ptrNull, err)
	}
	var n sql.NullInt64
	if err := db.SQL.QueryRowContext(ctx, `SELECT $1::bigint`, int64(42)).Scan(&n); err != nil || n.Int64 != 42 {
		t.Errorf("other parameters: %v %v", n, err)
	}

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sys := viewer.SystemContext(ctx)
	org, err := db.Client.Organization.Create().SetName("Bytes GmbH").SetRegion("EU").SetTimezone("Europe/Berlin").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Client.Contact.Create().SetOrganizationID(org.ID).SetName("Ana").SetEmail("ana@bytes.example").
		SetTypes([]schematype.ContactType{schematype.ContactTypeTechnical, schematype.ContactTypeAdministrative}).Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Client.Contact.Get(sys, c.ID)
	if err != nil || len(got.Types) != 2 || got.Types[1] != schematype.ContactTypeAdministrative {
		t.Fatalf("a JSON field read back %v, %v", got, err)
	}
	m, err := db.Client.OutboxMessage.Create().SetTicketID(1).SetPayload(b).Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := db.Client.OutboxMessage.Get(sys, m.ID); err != nil || string(back.Payload) != string(b) {
		t.Fatalf("an outbox payload read back %q, %v", back.Payload, err)
	}
}

// TestPendingOutboxMessagesOfTheFirstFilesReleaseKeepTheirJSON: a
// database of the release before the payload became text, with a change
// not delivered yet, keeps that change's JSON byte for byte.
func TestPendingOutboxMessagesOfTheFirstFilesReleaseKeepTheirJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openEmpty(t)
	if err := db.MigrateAsFirstFilesRelease(ctx); err != nil {
		t.Fatal(err)
	}
	insertPending(t, db, 7)
	m, err := db.MigrateReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %v", m.Applied)
	got, err := db.Client.OutboxMessage.Query().Only(viewer.SystemContext(ctx))
	if err != nil || string(got.Payload) != pendingPayload {
		t.Fatalf("the undelivered change after the upgrade: %v, %q, want %q", err, payloadOf(got), pendingPayload)
	}
	noDrift(t, db, "the upgraded database")
}
