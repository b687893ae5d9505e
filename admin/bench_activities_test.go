package admin_test

import (
	"context"
	"encoding/base32"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// BenchmarkActivitiesPage measures GET /admin/activities through the real
// HTTP handler, service and PostgreSQL store on a log of 200,000 rows (the
// last 60 days, 2,000 users, 20 resources): the first page, a page deep in
// the log, and filtered pages. The rows are copied in once, before the
// timed part.
func BenchmarkActivitiesPage(b *testing.B) {
	env := apptest.New(b, nil)
	ctx := context.Background()
	pool := env.App.Pool
	tag := strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)

	users := benchIDs(b, env, `INSERT INTO users (login) SELECT 'bench-log-`+tag+`-' || g FROM generate_series(1, 2000) g RETURNING id`)
	resources := benchIDs(b, env, `INSERT INTO resources (name) SELECT 'Bench log `+tag+` ' || g FROM generate_series(1, 20) g RETURNING id`)
	const n = 200_000
	now := env.Clock.Now()
	// Sign-ins and validations make most of a real log; the rest is rare.
	common := []string{workflow.EventValidate, workflow.EventValidate, workflow.EventValidate, workflow.EventUserLogin, workflow.EventUserLoginAttempt}
	start := time.Now()
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"activities"},
		[]string{"at", "actor_type", "actor_id", "actor_name", "user_id", "resource_id", "event", "ip", "user_agent", "details"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i == n {
					return nil, nil
				}
				event := common[i%len(common)]
				if i%1000 == 7 {
					event = workflow.EventTokenPinSet
				}
				u, r := users[i%len(users)], resources[i%len(resources)]
				row := []any{now.Add(-time.Duration(i) * 26 * time.Second), workflow.ActorUser, u, "bench-log", u, r, event,
					"192.0.2.10", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", []byte(`{"result": true}`)}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		b.Fatal(err)
	}
	// VACUUM too, so autovacuum of the fresh rows does not run during the
	// timed part.
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE activities"); err != nil {
		b.Fatal(err)
	}
	b.Logf("copied %d activities in %v", n, time.Since(start).Round(time.Millisecond))

	// The key of the 100,000th newest row: the start of page 2,000.
	var at time.Time
	var id int64
	if err := pool.QueryRow(ctx, `SELECT at, id FROM activities ORDER BY at DESC, id DESC OFFSET 100000 LIMIT 1`).Scan(&at, &id); err != nil {
		b.Fatal(err)
	}
	deep := workflow.ActivityCursor{At: at, ID: id}

	browser := benchSignIn(b, env)
	cases := []struct {
		name  string
		query url.Values
	}{
		{"first page", nil},
		{"page at row 100000", url.Values{"before": {deep.String()}}},
		{"filtered by resource and event", url.Values{"resource_id": {strconv.FormatInt(resources[3], 10)}, "event": {workflow.EventUserLogin}}},
		{"filtered by a rare event", url.Values{"event": {workflow.EventTokenPinSet}}},
		{"filtered by user", url.Values{"user": {"bench-log-" + tag + "-17"}}},
	}
	for _, c := range cases {
		path := env.Server.URL + "/admin/activities"
		if c.query != nil {
			path += "?" + c.query.Encode()
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := browser.Client.Get(path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
			}
		})
	}
}

func benchIDs(b *testing.B, env *apptest.Env, sql string) []int64 {
	b.Helper()
	rows, err := env.App.Pool.Query(context.Background(), sql)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// benchSignIn signs a new helpdesk admin in through the sign-in and TOTP
// enrolment pages.
func benchSignIn(b *testing.B, env *apptest.Env) *apptest.Browser {
	b.Helper()
	login := fmt.Sprintf("bench-admin-%d", time.Now().UnixNano())
	if _, err := env.Svc.CreateAdmin(context.Background(), workflow.NewAdmin{Login: login, Role: workflow.RoleHelpdesk, Password: adminPassword},
		workflow.SystemActor, workflow.Meta{}); err != nil {
		b.Fatal(err)
	}
	br := env.Browser()
	p := br.Post("/admin/login", apptest.Form("login", login, "password", adminPassword))
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(p.Text("#totp-secret"))
	if err != nil {
		b.Fatalf("enrolment page: %d %v", p.Status, err)
	}
	p = br.Post("/admin/login/enrol", apptest.Form("code", otp.TOTPCode(secret, env.Clock.Now(), otp.Default)))
	if p.Status != http.StatusOK || p.URL.Path != "/admin/" {
		b.Fatalf("after enrolment: %d %s", p.Status, p.URL.Path)
	}
	return br
}
