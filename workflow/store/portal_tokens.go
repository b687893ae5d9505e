package store

import (
	"context"

	"tokenportal/workflow"
)

// The token actions of the self-service portal (SPEC §5.1–7). Each change
// is one conditional statement: it happens only when the token is still
// where the user saw it, so two tabs cannot both act on the same token.

// LockUserTokens locks the user's row until the transaction ends (so
// registrations of one user queue up) and counts their enabled tokens on the
// resource and anywhere.
func (db *DB) LockUserTokens(ctx context.Context, userID, resourceID int64) (onResource, anywhere int, err error) {
	if _, err := db.q.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID); err != nil {
		return 0, 0, err
	}
	err = db.q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE resource_id = $2), count(*)
		FROM tokens WHERE user_id = $1 AND enabled`, userID, resourceID).Scan(&onResource, &anywhere)
	return onResource, anywhere, err
}

// ClaimToken gives a stock token on the resource to the user.
func (db *DB) ClaimToken(ctx context.Context, tokenID, userID, resourceID int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET user_id = $2
		WHERE id = $1 AND user_id IS NULL AND resource_id = $3 AND enabled`, tokenID, userID, resourceID)
	return err == nil && tag.RowsAffected() == 1, err
}

// RetireToken disables a token that was exchanged for another one and takes
// it off the resource; it stays the user's.
func (db *DB) RetireToken(ctx context.Context, tokenID, userID, resourceID int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET enabled = false, disabled_reason = $4, resource_id = NULL
		WHERE id = $1 AND user_id = $2 AND resource_id = $3 AND enabled`, tokenID, userID, resourceID, workflow.DisabledReassigned)
	return err == nil && tag.RowsAffected() == 1, err
}

// UnassignToken takes a user's token off the resource; it stays the user's.
func (db *DB) UnassignToken(ctx context.Context, tokenID, userID, resourceID int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET resource_id = NULL
		WHERE id = $1 AND user_id = $2 AND resource_id = $3`, tokenID, userID, resourceID)
	return err == nil && tag.RowsAffected() == 1, err
}

// SetTokenPIN stores the hash and position of a PIN on a token that has none.
func (db *DB) SetTokenPIN(ctx context.Context, tokenID int64, hash, position string) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET pin_hash = $2, pin_position = $3
		WHERE id = $1 AND pin_hash IS NULL`, tokenID, hash, position)
	return err == nil && tag.RowsAffected() == 1, err
}

// RehashTokenPIN replaces a PIN hash of the old form by the new one, only
// if it was not changed meanwhile.
func (db *DB) RehashTokenPIN(ctx context.Context, tokenID int64, old, new string) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET pin_hash = $3 WHERE id = $1 AND pin_hash = $2`, tokenID, old, new)
	return tag.RowsAffected() == 1, err
}

// RemoveTokenPIN clears the PIN of a token that has one.
func (db *DB) RemoveTokenPIN(ctx context.Context, tokenID int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET pin_hash = NULL, pin_position = 'after'
		WHERE id = $1 AND pin_hash IS NOT NULL`, tokenID)
	return err == nil && tag.RowsAffected() == 1, err
}
