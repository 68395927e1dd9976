package eventtail_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"helpdesk/internal/apitest"
	"helpdesk/internal/eventtail"
)

// TestACommitPublishedByOneProcessIsHeardByAnother: two notifiers on one
// PostgreSQL database, as two processes have; a publish of one wakes the
// other within a second. Runs on the PostgreSQL of HELPDESK_TEST_DATABASE_URL,
// or the machine's at 127.0.0.1:5432.
func TestACommitPublishedByOneProcessIsHeardByAnother(t *testing.T) {
	dsn := apitest.PostgresDB(t)
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" // the machine's, as CI has it
	}
	open := func() *eventtail.PGNotifier {
		db, err := sql.Open("postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		n, err := eventtail.NewPGNotifier(dsn, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Close)
		return n
	}
	a, b := open(), open()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 3 { // each publish is heard, not only the first
		start := time.Now()
		a.Publish()
		select {
		case <-b.Heard():
			t.Logf("heard after %v", time.Since(start))
		case <-ctx.Done():
			t.Fatal("the other process never heard the publish")
		}
	}
}
