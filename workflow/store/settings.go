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

// DeleteSetting removes a setting and reports whether there was one.
func (db *DB) DeleteSetting(ctx context.Context, key string) (bool, error) {
	tag, err := db.q.Exec(ctx, `DELETE FROM settings WHERE key = $1`, key)
	return tag.RowsAffected() > 0, err
}

// SettingsWithPrefix returns the raw JSON of every setting whose key starts
// with prefix.
func (db *DB) SettingsWithPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	rows, err := db.q.Query(ctx, `SELECT key, value FROM settings WHERE starts_with(key, $1)`, prefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var key string
		var raw []byte
		if err := rows.Scan(&key, &raw); err != nil {
			return nil, err
		}
		out[key] = raw
	}
	return out, rows.Err()
}
