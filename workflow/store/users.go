package store

import (
	"context"

	"tokenportal/workflow"
)

const userColumns = `id, login, first_name, last_name, email, phone, coalesce(password_hash, ''), password_changed_at,
	password_never_expires, valid_until::timestamptz, temporary_until, disabled, language, failed_logins, locked_until,
	created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (workflow.User, error) {
	var u workflow.User
	err := row.Scan(&u.ID, &u.Login, &u.FirstName, &u.LastName, &u.Email, &u.Phone, &u.PasswordHash, &u.PasswordChangedAt,
		&u.PasswordNeverExpires, &u.ValidUntil, &u.TemporaryUntil, &u.Disabled, &u.Language, &u.FailedLogins, &u.LockedUntil,
		&u.CreatedAt, &u.UpdatedAt)
	return u, err
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateUser inserts a user and sets its ID.
func (db *DB) CreateUser(ctx context.Context, u *workflow.User) error {
	if u.Language == "" {
		u.Language = "en"
	}
	err := db.q.QueryRow(ctx, `INSERT INTO users (login, first_name, last_name, email, phone, password_hash,
			password_changed_at, password_never_expires, valid_until, temporary_until, disabled, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz::date, $10, $11, $12) RETURNING id, created_at, updated_at`,
		u.Login, u.FirstName, u.LastName, u.Email, u.Phone, nullString(u.PasswordHash), ptrTime(u.PasswordChangedAt),
		u.PasswordNeverExpires, ptrTime(u.ValidUntil), ptrTime(u.TemporaryUntil), u.Disabled, u.Language,
	).Scan(&u.ID, &u.CreatedAt, &u.UpdatedAt)
	return mapErr(err, "The user")
}

// UserByLogin finds a user by login, ignoring case.
func (db *DB) UserByLogin(ctx context.Context, login string) (workflow.User, error) {
	u, err := scanUser(db.q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(login) = lower($1)`, login))
	return u, mapErr(err, "The user")
}

// CreateResource inserts a resource and sets its ID.
func (db *DB) CreateResource(ctx context.Context, r *workflow.Resource) error {
	err := db.q.QueryRow(ctx, `INSERT INTO resources (name, description) VALUES ($1, $2) RETURNING id, created_at`,
		r.Name, r.Description).Scan(&r.ID, &r.CreatedAt)
	return mapErr(err, "The resource")
}

// ResourceByName finds a resource by name, ignoring case.
func (db *DB) ResourceByName(ctx context.Context, name string) (workflow.Resource, error) {
	var r workflow.Resource
	err := db.q.QueryRow(ctx, `SELECT id, name, description, created_at FROM resources WHERE lower(name) = lower($1)`, name).
		Scan(&r.ID, &r.Name, &r.Description, &r.CreatedAt)
	return r, mapErr(err, "The resource")
}

// AssignUser assigns a user to a resource; assigning twice is not an error.
func (db *DB) AssignUser(ctx context.Context, resourceID, userID int64) error {
	_, err := db.q.Exec(ctx, `INSERT INTO resource_users (resource_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, resourceID, userID)
	return mapErr(err, "The assignment")
}

// Counts returns the headline numbers of the dashboard.
func (db *DB) Counts(ctx context.Context) (workflow.Counts, error) {
	var c workflow.Counts
	err := db.q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM users), (SELECT count(*) FROM resources), (SELECT count(*) FROM tokens),
		(SELECT count(*) FROM user_issues WHERE status = 'open')`).Scan(&c.Users, &c.Resources, &c.Tokens, &c.OpenIssues)
	return c, err
}
