package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/workflow/store/storetest"
)

// binary is the tokenportal binary built for this test run.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// `make test-quick`: no binary to build, no browser to start.
		fmt.Println("e2e: skipped under -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "tokenportal-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tokenportal")
	build := exec.Command("go", "build", "-o", binary, "tokenportal/cmd/tokenportal")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the binary:", err)
		os.Exit(1)
	}
	code := storetest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// testKey is one SECRET_KEY for every instance of a test: instances of one
// deployment share it.
func testKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Env is the environment of the instances of one test.
type Env map[string]string

// baseEnv is a working configuration on databaseURL (the package's test
// database when empty).
func baseEnv(databaseURL string) Env {
	if databaseURL == "" {
		databaseURL = storetest.URL()
	}
	return Env{"DATABASE_URL": databaseURL, "SECRET_KEY": testKey(), "BCRYPT_COST": "4", "LOG_LEVEL": "warn"}
}

func (e Env) with(kv ...string) Env {
	out := Env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func (e Env) list() []string {
	// Only what the test sets: no DATABASE_URL or SECRET_KEY from the
	// developer's shell leaks in.
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// freePort reserves a port on 127.0.0.1 and releases it for the instance.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a process's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Instance is one running `tokenportal serve`.
type Instance struct {
	URL  string
	Port int
	Env  Env
	Log  *syncBuffer
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs `tokenportal serve` with env on a free port and waits until
// /healthz answers; the process is killed when the test ends.
func start(t testing.TB, env Env) *Instance {
	t.Helper()
	return startOn(t, env, freePort(t))
}

// startOn is start on port (reserved with freePort), for a test that must
// know the address before the instance runs (a BASE_URL of its own).
func startOn(t testing.TB, env Env, port int) *Instance {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	env = env.with("LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", port))
	if _, ok := env["BASE_URL"]; !ok {
		env["BASE_URL"] = url
	}
	inst := &Instance{URL: url, Port: port, Env: env, Log: &syncBuffer{}, done: make(chan struct{})}
	inst.cmd = exec.Command(binary, "serve")
	inst.cmd.Env = env.list()
	inst.cmd.Stdout, inst.cmd.Stderr = inst.Log, inst.Log
	if err := inst.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = inst.cmd.Wait(); close(inst.done) }()
	t.Cleanup(func() {
		inst.Kill()
		if t.Failed() {
			t.Logf("log of %s:\n%s", url, inst.Log.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return inst
			}
		}
		select {
		case <-inst.done:
			t.Fatalf("tokenportal exited at start:\n%s", inst.Log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokenportal did not start:\n%s", inst.Log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the process at once (SIGKILL): a crash.
func (i *Instance) Kill() {
	if i.cmd.Process != nil {
		_ = i.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-i.done
}

// Stop asks the process to shut down gracefully and waits.
func (i *Instance) Stop() {
	_ = i.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-i.done:
	case <-time.After(30 * time.Second):
		i.Kill()
	}
}

// RSS is the resident memory of the process in bytes.
func (i *Instance) RSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", i.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			return kb * 1024
		}
	}
	return 0
}

// cli runs a tokenportal command with env and stdin; it returns stdout.
func cli(t testing.TB, env Env, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env.list()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("tokenportal %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// createAdmin makes an admin account with the command line and returns its
// password.
func createAdmin(t testing.TB, env Env, login, role string) string {
	t.Helper()
	const password = "e2e-Admin-passphrase-71"
	cli(t, env, password+"\n", "admin", "create", "--login", login, "--role", role)
	return password
}

// apiKey makes an API key with the command line.
func apiKey(t testing.TB, env Env, role string) string {
	t.Helper()
	return strings.TrimSpace(cli(t, env, "", "apikey", "create", "--name", "e2e "+role+" "+time.Now().Format("150405.000"), "--role", role))
}

// privatePostgres starts a PostgreSQL cluster of the test's own (for tests
// that restart the database), destroyed at the end; it returns its cluster
// and the URL of database "tokenportal" in it.
func privatePostgres(t testing.TB) (*app.Cluster, string) {
	t.Helper()
	c, err := app.NewCluster(t.TempDir())
	if err != nil {
		t.Skip("no PostgreSQL server programs for a private cluster:", err)
	}
	t.Cleanup(func() {
		if err := c.Destroy(); err != nil {
			t.Log("destroy the private cluster:", err)
		}
	})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureDatabase(context.Background(), "tokenportal"); err != nil {
		t.Fatal(err)
	}
	return c, c.URL("tokenportal")
}

// chromium finds the browser, or skips the test when there is none (CI
// installs Debian's chromium; see .ci/run).
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("E2E_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found, and E2E_REQUIRE_BROWSER is set (CI must run the browser tests)")
	}
	t.Skip("no Chromium found (install Debian's chromium package, or set CHROMIUM)")
	return ""
}

// TestHarness checks the harness itself: an instance starts, answers and
// stops gracefully.
func TestHarness(t *testing.T) {
	env := baseEnv("")
	inst := start(t, env)
	resp, err := http.Get(inst.URL + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	if rss := inst.RSS(); rss <= 0 {
		t.Fatal("cannot read the RSS of the instance")
	}
	inst.Stop()
	if inst.cmd.ProcessState == nil || !inst.cmd.ProcessState.Success() {
		t.Fatalf("graceful stop: %v\n%s", inst.cmd.ProcessState, inst.Log.String())
	}
}
