package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// CreateAPIKey inserts a key (its hash) and sets its ID.
func (db *DB) CreateAPIKey(ctx context.Context, k *workflow.APIKey) error {
	err := db.q.QueryRow(ctx, `INSERT INTO api_keys (name, prefix, key_hash, role, resource_id, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`,
		k.Name, k.Prefix, k.KeyHash, string(k.Role), k.ResourceID, k.CreatedBy).Scan(&k.ID, &k.CreatedAt)
	return mapErr(err, "The API key")
}

// APIKeyByPrefix finds a key by its public prefix.
func (db *DB) APIKeyByPrefix(ctx context.Context, prefix string) (workflow.APIKey, error) {
	var k workflow.APIKey
	var role string
	err := db.q.QueryRow(ctx, `SELECT id, name, prefix, key_hash, role, resource_id, created_by, created_at, last_used_at, revoked_at
		FROM api_keys WHERE prefix = $1`, prefix).Scan(&k.ID, &k.Name, &k.Prefix, &k.KeyHash, &role, &k.ResourceID,
		&k.CreatedBy, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	k.Role = workflow.Role(role)
	return k, mapErr(err, "The API key")
}

// TouchAPIKey stamps the last use, at most once a minute per key so busy
// validate clients do not turn every request into a write.
func (db *DB) TouchAPIKey(ctx context.Context, id int64, now time.Time) error {
	_, err := db.q.Exec(ctx, `UPDATE api_keys SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`, id, now)
	return err
}

const apiKeyRowColumns = `k.id, k.name, k.prefix, k.key_hash, k.role, k.resource_id, k.created_by, k.created_at, k.last_used_at,
	k.revoked_at, coalesce(r.name, ''), coalesce(a.login, '')`

const apiKeyRowJoins = ` LEFT JOIN resources r ON r.id = k.resource_id LEFT JOIN admins a ON a.id = k.created_by`

func scanAPIKeyRow(row pgx.Row) (workflow.APIKeyRow, error) {
	var k workflow.APIKeyRow
	var role string
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.KeyHash, &role, &k.ResourceID, &k.CreatedBy, &k.CreatedAt, &k.LastUsedAt,
		&k.RevokedAt, &k.ResourceName, &k.CreatedByLogin)
	k.Role = workflow.Role(role)
	return k, err
}

// APIKeyByID loads a key with the names it refers to.
func (db *DB) APIKeyByID(ctx context.Context, id int64) (workflow.APIKeyRow, error) {
	k, err := scanAPIKeyRow(db.q.QueryRow(ctx, `SELECT `+apiKeyRowColumns+` FROM api_keys k`+apiKeyRowJoins+` WHERE k.id = $1`, id))
	return k, mapErr(err, "The API key")
}

// ListAPIKeys lists every key: live ones first, newest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]workflow.APIKeyRow, error) {
	rows, err := db.q.Query(ctx, `SELECT `+apiKeyRowColumns+` FROM api_keys k`+apiKeyRowJoins+`
		ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id DESC`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (workflow.APIKeyRow, error) { return scanAPIKeyRow(row) })
}

// RevokeAPIKey revokes a live key; false when it was revoked already.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64, now time.Time) (workflow.APIKeyRow, bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, now)
	if err != nil {
		return workflow.APIKeyRow{}, false, err
	}
	k, err := db.APIKeyByID(ctx, id)
	return k, tag.RowsAffected() == 1, err
}
