package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

// AddActivity appends one row to the activity log.
func (db *DB) AddActivity(ctx context.Context, a workflow.Activity) error {
	if a.At.IsZero() {
		a.At = time.Now()
	}
	_, err := db.q.Exec(ctx, `INSERT INTO activities (at, actor_type, actor_id, actor_name, user_id, resource_id, event, ip, user_agent, details)
		VALUES (`+activityPlaceholders(1)+`)`, activityArgs(&a)...)
	return err
}

// activityColumns are the columns of an ActivityRow. Login and resource
// name are scalar subqueries, not joins: each is one index lookup per row,
// and the rows keep the order the index scan gives them, so a page or an
// export never waits for a sort or hash of the whole log.
const activityColumns = `a.id, a.at, a.actor_type, coalesce(a.actor_id, 0), a.actor_name, a.user_id, a.resource_id, a.event,
	coalesce(host(a.ip), ''), a.user_agent, a.details::text,
	coalesce((SELECT u.login FROM users u WHERE u.id = a.user_id), ''),
	coalesce((SELECT r.name FROM resources r WHERE r.id = a.resource_id), '')`

func scanActivity(row pgx.CollectableRow) (workflow.ActivityRow, error) {
	var r workflow.ActivityRow
	var details string
	err := row.Scan(&r.ID, &r.At, &r.Actor.Type, &r.Actor.ID, &r.Actor.Name, &r.UserID, &r.ResourceID, &r.Event,
		&r.IP, &r.UserAgent, &details, &r.UserLogin, &r.ResourceName)
	if err != nil {
		return r, err
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(details)) == nil {
		r.RawDetails = buf.Bytes()
	} else {
		r.RawDetails = []byte(details)
	}
	return r, nil
}

// activityConds adds the conditions of f to q, without its resource scope
// (f.Resources), which the callers apply in the way that suits them.
func activityConds(f workflow.ActivityFilter, q *filter) {
	if f.UserID != 0 {
		q.and("a.user_id = " + q.arg(f.UserID))
	}
	if f.Event != "" {
		q.and("a.event = " + q.arg(f.Event))
	}
	if f.ResourceID != 0 {
		q.and("a.resource_id = " + q.arg(f.ResourceID))
	}
	if !f.Since.IsZero() {
		q.and("a.at >= " + q.arg(f.Since) + "::timestamptz")
	}
	if !f.Until.IsZero() {
		q.and("a.at < " + q.arg(f.Until) + "::timestamptz")
	}
	if f.Before != nil {
		// A row comparison: the indexes on (…, at DESC, id DESC) seek to it.
		q.and("(a.at, a.id) < (" + q.arg(f.Before.At) + "::timestamptz, " + q.arg(f.Before.ID) + "::bigint)")
	}
}

// ListActivities returns one page of the log. Every filter is served by an
// index on (column, at DESC, id DESC) or (at DESC, id DESC), so page N
// costs what page 1 costs. An owner's scope of several resources is one
// index scan per resource (LATERAL), each stopping after a page.
func (db *DB) ListActivities(ctx context.Context, f workflow.ActivityFilter) ([]workflow.ActivityRow, error) {
	q := unplanned()
	var inner string
	if f.Resources != nil {
		q.and("a.resource_id = s.rid")
		activityConds(f, q)
		limit := q.arg(f.Limit)
		scope := q.arg(f.Resources)
		inner = `SELECT x.* FROM unnest(` + scope + `::bigint[]) AS s(rid) CROSS JOIN LATERAL (
				SELECT a.* FROM activities a` + q.where() + ` ORDER BY a.at DESC, a.id DESC LIMIT ` + limit + `) x
			ORDER BY x.at DESC, x.id DESC LIMIT ` + limit
	} else {
		activityConds(f, q)
		inner = `SELECT a.* FROM activities a` + q.where() + ` ORDER BY a.at DESC, a.id DESC LIMIT ` + q.arg(f.Limit)
	}
	rows, err := db.q.Query(ctx, `SELECT `+activityColumns+` FROM (`+inner+`) a ORDER BY a.at DESC, a.id DESC`, q.args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanActivity)
}

// EachActivity streams the activities f selects to fn, newest first.
func (db *DB) EachActivity(ctx context.Context, f workflow.ActivityFilter, fn func(workflow.ActivityRow) error) error {
	f.Before = nil
	q := unplanned()
	activityConds(f, q)
	if f.Resources != nil {
		q.and("a.resource_id = ANY(" + q.arg(f.Resources) + "::bigint[])")
	}
	rows, err := db.q.Query(ctx, `SELECT `+activityColumns+` FROM activities a`+q.where()+` ORDER BY a.at DESC, a.id DESC`, q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanActivity(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// GroupActivities counts per user and event, then keeps a page of users
// ordered by their total.
func (db *DB) GroupActivities(ctx context.Context, f workflow.ActivityFilter, after *workflow.GroupCursor, limit int) ([]workflow.ActivityGroup, error) {
	f.Before = nil
	q := unplanned()
	activityConds(f, q)
	q.and("a.user_id IS NOT NULL")
	if f.Resources != nil {
		q.and("a.resource_id = ANY(" + q.arg(f.Resources) + "::bigint[])")
	}
	counts := `SELECT a.user_id, a.event, count(*) AS n FROM activities a` + q.where() + ` GROUP BY a.user_id, a.event`
	seek := ""
	if after != nil {
		seek = " WHERE (t.total, t.user_id) < (" + q.arg(after.Total) + "::bigint, " + q.arg(after.UserID) + "::bigint)"
	}
	n := q.arg(limit)
	rows, err := db.q.Query(ctx, `WITH counts AS MATERIALIZED (`+counts+`),
		page AS (
			SELECT t.user_id, t.total FROM (SELECT user_id, sum(n)::bigint AS total FROM counts GROUP BY user_id) t`+seek+`
			ORDER BY t.total DESC, t.user_id DESC LIMIT `+n+`)
		SELECT p.user_id, coalesce((SELECT u.login FROM users u WHERE u.id = p.user_id), ''), p.total, c.event, c.n
		FROM page p JOIN counts c ON c.user_id = p.user_id
		ORDER BY p.total DESC, p.user_id DESC`, q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var groups []workflow.ActivityGroup
	for rows.Next() {
		var (
			id, total, n int64
			login, event string
		)
		if err := rows.Scan(&id, &login, &total, &event, &n); err != nil {
			return nil, err
		}
		if len(groups) == 0 || groups[len(groups)-1].UserID != id {
			groups = append(groups, workflow.ActivityGroup{UserID: id, Login: login, Total: total, Counts: map[string]int64{}})
		}
		groups[len(groups)-1].Counts[event] = n
	}
	return groups, rows.Err()
}

// DeleteActivitiesBefore deletes one batch of the oldest activities before
// cutoff. Rows another purge holds are skipped, not waited for.
func (db *DB) DeleteActivitiesBefore(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	tag, err := db.q.Exec(ctx, `DELETE FROM activities WHERE id = ANY (ARRAY(
		SELECT id FROM activities WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED))`, cutoff, batch)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// UserSignIns lists the newest UserLogin activities of a user; the index on
// activities (user_id, at DESC, id DESC) serves it.
func (db *DB) UserSignIns(ctx context.Context, userID int64, limit int) ([]workflow.SignIn, error) {
	rows, err := db.q.Query(ctx, `SELECT a.at, coalesce(host(a.ip), ''), a.user_agent, coalesce(r.name, '')
		FROM activities a LEFT JOIN resources r ON r.id = a.resource_id
		WHERE a.user_id = $1 AND a.event = $2
		ORDER BY a.at DESC, a.id DESC LIMIT $3`, userID, workflow.EventUserLogin, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[workflow.SignIn])
}

// activityArgs are the parameters of one activity row; with
// activityPlaceholders they let a token statement write its activity in the
// same statement: one round trip, one transaction.
func activityArgs(a *workflow.Activity) []any {
	var ip *string
	if a.IP != "" {
		ip = &a.IP
	}
	var actorID *int64
	if a.Actor.ID != 0 {
		actorID = &a.Actor.ID
	}
	return []any{a.At, a.Actor.Type, actorID, a.Actor.Name, a.UserID, a.ResourceID, a.Event, ip, truncateUA(a.UserAgent), a.DetailsJSON()}
}

var activityTypes = []string{"timestamptz", "text", "bigint", "text", "bigint", "bigint", "text", "inet", "text", "jsonb"}

// activityPlaceholders is "$first::timestamptz, $first+1::text, …" for the
// ten columns of an activity.
func activityPlaceholders(first int) string {
	p := make([]string, len(activityTypes))
	for i, t := range activityTypes {
		p[i] = fmt.Sprintf("$%d::%s", first+i, t)
	}
	return strings.Join(p, ", ")
}
