//go:build load

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"tokenportal/workflow"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// The database's limit for validate's own work: pgbench running the two
// statements one right code costs (workflow/store: ValidationTokens, then
// AcceptTokenStep with its Validate activity), on the load test's own
// database and the validate scenario's own users and tokens.

// loadSQLCapture records the SQL a store call sends, so that pgbench runs
// the product's statements as they are, not a copy that could drift.
type loadSQLCapture struct {
	mu  sync.Mutex
	sql []string
}

func (c *loadSQLCapture) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	c.sql = append(c.sql, d.SQL)
	c.mu.Unlock()
	return ctx
}

func (c *loadSQLCapture) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// The pgbench variables standing for each statement's parameters, in order
// ($1, $2, …): the signatures of ValidationTokens and AcceptTokenStep (with
// the activity's ten columns, store.activityArgs).
var (
	loadSelectParams = []string{"res", "login"}
	loadAcceptParams = []string{"tok", "step", "now", "hotp",
		"now", "actor_type", "actor_id", "actor_name", "uid", "res", "event", "ip", "ua", "details"}
)

// loadValidateSQL runs ValidationTokens and AcceptTokenStep once through the
// store (the latter in a transaction rolled back) and returns their SQL.
func loadValidateSQL(t *testing.T, ctx context.Context, fx loadFixture) (selectSQL, acceptSQL string) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	capture := &loadSQLCapture{}
	cfg.ConnConfig.Tracer = capture
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := store.New(pool)
	u, _, err := db.ValidationTokens(ctx, fx.resourceID, fx.hotpLogins[0])
	if err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("rollback")
	err = db.Tx(ctx, func(st workflow.Store) error {
		act := &workflow.Activity{Actor: workflow.Actor{Type: workflow.ActorAPIKey, Name: "capture"}, UserID: &u.ID,
			ResourceID: &fx.resourceID, Event: workflow.EventValidate, At: time.Now(), Details: map[string]any{"login": u.Login}}
		if _, err := st.AcceptTokenStep(ctx, 0, 1, true, time.Now(), act); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("capturing AcceptTokenStep: %v", err)
	}
	capture.mu.Lock()
	defer capture.mu.Unlock()
	for _, s := range capture.sql {
		switch {
		case strings.Contains(s, "UPDATE tokens"):
			acceptSQL = s
		case strings.Contains(s, "JOIN resource_users"):
			selectSQL = s
		}
	}
	if selectSQL == "" || acceptSQL == "" {
		t.Fatalf("validate's statements not captured: %q", capture.sql)
	}
	return selectSQL, acceptSQL
}

var loadParam = regexp.MustCompile(`\$([0-9]+)`)

// loadPgbenchSQL turns a statement with $n parameters into a pgbench one
// with :name variables (sent as parameters again with -M prepared); a
// statement with another number of parameters than names fails the test: its
// store method changed, and so must the mapping.
func loadPgbenchSQL(t *testing.T, sql string, names []string) string {
	t.Helper()
	highest := 0
	out := loadParam.ReplaceAllStringFunc(sql, func(p string) string {
		n, _ := strconv.Atoi(p[1:])
		highest = max(highest, n)
		if n < 1 || n > len(names) {
			return p
		}
		return ":" + names[n-1]
	})
	if highest != len(names) || strings.Contains(sql, ";") {
		t.Fatalf("statement with %d parameters, want %d (update the pgbench mapping):\n%s", highest, len(names), sql)
	}
	return out + ";\n"
}

var (
	loadTransactions = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
	loadLatency      = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// loadPgbenchSameSQL runs validate's two statements with pgbench: 32
// clients, each one of the validate scenario's users (client n is
// load-hotp-nn) with its token, for d.
func loadPgbenchSameSQL(t *testing.T, ctx context.Context, fx loadFixture, pool *pgxpool.Pool, d time.Duration) loadResult {
	t.Helper()
	r := loadResult{name: "pgbench, validate's SQL", clients: loadClients}
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		r.note = "skipped: pgbench is not installed (Debian: postgresql-client)"
		return r
	}
	selectSQL, acceptSQL := loadValidateSQL(t, ctx, fx)
	// Once per client (tok is 0 until then; pgbench keeps a client's
	// variables from one transaction to the next): its user and token, and
	// the values of the last Validate activity the server wrote for that
	// user, so the activity pgbench inserts is the same row.
	//
	// The step: validate's UPDATE accepts only a step above last_step
	// (replay protection). Replaying one step would make every UPDATE after
	// the first match no row and insert an activity with result false: a
	// cheaper statement than the real one (no new row version, no index
	// update on tokens). So each client starts at its token's last_step and
	// sends the next step every transaction, as a client with the next right
	// code does; the test checks afterwards that every UPDATE was accepted.
	script := `\if :tok = 0
SELECT u.login AS login, u.id AS uid, t.id AS tok, t.last_step AS step, now()::text AS now,
	a.actor_type AS actor_type, a.actor_id AS actor_id, a.actor_name AS actor_name, a.event AS event,
	host(a.ip) AS ip, a.user_agent AS ua, a.details::text AS details
FROM users u
JOIN tokens t ON t.user_id = u.id AND t.resource_id = :res
JOIN LATERAL (SELECT * FROM activities a WHERE a.user_id = u.id AND a.event = 'Validate' AND a.ip IS NOT NULL ORDER BY a.id DESC LIMIT 1) a ON true
WHERE u.login = 'load-hotp-' || lpad((:client_id % ` + strconv.Itoa(len(fx.hotpLogins)) + `)::text, 2, '0') \gset
\endif
\set step :step + 1
` + loadPgbenchSQL(t, selectSQL, loadSelectParams) + loadPgbenchSQL(t, acceptSQL, loadAcceptParams)
	file := filepath.Join(t.TempDir(), "validate.sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	lastSteps := func() int64 {
		var sum int64
		if err := pool.QueryRow(ctx, `SELECT coalesce(sum(t.last_step), 0)::bigint FROM tokens t JOIN users u ON u.id = t.user_id
			WHERE u.login LIKE 'load-hotp-%'`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	before := lastSteps()
	seconds := max(3, int(d.Seconds()))
	cmd := exec.CommandContext(ctx, bin, "-n", "-M", "prepared", "-c", strconv.Itoa(loadClients), "-j", "2",
		"-T", strconv.Itoa(seconds), "-D", "tok=0", "-D", "hotp=true",
		"-D", "res="+strconv.FormatInt(fx.resourceID, 10), "-f", file, storetest.URL())
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL's CPU is sampled while pgbench's backends live: from a
	// second in (connected) to half a second before the end.
	time.Sleep(time.Second)
	pg0, p0 := postgresTicks(), time.Now()
	time.Sleep(time.Until(t0.Add(time.Duration(seconds)*time.Second - 500*time.Millisecond)))
	pg1, pgSeconds := postgresTicks(), time.Since(p0).Seconds()
	err = cmd.Wait()
	out := output.Bytes()
	if err != nil {
		t.Fatalf("pgbench with validate's SQL: %v\n%s\nscript:\n%s", err, out, script)
	}
	// CPU as in the other rows: the clients (pgbench) and PostgreSQL.
	elapsed := time.Since(t0).Seconds()
	r.cpu[1] = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds() / elapsed
	r.cpu[2] = float64(pg1-pg0) / clockTicks / pgSeconds
	m := loadTPS.FindSubmatch(out)
	n := loadTransactions.FindSubmatch(out)
	if m == nil || n == nil {
		t.Fatalf("no tps in pgbench's output:\n%s", out)
	}
	r.rate, _ = strconv.ParseFloat(string(m[1]), 64)
	r.requests, _ = strconv.Atoi(string(n[1]))
	accepted := lastSteps() - before
	if accepted != int64(r.requests) {
		t.Logf("pgbench with validate's SQL: %d of %d UPDATEs accepted: the figure is not the real work", accepted, r.requests)
	}
	r.note = fmt.Sprintf("%d of %d step UPDATEs accepted", accepted, r.requests)
	if lat := loadLatency.FindSubmatch(out); lat != nil {
		f, _ := strconv.ParseFloat(string(lat[1]), 64)
		r.note += fmt.Sprintf(", latency average %.1f ms", f)
	}
	return r
}

// loadBcryptTime is the median time of one bcrypt comparison at cost, in
// this process, over several runs.
func loadBcryptTime(t *testing.T, cost int) time.Duration {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(loadPassword), cost)
	if err != nil {
		t.Fatal(err)
	}
	times := make([]time.Duration, 7)
	for i := range times {
		t0 := time.Now()
		if err := bcrypt.CompareHashAndPassword(hash, []byte(loadPassword)); err != nil {
			t.Fatal(err)
		}
		times[i] = time.Since(t0)
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// loadBcryptBound is the sign-ins per second the machine's cores allow if
// the one bcrypt of a password sign-in were all the work.
func loadBcryptBound(one time.Duration) float64 {
	return float64(runtime.NumCPU()) / one.Seconds()
}
