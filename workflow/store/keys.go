package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tokenportal/workflow"
)

// The credentials of security keys and passkeys (SPEC §14).

const keyColumns = `k.token_id, k.credential_id, k.public_key, k.sign_count, k.aaguid, k.transports, k.backup_eligible, k.name, t.user_id`

func scanKey(row pgx.CollectableRow) (workflow.KeyCredential, error) {
	var k workflow.KeyCredential
	err := row.Scan(&k.TokenID, &k.CredentialID, &k.PublicKey, &k.SignCount, &k.AAGUID, &k.Transports, &k.BackupEligible, &k.Name, &k.UserID)
	return k, err
}

// CreateKeyCredential stores the credential of a webauthn token.
func (db *DB) CreateKeyCredential(ctx context.Context, k workflow.KeyCredential) error {
	if k.Transports == nil {
		k.Transports = []string{}
	}
	if k.AAGUID == nil {
		k.AAGUID = []byte{}
	}
	_, err := db.q.Exec(ctx, `INSERT INTO webauthn_credentials (token_id, credential_id, public_key, sign_count, aaguid, transports, backup_eligible, name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.TokenID, k.CredentialID, k.PublicKey, k.SignCount, k.AAGUID, k.Transports, k.BackupEligible, k.Name)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "webauthn_credentials_credential_id_key" {
		return workflow.ErrKeyRegistered
	}
	return err
}

// UserKeyCredentials lists the credentials of the user's tokens.
func (db *DB) UserKeyCredentials(ctx context.Context, userID int64) ([]workflow.KeyCredential, error) {
	rows, err := db.q.Query(ctx, `SELECT `+keyColumns+` FROM webauthn_credentials k JOIN tokens t ON t.id = k.token_id
		WHERE t.user_id = $1 ORDER BY t.id`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanKey)
}

// KeyCredentialByID finds a credential by its id.
func (db *DB) KeyCredentialByID(ctx context.Context, credentialID []byte) (workflow.KeyCredential, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+keyColumns+` FROM webauthn_credentials k JOIN tokens t ON t.id = k.token_id
		WHERE k.credential_id = $1`, credentialID)
	k, err := pgx.CollectExactlyOneRow(rows, scanKey)
	return k, mapErr(err, "The security key")
}

// KeyCredentials returns the credentials of the tokens ids.
func (db *DB) KeyCredentials(ctx context.Context, ids []int64) ([]workflow.KeyCredential, error) {
	rows, err := db.q.Query(ctx, `SELECT `+keyColumns+` FROM webauthn_credentials k JOIN tokens t ON t.id = k.token_id
		WHERE k.token_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanKey)
}

// UseKeyCredential moves the signature counter forward, in one conditional
// statement with the token's last use.
func (db *DB) UseKeyCredential(ctx context.Context, tokenID int64, count uint32, now time.Time) (bool, error) {
	var ok bool
	err := db.q.QueryRow(ctx, `WITH k AS (
			UPDATE webauthn_credentials SET sign_count = $2
			WHERE token_id = $1 AND (sign_count < $2 OR ($2 = 0 AND sign_count = 0))
				AND EXISTS (SELECT 1 FROM tokens WHERE id = $1 AND enabled)
			RETURNING token_id),
		t AS (UPDATE tokens SET last_used_at = $3, failcount = 0 WHERE id IN (SELECT token_id FROM k) RETURNING id)
		SELECT EXISTS (SELECT 1 FROM t)`, tokenID, int64(count), now).Scan(&ok)
	return ok, err
}
