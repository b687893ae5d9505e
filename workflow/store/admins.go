package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

const adminColumns = `a.id, a.login, a.email, a.password_hash, a.role, a.totp_secret, coalesce(a.totp_key_id, ''),
	a.totp_last_step, a.disabled, a.failed_logins, a.locked_until, coalesce(a.language, ''), a.created_at, a.last_login_at,
	coalesce((SELECT array_agg(o.resource_id ORDER BY o.resource_id) FROM resource_owners o WHERE o.admin_id = a.id), '{}')`

func scanAdmin(row interface{ Scan(...any) error }) (workflow.Admin, error) {
	var a workflow.Admin
	var role string
	err := row.Scan(&a.ID, &a.Login, &a.Email, &a.PasswordHash, &role, &a.TOTPSecret, &a.TOTPKeyID,
		&a.TOTPLastStep, &a.Disabled, &a.FailedLogins, &a.LockedUntil, &a.Language, &a.CreatedAt, &a.LastLoginAt,
		&a.OwnedResource)
	a.Role = workflow.Role(role)
	return a, err
}

// CreateAdmin inserts an admin account and sets its ID.
func (db *DB) CreateAdmin(ctx context.Context, a *workflow.Admin) error {
	err := db.q.QueryRow(ctx, `INSERT INTO admins (login, email, password_hash, role, language)
		VALUES ($1, $2, $3, $4, nullif($5, '')) RETURNING id, created_at`,
		a.Login, a.Email, a.PasswordHash, string(a.Role), a.Language).Scan(&a.ID, &a.CreatedAt)
	return mapErr(err, "The admin")
}

// AdminByID loads an admin account.
func (db *DB) AdminByID(ctx context.Context, id int64) (workflow.Admin, error) {
	a, err := scanAdmin(db.q.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins a WHERE a.id = $1`, id))
	return a, mapErr(err, "The admin")
}

// AdminByLogin loads an admin account by login, ignoring case.
func (db *DB) AdminByLogin(ctx context.Context, login string) (workflow.Admin, error) {
	a, err := scanAdmin(db.q.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins a WHERE lower(a.login) = lower($1)`, login))
	return a, mapErr(err, "The admin")
}

// RecordAdminFailure counts one failed sign-in (see recordFailure).
func (db *DB) RecordAdminFailure(ctx context.Context, id int64, now time.Time, lockAfter int, lockFor time.Duration) error {
	return db.recordFailure(ctx, "admins", id, now, lockAfter, lockFor)
}

// RecordAdminLogin resets the failure count after a complete sign-in.
func (db *DB) RecordAdminLogin(ctx context.Context, id int64, now time.Time) error {
	_, err := db.q.Exec(ctx, `UPDATE admins SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1`, id, now)
	return err
}

// EnrolAdminTOTP stores the first TOTP secret of an admin.
func (db *DB) EnrolAdminTOTP(ctx context.Context, id int64, sealed []byte, keyID string, step int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE admins SET totp_secret = $2, totp_key_id = $3, totp_last_step = $4
		WHERE id = $1 AND totp_secret IS NULL`, id, sealed, keyID, step)
	return tag.RowsAffected() == 1, err
}

// AcceptAdminTOTPStep commits a matched step only if it is newer than the
// last one: of two concurrent sign-ins with the same code, one wins.
func (db *DB) AcceptAdminTOTPStep(ctx context.Context, id int64, step int64) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE admins SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, id, step)
	return tag.RowsAffected() == 1, err
}

// ListAdmins lists every admin account by login.
func (db *DB) ListAdmins(ctx context.Context) ([]workflow.Admin, error) {
	rows, err := db.q.Query(ctx, `SELECT `+adminColumns+` FROM admins a ORDER BY lower(a.login)`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (workflow.Admin, error) { return scanAdmin(row) })
}

// UpdateAdmin writes the email and role of an admin.
func (db *DB) UpdateAdmin(ctx context.Context, a *workflow.Admin) error {
	tag, err := db.q.Exec(ctx, `UPDATE admins SET email = $2, role = $3 WHERE id = $1`, a.ID, a.Email, string(a.Role))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The admin")
	}
	return mapErr(err, "The admin")
}

// SetAdminDisabled disables or enables an admin; false when it already was.
func (db *DB) SetAdminDisabled(ctx context.Context, id int64, disabled bool) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE admins SET disabled = $2 WHERE id = $1 AND disabled <> $2`, id, disabled)
	return tag.RowsAffected() == 1, err
}

// SetAdminResources replaces the resources an admin owns.
func (db *DB) SetAdminResources(ctx context.Context, id int64, resources []int64) error {
	if _, err := db.q.Exec(ctx, `DELETE FROM resource_owners WHERE admin_id = $1 AND NOT (resource_id = ANY($2))`,
		id, append([]int64{}, resources...)); err != nil {
		return err
	}
	_, err := db.q.Exec(ctx, `INSERT INTO resource_owners (resource_id, admin_id)
		SELECT r, $1 FROM unnest($2::bigint[]) AS r ON CONFLICT DO NOTHING`, id, append([]int64{}, resources...))
	return mapErr(err, "The resource")
}

// LockSuperadmins locks the enabled superadmins until the transaction ends.
// A transaction waiting for one of the locks re-checks the row once the
// other commits, so a superadmin demoted or disabled meanwhile is not
// counted.
func (db *DB) LockSuperadmins(ctx context.Context) ([]int64, error) {
	rows, err := db.q.Query(ctx, `SELECT id FROM admins WHERE role = 'superadmin' AND NOT disabled ORDER BY id FOR UPDATE`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// ResetAdminTOTP forgets the TOTP secret of an admin.
func (db *DB) ResetAdminTOTP(ctx context.Context, id int64) error {
	tag, err := db.q.Exec(ctx, `UPDATE admins SET totp_secret = NULL, totp_key_id = NULL, totp_last_step = 0 WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The admin")
	}
	return err
}

// SetAdminPassword replaces the password hash and lifts a lock.
func (db *DB) SetAdminPassword(ctx context.Context, id int64, hash string) error {
	tag, err := db.q.Exec(ctx, `UPDATE admins SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`, id, hash)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The admin")
	}
	return err
}

// SetAdminEmail changes the address an admin is mailed at.
func (db *DB) SetAdminEmail(ctx context.Context, id int64, email string) error {
	_, err := db.q.Exec(ctx, `UPDATE admins SET email = $2 WHERE id = $1`, id, email)
	return err
}

// IssueSubscribers lists who is mailed about a new issue on the resource.
func (db *DB) IssueSubscribers(ctx context.Context, resourceID int64) ([]workflow.Admin, error) {
	rows, err := db.q.Query(ctx, `SELECT `+adminColumns+` FROM admins a
		WHERE NOT a.disabled AND a.email <> '' AND EXISTS (SELECT 1 FROM issue_subscriptions s
			WHERE s.admin_id = a.id AND (s.resource_id IS NULL OR s.resource_id = $1))
		  AND (a.role <> 'owner' OR EXISTS (SELECT 1 FROM resource_owners o WHERE o.admin_id = a.id AND o.resource_id = $1))
		ORDER BY a.id`, resourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Admin, error) { return scanAdmin(r) })
}

// Subscriptions reads an admin's subscription to new issues.
func (db *DB) Subscriptions(ctx context.Context, adminID int64) (bool, []int64, error) {
	rows, err := db.q.Query(ctx, `SELECT resource_id FROM issue_subscriptions WHERE admin_id = $1`, adminID)
	if err != nil {
		return false, nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[*int64])
	if err != nil {
		return false, nil, err
	}
	all := false
	var resources []int64
	for _, id := range ids {
		if id == nil {
			all = true
		} else {
			resources = append(resources, *id)
		}
	}
	return all, resources, nil
}

// SetSubscriptions replaces an admin's subscription.
func (db *DB) SetSubscriptions(ctx context.Context, adminID int64, all bool, resources []int64) error {
	if _, err := db.q.Exec(ctx, `DELETE FROM issue_subscriptions WHERE admin_id = $1`, adminID); err != nil {
		return err
	}
	if all {
		_, err := db.q.Exec(ctx, `INSERT INTO issue_subscriptions (admin_id, resource_id) VALUES ($1, NULL)`, adminID)
		return err
	}
	_, err := db.q.Exec(ctx, `INSERT INTO issue_subscriptions (admin_id, resource_id)
		SELECT $1, r.id FROM resources r WHERE r.id = ANY($2)`, adminID, resources)
	return err
}

// IssueRecipients lists every admin account, by login, with its subscription
// to new user issues.
func (db *DB) IssueRecipients(ctx context.Context) ([]workflow.IssueRecipient, error) {
	rows, err := db.q.Query(ctx, `SELECT `+adminColumns+`,
			EXISTS (SELECT 1 FROM issue_subscriptions s WHERE s.admin_id = a.id AND s.resource_id IS NULL),
			coalesce((SELECT array_agg(s.resource_id ORDER BY s.resource_id) FROM issue_subscriptions s
				WHERE s.admin_id = a.id AND s.resource_id IS NOT NULL), '{}')
		FROM admins a ORDER BY lower(a.login)`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.IssueRecipient, error) {
		var rc workflow.IssueRecipient
		a, err := scanAdmin(scanMore{r, []any{&rc.All, &rc.Resources}})
		rc.Admin = a
		return rc, err
	})
}

// scanMore scans a row into the destinations given and then into more: the
// columns a query adds after a shared column list.
type scanMore struct {
	row  interface{ Scan(...any) error }
	more []any
}

func (s scanMore) Scan(dest ...any) error { return s.row.Scan(append(dest, s.more...)...) }

// SetAdminLanguage stores the language an admin chose ("" for none).
func (db *DB) SetAdminLanguage(ctx context.Context, id int64, lang string) error {
	_, err := db.q.Exec(ctx, `UPDATE admins SET language = nullif($2, '') WHERE id = $1`, id, lang)
	return err
}
