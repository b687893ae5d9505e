package store

import (
	"context"
	"time"
)

// HitRate adds one to a fixed-window counter shared by every instance and
// returns the count in the current window. One upsert: concurrent hits all count.
func (db *DB) HitRate(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	var n int
	err := db.q.QueryRow(ctx, `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN rate_limits.window_start <= $2::timestamptz - $3::interval THEN 1 ELSE rate_limits.count + 1 END,
			window_start = CASE WHEN rate_limits.window_start <= $2::timestamptz - $3::interval THEN $2 ELSE rate_limits.window_start END
		RETURNING count`, key, now, window).Scan(&n)
	return n, err
}

// RateCount reads a counter without adding to it.
func (db *DB) RateCount(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	var n int
	err := db.q.QueryRow(ctx, `SELECT coalesce((SELECT count FROM rate_limits
		WHERE key = $1 AND window_start > $2::timestamptz - $3::interval), 0)`, key, now, window).Scan(&n)
	return n, err
}
