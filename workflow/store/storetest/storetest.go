// Package storetest gives each test package a PostgreSQL database of its own,
// cloned from a migrated template database, so tests run against the real
// schema, in isolation, without migrating again for every package.
//
// The server is TEST_DATABASE_URL (a URL of a role that may create databases),
// or postgres on 127.0.0.1:5432 when that is unset. `make test` finds one.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/migrations"
	"tokenportal/workflow/store"
)

// DefaultURL is used when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	dbURL string
	once  sync.Once
	pool  *pgxpool.Pool
)

// ServerURL is the maintenance URL of the test server.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Main creates the package's database, runs the tests and drops it. Call it
// from TestMain: os.Exit(storetest.Main(m)).
func Main(m *testing.M) int {
	ctx := context.Background()
	name, err := create(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	code := m.Run()
	if pool != nil {
		pool.Close()
	}
	if err := drop(ctx, name); err != nil {
		fmt.Fprintln(os.Stderr, "storetest: drop", name+":", err)
	}
	return code
}

// URL is the connection URL of this package's database.
func URL() string { return dbURL }

// Pool is a pool on this package's database, shared by its tests.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	once.Do(func() {
		cfg, err := pgxpool.ParseConfig(dbURL)
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
		cfg.ConnConfig.RuntimeParams["timezone"] = "UTC" // as app.OpenPool
		pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
	})
	return pool
}

// withDatabase returns base with its database name replaced.
func withDatabase(base, db string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + db
	return u.String(), nil
}

// templateName changes whenever a migration changes, so a stale template is
// never used.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	// The job queue's own migrations come with its module version.
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "github.com/riverqueue/river" {
				h.Write([]byte(dep.Version))
			}
		}
	}
	return "tp_tmpl_" + hex.EncodeToString(h.Sum(nil)[:6]), err
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

func create(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	server := ServerURL()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", fmt.Errorf("cannot reach the test database server (set TEST_DATABASE_URL, or run `make test`): %w", err)
	}
	defer conn.Close(ctx)
	tmpl, err := templateName()
	if err != nil {
		return "", err
	}
	// One package at a time builds the template and clones it.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7461726)"); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(7461726)")

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if err := buildTemplate(ctx, conn, server, tmpl); err != nil {
			return "", err
		}
	}
	wd, _ := os.Getwd()
	pkg := unsafeChars.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "tp_test_" + pkg + "_" + hex.EncodeToString(suffix)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		return "", fmt.Errorf("clone %s: %w", tmpl, err)
	}
	// Commits do not wait for the disk: a test database need not survive a
	// crash, and on a busy disk that wait is most of a test's time.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET synchronous_commit = off"); err != nil {
		return "", err
	}
	if dbURL, err = withDatabase(server, name); err != nil {
		return "", err
	}
	return name, nil
}

func buildTemplate(ctx context.Context, conn *pgx.Conn, server, tmpl string) error {
	building := tmpl + "_build"
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return err
	}
	u, err := withDatabase(server, building)
	if err != nil {
		return err
	}
	p, err := pgxpool.New(ctx, u)
	if err != nil {
		return err
	}
	_, _, err = store.Migrate(ctx, p)
	p.Close()
	if err != nil {
		return fmt.Errorf("migrate the template: %w", err)
	}
	// Rename only once complete, so a crash never leaves a half-built template.
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{tmpl}.Sanitize())
	if err != nil {
		return err
	}
	// Templates of older migrations are of no further use.
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'tp\\_tmpl\\_%' AND datname <> $1", tmpl)
	if err != nil {
		return err
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, o := range old {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{o}.Sanitize()+" WITH (FORCE)")
	}
	return nil
}

func drop(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}
