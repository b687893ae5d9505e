package store

import (
	"context"
	"time"

	"tokenportal/workflow"
)

// CreateCode stores a new one-time code.
func (db *DB) CreateCode(ctx context.Context, c *workflow.OneTimeCode) error {
	// Codes sent earlier to the same target stay valid until they expire: a
	// new code never cancels the one a person is typing. A code for another
	// target (an email change to a different address) is retired.
	if _, err := db.q.Exec(ctx, `UPDATE one_time_codes SET expires_at = least(expires_at, now())
		WHERE user_id = $1 AND purpose = $2 AND token_id IS NOT DISTINCT FROM $3 AND used_at IS NULL AND target <> $4`,
		c.UserID, c.Purpose, c.TokenID, c.Target); err != nil {
		return err
	}
	return db.q.QueryRow(ctx, `INSERT INTO one_time_codes (purpose, user_id, resource_id, token_id, target, code_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.Purpose, c.UserID, c.ResourceID, c.TokenID, c.Target, c.Hash, c.ExpiresAt).Scan(&c.ID)
}

// UseCode checks a code against every live code of the user for purpose in
// one statement, with the rows locked: a match uses that code and retires
// the others (the person is through); a miss spends an attempt of each, so
// concurrent guesses all count and a code is used at most once.
func (db *DB) UseCode(ctx context.Context, userID int64, purpose string, tokenID *int64, hashes [][]byte, now time.Time, maxAttempts int) (workflow.CodeResult, error) {
	var r workflow.CodeResult
	rows, err := db.q.Query(ctx, `WITH live AS (
			SELECT id, code_hash FROM one_time_codes
			WHERE user_id = $1 AND purpose = $2 AND token_id IS NOT DISTINCT FROM $3
			  AND used_at IS NULL AND expires_at > $5 AND attempts < $6
			FOR UPDATE),
		hit AS (SELECT id FROM live WHERE code_hash = ANY($4) ORDER BY id DESC LIMIT 1)
		UPDATE one_time_codes c SET
			attempts = CASE WHEN EXISTS (SELECT 1 FROM hit) THEN c.attempts ELSE c.attempts + 1 END,
			used_at = CASE WHEN EXISTS (SELECT 1 FROM hit) THEN $5::timestamptz END
		FROM live WHERE c.id = live.id
		RETURNING c.id IN (SELECT id FROM hit), c.target, c.attempts`,
		userID, purpose, tokenID, hashes, now, maxAttempts)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var matched bool
		var target string
		var attempts int
		if err := rows.Scan(&matched, &target, &attempts); err != nil {
			return r, err
		}
		r.Live = true
		if matched || r.Target == "" {
			r.Target, r.Attempts = target, attempts
		}
		r.Matched = r.Matched || matched
	}
	return r, rows.Err()
}

// PendingCode returns the newest unused code of the user for purpose.
func (db *DB) PendingCode(ctx context.Context, userID int64, purpose string) (workflow.PendingCode, error) {
	var pc workflow.PendingCode
	err := db.q.QueryRow(ctx, `SELECT target, expires_at, attempts FROM one_time_codes
		WHERE user_id = $1 AND purpose = $2 AND token_id IS NULL AND used_at IS NULL
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, purpose).Scan(&pc.Target, &pc.ExpiresAt, &pc.Attempts)
	return pc, mapErr(err, "The code")
}

// SetRecoveryCodesDue marks or clears the recovery codes due to a user.
func (db *DB) SetRecoveryCodesDue(ctx context.Context, userID int64, due bool) error {
	_, err := db.q.Exec(ctx, `UPDATE users SET recovery_codes_due = $2 WHERE id = $1`, userID, due)
	return err
}

// TakeRecoveryCodesDue clears the mark in one conditional statement.
func (db *DB) TakeRecoveryCodesDue(ctx context.Context, userID int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE users SET recovery_codes_due = false WHERE id = $1 AND recovery_codes_due`, userID)
	return err == nil && tag.RowsAffected() == 1, err
}

// ReplaceRecoveryCodes stores a fresh set of recovery codes.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	if _, err := db.q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := db.q.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, userID, hashes)
	return err
}

// UseRecoveryCode spends a recovery code once: of two concurrent uses, one wins.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hashes [][]byte, now time.Time) (bool, error) {
	// hashes are one code's under the current and previous keys.
	tag, err := db.q.Exec(ctx, `UPDATE recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = ANY($2) AND used_at IS NULL`, userID, hashes, now)
	return err == nil && tag.RowsAffected() > 0, err
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.q.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, err
}
