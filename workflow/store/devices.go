package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// Where users sign in from: the browsers they asked to remember
// (remembered_devices) and the environments seen (user_environments).

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

// CreateDevice remembers a browser for a user on a resource.
func (db *DB) CreateDevice(ctx context.Context, userID, resourceID int64, tokenHash []byte, expires time.Time, m workflow.Meta) error {
	var ip *string
	if m.IP != "" {
		ip = &m.IP
	}
	_, err := db.q.Exec(ctx, `INSERT INTO remembered_devices (user_id, resource_id, token_hash, expires_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5::inet, $6)`, userID, resourceID, tokenHash, expires, ip, truncateUA(m.UserAgent))
	return err
}

// UseDevice checks a remembered-device cookie and stamps its use.
func (db *DB) UseDevice(ctx context.Context, userID, resourceID int64, tokenHash []byte, now time.Time) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE remembered_devices SET last_used_at = $4
		WHERE token_hash = $3 AND user_id = $1 AND resource_id = $2 AND revoked_at IS NULL AND expires_at > $4`,
		userID, resourceID, tokenHash, now)
	return err == nil && tag.RowsAffected() == 1, err
}

// UserEnvironments lists the environments the user signed in from, the
// most recently seen first.
func (db *DB) UserEnvironments(ctx context.Context, userID int64) ([]workflow.SeenEnvironment, error) {
	rows, err := db.q.Query(ctx, `SELECT ip_prefix::text, browser, first_seen, last_seen FROM user_environments
		WHERE user_id = $1 ORDER BY last_seen DESC, ip_prefix, browser`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[workflow.SeenEnvironment])
}
