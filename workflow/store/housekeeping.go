package store

import (
	"context"
	"time"
)

// PurgeExpired deletes rows past any use: rate-limit counters a day after
// their window began (the longest window is an hour), one-time codes a day
// after they expired, remembered devices a month after they expired or were
// revoked (the user's device list shows recent ones). Each statement is
// short: these tables stay small when pruned hourly.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM rate_limits WHERE window_start < $1::timestamptz - interval '1 day'`,
		`DELETE FROM one_time_codes WHERE expires_at < $1::timestamptz - interval '1 day'`,
		`DELETE FROM remembered_devices WHERE coalesce(revoked_at, expires_at) < $1::timestamptz - interval '30 days'`,
	} {
		tag, err := db.q.Exec(ctx, q, now)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
	}
	return total, nil
}
