// Package store implements workflow.Store on PostgreSQL with pgx. SQL is
// written by hand; state changes that must be exclusive are single
// conditional statements, never read-then-write.
//
// One file per table group, named for it, implements the interface of
// workflow of the same name: users.go is workflow.UserStore, tokens.go
// workflow.TokenStore, and so on; this file holds DB, Tx, Ping, the purge
// that spans tables and the helpers every file uses.
package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"tokenportal/workflow"
)

// querier is what both a pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// DB is the PostgreSQL store. The zero value is not usable; call New.
type DB struct {
	q    querier
	pool *pgxpool.Pool
	// jobs inserts into the River queue; the workers run elsewhere.
	jobs *river.Client[pgx.Tx]
}

var _ workflow.Store = (*DB)(nil)

// New returns a store on pool.
func New(pool *pgxpool.Pool) *DB {
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		panic(err) // only a bad static configuration makes this fail
	}
	return &DB{q: pool, pool: pool, jobs: jobs}
}

// Pool is the connection pool behind the store.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Tx runs fn in a transaction (a savepoint when already inside one).
func (db *DB) Tx(ctx context.Context, fn func(workflow.Store) error) error {
	return pgx.BeginFunc(ctx, db.q, func(tx pgx.Tx) error {
		return fn(&DB{q: tx, pool: db.pool, jobs: db.jobs})
	})
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.q.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// constraintMessages turns violations of named constraints into messages a
// person understands (message ids); the field says which input was wrong.
var constraintMessages = map[string][2]string{
	"admins_login_key":            {"login", "admin.login_exists"},
	"users_login_key":             {"login", "account.login_exists"},
	"resources_name_key":          {"name", "resource.name_exists"},
	"tokens_serial_key":           {"serial", "token.serial_exists"},
	"portals_alias_key":           {"alias", "settings.portal.alias_used"},
	"api_keys_prefix_key":         {"name", "apikey.collision"},
	"radius_clients_address_key":  {"address", "radius.address_exists"},
	"radius_clients_one_resource": {"address", "radius.address_overlap"},
}

// mapErr turns driver errors into workflow errors: no rows becomes NotFound
// (what names the thing), unique violations become Conflict with a message.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23P01": // unique_violation, exclusion_violation
			if m, ok := constraintMessages[pgErr.ConstraintName]; ok {
				return &workflow.Error{Code: workflow.CodeConflict, Msg: workflow.M(m[1]), FieldMsgs: map[string]workflow.Msg{m[0]: workflow.M(m[1])}, Err: err}
			}
			return &workflow.Error{Code: workflow.CodeConflict, Msg: workflow.M("error.exists", "What", workflow.Subject(what)), Err: err}
		case "23503": // foreign_key_violation
			return &workflow.Error{Code: workflow.CodeConflict, Msg: workflow.M("error.in_use", "What", workflow.Subject(what)), Err: err}
		}
	}
	return err
}

// ptrTime converts a nullable timestamp for scanning.
func ptrTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	return t
}

// PurgeExpired deletes rows past any use: rate-limit counters a day after
// their window began (the longest window is an hour), one-time codes a day
// after they expired, remembered devices a month after they expired or were
// revoked (the user's device list shows recent ones), RADIUS states once
// expired. Each statement is short: these tables stay small when pruned
// hourly.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM rate_limits WHERE window_start < $1::timestamptz - interval '1 day'`,
		`DELETE FROM one_time_codes WHERE expires_at < $1::timestamptz - interval '1 day'`,
		`DELETE FROM remembered_devices WHERE coalesce(revoked_at, expires_at) < $1::timestamptz - interval '30 days'`,
		`DELETE FROM radius_states WHERE expires_at < $1::timestamptz`,
	} {
		tag, err := db.q.Exec(ctx, q, now)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

// recordFailure counts one failed sign-in of a user or admin (table) in a
// single statement, so concurrent failures all count, and locks at the
// threshold: one lockout rule for both. Attempts while locked neither count
// nor extend the lock; the first failure after it ended starts the count
// again.
func (db *DB) recordFailure(ctx context.Context, table string, id int64, now time.Time, lockAfter int, lockFor time.Duration) error {
	_, err := db.q.Exec(ctx, `UPDATE `+table+` SET
		failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END,
		locked_until = CASE WHEN (CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END) >= $3
			THEN $2::timestamptz + $4::interval END
		WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)`, id, now, lockAfter, lockFor)
	return err
}

func itoa(n int) string { return strconv.Itoa(n) }

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// likePrefix escapes s for a LIKE prefix match.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.ToLower(s)) + "%"
}

// limit keeps page sizes sane.
func limit(n int) int {
	if n <= 0 || n > 500 {
		return 50
	}
	return n
}

// truncateUA keeps user agents within the column limit without splitting a
// character.
func truncateUA(s string) string {
	if len(s) <= 512 {
		return s
	}
	return strings.ToValidUTF8(s[:512], "")
}

// filter collects the conditions of a query and binds their arguments to
// placeholders.
type filter struct {
	args  []any
	n     int // placeholders bound (args may begin with a query mode)
	conds []string
}

// unplanned returns a filter whose query pgx sends as an unnamed statement:
// PostgreSQL then plans it for the values at hand. A cached generic plan
// cannot see that an event or resource is rare, and would scan the whole
// window by time to find a page of it.
func unplanned() *filter { return &filter{args: []any{pgx.QueryExecModeExec}} }

// arg binds v and returns its placeholder.
func (q *filter) arg(v any) string {
	q.args = append(q.args, v)
	q.n++
	return "$" + itoa(q.n)
}

// and adds a condition.
func (q *filter) and(cond string) { q.conds = append(q.conds, cond) }

// where is the WHERE clause of the conditions; "" when there are none.
func (q *filter) where() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// page counts the rows of from that match q, and returns the end of the
// query that reads one page of them in the order of key, a unique
// expression (ascending, or descending with desc; the index on key serves
// every page alike): the WHERE of q, the rows past after (the zero after is
// the first page), at most limit(n) of them.
func page[K comparable](ctx context.Context, db *DB, q *filter, from, key string, desc bool, after K, n int) (total int, rest string, err error) {
	if err := db.q.QueryRow(ctx, `SELECT count(*) FROM `+from+q.where(), q.args...).Scan(&total); err != nil {
		return 0, "", err
	}
	op, order := " > ", ""
	if desc {
		op, order = " < ", " DESC"
	}
	var first K
	if after != first {
		q.and(key + op + q.arg(after))
	}
	return total, q.where() + " ORDER BY " + key + order + " LIMIT " + q.arg(limit(n)), nil
}

// notFound is the NotFound answer for what ("The user").
func notFound(what string) error { return workflow.NotFound(what) }
