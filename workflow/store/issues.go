package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/workflow"
)

const issueColumns = `i.id, i.user_id, i.resource_id, i.lost, i.evidence_token, i.evidence_password, i.evidence_email,
	coalesce(i.new_password_hash, ''), coalesce(i.new_email, ''), i.status, i.handled_by, i.handled_at,
	coalesce(host(i.ip), ''), i.user_agent, i.created_at, coalesce(i.replaces, 0),
	coalesce((SELECT n.id FROM user_issues n WHERE n.replaces = i.id ORDER BY n.id LIMIT 1), 0),
	u.login, u.first_name, u.last_name, u.email, u.phone, r.name, coalesce(a.login, ''),
	coalesce((SELECT d.name FROM directories d WHERE d.id = u.directory_id), ''),
	i.kind, i.token_id, coalesce(i.token_serial, ''), coalesce(i.token_type, ''), i.enrolment, coalesce(i.note, '')`

const issueJoins = ` FROM user_issues i JOIN users u ON u.id = i.user_id JOIN resources r ON r.id = i.resource_id
	LEFT JOIN admins a ON a.id = i.handled_by`

func scanIssue(row pgx.CollectableRow) (workflow.Issue, error) {
	var i workflow.Issue
	err := row.Scan(&i.ID, &i.UserID, &i.ResourceID, &i.Lost, &i.Token, &i.Password, &i.Email, &i.NewPasswordHash, &i.NewEmail,
		&i.Status, &i.HandledBy, &i.HandledAt, &i.IP, &i.UserAgent, &i.CreatedAt, &i.Replaces, &i.ReplacedBy,
		&i.Login, &i.FirstName, &i.LastName, &i.UserEmail, &i.UserPhone, &i.ResourceName, &i.HandledByLogin,
		&i.UserDirectory, &i.Kind, &i.TokenID, &i.TokenSerial, &i.TokenType, &i.Enrolment, &i.Note)
	return i, err
}

// CreateIssue stores a user issue. A restore-access request replaces the
// user's open one on the resource and remembers which one it replaced; an
// enrolment issue stands beside the others (one per pending token).
func (db *DB) CreateIssue(ctx context.Context, is *workflow.Issue, now time.Time) (int64, error) {
	var replaced int64
	if is.Kind == "" {
		is.Kind = workflow.IssueRestore
	}
	if is.Kind == workflow.IssueRestore {
		err := db.q.QueryRow(ctx, `UPDATE user_issues SET status = 'withdrawn', handled_at = $3
			WHERE user_id = $1 AND resource_id = $2 AND status = 'open' AND kind = 'restore' RETURNING id`,
			is.UserID, is.ResourceID, now).Scan(&replaced)
		if err != nil && err != pgx.ErrNoRows {
			return 0, err
		}
	}
	var ip *string
	if is.IP != "" {
		ip = &is.IP
	}
	lost := is.Lost
	if lost == nil {
		lost = []string{}
	}
	err := db.q.QueryRow(ctx, `INSERT INTO user_issues (user_id, resource_id, lost, evidence_token, evidence_password, evidence_email,
			new_password_hash, new_email, ip, user_agent, created_at, replaces, kind, token_id, token_serial, token_type, enrolment)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::inet, $10, $11, nullif($12, 0), $13, $14, nullif($15, ''), nullif($16, ''), $17)
		RETURNING id`,
		is.UserID, is.ResourceID, lost, is.Token, is.Password, is.Email, nullString(is.NewPasswordHash), nullString(is.NewEmail),
		ip, truncateUA(is.UserAgent), now, replaced, is.Kind, is.TokenID, is.TokenSerial, is.TokenType, is.Enrolment).Scan(&is.ID)
	is.Status, is.CreatedAt, is.Replaces = workflow.IssueOpen, now, replaced
	return replaced, mapErr(err, "The request")
}

// IssueByID loads an issue with its user and resource.
func (db *DB) IssueByID(ctx context.Context, id int64) (workflow.Issue, error) {
	rows, _ := db.q.Query(ctx, `SELECT `+issueColumns+issueJoins+` WHERE i.id = $1`, id)
	i, err := pgx.CollectExactlyOneRow(rows, scanIssue)
	return i, mapErr(err, "The request")
}

// ListIssues returns a page of issues, newest first, and how many match.
func (db *DB) ListIssues(ctx context.Context, f workflow.IssueFilter) ([]workflow.Issue, int, error) {
	q := &filter{}
	if f.Status != "" {
		q.and("i.status = " + q.arg(f.Status))
	}
	if f.ResourceID != 0 {
		q.and("i.resource_id = " + q.arg(f.ResourceID))
	}
	if f.Kind != "" {
		q.and("i.kind = " + q.arg(f.Kind))
	}
	if f.UserID != 0 {
		q.and("i.user_id = " + q.arg(f.UserID))
	}
	if f.Resources != nil {
		q.and("i.resource_id = ANY(" + q.arg(f.Resources) + ")")
	}
	// Ids grow with time, so id order is newest first and pages by key.
	total, rest, err := page(ctx, db, q, "user_issues i", "i.id", true, f.Before, f.Limit)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.q.Query(ctx, `SELECT `+issueColumns+issueJoins+rest, q.args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scanIssue)
	return list, total, err
}

// HandleIssue verifies or deletes an open issue; of two concurrent calls,
// exactly one finds it open.
func (db *DB) HandleIssue(ctx context.Context, id int64, status string, adminID *int64, note string, now time.Time) (workflow.Issue, bool, error) {
	tag, err := db.q.Exec(ctx, `UPDATE user_issues SET status = $2, handled_by = $3, handled_at = $4, note = nullif($5, '')
		WHERE id = $1 AND status = 'open'`, id, status, adminID, now, note)
	if err != nil {
		return workflow.Issue{}, false, err
	}
	is, err := db.IssueByID(ctx, id)
	return is, tag.RowsAffected() == 1, err
}

// WithdrawIssues withdraws open restore-access requests; enrolment issues
// stay (a sign-in proves nothing about a new token).
func (db *DB) WithdrawIssues(ctx context.Context, userID, resourceID int64, now time.Time) ([]int64, error) {
	rows, err := db.q.Query(ctx, `UPDATE user_issues SET status = 'withdrawn', handled_at = $3
		WHERE user_id = $1 AND resource_id = $2 AND status = 'open' AND kind = 'restore' RETURNING id`, userID, resourceID, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// OpenIssuesByKind counts the open user issues by kind.
func (db *DB) OpenIssuesByKind(ctx context.Context) (map[string]int, error) {
	rows, err := db.q.Query(ctx, `SELECT kind, count(*) FROM user_issues WHERE status = 'open' GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, err
		}
		out[kind] = n
	}
	return out, rows.Err()
}

// OpenIssueCount counts the open user issues, on resources when not nil.
func (db *DB) OpenIssueCount(ctx context.Context, resources []int64) (int, error) {
	var n int
	var err error
	if resources == nil {
		err = db.q.QueryRow(ctx, `SELECT count(*) FROM user_issues WHERE status = 'open'`).Scan(&n)
	} else {
		err = db.q.QueryRow(ctx, `SELECT count(*) FROM user_issues WHERE status = 'open' AND resource_id = ANY($1)`, resources).Scan(&n)
	}
	return n, err
}
