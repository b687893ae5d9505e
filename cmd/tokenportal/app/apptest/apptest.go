// Package apptest runs the real application against the test package's
// PostgreSQL database (see storetest) behind an httptest server, with a
// controllable clock, and drives it like a browser: cookies, redirects and
// the Origin / Sec-Fetch-Site headers a browser sends with a form.
package apptest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/workflow"
	"tokenportal/workflow/store/storetest"
)

// Clock is a settable clock for the Service.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Env is one running application.
type Env struct {
	T      testing.TB
	App    *app.App
	Server *httptest.Server
	Clock  *Clock
	Svc    *workflow.Service
	// ClientIP, when set (NewParallel), is the client address of every
	// Browser and Raw client of this Env.
	ClientIP string
}

// Config returns a valid configuration for tests: the package's database,
// a random key, cheap bcrypt.
func Config(t testing.TB) app.Config {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	base, _ := url.Parse("http://tokenportal.test")
	return app.Config{
		DatabaseURL: storetest.URL(), ListenAddr: "127.0.0.1:0", BaseURL: base, SecretKey: key,
		MailFrom: "tokenportal <noreply@tokenportal.test>", SessionIdle: 30 * time.Minute, SessionLifetime: 12 * time.Hour,
		BcryptCost: 4, LogLevel: slog.LevelWarn,
		// A second instance sees a settings change at once, not after 5 s.
		SettingsTTL: 50 * time.Millisecond,
	}
}

// Logger writes warnings and errors to the test log only when -v is given.
func Logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// New starts the application with cfg (Config(t) when nil).
func New(t testing.TB, cfg *app.Config) *Env {
	t.Helper()
	c := Config(t)
	if cfg != nil {
		c = *cfg
	}
	// A pool of its own, configured as in production.
	pool, err := app.OpenPool(context.Background(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(c, pool, Logger())
	if err != nil {
		pool.Close()
		t.Fatal(err)
	}
	clock := &Clock{now: time.Now().UTC().Truncate(time.Second)}
	a.Service.Now = clock.Now
	a.Service.Sleep = func(context.Context, time.Duration) {}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		a.Close()
		pool.Close()
	})
	return &Env{T: t, App: a, Server: srv, Clock: clock, Svc: a.Service}
}

// clientIPs hands out client addresses from 198.18.0.0/15 (RFC 2544).
var clientIPs atomic.Int64

// NewParallel is New for a test that runs in parallel with others on the
// package's database: the app believes X-Forwarded-For from the loopback
// address, and the Env's clients send an address of their own (ClientIP),
// so per-address throttles and limits of different tests never add up.
func NewParallel(t testing.TB, cfg *app.Config) *Env {
	t.Helper()
	c := Config(t)
	if cfg != nil {
		c = *cfg
	}
	c.TrustedProxies = append(slices.Clip(c.TrustedProxies), netip.MustParsePrefix("127.0.0.1/32"))
	e := New(t, &c)
	n := clientIPs.Add(1)
	e.ClientIP = netip.AddrFrom4([4]byte{198, 18 + byte(n>>16&1), byte(n >> 8), byte(n)}).String()
	return e
}

// Browser is a cookie-keeping client of the Env's server.
type Browser struct {
	env    *Env
	Client *http.Client
	// UserAgent and ForwardedFor are sent with every request when set
	// (ForwardedFor counts only on an app whose TrustedProxies hold the
	// loopback address).
	UserAgent    string
	ForwardedFor string
	// AcceptLanguage is sent as the Accept-Language header when set.
	AcceptLanguage string
}

// Browser returns a new browser with an empty cookie jar.
func (e *Env) Browser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{env: e, Client: &http.Client{Jar: jar, Timeout: 30 * time.Second}, UserAgent: "apptest/1.0 Firefox/140.0", ForwardedFor: e.ClientIP}
}

// Page is a response with its body read and parsed.
type Page struct {
	Status int
	URL    *url.URL
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

// Text is the whitespace-collapsed text of the elements matching selector.
func (p *Page) Text(selector string) string {
	return strings.Join(strings.Fields(p.Doc.Find(selector).Text()), " ")
}

// Do sends req and reads the whole response, following redirects.
func (b *Browser) Do(req *http.Request) *Page {
	b.env.T.Helper()
	if b.UserAgent != "" {
		req.Header.Set("User-Agent", b.UserAgent)
	}
	if b.ForwardedFor != "" {
		req.Header.Set("X-Forwarded-For", b.ForwardedFor)
	}
	if b.AcceptLanguage != "" {
		req.Header.Set("Accept-Language", b.AcceptLanguage)
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.env.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.env.T.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		b.env.T.Fatal(err)
	}
	return &Page{Status: resp.StatusCode, URL: resp.Request.URL, Header: resp.Header, Body: string(body), Doc: doc}
}

// Get loads path.
func (b *Browser) Get(path string) *Page {
	b.env.T.Helper()
	req, err := http.NewRequest(http.MethodGet, b.env.Server.URL+path, nil)
	if err != nil {
		b.env.T.Fatal(err)
	}
	return b.Do(req)
}

// Post submits a form to path as a same-origin browser would.
func (b *Browser) Post(path string, form url.Values) *Page {
	b.env.T.Helper()
	req, err := http.NewRequest(http.MethodPost, b.env.Server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.env.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.env.Server.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.Do(req)
}

// Form is a shorthand for url.Values from pairs: Form("login", "a", "password", "b").
func Form(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}

// StartQueue runs the mail/SMS queue worker until the test ends.
func (e *Env) StartQueue(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.App.Queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = e.App.Queue.Stop(sctx)
		cancel()
	})
}

// WorkCodeRequests carries out the queued code requests (workflow.CodeRequest)
// at once, as the queue worker would, for tests that do not run the queue.
// Each job is taken with SKIP LOCKED, so a running queue and this never do
// the same request twice. It returns how many requests it carried out.
func (e *Env) WorkCodeRequests(t testing.TB) int {
	t.Helper()
	return e.WorkCodeRequestsFor(t, 0)
}

// WorkCodeRequestsFor is WorkCodeRequests for the requests of one
// resource's portal (every resource when resourceID is 0), so tests in
// parallel each carry out their own, on their own clock.
func (e *Env) WorkCodeRequestsFor(t testing.TB, resourceID int64) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		var args []byte
		err := e.App.Pool.QueryRow(ctx, `DELETE FROM river_job WHERE id = (
			SELECT id FROM river_job WHERE kind = 'code_request' AND state = 'available'
			AND ($1 = 0 OR (args->>'resource_id')::bigint = $1)
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING args`, resourceID).Scan(&args)
		if errors.Is(err, pgx.ErrNoRows) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		var r workflow.CodeRequest
		if err := json.Unmarshal(args, &r); err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.SendRequestedCode(ctx, r); err != nil {
			t.Fatal(err)
		}
		n++
	}
}
