package store

import "context"

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
