package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/url"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/migrations"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// emptyDatabase creates a database with nothing in it, dropped after the test.
func emptyDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storetest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "tp_test_empty_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(storetest.ServerURL())
	u.Path = "/" + name
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		_, _ = conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		conn.Close(ctx)
	})
	return pool
}

func latestVersion(t *testing.T) int32 {
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatal("no migrations", err)
	}
	return int32(len(files))
}

func TestMigrateEmptyDatabaseThenNoOp(t *testing.T) {
	ctx := context.Background()
	pool := emptyDatabase(t)
	from, to, err := store.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if from != 0 || to != latestVersion(t) {
		t.Fatalf("migrated from %d to %d, want 0 to %d", from, to, latestVersion(t))
	}
	for _, table := range []string{"admins", "users", "resources", "resource_owners", "resource_users", "tokens", "portals",
		"portal_actions", "recovery_codes", "user_issues", "activities", "api_keys", "one_time_codes", "remembered_devices",
		"rate_limits", "sessions", "settings", "issue_subscriptions"} {
		var exists bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s missing (%v)", table, err)
		}
	}
	from, to, err = store.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if from != to {
		t.Fatalf("second run migrated from %d to %d", from, to)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	pool := emptyDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := store.Migrate(context.Background(), pool)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var v int32
	if err := pool.QueryRow(context.Background(), "SELECT version FROM schema_version").Scan(&v); err != nil || v != latestVersion(t) {
		t.Fatalf("version %d (%v)", v, err)
	}
}
