package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

const directoryColumns = `d.id, d.name, d.url, d.start_tls, d.ca_pem, d.bind_dn, d.bind_password, d.key_id, d.base_dn,
	d.user_filter, d.attributes, d.disabled_filter, d.nested_groups, d.sync_interval_seconds, d.last_sync,
	d.created_at, d.updated_at,
	coalesce((SELECT jsonb_agg(jsonb_build_object('group_dn', g.group_dn, 'resource_id', g.resource_id) ORDER BY g.position)
		FROM directory_groups g WHERE g.directory_id = d.id), '[]')`

func scanDirectory(row pgx.CollectableRow) (workflow.Directory, error) {
	var d workflow.Directory
	var seconds int64
	err := row.Scan(&d.ID, &d.Name, &d.URL, &d.StartTLS, &d.CAPEM, &d.BindDN, &d.SealedPassword, &d.KeyID, &d.BaseDN,
		&d.UserFilter, &d.Attributes, &d.DisabledFilter, &d.NestedGroups, &seconds, &d.LastSync,
		&d.CreatedAt, &d.UpdatedAt, &d.Groups)
	d.SyncInterval = time.Duration(seconds) * time.Second
	return d, err
}

// CreateDirectory inserts a directory and its groups and sets its ID.
func (db *DB) CreateDirectory(ctx context.Context, d *workflow.Directory) error {
	err := db.q.QueryRow(ctx, `INSERT INTO directories (name, url, start_tls, ca_pem, bind_dn, bind_password, key_id, base_dn,
			user_filter, attributes, disabled_filter, nested_groups, sync_interval_seconds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id, created_at, updated_at`,
		d.Name, d.URL, d.StartTLS, d.CAPEM, d.BindDN, d.SealedPassword, d.KeyID, d.BaseDN, d.UserFilter, d.Attributes,
		d.DisabledFilter, d.NestedGroups, int64(d.SyncInterval/time.Second)).Scan(&d.ID, &d.CreatedAt, &d.UpdatedAt)
	if err != nil {
		return mapErr(err, "The directory")
	}
	return db.setDirectoryGroups(ctx, d)
}

// UpdateDirectory writes every setting of a directory and its groups.
func (db *DB) UpdateDirectory(ctx context.Context, d *workflow.Directory) error {
	err := db.q.QueryRow(ctx, `UPDATE directories SET name = $2, url = $3, start_tls = $4, ca_pem = $5, bind_dn = $6,
			bind_password = $7, key_id = $8, base_dn = $9, user_filter = $10, attributes = $11, disabled_filter = $12,
			nested_groups = $13, sync_interval_seconds = $14, updated_at = now()
		WHERE id = $1 RETURNING updated_at`,
		d.ID, d.Name, d.URL, d.StartTLS, d.CAPEM, d.BindDN, d.SealedPassword, d.KeyID, d.BaseDN, d.UserFilter, d.Attributes,
		d.DisabledFilter, d.NestedGroups, int64(d.SyncInterval/time.Second)).Scan(&d.UpdatedAt)
	if err != nil {
		return mapErr(err, "The directory")
	}
	if _, err := db.q.Exec(ctx, `DELETE FROM directory_groups WHERE directory_id = $1`, d.ID); err != nil {
		return err
	}
	return db.setDirectoryGroups(ctx, d)
}

func (db *DB) setDirectoryGroups(ctx context.Context, d *workflow.Directory) error {
	if len(d.Groups) == 0 {
		return nil
	}
	dns, resources := make([]string, len(d.Groups)), make([]int64, len(d.Groups))
	for i, g := range d.Groups {
		dns[i], resources[i] = g.GroupDN, g.ResourceID
	}
	_, err := db.q.Exec(ctx, `INSERT INTO directory_groups (directory_id, position, group_dn, resource_id)
		SELECT $1, g.n, g.dn, g.resource FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS g (dn, resource, n)`,
		d.ID, dns, resources)
	return mapErr(err, "A group's resource")
}

// DeleteDirectory detaches and disables the directory's users, then
// removes it; its assignments become ordinary ones (ON DELETE SET NULL).
func (db *DB) DeleteDirectory(ctx context.Context, id int64) (int, error) {
	tag, err := db.q.Exec(ctx, `UPDATE users SET directory_id = NULL, external_id = NULL, directory_disabled = false,
		disabled = true, updated_at = now() WHERE directory_id = $1`, id)
	if err != nil {
		return 0, err
	}
	del, err := db.q.Exec(ctx, `DELETE FROM directories WHERE id = $1`, id)
	if err == nil && del.RowsAffected() == 0 {
		return 0, notFound("The directory")
	}
	return int(tag.RowsAffected()), err
}

// DirectoryByID loads a directory with its sealed password.
func (db *DB) DirectoryByID(ctx context.Context, id int64) (workflow.Directory, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+directoryColumns+` FROM directories d WHERE d.id = $1`, id)
	d, err := pgx.CollectExactlyOneRow(rows, scanDirectory)
	return d, mapErr(err, "The directory")
}

// Directories lists the directories by name, without passwords.
func (db *DB) Directories(ctx context.Context) ([]workflow.Directory, error) {
	rows, err := db.q.Query(ctx, `SELECT `+directoryColumns+` FROM directories d ORDER BY lower(d.name), d.id`)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanDirectory)
	for i := range list {
		list[i].SealedPassword, list[i].KeyID = nil, ""
	}
	return list, err
}

// DirectoryUsers counts the users of each directory.
func (db *DB) DirectoryUsers(ctx context.Context) (map[int64]int, error) {
	rows, err := db.q.Query(ctx, `SELECT directory_id, count(*) FROM users WHERE directory_id IS NOT NULL GROUP BY directory_id`)
	if err != nil {
		return nil, err
	}
	counts := map[int64]int{}
	var id int64
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { counts[id] = n; return nil })
	return counts, err
}

// DueDirectories lists the directories whose periodic sync is due at now
// and that no sync claims.
func (db *DB) DueDirectories(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := db.q.Query(ctx, `SELECT id FROM directories
		WHERE sync_interval_seconds > 0 AND (sync_claimed_until IS NULL OR sync_claimed_until < $1)
			AND (last_sync_at IS NULL OR last_sync_at + make_interval(secs => sync_interval_seconds) <= $1)
		ORDER BY last_sync_at NULLS FIRST, id`, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// ClaimDirectorySync claims the directory for a sync until until, unless a
// claim that has not run out holds it: one conditional statement, so of two
// instances one wins.
func (db *DB) ClaimDirectorySync(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE directories SET sync_claimed_until = $3
		WHERE id = $1 AND (sync_claimed_until IS NULL OR sync_claimed_until < $2)`, id, now, until)
	return tag.RowsAffected() == 1, err
}

// FinishDirectorySync records a sync's outcome and ends its claim.
func (db *DB) FinishDirectorySync(ctx context.Context, id int64, run workflow.DirectorySyncRun) error {
	_, err := db.q.Exec(ctx, `UPDATE directories SET sync_claimed_until = NULL, last_sync = $2, last_sync_at = $3 WHERE id = $1`,
		id, run, run.At)
	return err
}
