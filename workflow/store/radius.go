package store

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

const radiusClientColumns = `c.id, c.resource_id, r.name, c.name, c.address, c.require_message_authenticator, c.created_at`

func scanRadiusClient(row pgx.CollectableRow) (workflow.RadiusClient, error) {
	var c workflow.RadiusClient
	var addr netip.Prefix
	err := row.Scan(&c.ID, &c.ResourceID, &c.ResourceName, &c.Name, &addr, &c.RequireMessageAuthenticator, &c.CreatedAt)
	c.Address = workflow.FormatNetwork(addr)
	return c, err
}

// CreateRadiusClient inserts a client with its sealed secret and sets its ID.
func (db *DB) CreateRadiusClient(ctx context.Context, c *workflow.RadiusClient) error {
	addr, ok := workflow.ParseNetwork(c.Address)
	if !ok {
		return workflow.FieldsInvalid(map[string]workflow.Msg{"address": workflow.M("radius.address_invalid")})
	}
	err := db.q.QueryRow(ctx, `INSERT INTO radius_clients (resource_id, name, address, secret, key_id, require_message_authenticator)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`,
		c.ResourceID, c.Name, addr, c.SealedSecret, c.KeyID, c.RequireMessageAuthenticator).Scan(&c.ID, &c.CreatedAt)
	return mapErr(err, "The RADIUS client")
}

// RadiusClients lists the clients of a resource by name.
func (db *DB) RadiusClients(ctx context.Context, resourceID int64) ([]workflow.RadiusClient, error) {
	rows, err := db.q.Query(ctx, `SELECT `+radiusClientColumns+` FROM radius_clients c JOIN resources r ON r.id = c.resource_id
		WHERE c.resource_id = $1 ORDER BY lower(c.name), c.id`, resourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanRadiusClient)
}

// RadiusClientByID loads a client without its secret.
func (db *DB) RadiusClientByID(ctx context.Context, id int64) (workflow.RadiusClient, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+radiusClientColumns+` FROM radius_clients c JOIN resources r ON r.id = c.resource_id
		WHERE c.id = $1`, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanRadiusClient)
	return c, mapErr(err, "The RADIUS client")
}

// OverlappingRadiusClients lists the clients whose address overlaps
// address (contains it, or lies within it).
func (db *DB) OverlappingRadiusClients(ctx context.Context, address netip.Prefix) ([]workflow.RadiusClient, error) {
	rows, err := db.q.Query(ctx, `SELECT `+radiusClientColumns+` FROM radius_clients c JOIN resources r ON r.id = c.resource_id
		WHERE c.address && $1 ORDER BY c.id`, address.Masked())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanRadiusClient)
}

// DeleteRadiusClient removes a client and its open challenges.
func (db *DB) DeleteRadiusClient(ctx context.Context, id int64) error {
	tag, err := db.q.Exec(ctx, `DELETE FROM radius_clients WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("The RADIUS client")
	}
	return err
}

// RadiusClientFor finds the client whose address holds addr, the longest
// prefix first, with its sealed secret.
func (db *DB) RadiusClientFor(ctx context.Context, addr netip.Addr) (workflow.RadiusClient, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+radiusClientColumns+`, c.secret, c.key_id
		FROM radius_clients c JOIN resources r ON r.id = c.resource_id
		WHERE c.address >>= $1::inet ORDER BY masklen(c.address) DESC LIMIT 1`, addr.Unmap().String())
	c, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (workflow.RadiusClient, error) {
		var c workflow.RadiusClient
		var p netip.Prefix
		err := row.Scan(&c.ID, &c.ResourceID, &c.ResourceName, &c.Name, &p, &c.RequireMessageAuthenticator, &c.CreatedAt,
			&c.SealedSecret, &c.KeyID)
		c.Address = workflow.FormatNetwork(p)
		return c, err
	})
	return c, mapErr(err, "The RADIUS client")
}

// CreateRadiusState stores the hash of a challenge's State.
func (db *DB) CreateRadiusState(ctx context.Context, s workflow.RadiusState) error {
	_, err := db.q.Exec(ctx, `INSERT INTO radius_states (state_hash, user_id, client_id, resource_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.Hash, s.UserID, s.ClientID, s.ResourceID, s.CreatedAt, s.ExpiresAt)
	return mapErr(err, "The RADIUS state")
}

// TakeRadiusState uses a live State of the client in one conditional
// statement: of concurrent requests with the same State one gets it.
func (db *DB) TakeRadiusState(ctx context.Context, hash []byte, clientID int64, now time.Time) (workflow.RadiusState, bool, error) {
	s := workflow.RadiusState{Hash: hash}
	err := db.q.QueryRow(ctx, `UPDATE radius_states SET used_at = $3
		WHERE state_hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING user_id, client_id, resource_id, created_at, expires_at`, hash, clientID, now).
		Scan(&s.UserID, &s.ClientID, &s.ResourceID, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return workflow.RadiusState{}, false, nil
	}
	return s, err == nil, err
}
