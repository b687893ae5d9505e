package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// The account actions of the self-service portal (SPEC §5.8–14): contact
// data, login, remembered devices and sign-in environments.

// PendingCode returns the newest unused code of the user for purpose.
func (db *DB) PendingCode(ctx context.Context, userID int64, purpose string) (workflow.PendingCode, error) {
	var pc workflow.PendingCode
	err := db.q.QueryRow(ctx, `SELECT target, expires_at, attempts FROM one_time_codes
		WHERE user_id = $1 AND purpose = $2 AND token_id IS NULL AND used_at IS NULL
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, purpose).Scan(&pc.Target, &pc.ExpiresAt, &pc.Attempts)
	return pc, mapErr(err, "The code")
}

// setUser updates one or two columns of a user; NotFound when it is gone.
func (db *DB) setUser(ctx context.Context, sql string, args ...any) error {
	tag, err := db.q.Exec(ctx, sql, args...)
	if err == nil && tag.RowsAffected() == 0 {
		return workflow.Errorf(workflow.CodeNotFound, "The user was not found.")
	}
	return mapErr(err, "The user")
}

// SetUserPhone replaces the phone number (empty = none).
func (db *DB) SetUserPhone(ctx context.Context, id int64, phone string) error {
	return db.setUser(ctx, `UPDATE users SET phone = $2, updated_at = now() WHERE id = $1`, id, phone)
}

// SetUserLogin renames a user; the unique index on lower(login) has the last
// word when two people want the same login at once.
func (db *DB) SetUserLogin(ctx context.Context, id int64, login string) error {
	return db.setUser(ctx, `UPDATE users SET login = $2, updated_at = now() WHERE id = $1`, id, login)
}

// SetUserName replaces the first and last name.
func (db *DB) SetUserName(ctx context.Context, id int64, first, last string) error {
	return db.setUser(ctx, `UPDATE users SET first_name = $2, last_name = $3, updated_at = now() WHERE id = $1`, id, first, last)
}

// SeeEnvironment upserts the environment in one statement. The CTE reads the
// table as it was before the statement, so known ignores the row it adds;
// xmax is 0 on a row the statement inserted (rather than updated).
func (db *DB) SeeEnvironment(ctx context.Context, userID int64, ipPrefix, browser string, now time.Time) (fresh, known bool, err error) {
	err = db.q.QueryRow(ctx, `WITH before AS (
			SELECT EXISTS (SELECT 1 FROM user_environments WHERE user_id = $1) AS known),
		seen AS (
			INSERT INTO user_environments (user_id, ip_prefix, browser, first_seen, last_seen)
			VALUES ($1, $2::cidr, $3, $4, $4)
			ON CONFLICT (user_id, ip_prefix, browser) DO UPDATE SET last_seen = greatest(user_environments.last_seen, excluded.last_seen)
			RETURNING xmax = 0 AS fresh)
		SELECT seen.fresh, before.known FROM seen, before`, userID, ipPrefix, browser, now).Scan(&fresh, &known)
	return fresh, known, err
}

// UserDevices lists the live remembered devices of a user on a resource.
func (db *DB) UserDevices(ctx context.Context, userID, resourceID int64, now time.Time) ([]workflow.Device, error) {
	rows, err := db.q.Query(ctx, `SELECT id, created_at, last_used_at, expires_at, coalesce(host(ip), ''), user_agent
		FROM remembered_devices
		WHERE user_id = $1 AND resource_id = $2 AND revoked_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, id DESC`, userID, resourceID, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Device, error) {
		var d workflow.Device
		err := r.Scan(&d.ID, &d.CreatedAt, &d.LastUsedAt, &d.ExpiresAt, &d.IP, &d.UserAgent)
		return d, err
	})
}

// RevokeDevices revokes live remembered devices in one statement.
func (db *DB) RevokeDevices(ctx context.Context, userID, resourceID, deviceID int64, now time.Time) ([]int64, error) {
	rows, err := db.q.Query(ctx, `UPDATE remembered_devices SET revoked_at = $4
		WHERE user_id = $1 AND resource_id = $2 AND ($3::bigint = 0 OR id = $3::bigint) AND revoked_at IS NULL AND expires_at > $4
		RETURNING id`, userID, resourceID, deviceID, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// UserSignIns lists the newest UserLogin activities of a user; the index on
// activities (user_id, at DESC, id DESC) serves it.
func (db *DB) UserSignIns(ctx context.Context, userID int64, limit int) ([]workflow.SignIn, error) {
	rows, err := db.q.Query(ctx, `SELECT a.at, coalesce(host(a.ip), ''), a.user_agent, coalesce(r.name, '')
		FROM activities a LEFT JOIN resources r ON r.id = a.resource_id
		WHERE a.user_id = $1 AND a.event = $2
		ORDER BY a.at DESC, a.id DESC LIMIT $3`, userID, workflow.EventUserLogin, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.SignIn, error) {
		var s workflow.SignIn
		err := r.Scan(&s.At, &s.IP, &s.UserAgent, &s.Resource)
		return s, err
	})
}
