package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/workflow"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// devRun is one `tokenportal dev` in dir on databaseURL.
type devRun struct {
	url  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// startDev runs `tokenportal dev` (what `make run` runs) and waits for its
// banner and /healthz.
func startDev(t *testing.T, dir string, env Env) *devRun {
	t.Helper()
	port := freePort(t)
	d := &devRun{url: fmt.Sprintf("http://127.0.0.1:%d", port), out: &syncBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(binary, "dev")
	d.cmd.Dir = dir
	d.cmd.Env = env.with("LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", port), "BASE_URL", d.url).list()
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("output of tokenportal dev:\n%s", d.out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if strings.Contains(d.out.String(), "Press Ctrl-C to stop.") {
			if resp, err := http.Get(d.url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return d
				}
			}
		}
		select {
		case <-d.done:
			t.Fatalf("tokenportal dev exited at start:\n%s", d.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokenportal dev did not start:\n%s", d.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// interrupt sends SIGINT (Ctrl-C) and returns the exit code.
func (d *devRun) interrupt(t *testing.T) int {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit 30 s after SIGINT:\n%s", d.out.String())
	}
	return d.cmd.ProcessState.ExitCode()
}

func (d *devRun) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(d.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}

// serviceOn is the core on pool with the instances' SECRET_KEY, to change
// data as the product does.
func serviceOn(t testing.TB, env Env, pool *pgxpool.Pool) *workflow.Service {
	t.Helper()
	key, err := hex.DecodeString(env["SECRET_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := workflow.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return workflow.NewService(store.New(pool), sealer, 4, slog.New(slog.DiscardHandler))
}

// freshDatabase is a new, empty database on the test server, dropped with
// the test: dev mode seeds its demo into it.
func freshDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storetest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := strings.ToLower(uniqueName("tp_devrun"))
	name = strings.NewReplacer("-", "_", ".", "_").Replace(name)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), storetest.ServerURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	u := strings.Replace(storetest.URL(), "/"+lastPathPart(storetest.URL()), "/"+name, 1)
	return u
}

func lastPathPart(u string) string {
	p := u
	if i := strings.Index(p, "?"); i >= 0 {
		p = p[:i]
	}
	return p[strings.LastIndex(p, "/")+1:]
}

// What a newcomer running `make run` met (issue 15): Ctrl-C ends dev mode
// with exit 0; the mail it captured is still on /dev/mail after a restart,
// and its console shows the body as text; the banner does not promise an
// admin who enrolled their authenticator a setup at the first sign-in.
func TestDevModeRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := baseEnv(freshDatabase(t)).with("LOG_LEVEL", "info")
	first := startDev(t, dir, env)
	if !strings.Contains(first.out.String(), "the first sign-in sets up two-factor sign-in") {
		t.Fatalf("banner for a new admin:\n%s", first.out.String())
	}

	// A code by mail, queued as the product queues one; the dev instance's
	// worker captures it.
	ctx := context.Background()
	pool := openDB(t, env["DATABASE_URL"])
	svc := serviceOn(t, env, pool)
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: "Dev mail VPN"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: "devmailer", Email: "devmailer@example.com"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := workflow.Token{Serial: "DEV-MAIL-1", Type: workflow.TokenEmail, Enabled: true, UserID: &u.ID, ResourceID: &r.ID}
	if err := svc.StoreToken(ctx, svc.Store, &tok, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.Validate(ctx, r.ID, "devmailer", "", workflow.SystemActor, workflow.Meta{}); ok || err != nil {
		t.Fatalf("validate without code: %v %v", ok, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(first.get(t, "/dev/mail"), "devmailer@example.com") {
		if time.Now().After(deadline) {
			t.Fatalf("the mail was never captured:\n%s", first.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The console shows the mail as text: a header line, the body on its
	// own lines; River's producer does not chatter.
	log := first.out.String()
	if !strings.Contains(log, "----- email to devmailer@example.com") || strings.Contains(log, `body="`) {
		t.Fatalf("captured mail on the console:\n%s", log)
	}
	if strings.Contains(log, "Producer job counts") {
		t.Fatalf("River's producer in the log:\n%s", log)
	}

	if code := first.interrupt(t); code != 0 {
		t.Fatalf("exit code %d after SIGINT:\n%s", code, first.out.String())
	}

	// The admin sets up an authenticator; the next start knows.
	if _, err := pool.Exec(ctx, `UPDATE admins SET totp_secret = '\x01'::bytea, totp_key_id = 'e2e' WHERE login = 'admin'`); err != nil {
		t.Fatal(err)
	}
	second := startDev(t, dir, env)
	if out := second.out.String(); strings.Contains(out, "first sign-in sets up") || !strings.Contains(out, "authenticator app you set up before") {
		t.Fatalf("banner for an enrolled admin:\n%s", out)
	}
	if !strings.Contains(second.get(t, "/dev/mail"), "devmailer@example.com") {
		t.Fatal("the captured mail is gone after a restart")
	}
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-second.done
	if code := second.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
}
