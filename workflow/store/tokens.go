package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

const tokenColumns = `t.id, t.serial, t.type, t.secret, coalesce(t.key_id, ''), t.algorithm, t.digits, t.period, t.counter,
	t.last_step, t.drift, coalesce(t.pin_hash, ''), t.pin_position, t.enabled, coalesce(t.disabled_reason, ''), t.failcount,
	t.user_id, t.resource_id, t.description, t.created_at, t.last_used_at, t.replaces`

const tokenJoins = ` LEFT JOIN users u ON u.id = t.user_id LEFT JOIN resources r ON r.id = t.resource_id`

func tokenDest(t *workflow.Token) []any {
	return []any{&t.ID, &t.Serial, &t.Type, &t.Secret, &t.KeyID, &t.Algorithm, &t.Digits, &t.Period, &t.Counter,
		&t.LastStep, &t.Drift, &t.PINHash, &t.PINPosition, &t.Enabled, &t.DisabledReason, &t.Failcount,
		&t.UserID, &t.ResourceID, &t.Description, &t.CreatedAt, &t.LastUsedAt, &t.Replaces}
}

func scanTokenRow(row pgx.CollectableRow) (workflow.Token, error) {
	var t workflow.Token
	err := row.Scan(append(tokenDest(&t), &t.UserLogin, &t.ResourceName)...)
	return t, err
}

// CreateToken inserts a token and sets its ID.
func (db *DB) CreateToken(ctx context.Context, t *workflow.Token) error {
	if t.PINPosition == "" {
		t.PINPosition = "after"
	}
	var keyID, reason *string
	if t.KeyID != "" {
		keyID = &t.KeyID
	}
	if !t.Enabled {
		r := t.DisabledReason
		if r == "" {
			r = workflow.DisabledByAdmin
		}
		reason = &r
	}
	err := db.q.QueryRow(ctx, `INSERT INTO tokens (serial, type, secret, key_id, algorithm, digits, period, counter, last_step,
			drift, pin_hash, pin_position, enabled, disabled_reason, user_id, resource_id, description, replaces)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id, created_at`,
		t.Serial, t.Type, t.Secret, keyID, t.Algorithm, t.Digits, t.Period, t.Counter, t.LastStep, t.Drift,
		nullString(t.PINHash), t.PINPosition, t.Enabled, reason, t.UserID, t.ResourceID, t.Description, t.Replaces).Scan(&t.ID, &t.CreatedAt)
	return mapErr(err, "The token")
}

// TokenByID loads a token with its owner's login and resource's name.
func (db *DB) TokenByID(ctx context.Context, id int64) (workflow.Token, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+tokenColumns+`, coalesce(u.login, ''), coalesce(r.name, '') FROM tokens t`+tokenJoins+` WHERE t.id = $1`, id)
	t, err := pgx.CollectExactlyOneRow(rows, scanTokenRow)
	return t, mapErr(err, "The token")
}

// TokenBySerial finds a token by serial, ignoring case.
func (db *DB) TokenBySerial(ctx context.Context, serial string) (workflow.Token, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+tokenColumns+`, coalesce(u.login, ''), coalesce(r.name, '') FROM tokens t`+tokenJoins+` WHERE lower(t.serial) = lower($1)`, serial)
	t, err := pgx.CollectExactlyOneRow(rows, scanTokenRow)
	return t, mapErr(err, "The token")
}

// ListTokens returns one page of tokens and the number of all that match.
func (db *DB) ListTokens(ctx context.Context, f workflow.TokenFilter) ([]workflow.Token, int, error) {
	q := &filter{}
	if f.Query != "" {
		p := q.arg(likePrefix(f.Query))
		q.and("(lower(t.serial) LIKE " + p + " OR t.user_id IN (SELECT id FROM users WHERE lower(login) LIKE " + p + "))")
	}
	if f.UserID != 0 {
		q.and("t.user_id = " + q.arg(f.UserID))
	}
	if f.ResourceID != 0 {
		q.and("t.resource_id = " + q.arg(f.ResourceID))
	}
	if f.Resources != nil {
		q.and("t.resource_id = ANY(" + q.arg(f.Resources) + ")")
	}
	if f.WithUser {
		q.and("t.user_id IS NOT NULL")
	}
	total, rest, err := page(ctx, db, q, "tokens t", "lower(t.serial)", false, f.After, f.Limit)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.q.Query(ctx, `SELECT `+tokenColumns+`, coalesce(u.login, ''), coalesce(r.name, '') FROM tokens t`+tokenJoins+rest, q.args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scanTokenRow)
	return list, total, err
}

// ValidationTokens is the one query behind a validation: the assigned user
// and their tokens on the resource.
func (db *DB) ValidationTokens(ctx context.Context, resourceID int64, login string) (workflow.User, []workflow.Token, error) {
	rows, err := db.q.Query(ctx, `SELECT `+userColumns+`, `+tokenColumns+`
		`+userFrom+`
		JOIN resource_users ru ON ru.user_id = u.id AND ru.resource_id = $1
		LEFT JOIN tokens t ON t.user_id = u.id AND t.resource_id = $1
		WHERE lower(u.login) = lower($2)
		ORDER BY t.id`, resourceID, login)
	if err != nil {
		return workflow.User{}, nil, err
	}
	defer rows.Close()
	var user workflow.User
	var tokens []workflow.Token
	found := false
	for rows.Next() {
		var t workflow.Token
		var (
			id                                           *int64
			serial, typ, keyID, alg, pin, pinPos, reason *string
			secret                                       []byte
			digits, period, failcount                    *int
			counter, lastStep, drift                     *int64
			enabled                                      *bool
			desc                                         *string
			created                                      *time.Time
		)
		dest := append(userDest(&user), &id, &serial, &typ, &secret, &keyID, &alg, &digits, &period, &counter, &lastStep,
			&drift, &pin, &pinPos, &enabled, &reason, &failcount, &t.UserID, &t.ResourceID, &desc, &created, &t.LastUsedAt, &t.Replaces)
		if err := rows.Scan(dest...); err != nil {
			return user, nil, err
		}
		found = true
		if id == nil {
			continue // assigned, no token
		}
		t.ID, t.Serial, t.Type, t.Secret, t.KeyID, t.Algorithm = *id, *serial, workflow.TokenType(*typ), secret, *keyID, *alg
		t.Digits, t.Period, t.Counter, t.LastStep, t.Drift = *digits, *period, *counter, *lastStep, *drift
		t.PINHash, t.PINPosition, t.Enabled, t.DisabledReason, t.Failcount = *pin, *pinPos, *enabled, *reason, *failcount
		t.Description, t.CreatedAt = *desc, *created
		tokens = append(tokens, t)
	}
	if err := rows.Err(); err != nil {
		return user, nil, err
	}
	if !found {
		return user, nil, workflow.Fail(workflow.CodeNotFound, workflow.M("resource.user_not_assigned"))
	}
	return user, tokens, nil
}

// SetTokenEnabled switches a token on or off.
func (db *DB) SetTokenEnabled(ctx context.Context, id int64, enabled bool, reason string) (bool, error) {
	var tag interface{ RowsAffected() int64 }
	var err error
	if enabled {
		// A pending token is enabled only by approving its issue (ApprovePendingToken).
		tag, err = db.q.Exec(ctx, `UPDATE tokens SET enabled = true, disabled_reason = NULL
			WHERE id = $1 AND NOT enabled AND disabled_reason <> 'pending'`, id)
	} else {
		tag, err = db.q.Exec(ctx, `UPDATE tokens SET enabled = false, disabled_reason = $2 WHERE id = $1 AND enabled`, id, reason)
	}
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// ResetTokenFailcount unlocks a token.
func (db *DB) ResetTokenFailcount(ctx context.Context, id int64) error {
	_, err := db.q.Exec(ctx, `UPDATE tokens SET failcount = 0 WHERE id = $1`, id)
	return err
}

// DeleteToken removes a token.
func (db *DB) DeleteToken(ctx context.Context, id int64) error {
	tag, err := db.q.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The token")
	}
	return err
}

// PlaceToken sets a token's owner and resource.
func (db *DB) PlaceToken(ctx context.Context, id int64, userID, resourceID *int64) error {
	_, err := db.q.Exec(ctx, `UPDATE tokens SET user_id = $2, resource_id = $3 WHERE id = $1`, id, userID, resourceID)
	return mapErr(err, "The token")
}

// AcceptTokenStep commits a matched step; of concurrent requests with the
// same code exactly one sees true.
func (db *DB) AcceptTokenStep(ctx context.Context, id int64, step int64, hotp bool, now time.Time, act *workflow.Activity) (bool, error) {
	update := `UPDATE tokens SET last_step = $2, failcount = 0, last_used_at = $3,
			counter = CASE WHEN $4::bool THEN $2 + 1 ELSE counter END
		WHERE id = $1 AND last_step < $2 AND enabled AND failcount < ` + itoa(workflow.MaxFailcount) + ` RETURNING id`
	args := []any{id, step, now, hotp}
	if act == nil {
		tag, err := db.q.Exec(ctx, update, args...)
		return err == nil && tag.RowsAffected() == 1, err
	}
	// The activity says whether the code was accepted; the statement
	// returns the same answer.
	var ok bool
	err := db.q.QueryRow(ctx, `WITH upd AS (`+update+`),
		act AS (INSERT INTO activities (at, actor_type, actor_id, actor_name, user_id, resource_id, event, ip, user_agent, details)
			SELECT `+activityPlaceholders(5)+` || jsonb_build_object('result', EXISTS (SELECT 1 FROM upd)))
		SELECT EXISTS (SELECT 1 FROM upd)`, append(args, activityArgs(act)...)...).Scan(&ok)
	return ok, err
}

// FailTokens counts a wrong code on each token.
func (db *DB) FailTokens(ctx context.Context, ids []int64, act *workflow.Activity) error {
	update := `UPDATE tokens SET failcount = failcount + 1 WHERE id = ANY($1)`
	if act == nil {
		_, err := db.q.Exec(ctx, update, ids)
		return err
	}
	_, err := db.q.Exec(ctx, `WITH upd AS (`+update+` RETURNING id)
		INSERT INTO activities (at, actor_type, actor_id, actor_name, user_id, resource_id, event, ip, user_agent, details)
		VALUES (`+activityPlaceholders(2)+`)`, append([]any{ids}, activityArgs(act)...)...)
	return err
}

// ResyncToken stores the outcome of a resync.
func (db *DB) ResyncToken(ctx context.Context, id int64, lastStep, counter, drift int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET last_step = $2, counter = $3, drift = $4, failcount = 0
		WHERE id = $1 AND last_step < $2`, id, lastStep, counter, drift)
	return err == nil && tag.RowsAffected() == 1, err
}

// UserTokens lists a user's tokens on a resource.
func (db *DB) UserTokens(ctx context.Context, userID, resourceID int64) ([]workflow.Token, error) {
	rows, err := db.q.Query(ctx, `SELECT `+tokenColumns+`, coalesce(u.login, ''), coalesce(r.name, '') FROM tokens t`+tokenJoins+`
		WHERE t.user_id = $1 AND t.resource_id = $2 ORDER BY t.created_at, t.id`, userID, resourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanTokenRow)
}

// DisableLostTokens disables a user's enabled tokens on a resource.
func (db *DB) DisableLostTokens(ctx context.Context, userID, resourceID int64) ([]string, error) {
	rows, err := db.q.Query(ctx, `UPDATE tokens SET enabled = false, disabled_reason = 'lost'
		WHERE user_id = $1 AND resource_id = $2 AND enabled RETURNING serial`, userID, resourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// The token actions of the self-service portal (SPEC §5.1–7). Each change
// is one conditional statement: it happens only when the token is still
// where the user saw it, so two tabs cannot both act on the same token.

// LockUserTokens locks the user's row until the transaction ends (so
// registrations of one user queue up) and counts their enabled tokens on the
// resource (pending ones too: they count against the limit while they wait)
// and anywhere (enabled only).
func (db *DB) LockUserTokens(ctx context.Context, userID, resourceID int64) (onResource, anywhere int, err error) {
	if _, err := db.q.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID); err != nil {
		return 0, 0, err
	}
	err = db.q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE resource_id = $2 AND (enabled OR disabled_reason = 'pending')),
			count(*) FILTER (WHERE enabled)
		FROM tokens WHERE user_id = $1`, userID, resourceID).Scan(&onResource, &anywhere)
	return onResource, anywhere, err
}

// ClaimToken gives a stock token on the resource to the user, pending the
// helpdesk's approval when pending is set.
func (db *DB) ClaimToken(ctx context.Context, tokenID, userID, resourceID int64, pending bool) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE tokens SET user_id = $2, enabled = NOT $4, disabled_reason = CASE WHEN $4 THEN 'pending' END
		WHERE id = $1 AND user_id IS NULL AND resource_id = $3 AND enabled`, tokenID, userID, resourceID, pending)
	return err == nil && tag.RowsAffected() == 1, err
}

// ApprovePendingToken enables a pending token that is still the user's on
// the resource; it returns the token it replaces (0 for none) and false
// when the token no longer waits there.
func (db *DB) ApprovePendingToken(ctx context.Context, tokenID, userID, resourceID int64) (int64, bool, error) {
	var replaces *int64
	err := db.q.QueryRow(ctx, `UPDATE tokens t SET enabled = true, disabled_reason = NULL, replaces = NULL
		FROM (SELECT id, replaces FROM tokens WHERE id = $1 FOR UPDATE) was
		WHERE t.id = was.id AND t.disabled_reason = 'pending' AND t.user_id = $2 AND t.resource_id = $3
		RETURNING was.replaces`, tokenID, userID, resourceID).Scan(&replaces)
	if err == pgx.ErrNoRows {
		return 0, false, nil
	}
	if err != nil || replaces == nil {
		return 0, err == nil, err
	}
	return *replaces, true, nil
}

// DiscardPendingToken drops a pending token of the user on the resource: a
// token made in the portal is deleted, a claimed stock token goes back to
// the resource's stock disabled (by an administrator, who enables it once
// it is in safe hands). It returns the serial, "" when nothing waited.
func (db *DB) DiscardPendingToken(ctx context.Context, tokenID, userID, resourceID int64, claimed bool) (string, error) {
	var serial string
	q := `DELETE FROM tokens WHERE id = $1 AND disabled_reason = 'pending' AND user_id = $2 AND resource_id = $3 RETURNING serial`
	if claimed {
		q = `UPDATE tokens SET user_id = NULL, disabled_reason = 'admin', replaces = NULL
			WHERE id = $1 AND disabled_reason = 'pending' AND user_id = $2 AND resource_id = $3 RETURNING serial`
	}
	err := db.q.QueryRow(ctx, q, tokenID, userID, resourceID).Scan(&serial)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	return serial, err
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
