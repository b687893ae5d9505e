package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

func TestSecurityHeaders(t *testing.T) {
	env := apptest.New(t, nil)
	p := env.Browser().Get("/admin/login")
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	}
	for h, v := range want {
		if !strings.Contains(p.Header.Get(h), v) {
			t.Errorf("%s = %q, want it to contain %q", h, p.Header.Get(h), v)
		}
	}
	csp := p.Header.Get("Content-Security-Policy")
	for _, part := range []string{"frame-ancestors 'none'", "script-src 'self'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %s", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %s", csp)
	}
	if p.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	// No inline script anywhere in the page.
	if p.Doc.Find("script:not([src])").Length() != 0 {
		t.Error("inline script in the page")
	}
	if lang, _ := p.Doc.Find("html").Attr("lang"); lang != "en" {
		t.Errorf("lang = %q", lang)
	}
}

func TestHSTSBehindHTTPS(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.BaseURL, _ = url.Parse("https://otp.example.com")
	env := apptest.New(t, &cfg)
	resp, err := http.Get(env.Server.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("HSTS %q", resp.Header.Get("Strict-Transport-Security"))
	}
}

func TestSessionCookieFlags(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.BaseURL, _ = url.Parse("https://otp.example.com")
	env := apptest.New(t, &cfg)
	if _, err := env.Svc.CreateAdmin(context.Background(), workflow.NewAdmin{Login: "erin", Role: workflow.RoleHelpdesk, Password: "plum-orbit-canvas-71"},
		workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/admin/login", strings.NewReader("login=erin&password=plum-orbit-canvas-71"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("%d, cookies %v", resp.StatusCode, cookies)
	}
	c := cookies[0]
	if c.Name != "tp_admin" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin" {
		t.Fatalf("admin cookie %+v", c)
	}
	// The token is stored only as a hash.
	var stored int
	if err := env.App.Pool.QueryRow(context.Background(), "SELECT count(*) FROM sessions WHERE token = $1", c.Value).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("raw session token found in the database (%d, %v)", stored, err)
	}
	if env.App.Portal.Cookie.Name == c.Name || env.App.Portal.Cookie.Path != "/selfservice" {
		t.Fatalf("portal cookie %+v", env.App.Portal.Cookie)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	env := apptest.New(t, nil)
	post := func(headers map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/admin/login", strings.NewReader("login=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); s != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", s)
	}
	if s := post(map[string]string{"Origin": "https://evil.example"}); s != http.StatusForbidden {
		t.Errorf("foreign Origin without Sec-Fetch-Site: %d", s)
	}
	if s := post(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": env.Server.URL}); s != http.StatusUnauthorized {
		t.Errorf("same-origin POST should reach the handler (401 for bad credentials): %d", s)
	}
	// Nothing reached the handler for the refused ones: only one failed attempt was logged.
	var n int
	if err := env.App.Pool.QueryRow(context.Background(), "SELECT count(*) FROM activities WHERE event = 'AdminLoginAttempt' AND actor_name = 'a'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("attempts logged: %d %v", n, err)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	env := apptest.New(t, nil)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(env.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

func TestReadinessFailsWithoutDatabase(t *testing.T) {
	cfg := apptest.Config(t)
	// Nothing listens on port 1: the pool cannot connect.
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	a, err := app.New(cfg, pool, apptest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s: %d, want %d (%s)", path, rec.Code, want, rec.Body.String())
		}
	}
	// Pages that need the database answer 503, not a crash.
	req, _ := http.NewRequest(http.MethodGet, "/admin/", nil)
	req.AddCookie(&http.Cookie{Name: "tp_admin", Value: "some-session"})
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/admin/ without database: %d", rec.Code)
	}
}

func TestNotFoundPagesAndBodyLimit(t *testing.T) {
	env := apptest.New(t, nil)
	p := env.Browser().Get("/no/such/page")
	if p.Status != 404 || p.Text("h1") != "Page not found" {
		t.Fatalf("HTML 404: %d %q", p.Status, p.Text("h1"))
	}
	if p := env.Browser().Get("/selfservice/no-such-portal"); p.Status != 404 {
		t.Fatalf("unknown alias: %d", p.Status)
	}
	big := strings.NewReader("login=" + strings.Repeat("a", 100<<10) + "&password=x")
	req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/admin/login", big)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "too large") {
		t.Fatalf("oversized form: %d %s", resp.StatusCode, body)
	}
}

func TestAssetsServedWithCacheHeaders(t *testing.T) {
	env := apptest.New(t, nil)
	p := env.Browser().Get("/admin/login")
	href, _ := p.Doc.Find(`link[rel=stylesheet]`).Attr("href")
	resp, err := http.Get(env.Server.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	if resp, _ := http.Get(env.Server.URL + "/assets/"); resp.StatusCode != 404 {
		t.Fatalf("asset listing: %d", resp.StatusCode)
	}
}

// The token upload of the console takes files up to 10 MiB; every other
// console form stays at 64 KiB.
func TestAdminImportBodyLimit(t *testing.T) {
	env := apptest.New(t, nil)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, size int) int {
		req, _ := http.NewRequest(http.MethodPost, env.Server.URL+path, strings.NewReader(strings.Repeat("a", size)))
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Past the body limit, a request without a session is sent to sign in.
	if s := post("/admin/tokens/import", 1<<20); s != http.StatusSeeOther {
		t.Errorf("1 MiB upload: %d, want 303", s)
	}
	if s := post("/admin/tokens/import", 11<<20); s != http.StatusRequestEntityTooLarge {
		t.Errorf("11 MiB upload: %d, want 413", s)
	}
	for _, path := range []string{"/admin/users", "/admin/tokens/import-x/check", "/admin/login"} {
		if s := post(path, 100<<10); s != http.StatusRequestEntityTooLarge {
			t.Errorf("100 KiB to %s: %d, want 413", path, s)
		}
	}
}
