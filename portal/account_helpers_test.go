package portal_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

// Helpers of the account action tests (SPEC §5.8–14).

// mailWait bounds how long a test waits for the queue to deliver a mail.
const mailWait = 20 * time.Second

// newMailFixture is the fixture on an app that delivers its mail, through
// the real queue worker, to a test SMTP server.
func newMailFixture(t *testing.T, mod func(*workflow.PortalInput)) (*fixture, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	cfg := apptest.Config(t)
	cfg.SMTPURL = srv.URL()
	f := newFixtureWith(t, &cfg, mod)
	f.env.StartQueue(t)
	return f, srv
}

// accountPath is the path of an action of the fixture's portal.
func (f *fixture) accountPath(id string) string { return f.path("/actions/" + id) }

// reloadUser reads the fixture's user again.
func (f *fixture) reloadUser(t *testing.T) workflow.User {
	t.Helper()
	u, err := f.env.Svc.Store.UserByID(context.Background(), f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// longLogin renames the user to a login long enough to be a password, so
// the "not the login" rule (not the length rule) is what refuses it.
func (f *fixture) longLogin(t *testing.T) {
	t.Helper()
	login := tag("jane.doe.")
	if err := f.env.Svc.Store.SetUserLogin(context.Background(), f.user.ID, login); err != nil {
		t.Fatal(err)
	}
	f.user.Login = login
}

// dropPassword leaves the user without a password: they sign in by code.
func (f *fixture) dropPassword(t *testing.T) {
	t.Helper()
	if err := f.env.Svc.Store.SetUserPassword(context.Background(), f.user.ID, "", f.env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.user.PasswordHash, f.password = "", ""
}

// signInByCode signs in a user without a password with the emailed code.
func (f *fixture) signInByCode(t *testing.T) *apptest.Browser {
	t.Helper()
	b := f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	p := b.Post(f.path("/login"), apptest.Form("send_code", "1"))
	if p.Doc.Find(`input[name="email_code"]`).Length() != 1 {
		t.Fatalf("no email code step: %s", p.Text("main"))
	}
	p = b.Post(f.path("/login"), apptest.Form("email_code", queuedCode(t, f, f.user.Email)))
	if !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("sign-in by code ended at %s: %s", p.URL.Path, p.Text("main"))
	}
	return b
}

// fieldError is the message next to input name.
func fieldError(p *apptest.Page, name string) string { return p.Text("#" + name + "-error") }

// wantFieldError asserts a 422 page with want in the error of field.
func wantFieldError(t *testing.T, p *apptest.Page, field, want string) {
	t.Helper()
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(p, field), want) {
		t.Fatalf("want 422 with %q at %s, got %d %q (page: %s)", want, field, p.Status, fieldError(p, field), p.Text("main"))
	}
}

// wantDone asserts a successful POST: redirected to path with the flash.
func wantDone(t *testing.T, p *apptest.Page, path, flash string) {
	t.Helper()
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL.Path, path) || !strings.Contains(p.Text(".notice.success"), flash) {
		t.Fatalf("want %s with %q, got %d %s: %q / %s", path, flash, p.Status, p.URL.Path, p.Text(".notice.success"), p.Text("main"))
	}
}

// inputValue is the value attribute of input name.
func inputValue(p *apptest.Page, name string) string {
	v, _ := p.Doc.Find(`input[name="` + name + `"]`).Attr("value")
	return v
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// codeIn finds the one-time code in a mail body.
func codeIn(t *testing.T, m smtptest.Message) string {
	t.Helper()
	code := sixDigits.FindString(m.Body)
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", m.Body)
	}
	return code
}

// queuedTemplates counts the queued messages of a template to an address.
func queuedTemplates(t *testing.T, f *fixture, template, to string) int {
	t.Helper()
	var n int
	if err := f.env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = 'message' AND args->>'template' = $1 AND args->>'to' = $2`, template, to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rememberedSignIn signs in with password and OTP, ticking "remember this
// device".
func rememberedSignIn(t *testing.T, f *fixture, b *apptest.Browser) {
	t.Helper()
	p := loginWith(t, f, b, f.user.Login, f.password)
	if p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatalf("no OTP step: %s", p.Text("main"))
	}
	p = b.Post(f.path("/login"), apptest.Form("otp", f.totp(0), "remember", "1"))
	if !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("sign-in: %s", p.Text("main"))
	}
	f.env.Clock.Advance(30 * time.Second) // the next OTP is a new step
}
