package admin_test

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// enrol signs in with the password and completes TOTP enrolment from the
// secret the page shows; it returns the secret.
func enrol(t *testing.T, env *apptest.Env, b *apptest.Browser, login string) []byte {
	t.Helper()
	p := b.Post("/admin/login", apptest.Form("login", login, "password", adminPassword))
	if p.URL.Path != "/admin/login/enrol" || p.Status != 200 {
		t.Fatalf("after password: %d %s", p.Status, p.URL.Path)
	}
	if src, _ := p.Doc.Find("img.qr").Attr("src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("no QR PNG: %q", src)
	}
	secretText := p.Text("#totp-secret")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secretText)
	if err != nil || len(secret) != 20 {
		t.Fatalf("secret %q: %v", secretText, err)
	}
	href, _ := p.Doc.Find(`a[href^="otpauth://totp/"]`).Attr("href")
	if !strings.Contains(href, "secret="+secretText) {
		t.Fatalf("otpauth link %q does not carry the secret", href)
	}
	// A wrong code is refused and the same secret is offered again.
	p = b.Post("/admin/login/enrol", apptest.Form("code", wrongCode(secret, env.Clock.Now())))
	if p.Status != 422 || p.Text("#totp-secret") != secretText || p.Text(".field-error") == "" {
		t.Fatalf("wrong enrolment code: %d %q", p.Status, p.Text(".field-error"))
	}
	p = b.Post("/admin/login/enrol", apptest.Form("code", otp.TOTPCode(secret, env.Clock.Now(), otp.Default)))
	if p.Status != 200 || p.URL.Path != "/admin/" {
		t.Fatalf("after enrolment: %d %s", p.Status, p.URL.Path)
	}
	return secret
}

func wrongCode(secret []byte, now time.Time) string {
	right := otp.TOTPCode(secret, now, otp.Default)
	for _, c := range []string{"000000", "111111"} {
		if c != right && c != otp.TOTPCode(secret, now.Add(-30*time.Second), otp.Default) && c != otp.TOTPCode(secret, now.Add(30*time.Second), otp.Default) {
			return c
		}
	}
	return "222222"
}

func TestAdminSignInEnrolAndSignOut(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	newAdmin(t, env, "alice", workflow.RoleSuperadmin)
	b := env.Browser()

	// Before signing in, the console sends people to the sign-in page.
	if p := b.Get("/admin/"); p.URL.Path != "/admin/login" {
		t.Fatalf("unauthenticated dashboard went to %s", p.URL.Path)
	}
	// Without TOTP, the enrolment page cannot be skipped.
	secret := enrol(t, env, b, "alice")
	p := b.Get("/admin/")
	if p.Status != 200 || p.Text("h1") != "Dashboard" || !strings.Contains(p.Text(".admin-top"), "alice") {
		t.Fatalf("dashboard: %d %q", p.Status, p.Text("h1"))
	}
	for _, label := range []string{"User Issues", "Users", "Resources", "Tokens", "Activities", "Settings", "Admin accounts", "API keys"} {
		if !strings.Contains(p.Text("nav.admin-nav"), label) {
			t.Errorf("navigation lacks %s", label)
		}
	}

	// Sign out: the session is gone.
	p = b.Post("/admin/logout", nil)
	if p.URL.Path != "/admin/login" {
		t.Fatalf("after sign-out: %s", p.URL.Path)
	}
	if p := b.Get("/admin/"); p.URL.Path != "/admin/login" {
		t.Fatalf("dashboard after sign-out: %s", p.URL.Path)
	}

	// Next sign-in asks for a code, not for enrolment.
	env.Clock.Advance(time.Minute)
	p = b.Post("/admin/login", apptest.Form("login", "ALICE", "password", adminPassword))
	if p.URL.Path != "/admin/login/totp" {
		t.Fatalf("second sign-in went to %s", p.URL.Path)
	}
	p = b.Post("/admin/login/totp", apptest.Form("code", wrongCode(secret, env.Clock.Now())))
	if p.Status != 401 || p.Text(".notice.error") != "Login failed." {
		t.Fatalf("wrong code: %d %q", p.Status, p.Text(".notice.error"))
	}
	code := otp.TOTPCode(secret, env.Clock.Now(), otp.Default)
	if p = b.Post("/admin/login/totp", apptest.Form("code", code)); p.URL.Path != "/admin/" {
		t.Fatalf("right code: %d %s", p.Status, p.URL.Path)
	}

	// The same code cannot sign in a second browser (replay).
	b2 := env.Browser()
	b2.Post("/admin/login", apptest.Form("login", "alice", "password", adminPassword))
	if p = b2.Post("/admin/login/totp", apptest.Form("code", code)); p.Status != 401 {
		t.Fatalf("replayed code: %d %s", p.Status, p.URL.Path)
	}

	events := activityEvents(t, env)
	for _, e := range []string{"AdminCreated", "AdminTOTPEnrolled", "AdminLogin", "AdminLogoff", "AdminLoginAttempt"} {
		if events[e] == 0 {
			t.Errorf("no %s activity (have %v)", e, events)
		}
	}
}

func activityEvents(t *testing.T, env *apptest.Env) map[string]int {
	t.Helper()
	rows, err := env.App.Pool.Query(context.Background(), "SELECT event, count(*) FROM activities GROUP BY event")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			t.Fatal(err)
		}
		m[e] = n
	}
	return m
}

// Unknown logins and wrong passwords get byte-identical answers.
func TestAdminSignInFailuresLookAlike(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	newAdmin(t, env, "bob", workflow.RoleHelpdesk)
	wrong := env.Browser().Post("/admin/login", apptest.Form("login", "bob", "password", "not-the-password"))
	unknown := env.Browser().Post("/admin/login", apptest.Form("login", "nobody", "password", "not-the-password"))
	if wrong.Status != 401 || unknown.Status != 401 {
		t.Fatalf("statuses %d %d", wrong.Status, unknown.Status)
	}
	strip := func(s, login string) string { return strings.Replace(s, `value="`+login+`"`, `value=""`, 1) }
	if strip(wrong.Body, "bob") != strip(unknown.Body, "nobody") {
		t.Fatal("wrong password and unknown login answer differently")
	}
	if wrong.Text(".notice.error") != "Login failed." {
		t.Fatalf("message %q", wrong.Text(".notice.error"))
	}
}

func TestAdminLockoutAfterTenFailures(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	newAdmin(t, env, "carol", workflow.RoleHelpdesk)
	b := env.Browser()
	for range 10 {
		b.Post("/admin/login", apptest.Form("login", "carol", "password", "wrong-password-1"))
	}
	// The right password is refused while locked, with the same message.
	p := b.Post("/admin/login", apptest.Form("login", "carol", "password", adminPassword))
	if p.Status != 401 || p.Text(".notice.error") != "Login failed." {
		t.Fatalf("locked account: %d %s", p.Status, p.URL.Path)
	}
	env.Clock.Advance(16 * time.Minute)
	if p = b.Post("/admin/login", apptest.Form("login", "carol", "password", adminPassword)); p.URL.Path != "/admin/login/enrol" {
		t.Fatalf("after the lock expired: %d %s", p.Status, p.URL.Path)
	}
}

func TestAdminSecondStepNeedsFirst(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := env.Browser()
	for _, path := range []string{"/admin/login/totp", "/admin/login/enrol"} {
		if p := b.Get(path); p.URL.Path != "/admin/login" {
			t.Errorf("GET %s without password step went to %s", path, p.URL.Path)
		}
		if p := b.Post(path, apptest.Form("code", "123456")); p.URL.Path != "/admin/login" {
			t.Errorf("POST %s without password step went to %s", path, p.URL.Path)
		}
	}
	// The second step must follow the first within five minutes.
	newAdmin(t, env, "dave", workflow.RoleOwner)
	if p := b.Post("/admin/login", apptest.Form("login", "dave", "password", adminPassword)); p.URL.Path != "/admin/login/enrol" {
		t.Fatalf("password step went to %s", p.URL.Path)
	}
	env.Clock.Advance(6 * time.Minute)
	if p := b.Get("/admin/login/enrol"); p.URL.Path != "/admin/login" {
		t.Fatalf("stale second step went to %s", p.URL.Path)
	}
}
