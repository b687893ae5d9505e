package store

import (
	"context"
	"time"

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
