package store

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

func itoa(n int) string { return strconv.Itoa(n) }

// CreateResource inserts a resource and sets its ID.
func (db *DB) CreateResource(ctx context.Context, r *workflow.Resource) error {
	err := db.q.QueryRow(ctx, `INSERT INTO resources (name, description) VALUES ($1, $2) RETURNING id, created_at`,
		r.Name, r.Description).Scan(&r.ID, &r.CreatedAt)
	return mapErr(err, "The resource")
}

// UpdateResource renames or re-describes a resource.
func (db *DB) UpdateResource(ctx context.Context, r *workflow.Resource) error {
	tag, err := db.q.Exec(ctx, `UPDATE resources SET name = $2, description = $3 WHERE id = $1`, r.ID, r.Name, r.Description)
	if err == nil && tag.RowsAffected() == 0 {
		return workflow.Errorf(workflow.CodeNotFound, "The resource was not found.")
	}
	return mapErr(err, "The resource")
}

// DeleteResource removes a resource, its portal and assignments; its tokens
// return to stock (they keep their owners).
func (db *DB) DeleteResource(ctx context.Context, id int64) error {
	tag, err := db.q.Exec(ctx, `DELETE FROM resources WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return workflow.Errorf(workflow.CodeNotFound, "The resource was not found.")
	}
	return mapErr(err, "The resource")
}

func scanResource(row pgx.Row) (workflow.Resource, error) {
	var r workflow.Resource
	err := row.Scan(&r.ID, &r.Name, &r.Description, &r.CreatedAt)
	return r, err
}

// ResourceByID loads a resource.
func (db *DB) ResourceByID(ctx context.Context, id int64) (workflow.Resource, error) {
	r, err := scanResource(db.q.QueryRow(ctx, `SELECT id, name, description, created_at FROM resources WHERE id = $1`, id))
	return r, mapErr(err, "The resource")
}

// ResourceByName finds a resource by name, ignoring case.
func (db *DB) ResourceByName(ctx context.Context, name string) (workflow.Resource, error) {
	r, err := scanResource(db.q.QueryRow(ctx, `SELECT id, name, description, created_at FROM resources WHERE lower(name) = lower($1)`, name))
	return r, mapErr(err, "The resource")
}

// ListResources returns every resource with its counts and portal.
func (db *DB) ListResources(ctx context.Context) ([]workflow.ResourceRow, error) {
	rows, err := db.q.Query(ctx, `SELECT r.id, r.name, r.description, r.created_at,
			(SELECT count(*) FROM resource_users ru WHERE ru.resource_id = r.id),
			(SELECT count(*) FROM tokens t WHERE t.resource_id = r.id),
			coalesce(p.alias, ''), coalesce(p.enabled, false)
		FROM resources r LEFT JOIN portals p ON p.resource_id = r.id ORDER BY lower(r.name) LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (workflow.ResourceRow, error) {
		var r workflow.ResourceRow
		err := row.Scan(&r.ID, &r.Name, &r.Description, &r.CreatedAt, &r.Users, &r.Tokens, &r.PortalAlias, &r.PortalOn)
		return r, err
	})
}

// ResourceNames returns every resource by name, without the counts of
// ListResources: the pickers and filters of the console need only names,
// and counting the assignments of every resource costs more than the rest
// of such a page at 100,000 users (see README § Performance).
func (db *DB) ResourceNames(ctx context.Context) ([]workflow.Resource, error) {
	rows, err := db.q.Query(ctx, `SELECT id, name, description, created_at FROM resources ORDER BY lower(name) LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (workflow.Resource, error) { return scanResource(row) })
}

// UserResources lists the resources a user is assigned to.
func (db *DB) UserResources(ctx context.Context, userID int64) ([]workflow.Resource, error) {
	rows, err := db.q.Query(ctx, `SELECT r.id, r.name, r.description, r.created_at FROM resources r
		JOIN resource_users ru ON ru.resource_id = r.id WHERE ru.user_id = $1 ORDER BY lower(r.name)`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (workflow.Resource, error) { return scanResource(row) })
}

// AssignUser assigns a user to a resource; assigning twice is not an error.
func (db *DB) AssignUser(ctx context.Context, resourceID, userID int64) error {
	_, err := db.q.Exec(ctx, `INSERT INTO resource_users (resource_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, resourceID, userID)
	return mapErr(err, "The user or resource")
}

// UnassignUser removes a user from a resource; their tokens leave it too.
func (db *DB) UnassignUser(ctx context.Context, resourceID, userID int64) error {
	if _, err := db.q.Exec(ctx, `UPDATE tokens SET resource_id = NULL WHERE resource_id = $1 AND user_id = $2`, resourceID, userID); err != nil {
		return err
	}
	tag, err := db.q.Exec(ctx, `DELETE FROM resource_users WHERE resource_id = $1 AND user_id = $2`, resourceID, userID)
	if err == nil && tag.RowsAffected() == 0 {
		return workflow.Errorf(workflow.CodeNotFound, "The user is not assigned to this resource.")
	}
	return err
}

// IsAssigned reports whether a user is assigned to a resource.
func (db *DB) IsAssigned(ctx context.Context, resourceID, userID int64) (bool, error) {
	var ok bool
	err := db.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM resource_users WHERE resource_id = $1 AND user_id = $2)`, resourceID, userID).Scan(&ok)
	return ok, err
}
