package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// UserTokens lists a user's tokens on a resource.
func (db *DB) UserTokens(ctx context.Context, userID, resourceID int64) ([]workflow.Token, error) {
	rows, err := db.q.Query(ctx, `SELECT `+tokenColumns+`, coalesce(u.login, ''), coalesce(r.name, '') FROM tokens t`+tokenJoins+`
		WHERE t.user_id = $1 AND t.resource_id = $2 ORDER BY t.created_at, t.id`, userID, resourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanTokenRow)
}

// RecordUserFailure counts one failed sign-in in a single statement and
// locks at the threshold. Attempts while locked neither count nor extend
// the lock; the first failure after it ended starts the count again.
func (db *DB) RecordUserFailure(ctx context.Context, id int64, now time.Time, lockAfter int, lockFor time.Duration) error {
	_, err := db.q.Exec(ctx, `UPDATE users SET
		failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END,
		locked_until = CASE WHEN (CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END) >= $3
			THEN $2::timestamptz + $4::interval END
		WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)`, id, now, lockAfter, lockFor)
	return err
}

// RecordUserLogin resets the failure count after a complete sign-in.
func (db *DB) RecordUserLogin(ctx context.Context, id int64) error {
	_, err := db.q.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins > 0 OR locked_until IS NOT NULL)`, id)
	return err
}

// SetUserPassword replaces a user's password.
func (db *DB) SetUserPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	changed := &now
	if hash == "" {
		changed = nil
	}
	tag, err := db.q.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3, temporary_until = NULL, updated_at = now()
		WHERE id = $1`, id, nullString(hash), changed)
	if err == nil && tag.RowsAffected() == 0 {
		return workflow.Errorf(workflow.CodeNotFound, "The user was not found.")
	}
	return err
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

// ReplaceRecoveryCodes stores a fresh set of recovery codes.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	if _, err := db.q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := db.q.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, userID, hashes)
	return err
}

// UseRecoveryCode spends a recovery code once: of two concurrent uses, one wins.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, now time.Time) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, now)
	return err == nil && tag.RowsAffected() == 1, err
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.q.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, err
}

// WithdrawIssues withdraws open restore-access requests.
func (db *DB) WithdrawIssues(ctx context.Context, userID, resourceID int64, now time.Time) ([]int64, error) {
	rows, err := db.q.Query(ctx, `UPDATE user_issues SET status = 'withdrawn', handled_at = $3
		WHERE user_id = $1 AND resource_id = $2 AND status = 'open' RETURNING id`, userID, resourceID, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
