package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"tokenportal/workflow"
)

// ApplyDirectorySync writes a directory's snapshot in set-based statements
// (a sync of 10,000 users is a handful of statements, not 10,000), inside
// the caller's transaction: the snapshot goes into temporary tables, then
// each kind of change is one statement that also writes its activities.
func (db *DB) ApplyDirectorySync(ctx context.Context, d workflow.Directory, entries []workflow.DirectorySyncEntry,
	by workflow.Actor, now time.Time) (workflow.DirectorySyncCounts, []string, error) {
	var c workflow.DirectorySyncCounts
	if err := db.loadSnapshot(ctx, entries); err != nil {
		return c, nil, err
	}
	// Link the entries to the users they already are.
	if _, err := db.q.Exec(ctx, `UPDATE directory_sync s SET user_id = u.id FROM users u
		WHERE u.directory_id = $1 AND u.external_id = s.external_id`, d.ID); err != nil {
		return c, nil, err
	}
	conflicts, err := db.syncConflicts(ctx, d.ID, "s.user_id IS NOT NULL")
	if err != nil {
		return c, nil, err
	}
	a := d.Attributes
	// Each statement: the change, then one activity per changed row, by
	// the directory, with its name in the details.
	activity := func(event, details string) string {
		return ` INSERT INTO activities (at, actor_type, actor_name, user_id, resource_id, event, details)
			SELECT $2, $3, $4, x.user_id, x.resource_id, '` + event + `', jsonb_build_object('directory', $5::text)` + details + `
			FROM x`
	}
	steps := []struct {
		n   *int
		sql string
	}{
		// The directory wins for the mapped attributes; a renamed login
		// follows its user.
		{&c.Updated, `WITH x AS (UPDATE users u SET login = s.login,
				email = CASE WHEN $6 THEN s.email ELSE u.email END, phone = CASE WHEN $7 THEN s.phone ELSE u.phone END,
				first_name = CASE WHEN $8 THEN s.first_name ELSE u.first_name END,
				last_name = CASE WHEN $9 THEN s.last_name ELSE u.last_name END, updated_at = $2
			FROM directory_sync s, users o -- o: the row as it was, for the activity
			WHERE u.directory_id = $1 AND s.user_id = u.id AND o.id = u.id AND NOT s.skip AND (u.login <> s.login OR ($6 AND u.email <> s.email)
				OR ($7 AND u.phone <> s.phone) OR ($8 AND u.first_name <> s.first_name) OR ($9 AND u.last_name <> s.last_name))
			RETURNING u.id AS user_id, NULL::bigint AS resource_id, o.login AS old_login, u.login AS new_login,
				array_remove(ARRAY[CASE WHEN o.login <> u.login THEN 'login' END, CASE WHEN o.email <> u.email THEN 'email' END,
					CASE WHEN o.phone <> u.phone THEN 'phone' END, CASE WHEN o.first_name <> u.first_name THEN 'first_name' END,
					CASE WHEN o.last_name <> u.last_name THEN 'last_name' END], NULL) AS changed)` +
			activity(workflow.EventUserUpdated, ` || jsonb_build_object('changed', x.changed)
				|| CASE WHEN x.old_login <> x.new_login THEN jsonb_build_object('old_login', x.old_login) ELSE '{}' END`)},
		{nil, ``}, // the new users' conflicts, after the renames
		{&c.Created, `WITH made AS (INSERT INTO users (login, email, phone, first_name, last_name, directory_id, external_id,
				disabled, directory_disabled, created_at, updated_at)
			SELECT s.login, CASE WHEN $6 THEN s.email ELSE '' END, CASE WHEN $7 THEN s.phone ELSE '' END,
				CASE WHEN $8 THEN s.first_name ELSE '' END, CASE WHEN $9 THEN s.last_name ELSE '' END, $1, s.external_id,
				s.disabled, s.disabled, $2, $2
			FROM directory_sync s WHERE s.user_id IS NULL AND NOT s.skip
			RETURNING id, external_id),
			linked AS (UPDATE directory_sync s SET user_id = made.id FROM made WHERE made.external_id = s.external_id),
			x AS (SELECT id AS user_id, NULL::bigint AS resource_id FROM made)` + activity(workflow.EventUserCreated, "")},
		// Missing, or matching the disabled filter: disabled, never deleted.
		{&c.Disabled, `WITH x AS (UPDATE users u SET disabled = true, directory_disabled = true, updated_at = $2
			WHERE u.directory_id = $1 AND NOT u.disabled
				AND NOT EXISTS (SELECT 1 FROM directory_sync s WHERE s.external_id = u.external_id AND NOT s.disabled)
			RETURNING u.id AS user_id, NULL::bigint AS resource_id,
				EXISTS (SELECT 1 FROM directory_sync s WHERE s.external_id = u.external_id) AS present)` +
			activity(workflow.EventUserUpdated, ` || jsonb_build_object('disabled', true, 'reason',
				CASE WHEN x.present THEN 'disabled in the directory' ELSE 'no longer in the directory' END)`)},
		// Back, and not disabled there: enabled again, unless disabled by hand.
		{&c.Enabled, `WITH x AS (UPDATE users u SET disabled = false, directory_disabled = false, updated_at = $2
			FROM directory_sync s
			WHERE u.directory_id = $1 AND u.directory_disabled AND s.external_id = u.external_id AND NOT s.disabled
			RETURNING u.id AS user_id, NULL::bigint AS resource_id)` +
			activity(workflow.EventUserUpdated, ` || jsonb_build_object('disabled', false, 'reason', 'back in the directory')`)},
		// Group membership: the directory's own assignments only; one made
		// by hand stays (ON CONFLICT: it is not taken over either).
		{&c.Assigned, `WITH x AS (INSERT INTO resource_users (resource_id, user_id, directory_id, created_at)
			SELECT DISTINCT g.resource_id, s.user_id, $1::bigint, $2::timestamptz
			FROM directory_sync s JOIN directory_sync_groups g ON g.external_id = s.external_id
			WHERE NOT s.skip AND s.user_id IS NOT NULL
			ON CONFLICT DO NOTHING RETURNING user_id, resource_id)` + activity(workflow.EventUserAssigned, "")},
		{&c.Unassigned, `WITH x AS (DELETE FROM resource_users ru USING directory_sync s
			WHERE ru.directory_id = $1 AND ru.user_id = s.user_id AND NOT s.skip
				AND NOT EXISTS (SELECT 1 FROM directory_sync_groups g
					WHERE g.external_id = s.external_id AND g.resource_id = ru.resource_id)
			RETURNING ru.user_id, ru.resource_id)` + activity(workflow.EventUserUnassigned, "")},
	}
	for _, st := range steps {
		if st.n == nil {
			more, err := db.syncConflicts(ctx, d.ID, "s.user_id IS NULL")
			if err != nil {
				return c, nil, err
			}
			conflicts = append(conflicts, more...)
			continue
		}
		args := []any{d.ID, now, by.Type, by.Name, d.Name, a.Email != "", a.Phone != "", a.FirstName != "", a.LastName != ""}
		if !strings.Contains(st.sql, "$6") {
			args = args[:5] // a parameter must be used to have a type
		}
		tag, err := db.q.Exec(ctx, st.sql, args...)
		if err != nil {
			return c, nil, mapErr(err, "A directory user")
		}
		*st.n = int(tag.RowsAffected())
	}
	return c, conflicts, nil
}

// loadSnapshot puts the entries into the temporary tables of one sync.
func (db *DB) loadSnapshot(ctx context.Context, entries []workflow.DirectorySyncEntry) error {
	for _, ddl := range []string{
		`CREATE TEMP TABLE directory_sync (external_id text PRIMARY KEY, login text NOT NULL, email text NOT NULL,
			phone text NOT NULL, first_name text NOT NULL, last_name text NOT NULL, disabled boolean NOT NULL,
			skip boolean NOT NULL, user_id bigint) ON COMMIT DROP`,
		`CREATE TEMP TABLE directory_sync_groups (external_id text NOT NULL, resource_id bigint NOT NULL) ON COMMIT DROP`,
		`CREATE INDEX ON directory_sync_groups (external_id, resource_id)`,
	} {
		if _, err := db.q.Exec(ctx, ddl); err != nil {
			return err
		}
	}
	n := len(entries)
	ids, logins, emails, phones := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	firsts, lasts, disabled, skip := make([]string, n), make([]string, n), make([]bool, n), make([]bool, n)
	var gIDs []string
	var gResources []int64
	for i, e := range entries {
		ids[i], logins[i], emails[i], phones[i] = e.ExternalID, e.Login, e.Email, e.Phone
		firsts[i], lasts[i], disabled[i], skip[i] = e.FirstName, e.LastName, e.Disabled, e.Skip
		for _, r := range e.Resources {
			gIDs, gResources = append(gIDs, e.ExternalID), append(gResources, r)
		}
	}
	if _, err := db.q.Exec(ctx, `INSERT INTO directory_sync (external_id, login, email, phone, first_name, last_name, disabled, skip)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::boolean[])`,
		ids, logins, emails, phones, firsts, lasts, disabled, skip); err != nil {
		return err
	}
	if _, err := db.q.Exec(ctx, `INSERT INTO directory_sync_groups SELECT * FROM unnest($1::text[], $2::bigint[])`,
		gIDs, gResources); err != nil {
		return err
	}
	_, err := db.q.Exec(ctx, `ANALYZE directory_sync; ANALYZE directory_sync_groups`)
	return err
}

// syncConflicts skips the entries (of those which) whose login belongs to
// another user — of another source, or another entry of this directory —
// and words each for the report.
func (db *DB) syncConflicts(ctx context.Context, directoryID int64, which string) ([]string, error) {
	rows, err := db.q.Query(ctx, `UPDATE directory_sync s SET skip = true FROM users u LEFT JOIN directories d ON d.id = u.directory_id
		WHERE `+which+` AND NOT s.skip AND lower(u.login) = lower(s.login) AND u.id IS DISTINCT FROM s.user_id
		RETURNING s.login, coalesce(u.directory_id = $1, false), coalesce(d.name, '')`, directoryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var login, other string
		var same bool
		if err := rows.Scan(&login, &same, &other); err != nil {
			return nil, err
		}
		owner := "a user made in tokenportal"
		switch {
		case same:
			owner = "another user of this directory"
		case other != "":
			owner = fmt.Sprintf("a user of the directory %q", other)
		}
		out = append(out, fmt.Sprintf("%s: the login belongs to %s; skipped", login, owner))
	}
	return out, rows.Err()
}
