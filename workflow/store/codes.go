package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// CreateCode stores a new one-time code; older unused codes of the same user,
// purpose and token stop working, so only the latest one sent is valid.
func (db *DB) CreateCode(ctx context.Context, c *workflow.OneTimeCode) error {
	if _, err := db.q.Exec(ctx, `UPDATE one_time_codes SET expires_at = least(expires_at, now())
		WHERE user_id = $1 AND purpose = $2 AND token_id IS NOT DISTINCT FROM $3 AND used_at IS NULL`,
		c.UserID, c.Purpose, c.TokenID); err != nil {
		return err
	}
	return db.q.QueryRow(ctx, `INSERT INTO one_time_codes (purpose, user_id, resource_id, token_id, target, code_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.Purpose, c.UserID, c.ResourceID, c.TokenID, c.Target, c.Hash, c.ExpiresAt).Scan(&c.ID)
}

// UseCode spends an attempt and checks the code in one statement: the row is
// locked while it is read and written, so concurrent guesses all count and a
// code is used at most once.
func (db *DB) UseCode(ctx context.Context, userID int64, purpose string, tokenID *int64, hash []byte, now time.Time, maxAttempts int) (workflow.CodeResult, error) {
	var r workflow.CodeResult
	err := db.q.QueryRow(ctx, `WITH live AS (
			SELECT id FROM one_time_codes
			WHERE user_id = $1 AND purpose = $2 AND token_id IS NOT DISTINCT FROM $3
			  AND used_at IS NULL AND expires_at > $5 AND attempts < $6
			ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE)
		UPDATE one_time_codes c SET attempts = c.attempts + 1,
			used_at = CASE WHEN c.code_hash = $4 THEN $5::timestamptz END
		FROM live WHERE c.id = live.id
		RETURNING c.used_at IS NOT NULL, c.target, c.attempts`,
		userID, purpose, tokenID, hash, now, maxAttempts).Scan(&r.Matched, &r.Target, &r.Attempts)
	if err == pgx.ErrNoRows {
		return r, nil
	}
	r.Live = err == nil
	return r, err
}
