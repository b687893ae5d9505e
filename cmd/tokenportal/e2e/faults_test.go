package e2e

// Faults: the database restarted under load, the mail server down for a
// while, a crash between a change and its mail (§9 durable sending, §10).

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow/notify/smtptest"
)

// outcome is one request of a load.
type outcome struct {
	kind       string
	start, end time.Time
	status     int   // 0: no HTTP answer
	err        error // transport error, or a page that is not the expected one
	ok         bool
}

// loadLog collects the outcomes of concurrent clients.
type loadLog struct {
	mu  sync.Mutex
	all []outcome
}

func (l *loadLog) add(o outcome) {
	l.mu.Lock()
	l.all = append(l.all, o)
	l.mu.Unlock()
}

func (l *loadLog) outcomes() []outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all)
}

func TestFaultDatabaseRestart(t *testing.T) {
	ctx := context.Background()
	cluster, dbURL := privatePostgres(t)
	env := baseEnv(dbURL).with("TRUSTED_PROXIES", "127.0.0.1")
	inst := start(t, env)
	key := apiKey(t, env, "superadmin")
	k := newKeyClient(inst, key)
	p := makePortal(t, k, "dbrestart")
	validators := make([]proofUser, 4)
	for i := range validators {
		validators[i] = p.addUser(t, k, "load", proofPassword)
		p.giveToken(t, k, &validators[i], "hotp")
	}
	restorers := make([]proofUser, 12)
	for i := range restorers {
		restorers[i] = p.addUser(t, k, "restore", proofPassword)
	}

	// The load: 4 validate clients (one token each), 3 clients loading the
	// sign-in page, one filing restore-access requests, and /readyz; each
	// with a short pause, a steady load that leaves the machine usable.
	var log loadLog
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var wg sync.WaitGroup
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt() // also when the test fails half-way

	next := make([]uint64, len(validators)) // the counter of each token's next code
	for i, u := range validators {
		kc := &keyClient{base: inst.URL, key: key, http: client}
		wg.Go(func() {
			for !stopped() {
				o := outcome{kind: "validate", start: time.Now()}
				_, o.status, o.err = kc.validate(p.ResourceID, u.Login, u.hotp(next[i]))
				o.end = time.Now()
				// true: accepted; false: accepted before, by a request whose
				// answer was lost. Either way the code is spent.
				if o.status == http.StatusOK && o.err == nil {
					o.ok = true
					next[i]++
				} else if o.status != 0 {
					o.err = nil // an answer, judged by its status
				}
				log.add(o)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	for range 3 {
		w := &webClient{http: client}
		wg.Go(func() {
			for !stopped() {
				o := outcome{kind: "login page", start: time.Now()}
				page, err := w.get(inst.URL, "/selfservice/"+p.Alias+"/login")
				o.end, o.err = time.Now(), err
				if err == nil {
					o.status = page.Status
					o.ok = page.Status == http.StatusOK && page.Doc.Find(`input[name="login"]`).Length() == 1
				}
				log.add(o)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for i := 0; !stopped(); i++ {
			u := restorers[i%len(restorers)]
			w := newWebClient(fmt.Sprintf("10.9.%d.%d", i/200, i%200+1))
			w.http.Transport = client.Transport
			o := outcome{kind: "restore", start: time.Now()}
			path := "/selfservice/" + p.Alias + "/restore"
			page, err := w.submit(inst.URL, path, formPairs("login", u.Login, "lost_token", "1", "forgot_password", "1", "lost_email", "1"))
			if err == nil && page.Status == http.StatusOK && page.Doc.Find(`input[name="new_password"]`).Length() == 1 {
				page, err = w.submit(inst.URL, path, formPairs("new_password", "Another-Horse-Staple-58", "new_email", "new-"+u.Email))
			}
			o.end, o.err = time.Now(), err
			if err == nil {
				o.status = page.Status
				// Filed, or refused by the per-login limit: both are answers.
				o.ok = (page.Status == http.StatusOK && strings.Contains(page.text(".notice.success"), "Your request has been sent")) ||
					page.Status == http.StatusTooManyRequests
			}
			log.add(o)
			time.Sleep(300 * time.Millisecond)
		}
	})
	wg.Go(func() {
		for !stopped() {
			o := outcome{kind: "readyz", start: time.Now()}
			resp, err := client.Get(inst.URL + "/readyz")
			o.end, o.err = time.Now(), err
			if err == nil {
				resp.Body.Close()
				o.status, o.ok = resp.StatusCode, resp.StatusCode == http.StatusOK
			}
			log.add(o)
			time.Sleep(100 * time.Millisecond)
		}
	})

	time.Sleep(2 * time.Second)
	stopAt := time.Now()
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	time.Sleep(3 * time.Second)
	startAt := time.Now()
	if _, err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	startedAt := time.Now()
	// Run on until every kind of request succeeded again, and a while after.
	kinds := []string{"validate", "login page", "restore", "readyz"}
	recovered := map[string]time.Duration{}
	apptest.Eventually(t, 15*time.Second, "the instance did not recover without a restart", func() bool {
		for _, o := range log.outcomes() {
			if o.ok && o.start.After(startedAt) {
				if _, seen := recovered[o.kind]; !seen {
					recovered[o.kind] = o.end.Sub(startedAt)
				}
			}
		}
		return len(recovered) == len(kinds)
	})
	recoveredAt := time.Now()
	time.Sleep(3 * time.Second)
	halt()

	select {
	case <-inst.done:
		t.Fatalf("the instance exited:\n%s", inst.Log.String())
	default:
	}
	if strings.Contains(inst.Log.String(), `"panic"`) {
		t.Fatalf("the instance panicked:\n%s", inst.Log.String())
	}

	// Judge every request by when it ran; report each kind of failure once,
	// with how often it happened.
	all := log.outcomes()
	var slowest time.Duration
	during := map[string]int{}
	bad := map[string]int{}
	var badOrder []string
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if bad[msg] == 0 {
			badOrder = append(badOrder, msg)
		}
		bad[msg]++
	}
	for _, o := range all {
		slowest = max(slowest, o.end.Sub(o.start))
		switch {
		case o.status == 0:
			fail("%s: no HTTP answer: %v", o.kind, o.err)
		case o.end.Before(stopAt) && !o.ok:
			fail("%s before the outage: status %d", o.kind, o.status)
		case o.start.After(stoppedAt) && o.end.Before(startAt):
			// The database is down: a clean 503 and nothing else.
			during[o.kind]++
			if o.status != http.StatusServiceUnavailable {
				fail("%s during the outage: status %d, want 503", o.kind, o.status)
			}
		case !o.ok && o.status != http.StatusServiceUnavailable:
			fail("%s around the outage: status %d, want 200 or 503", o.kind, o.status)
		case !o.ok && o.start.After(recoveredAt):
			fail("%s after the recovery: status %d", o.kind, o.status)
		}
	}
	for _, msg := range badOrder {
		t.Errorf("%s (%d times)", msg, bad[msg])
	}
	if slowest > 7*time.Second {
		t.Errorf("the slowest request took %v: requests must not hang while the database is down", slowest)
	}
	for _, kind := range kinds {
		if during[kind] == 0 {
			t.Errorf("no %s request ran during the outage", kind)
		}
	}
	t.Logf("%d requests; outage %v (stop took %v, start %v); %v requests during it; recovered after the start in %v; slowest request %v",
		len(all), startAt.Sub(stopAt).Round(time.Millisecond), stoppedAt.Sub(stopAt).Round(time.Millisecond),
		startedAt.Sub(startAt).Round(time.Millisecond), during, recovered, slowest.Round(time.Millisecond))

	// No partial rows: a code accepted is a token moved on and its
	// accepting Validate activity, in one statement; an issue is its row
	// and its IssueCreated activity, in one transaction.
	db := openDB(t, dbURL)
	for i, u := range validators {
		var counter, failcount, accepts int64
		err := db.QueryRow(ctx, `SELECT counter, failcount,
			(SELECT count(*) FROM activities WHERE event = 'Validate' AND details->>'serial' = $1 AND details->>'result' = 'true')
			FROM tokens WHERE serial = $1`, u.Serial).Scan(&counter, &failcount, &accepts)
		if err != nil {
			t.Fatal(err)
		}
		if counter != accepts || uint64(counter) != next[i] || failcount != 0 {
			t.Errorf("token %s: counter %d, %d accepting Validate activities, failcount %d; the client spent %d codes",
				u.Serial, counter, accepts, failcount, next[i])
		}
	}
	var issues, orphanIssues, orphanActs int
	err := db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM user_issues),
		(SELECT count(*) FROM user_issues i WHERE NOT EXISTS (
			SELECT 1 FROM activities a WHERE a.event = 'IssueCreated' AND a.details->>'issue' = i.id::text)),
		(SELECT count(*) FROM activities a WHERE a.event = 'IssueCreated' AND NOT EXISTS (
			SELECT 1 FROM user_issues i WHERE a.details->>'issue' = i.id::text))`).Scan(&issues, &orphanIssues, &orphanActs)
	if err != nil {
		t.Fatal(err)
	}
	if issues == 0 || orphanIssues != 0 || orphanActs != 0 {
		t.Errorf("%d issues, %d without IssueCreated, %d IssueCreated without issue", issues, orphanIssues, orphanActs)
	}
}

// messageJob is a queued mail as River keeps it.
type messageJob struct {
	ID       int64
	State    string
	Attempt  int
	Errors   int
	To       string
	DueInSec float64 // until scheduled_at
}

func messageJobs(t testing.TB, db *pgxpool.Pool, to []string) []messageJob {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, state::text, attempt, coalesce(array_length(errors, 1), 0), args->>'to',
		extract(epoch FROM scheduled_at - now())::float8
		FROM river_job WHERE kind = 'message' AND args->>'to' = ANY($1) ORDER BY id`, to)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[messageJob])
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// messageID is the Message-ID header of a received mail.
func messageID(t testing.TB, m smtptest.Message) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header.Get("Message-Id")
}

// mailEnv is env sending mail to addr.
func mailEnv(env Env, addr string) Env {
	return env.with("SMTP_URL", "smtp://"+addr, "MAIL_FROM", "tokenportal <noreply@e2e.test>")
}

// askLoginCode starts the sign-in of u (who has no password) on inst: a
// code is created and its mail queued, in one transaction.
func askLoginCode(t testing.TB, w *webClient, inst *Instance, alias string, u proofUser) {
	t.Helper()
	w.mustSubmit(t, inst.URL, "/selfservice/"+alias+"/login", formPairs("login", u.Login))
	page := w.mustSubmit(t, inst.URL, "/selfservice/"+alias+"/login", formPairs("send_code", "1"))
	if page.Doc.Find(`input[name="email_code"]`).Length() != 1 {
		t.Fatalf("no email code step for %s: %s", u.Login, page)
	}
}

func TestFaultMailServerDown(t *testing.T) {
	_, dbURL := privatePostgres(t)
	down := smtptest.Start(t)
	addr := strings.TrimPrefix(down.URL(), "smtp://")
	env := mailEnv(baseEnv(dbURL).with("TRUSTED_PROXIES", "127.0.0.1"), addr)
	inst := start(t, env)
	k := newKeyClient(inst, apiKey(t, env, "superadmin"))
	p := makePortal(t, k, "smtpdown")
	users := make([]proofUser, 5)
	to := make([]string, len(users))
	for i := range users {
		users[i] = p.addUser(t, k, "code", "")
		to[i] = users[i].Email
	}

	down.Close()
	outage := time.Now()
	for i, u := range users {
		askLoginCode(t, newWebClient(fmt.Sprintf("198.51.100.%d", 40+i)), inst, p.Alias, u)
	}
	db := openDB(t, dbURL)
	// Three failed attempts each (the first, and the retries after 1 s and
	// 2 s of the backoff), then the server comes back on the same address.
	apptest.Eventually(t, 20*time.Second, "every mail attempted three times while the server is down", func() bool {
		jobs := messageJobs(t, db, to)
		return len(jobs) == len(users) && !slices.ContainsFunc(jobs, func(j messageJob) bool { return j.Errors < 3 })
	})
	back := smtptest.StartAt(t, addr)
	downFor := time.Since(outage)
	took := apptest.Eventually(t, 30*time.Second, "every mail delivered after the mail server came back", func() bool {
		return !slices.ContainsFunc(messageJobs(t, db, to), func(j messageJob) bool { return j.State != "completed" })
	})

	// Once each, none lost, none doubled: a job is completed only after the
	// server took its mail, so nothing can arrive later.
	if n := len(down.Messages()); n != 0 {
		t.Fatalf("the server that was down received %d mails", n)
	}
	received := back.Messages()
	ids := map[string]bool{}
	for _, m := range received {
		id := messageID(t, m)
		if id == "" || ids[id] {
			t.Errorf("Message-ID %q missing or seen twice", id)
		}
		ids[id] = true
	}
	for _, addr := range to {
		if n := len(slices.DeleteFunc(slices.Clone(received), func(m smtptest.Message) bool { return !smtptest.To(addr)(m) })); n != 1 {
			t.Errorf("%s received %d mails, want 1", addr, n)
		}
	}
	if len(received) != len(users) {
		t.Errorf("received %d mails, want %d", len(received), len(users))
	}
	for _, j := range messageJobs(t, db, to) {
		if j.Attempt < 4 {
			t.Errorf("job %d completed at attempt %d, after %d errors", j.ID, j.Attempt, j.Errors)
		}
	}
	t.Logf("mail server down for %v; all %d mails delivered %v after it came back", downFor.Round(time.Millisecond), len(users), took.Round(time.Millisecond))
}

func TestFaultCrashBeforeMail(t *testing.T) {
	_, dbURL := privatePostgres(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t)) // nobody listens yet
	env := mailEnv(baseEnv(dbURL).with("TRUSTED_PROXIES", "127.0.0.1"), addr)
	a := start(t, env)
	k := newKeyClient(a, apiKey(t, env, "superadmin"))
	p := makePortal(t, k, "crash")
	u := p.addUser(t, k, "crash", "")
	w := newWebClient("198.51.100.50")
	askLoginCode(t, w, a, p.Alias, u)

	// Kill A between two attempts, never during one (River would only
	// rescue a job stuck in an attempt after an hour): once the job failed
	// and its retry is still some way off.
	db := openDB(t, dbURL)
	apptest.Eventually(t, 15*time.Second, "the mail attempted while the server is down", func() bool {
		jobs := messageJobs(t, db, []string{u.Email})
		return len(jobs) == 1 && jobs[0].Errors >= 1 && jobs[0].State != "running" && jobs[0].DueInSec > 0.3
	})
	a.Kill()
	if j := messageJobs(t, db, []string{u.Email}); j[0].State == "running" || j[0].State == "completed" {
		t.Fatalf("job after the crash: %+v", j[0])
	}

	srv := smtptest.StartAt(t, addr)
	b := start(t, env)
	m := srv.WaitFor(t, smtptest.To(u.Email), 30*time.Second)
	apptest.Eventually(t, 10*time.Second, "the job completed", func() bool { return messageJobs(t, db, []string{u.Email})[0].State == "completed" })
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d mails delivered, want 1", n)
	}
	// The mail is whole: its code (sealed in the queue with the shared
	// SECRET_KEY) completes on B the sign-in begun on A.
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(m.Body)
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", m.Body)
	}
	page := w.mustSubmit(t, b.URL, "/selfservice/"+p.Alias+"/login", formPairs("email_code", code))
	if !atPortalHome(page, p.Alias) {
		t.Fatalf("sign-in on B with the code from the mail: %s", page)
	}
}
