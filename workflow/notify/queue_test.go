package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// The queue tests share the package's database and its river_job table, so
// they do not run in parallel and each removes its jobs when done.

// fastRetry keeps the retries of the tests within a second.
var fastRetry = notify.Backoff{Base: 100 * time.Millisecond, Max: 400 * time.Millisecond}

func startQueue(t *testing.T, n *notify.Notifier) *river.Client[pgx.Tx] {
	t.Helper()
	client, err := notify.NewQueue(storetest.Pool(t), n, testLog(t),
		notify.WithRetryPolicy(fastRetry),
		notify.WithFetchPollInterval(50*time.Millisecond),
		func(c *river.Config) { c.TestOnly = true })
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := client.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return client
}

// cleanJobs removes the test's jobs after the queue has stopped (cleanups
// run last-registered first, so call it before startQueue).
func cleanJobs(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if _, err := storetest.Pool(t).Exec(context.Background(), "DELETE FROM river_job"); err != nil {
			t.Error(err)
		}
	})
}

type jobState struct {
	ID      int64
	State   string
	Attempt int
	Errors  int
}

// jobsTo returns the message jobs addressed to to.
func jobsTo(t *testing.T, to string) []jobState {
	t.Helper()
	rows, err := storetest.Pool(t).Query(context.Background(), `
		SELECT id, state::text, attempt, coalesce(array_length(errors, 1), 0)
		FROM river_job WHERE kind = 'message' AND args->>'to' = $1 ORDER BY id`, to)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jobState, error) {
		var j jobState
		err := r.Scan(&j.ID, &j.State, &j.Attempt, &j.Errors)
		return j, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// jobTo returns the one message job addressed to to.
func jobTo(t *testing.T, to string) jobState {
	t.Helper()
	jobs := jobsTo(t, to)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs to %s, want 1", len(jobs), to)
	}
	return jobs[0]
}

func TestQueueRetriesUntilSMTPIsUp(t *testing.T) {
	ctx := context.Background()
	cleanJobs(t)
	addr := closedPort(t) // the mail server is down
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + addr, Timeout: 2 * time.Second})
	const to = "retry@example.com"
	if err := store.New(storetest.Pool(t)).Enqueue(ctx, codeMail(to, "de")); err != nil {
		t.Fatal(err)
	}
	if j := jobTo(t, to); j.State != "available" || j.Attempt != 0 {
		t.Fatalf("queued job: %+v", j)
	}
	startQueue(t, n)

	apptest.Eventually(t, 10*time.Second, "two failed attempts", func() bool { return jobTo(t, to).Errors >= 2 })
	if j := jobTo(t, to); j.State == "completed" || j.Attempt < 2 {
		t.Fatalf("after failures: %+v", j)
	}

	srv := startSMTP(t, serverOpts{addr: addr}) // the mail server comes back
	apptest.Eventually(t, 10*time.Second, "the job to complete", func() bool { return jobTo(t, to).State == "completed" })

	j := jobTo(t, to)
	if j.Attempt < 3 || j.Errors < 2 {
		t.Errorf("completed job: %+v", j)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want exactly 1", len(mails))
	}
	h, body := mails[0].header(t)
	if len(mails[0].To) != 1 || mails[0].To[0] != to || !strings.Contains(body, "481516") {
		t.Errorf("mail to %v:\n%s", mails[0].To, body)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, fmt.Sprintf("<tokenportal.%d.", j.ID)) || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID %q is not derived from job %d", id, j.ID)
	}
}

func TestQueueRolledBackMessageIsNotSent(t *testing.T) {
	ctx := context.Background()
	cleanJobs(t)
	db := store.New(storetest.Pool(t))
	const lost, kept = "rolledback@example.com", "committed@example.com"

	errRollback := errors.New("rollback")
	err := db.Tx(ctx, func(st workflow.Store) error {
		if err := st.Enqueue(ctx, codeMail(lost, "en")); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx = %v", err)
	}
	if jobs := jobsTo(t, lost); len(jobs) != 0 {
		t.Fatalf("rolled back message left jobs %+v", jobs)
	}
	if err := db.Tx(ctx, func(st workflow.Store) error { return st.Enqueue(ctx, codeMail(kept, "en")) }); err != nil {
		t.Fatal(err)
	}

	n := newNotifier(t, notify.Config{Capture: true})
	startQueue(t, n)
	apptest.Eventually(t, 10*time.Second, "the committed message", func() bool { return jobTo(t, kept).State == "completed" })
	got := n.Captured()
	if len(got) != 1 || got[0].To != kept {
		t.Errorf("delivered %+v, want only the committed message", got)
	}
}

func TestQueueSMSRetriesAndCancels(t *testing.T) {
	ctx := context.Background()
	cleanJobs(t)
	const flaky, refused = "+31600000001", "+31600000400"
	var (
		mu    sync.Mutex
		calls = map[string]int{}
	)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := r.FormValue("to")
		mu.Lock()
		calls[to]++
		c := calls[to]
		mu.Unlock()
		switch {
		case to == refused:
			http.Error(w, "unknown number", http.StatusBadRequest)
		case c < 3:
			http.Error(w, "try later", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(gw.Close)
	n := newNotifier(t, notify.Config{SMSGatewayURL: gw.URL})
	db := store.New(storetest.Pool(t))
	for _, to := range []string{flaky, refused} {
		if err := db.Enqueue(ctx, smsCode(to, "en")); err != nil {
			t.Fatal(err)
		}
	}
	startQueue(t, n)

	apptest.Eventually(t, 10*time.Second, "both jobs to finish", func() bool {
		return jobTo(t, flaky).State == "completed" && jobTo(t, refused).State == "cancelled"
	})
	if j := jobTo(t, flaky); j.Attempt != 3 || j.Errors != 2 {
		t.Errorf("flaky gateway: %+v", j)
	}
	if j := jobTo(t, refused); j.Attempt != 1 || j.Errors != 1 {
		t.Errorf("refused number: %+v", j)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls[flaky] != 3 || calls[refused] != 1 {
		t.Errorf("gateway calls %v", calls)
	}
}
