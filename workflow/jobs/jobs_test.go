package jobs_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/jobs"
	"tokenportal/workflow/notify"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// The tests share the package's activities table: they do not run in
// parallel.

func newService(t *testing.T) (*workflow.Service, *apptest.Clock) {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := workflow.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(store.New(storetest.Pool(t)), sealer, 4, quiet)
	c := apptest.NewClock(time.Now().UTC().Truncate(time.Second))
	svc.Now = c.Now
	return svc, c
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// insertAged adds n activities of event at now - age.
func insertAged(t *testing.T, event string, now time.Time, age time.Duration, n int) {
	t.Helper()
	_, err := storetest.Pool(t).Exec(context.Background(), `INSERT INTO activities (at, actor_type, actor_name, event)
		SELECT $1::timestamptz - g * interval '1 microsecond', 'system', 'test', $2 FROM generate_series(1, $3) g`,
		now.Add(-age), event, n)
	if err != nil {
		t.Fatal(err)
	}
}

func countEvent(t *testing.T, event string) int {
	t.Helper()
	var n int
	if err := storetest.Pool(t).QueryRow(context.Background(), `SELECT count(*) FROM activities WHERE event = $1`, event).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func clean(t *testing.T) {
	t.Helper()
	for _, q := range []string{"DELETE FROM activities", "DELETE FROM settings", "DELETE FROM river_job"} {
		if _, err := storetest.Pool(t).Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

const day = 24 * time.Hour

// TestPurgeActivities runs the job's Work directly: rows older than the
// retention go, in several batches, the others stay; a shorter retention
// deletes more.
func TestPurgeActivities(t *testing.T) {
	clean(t)
	svc, c := newService(t)
	now := c.Now()
	// More than two batches of rows past the default retention of 365 days.
	insertAged(t, "OldOne", now, 400*day, 2*workflow.PurgeBatch+123)
	insertAged(t, "JustPast", now, 365*day+time.Minute, 5)
	insertAged(t, "JustWithin", now, 365*day-time.Minute, 7)
	insertAged(t, "Recent", now, 100*day, 11)
	insertAged(t, "Fresh", now, time.Hour, 13)

	w := &jobs.PurgeActivitiesWorker{Svc: svc, Log: quiet}
	if err := w.Work(context.Background(), &river.Job[jobs.PurgeActivitiesArgs]{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"OldOne": 0, "JustPast": 0, "JustWithin": 7, "Recent": 11, "Fresh": 13}
	for event, n := range want {
		if got := countEvent(t, event); got != n {
			t.Errorf("%s: %d rows left, want %d", event, got, n)
		}
	}

	// The shortest retention the superadmin may set.
	admin := workflow.Actor{Type: workflow.ActorSystem, Name: "test"}
	for _, bad := range []int{0, 89, 3651} {
		if err := svc.SetActivityRetention(context.Background(), bad, admin, workflow.Meta{}); workflow.ErrorCode(err) != workflow.CodeInvalid {
			t.Errorf("retention %d: %v, want invalid", bad, err)
		}
	}
	if err := svc.SetActivityRetention(context.Background(), 90, admin, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if days, err := svc.ActivityRetention(context.Background()); err != nil || days != 90 {
		t.Fatalf("retention %d %v", days, err)
	}
	n, err := svc.PurgeActivities(context.Background())
	if err != nil || n != 7+11 {
		t.Fatalf("purged %d %v, want 18", n, err)
	}
	if got := countEvent(t, "Fresh"); got != 13 {
		t.Errorf("Fresh: %d rows left", got)
	}
	if got := countEvent(t, workflow.EventActivityRetentionChanged); got != 1 {
		t.Errorf("%d ActivityRetentionChanged", got)
	}
}

// TestPurgeJobIsRegistered checks that the queue of notify.NewQueue with
// jobs.Option has the worker and the periodic job, and that the job runs
// when the client starts (RunOnStart).
func TestPurgeJobIsRegistered(t *testing.T) {
	clean(t)
	svc, c := newService(t)
	insertAged(t, "Ancient", c.Now(), 1000*day, 3)
	insertAged(t, "Fresh", c.Now(), day, 2)
	n, err := notify.New(notify.Config{Capture: true, MailFrom: "test <t@example.com>", Open: svc.OpenMessage}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	q, err := notify.NewQueue(storetest.Pool(t), n, quiet, jobs.Option(svc, quiet),
		notify.WithFetchPollInterval(50*time.Millisecond), func(c *river.Config) { c.TestOnly = true })
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	}()
	apptest.Eventually(t, 30*time.Second, "the purge did not run when the queue started", func() bool { return countEvent(t, "Ancient") == 0 })
	if got := countEvent(t, "Fresh"); got != 2 {
		t.Errorf("Fresh: %d rows left", got)
	}
	// Inserting works only for a registered worker.
	if _, err := q.Insert(context.Background(), jobs.PurgeActivitiesArgs{}, nil); err != nil {
		t.Errorf("insert a purge: %v", err)
	}
	if !q.PeriodicJobs().RemoveByID(jobs.PurgeActivitiesID) {
		t.Error("the periodic purge is not registered")
	}
}

func TestPurgeExpiredRows(t *testing.T) {
	ctx := context.Background()
	svc, c := newService(t)
	pool := storetest.Pool(t)
	now := c.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO rate_limits (key, window_start, count) VALUES
		('purge-old', $1::timestamptz - interval '2 days', 3), ('purge-new', $1, 1)`, now); err != nil {
		t.Fatal(err)
	}
	var userID int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (login) VALUES ($1) RETURNING id`, fmt.Sprint("purge-user-", now.UnixNano())).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO one_time_codes (purpose, user_id, code_hash, expires_at) VALUES
		('login', $1, '\x01', $2::timestamptz - interval '2 days'), ('login', $1, '\x02', $2::timestamptz + interval '5 minutes')`, userID, now); err != nil {
		t.Fatal(err)
	}
	n, err := svc.PurgeExpired(ctx)
	if err != nil || n != 2 {
		t.Fatalf("purged %d (%v), want the old counter and the old code", n, err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM rate_limits WHERE key LIKE 'purge-%') + (SELECT count(*) FROM one_time_codes WHERE user_id = $1)`, userID).Scan(&left); err != nil || left != 2 {
		t.Fatalf("%d rows left (%v), want the current counter and code", left, err)
	}
}
