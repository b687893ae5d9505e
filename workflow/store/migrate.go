package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"tokenportal/migrations"
)

// migrateLock serialises migrations of several instances starting at once.
const migrateLock = 0x746f6b656e706f // "tokenpo"

// Migrate brings the database to the newest migration: our own numbered SQL
// files (jackc/tern) and the tables of the River job queue. A session-level
// advisory lock makes instances that start together migrate one after
// another; the later ones find nothing to do. It returns our schema versions
// before and after.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (from, to int32, err error) {
	// A connection of its own, outside the pool: the job queue's migrations
	// below need pool connections while this one holds the lock.
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return 0, 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return 0, 0, err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(migrateLock))

	m, err := migrate.NewMigrator(ctx, conn, "schema_version")
	if err != nil {
		return 0, 0, err
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return 0, 0, fmt.Errorf("load migrations: %w", err)
	}
	if from, err = m.GetCurrentVersion(ctx); err != nil {
		return 0, 0, err
	}
	if err := m.Migrate(ctx); err != nil {
		return from, 0, err
	}
	if to, err = m.GetCurrentVersion(ctx); err != nil {
		return from, to, err
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return from, to, err
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return from, to, fmt.Errorf("migrate the job queue: %w", err)
	}
	return from, to, nil
}
