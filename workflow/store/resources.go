package store

import (
	"context"
	"net/netip"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

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
		return notFound("The resource")
	}
	return mapErr(err, "The resource")
}

// DeleteResource removes a resource, its portal and assignments; its tokens
// return to stock (they keep their owners).
func (db *DB) DeleteResource(ctx context.Context, id int64) error {
	tag, err := db.q.Exec(ctx, `DELETE FROM resources WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The resource")
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
		return workflow.Fail(workflow.CodeNotFound, workflow.M("resource.user_not_assigned"))
	}
	return err
}

// IsAssigned reports whether a user is assigned to a resource.
func (db *DB) IsAssigned(ctx context.Context, resourceID, userID int64) (bool, error) {
	var ok bool
	err := db.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM resource_users WHERE resource_id = $1 AND user_id = $2)`, resourceID, userID).Scan(&ok)
	return ok, err
}

// ListResourcesPage returns one page of resources with their counts and
// portal, and the number of all that match. Paging is by key (the name).
func (db *DB) ListResourcesPage(ctx context.Context, f workflow.ResourceFilter) ([]workflow.ResourceRow, int, error) {
	q := &filter{}
	if f.Query != "" {
		q.and("lower(r.name) LIKE " + q.arg(likePrefix(f.Query)))
	}
	if f.Resources != nil {
		q.and("r.id = ANY(" + q.arg(f.Resources) + ")")
	}
	total, rest, err := page(ctx, db, q, "resources r", "lower(r.name)", false, f.After, f.Limit)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.q.Query(ctx, `SELECT r.id, r.name, r.description, r.created_at,
			(SELECT count(*) FROM resource_users ru WHERE ru.resource_id = r.id),
			(SELECT count(*) FROM tokens t WHERE t.resource_id = r.id),
			coalesce(p.alias, ''), coalesce(p.enabled, false)
		FROM resources r LEFT JOIN portals p ON p.resource_id = r.id`+rest, q.args...)
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

// UserResourceIDs returns, for each of the given users, the ids of the
// resources they are assigned to (ascending), in one query: a page of the
// API's user list costs one round trip, not one per user.
func (db *DB) UserResourceIDs(ctx context.Context, userIDs []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := db.q.Query(ctx, `SELECT user_id, resource_id FROM resource_users WHERE user_id = ANY($1) ORDER BY user_id, resource_id`, userIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u, r int64
		if err := rows.Scan(&u, &r); err != nil {
			return nil, err
		}
		out[u] = append(out[u], r)
	}
	return out, rows.Err()
}

// SavePortal creates or replaces the portal settings of a resource, with its
// 14 actions in order, in one statement group (call it inside Tx).
func (db *DB) SavePortal(ctx context.Context, p *workflow.Portal) error {
	nets := make([]netip.Prefix, 0, len(p.TrustedNetworks))
	for _, n := range p.TrustedNetworks {
		pfx, err := netip.ParsePrefix(n)
		if err != nil {
			return workflow.FieldsInvalid(map[string]workflow.Msg{"trusted_networks": workflow.M("settings.portal.network_cidr", "Network", n)})
		}
		nets = append(nets, pfx.Masked())
	}
	err := db.q.QueryRow(ctx, `INSERT INTO portals (resource_id, alias, enabled, token_types, trusted_networks,
			otp_outside_trusted, deny_without_token_outside_trusted, require_token, remember_device_days,
			max_tokens_per_user, pin_length, radius_first_factor, radius_allow_without_token, default_country, approve_new_tokens, passkey_login, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
		ON CONFLICT (resource_id) DO UPDATE SET alias = EXCLUDED.alias, enabled = EXCLUDED.enabled,
			token_types = EXCLUDED.token_types, trusted_networks = EXCLUDED.trusted_networks,
			otp_outside_trusted = EXCLUDED.otp_outside_trusted,
			deny_without_token_outside_trusted = EXCLUDED.deny_without_token_outside_trusted,
			require_token = EXCLUDED.require_token, remember_device_days = EXCLUDED.remember_device_days,
			max_tokens_per_user = EXCLUDED.max_tokens_per_user, pin_length = EXCLUDED.pin_length,
			radius_first_factor = EXCLUDED.radius_first_factor, radius_allow_without_token = EXCLUDED.radius_allow_without_token,
			default_country = EXCLUDED.default_country, approve_new_tokens = EXCLUDED.approve_new_tokens,
			passkey_login = EXCLUDED.passkey_login, updated_at = now()
		RETURNING updated_at`,
		p.ResourceID, p.Alias, p.Enabled, p.TokenTypes, nets, p.OTPOutsideTrusted, p.DenyWithoutTokenOutsideTrusted,
		p.RequireToken, p.RememberDeviceDays, p.MaxTokensPerUser, p.PINLength, p.RadiusFirstFactor, p.RadiusAllowWithoutToken, p.DefaultCountry,
		p.ApproveNewTokens, p.PasskeyLogin).Scan(&p.UpdatedAt)
	if err != nil {
		return mapErr(err, "The portal")
	}
	if _, err := db.q.Exec(ctx, `DELETE FROM portal_actions WHERE resource_id = $1`, p.ResourceID); err != nil {
		return err
	}
	for i, a := range p.Actions {
		if _, err := db.q.Exec(ctx, `INSERT INTO portal_actions (resource_id, action, position, enabled) VALUES ($1, $2, $3, $4)`,
			p.ResourceID, a.ID, i+1, a.Enabled); err != nil {
			return mapErr(err, "The portal action")
		}
	}
	return nil
}

// PortalByAlias loads a portal with its resource name and ordered actions.
func (db *DB) PortalByAlias(ctx context.Context, alias string) (workflow.Portal, error) {
	return db.portal(ctx, "p.alias = $1", alias)
}

// PortalByResource loads the portal of a resource.
func (db *DB) PortalByResource(ctx context.Context, resourceID int64) (workflow.Portal, error) {
	return db.portal(ctx, "p.resource_id = $1", resourceID)
}

func (db *DB) portal(ctx context.Context, cond string, arg any) (workflow.Portal, error) {
	var p workflow.Portal
	var nets []netip.Prefix
	var actions []string
	var enabled []bool
	// One round trip: every portal page loads its portal, so the actions
	// come along as arrays in their order.
	err := db.q.QueryRow(ctx, `SELECT p.resource_id, r.name, p.alias, p.enabled, p.token_types, p.trusted_networks,
			p.otp_outside_trusted, p.deny_without_token_outside_trusted, p.require_token, p.remember_device_days,
			p.max_tokens_per_user, p.pin_length, p.radius_first_factor, p.radius_allow_without_token, p.default_country, p.approve_new_tokens, p.passkey_login, p.updated_at,
			coalesce(a.actions, '{}'), coalesce(a.enabled, '{}')
		FROM portals p JOIN resources r ON r.id = p.resource_id
		LEFT JOIN LATERAL (SELECT array_agg(pa.action ORDER BY pa.position) AS actions, array_agg(pa.enabled ORDER BY pa.position) AS enabled
			FROM portal_actions pa WHERE pa.resource_id = p.resource_id) a ON true
		WHERE `+cond, arg).Scan(
		&p.ResourceID, &p.ResourceName, &p.Alias, &p.Enabled, &p.TokenTypes, &nets, &p.OTPOutsideTrusted,
		&p.DenyWithoutTokenOutsideTrusted, &p.RequireToken, &p.RememberDeviceDays, &p.MaxTokensPerUser, &p.PINLength,
		&p.RadiusFirstFactor, &p.RadiusAllowWithoutToken, &p.DefaultCountry, &p.ApproveNewTokens, &p.PasskeyLogin, &p.UpdatedAt,
		&actions, &enabled)
	if err != nil {
		return p, mapErr(err, "The portal")
	}
	for _, n := range nets {
		p.TrustedNetworks = append(p.TrustedNetworks, n.String())
	}
	for i, id := range actions {
		p.Actions = append(p.Actions, workflow.PortalAction{ID: id, Enabled: enabled[i]})
	}
	return p, nil
}
