package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// GetSetting reads a setting into v.
func (db *DB) GetSetting(ctx context.Context, key string, v any) (bool, error) {
	var raw []byte
	err := db.q.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&raw)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(raw, v)
}

// PutSetting stores a setting.
func (db *DB) PutSetting(ctx context.Context, key string, v any, adminID *int64) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = db.q.Exec(ctx, `INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, now(), $3)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by`, key, raw, adminID)
	return err
}
