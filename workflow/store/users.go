package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

const userColumns = `u.id, u.login, u.first_name, u.last_name, u.email, u.phone, coalesce(u.password_hash, ''), u.password_changed_at,
	u.password_never_expires, u.valid_until::timestamptz, u.temporary_until, u.disabled, coalesce(u.language, ''), u.failed_logins, u.locked_until,
	u.created_at, u.updated_at, u.directory_id, coalesce(u.external_id, ''), u.directory_disabled,
	coalesce(d.name, ''), d.attributes`

// userFrom is the FROM of userColumns: users u and their directory d.
const userFrom = ` FROM users u LEFT JOIN directories d ON d.id = u.directory_id`

func userDest(u *workflow.User) []any {
	return []any{&u.ID, &u.Login, &u.FirstName, &u.LastName, &u.Email, &u.Phone, &u.PasswordHash, &u.PasswordChangedAt,
		&u.PasswordNeverExpires, &u.ValidUntil, &u.TemporaryUntil, &u.Disabled, &u.Language, &u.FailedLogins, &u.LockedUntil,
		&u.CreatedAt, &u.UpdatedAt, &u.DirectoryID, &u.ExternalID, &u.DirectoryDisabled, &u.DirectoryName, &u.DirectoryManages}
}

// CreateUser inserts a user and sets its ID.
func (db *DB) CreateUser(ctx context.Context, u *workflow.User) error {
	err := db.q.QueryRow(ctx, `INSERT INTO users (login, first_name, last_name, email, phone, password_hash,
			password_changed_at, password_never_expires, valid_until, temporary_until, disabled, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz::date, $10, $11, nullif($12, '')) RETURNING id, created_at, updated_at`,
		u.Login, u.FirstName, u.LastName, u.Email, u.Phone, nullString(u.PasswordHash), ptrTime(u.PasswordChangedAt),
		u.PasswordNeverExpires, ptrTime(u.ValidUntil), ptrTime(u.TemporaryUntil), u.Disabled, u.Language,
	).Scan(&u.ID, &u.CreatedAt, &u.UpdatedAt)
	return mapErr(err, "The user")
}

// UpdateUser writes every editable field of a user.
func (db *DB) UpdateUser(ctx context.Context, u *workflow.User) error {
	err := db.q.QueryRow(ctx, `UPDATE users SET login = $2, first_name = $3, last_name = $4, email = $5, phone = $6,
			password_hash = $7, password_changed_at = $8, password_never_expires = $9, valid_until = $10::timestamptz::date,
			temporary_until = $11, disabled = $12, language = nullif($13, ''), failed_logins = $14, locked_until = $15, updated_at = now(),
			directory_disabled = directory_disabled AND $12
		WHERE id = $1 RETURNING updated_at`,
		u.ID, u.Login, u.FirstName, u.LastName, u.Email, u.Phone, nullString(u.PasswordHash), ptrTime(u.PasswordChangedAt),
		u.PasswordNeverExpires, ptrTime(u.ValidUntil), ptrTime(u.TemporaryUntil), u.Disabled, u.Language, u.FailedLogins,
		ptrTime(u.LockedUntil)).Scan(&u.UpdatedAt)
	return mapErr(err, "The user")
}

// stockReason is why a token taken from its user is disabled: the reason it
// had, or an administrator's (a pending token waits for nobody now).
const stockReason = `CASE WHEN disabled_reason IS NULL OR disabled_reason = 'pending' THEN 'admin' ELSE disabled_reason END`

// DeleteUser removes a user; their tokens return to stock, disabled.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	if _, err := db.q.Exec(ctx, `UPDATE tokens SET user_id = NULL, resource_id = NULL, enabled = false,
		disabled_reason = `+stockReason+`, replaces = NULL WHERE user_id = $1`, id); err != nil {
		return err
	}
	tag, err := db.q.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The user")
	}
	return mapErr(err, "The user")
}

// UserByID loads a user.
func (db *DB) UserByID(ctx context.Context, id int64) (workflow.User, error) {
	var u workflow.User
	err := db.q.QueryRow(ctx, `SELECT `+userColumns+userFrom+` WHERE u.id = $1`, id).Scan(userDest(&u)...)
	return u, mapErr(err, "The user")
}

// UserByLogin finds a user by login, ignoring case.
func (db *DB) UserByLogin(ctx context.Context, login string) (workflow.User, error) {
	var u workflow.User
	err := db.q.QueryRow(ctx, `SELECT `+userColumns+userFrom+` WHERE lower(u.login) = lower($1)`, login).Scan(userDest(&u)...)
	return u, mapErr(err, "The user")
}

// ListUsers returns one page of users and the number of all that match.
// Paging is by key (the login), so every page costs the same at 100k users.
func (db *DB) ListUsers(ctx context.Context, f workflow.UserFilter) ([]workflow.UserRow, int, error) {
	q := &filter{}
	if f.Query != "" {
		p := q.arg(likePrefix(f.Query))
		q.and("(lower(u.login) LIKE " + p + " OR lower(u.last_name) LIKE " + p + " OR lower(u.email) LIKE " + p + ")")
	}
	if f.ResourceID != 0 {
		q.and("EXISTS (SELECT 1 FROM resource_users ru WHERE ru.user_id = u.id AND ru.resource_id = " + q.arg(f.ResourceID) + ")")
	}
	if f.Resources != nil {
		q.and("EXISTS (SELECT 1 FROM resource_users ru WHERE ru.user_id = u.id AND ru.resource_id = ANY(" + q.arg(f.Resources) + "))")
	}
	switch id, err := strconv.ParseInt(f.Source, 10, 64); {
	case f.Source == "local":
		q.and("u.directory_id IS NULL")
	case f.Source != "" && err == nil:
		q.and("u.directory_id = " + q.arg(id))
	case f.Source != "":
		q.and("false")
	}
	total, rest, err := page(ctx, db, q, "users u", "lower(u.login)", false, f.After, f.Limit)
	if err != nil {
		return nil, 0, err
	}
	// In an owner's view the counts, too, cover their resources only.
	inResources, onResources := "", ""
	if f.Resources != nil {
		p := q.arg(f.Resources)
		inResources, onResources = " AND ru.resource_id = ANY("+p+")", " AND t.resource_id = ANY("+p+")"
	}
	rows, err := db.q.Query(ctx, `SELECT `+userColumns+`,
			(SELECT count(*) FROM resource_users ru WHERE ru.user_id = u.id`+inResources+`),
			(SELECT count(*) FROM tokens t WHERE t.user_id = u.id`+onResources+`)
		`+userFrom+rest, q.args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.UserRow, error) {
		var u workflow.UserRow
		err := r.Scan(append(userDest(&u.User), &u.Resources, &u.Tokens)...)
		return u, err
	})
	return list, total, err
}

// UnlockUser clears the failed-login counter and lock.
func (db *DB) UnlockUser(ctx context.Context, id int64) error {
	tag, err := db.q.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = now() WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The user")
	}
	return err
}

// ResetUser2FA takes every second factor away from a user, so they enrol again.
func (db *DB) ResetUser2FA(ctx context.Context, userID int64) (serials, disabled []string, err error) {
	rows, err := db.q.Query(ctx, `UPDATE tokens t SET user_id = NULL, resource_id = NULL, enabled = false,
		disabled_reason = `+stockReason+`, replaces = NULL, pin_hash = NULL
		FROM (SELECT id, enabled FROM tokens WHERE user_id = $1 FOR UPDATE) was
		WHERE t.id = was.id RETURNING t.serial, was.enabled`, userID)
	if err != nil {
		return nil, nil, err
	}
	type row struct {
		Serial     string
		WasEnabled bool
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return nil, nil, err
	}
	for _, r := range list {
		serials = append(serials, r.Serial)
		if r.WasEnabled {
			disabled = append(disabled, r.Serial)
		}
	}
	if _, err := db.q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return nil, nil, err
	}
	if _, err := db.q.Exec(ctx, `DELETE FROM remembered_devices WHERE user_id = $1`, userID); err != nil {
		return nil, nil, err
	}
	return serials, disabled, nil
}

// setUser updates one or two columns of a user; NotFound when it is gone.
func (db *DB) setUser(ctx context.Context, sql string, args ...any) error {
	tag, err := db.q.Exec(ctx, sql, args...)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The user")
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

// RecordUserFailure counts one failed sign-in (see recordFailure).
func (db *DB) RecordUserFailure(ctx context.Context, id int64, now time.Time, lockAfter int, lockFor time.Duration) error {
	return db.recordFailure(ctx, "users", id, now, lockAfter, lockFor)
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
		return notFound("The user")
	}
	return err
}

// SetUserEmail changes a user's email address.
func (db *DB) SetUserEmail(ctx context.Context, id int64, email string) error {
	_, err := db.q.Exec(ctx, `UPDATE users SET email = $2, updated_at = now() WHERE id = $1`, id, email)
	return err
}

// SetUserLanguage stores the language a user chose ("" for none).
func (db *DB) SetUserLanguage(ctx context.Context, id int64, lang string) error {
	_, err := db.q.Exec(ctx, `UPDATE users SET language = nullif($2, ''), updated_at = now() WHERE id = $1`, id, lang)
	return err
}
