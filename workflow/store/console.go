package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// ListResourcesPage returns one page of resources with their counts and
// portal, and the number of all that match. Paging is by key (the name).
func (db *DB) ListResourcesPage(ctx context.Context, f workflow.ResourceFilter) ([]workflow.ResourceRow, int, error) {
	cond := "true"
	args := []any{}
	if f.Query != "" {
		args = append(args, likePrefix(f.Query))
		cond = "lower(r.name) LIKE $1"
	}
	if f.Resources != nil {
		args = append(args, f.Resources)
		cond += " AND r.id = ANY($" + itoa(len(args)) + ")"
	}
	var total int
	if err := db.q.QueryRow(ctx, `SELECT count(*) FROM resources r WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.After != "" {
		args = append(args, f.After)
		cond += " AND lower(r.name) > $" + itoa(len(args))
	}
	args = append(args, limit(f.Limit))
	rows, err := db.q.Query(ctx, `SELECT r.id, r.name, r.description, r.created_at,
			(SELECT count(*) FROM resource_users ru WHERE ru.resource_id = r.id),
			(SELECT count(*) FROM tokens t WHERE t.resource_id = r.id),
			coalesce(p.alias, ''), coalesce(p.enabled, false)
		FROM resources r LEFT JOIN portals p ON p.resource_id = r.id
		WHERE `+cond+` ORDER BY lower(r.name) LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (workflow.ResourceRow, error) {
		var r workflow.ResourceRow
		err := row.Scan(&r.ID, &r.Name, &r.Description, &r.CreatedAt, &r.Users, &r.Tokens, &r.PortalAlias, &r.PortalOn)
		return r, err
	})
	return list, total, err
}

// OpenIssueCount counts the open user issues, on resources when not nil.
func (db *DB) OpenIssueCount(ctx context.Context, resources []int64) (int, error) {
	var n int
	var err error
	if resources == nil {
		err = db.q.QueryRow(ctx, `SELECT count(*) FROM user_issues WHERE status = 'open'`).Scan(&n)
	} else {
		err = db.q.QueryRow(ctx, `SELECT count(*) FROM user_issues WHERE status = 'open' AND resource_id = ANY($1)`, resources).Scan(&n)
	}
	return n, err
}
