package store_test

import (
	"context"
	"testing"

	"helpdesk/internal/apitest"
	"helpdesk/internal/store"
)

// BenchmarkMigrateNewDatabase measures what every test database and
// every first start pays: migrating an empty database.
func BenchmarkMigrateNewDatabase(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		var db *store.DB
		var err error
		if u := apitest.PostgresDB(b); u != "" {
			db, err = store.Open(ctx, u, "")
		} else {
			db, err = store.Open(ctx, "", b.TempDir())
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}
