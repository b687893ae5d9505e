package store

import (
	"context"
	"net/netip"

	"tokenportal/workflow"
)

// SavePortal creates or replaces the portal settings of a resource, with its
// 14 actions in order, in one statement group (call it inside Tx).
func (db *DB) SavePortal(ctx context.Context, p *workflow.Portal) error {
	nets := make([]netip.Prefix, 0, len(p.TrustedNetworks))
	for _, n := range p.TrustedNetworks {
		pfx, err := netip.ParsePrefix(n)
		if err != nil {
			return workflow.Invalid(map[string]string{"trusted_networks": n + " is not a network in CIDR notation, like 10.0.0.0/8."})
		}
		nets = append(nets, pfx.Masked())
	}
	err := db.q.QueryRow(ctx, `INSERT INTO portals (resource_id, alias, enabled, token_types, trusted_networks,
			otp_outside_trusted, deny_without_token_outside_trusted, require_token, remember_device_days,
			max_tokens_per_user, pin_length, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
		ON CONFLICT (resource_id) DO UPDATE SET alias = EXCLUDED.alias, enabled = EXCLUDED.enabled,
			token_types = EXCLUDED.token_types, trusted_networks = EXCLUDED.trusted_networks,
			otp_outside_trusted = EXCLUDED.otp_outside_trusted,
			deny_without_token_outside_trusted = EXCLUDED.deny_without_token_outside_trusted,
			require_token = EXCLUDED.require_token, remember_device_days = EXCLUDED.remember_device_days,
			max_tokens_per_user = EXCLUDED.max_tokens_per_user, pin_length = EXCLUDED.pin_length, updated_at = now()
		RETURNING updated_at`,
		p.ResourceID, p.Alias, p.Enabled, p.TokenTypes, nets, p.OTPOutsideTrusted, p.DenyWithoutTokenOutsideTrusted,
		p.RequireToken, p.RememberDeviceDays, p.MaxTokensPerUser, p.PINLength).Scan(&p.UpdatedAt)
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
			p.max_tokens_per_user, p.pin_length, p.updated_at,
			coalesce(a.actions, '{}'), coalesce(a.enabled, '{}')
		FROM portals p JOIN resources r ON r.id = p.resource_id
		LEFT JOIN LATERAL (SELECT array_agg(pa.action ORDER BY pa.position) AS actions, array_agg(pa.enabled ORDER BY pa.position) AS enabled
			FROM portal_actions pa WHERE pa.resource_id = p.resource_id) a ON true
		WHERE `+cond, arg).Scan(
		&p.ResourceID, &p.ResourceName, &p.Alias, &p.Enabled, &p.TokenTypes, &nets, &p.OTPOutsideTrusted,
		&p.DenyWithoutTokenOutsideTrusted, &p.RequireToken, &p.RememberDeviceDays, &p.MaxTokensPerUser, &p.PINLength, &p.UpdatedAt,
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
