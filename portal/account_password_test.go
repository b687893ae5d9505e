package portal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow/notify/smtptest"
)

const newPassword = "quartz-marmot-lantern-88"

// policyCases are the rules of SPEC §8 as a person meets them; the values
// of password fields are never sent back.
func policyCases(f *fixture) []struct{ name, password, want string } {
	return []struct{ name, password, want string }{
		{"too short", "k7#pQ2x", "at least 9 characters"},
		{"the login", strings.ToUpper(f.user.Login), "must not be your login"},
		{"too easy, with a hint", "password123", "too easy to guess"},
		{"too easy names the weakness", "password123", "commonly used password"},
		{"control character", "violet\x01tractor-99", "printable characters only"},
	}
}

func TestCreatePassword(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	f.longLogin(t)
	f.dropPassword(t)
	b := f.signInByCode(t)

	page := b.Get(f.accountPath("create-password"))
	if page.Status != http.StatusOK || page.Doc.Find(`input[name="new_password"]`).Length() != 1 {
		t.Fatalf("create-password page: %d %s", page.Status, page.Text("main"))
	}
	for _, c := range policyCases(f) {
		t.Run(c.name, func(t *testing.T) {
			p := b.Post(f.accountPath("create-password"), apptest.Form("new_password", c.password))
			wantFieldError(t, p, "new_password", c.want)
			if inputValue(p, "new_password") != "" {
				t.Fatal("the refused password was sent back")
			}
		})
	}
	if f.reloadUser(t).PasswordHash != "" {
		t.Fatal("a refused password was stored")
	}

	wantDone(t, b.Post(f.accountPath("create-password"), apptest.Form("new_password", newPassword)), "/home", "password was created")
	u := f.reloadUser(t)
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(newPassword)) != nil || u.PasswordChangedAt == nil {
		t.Fatalf("password not stored as bcrypt: %q", u.PasswordHash)
	}
	if ev := f.events(t); ev["UserPasswordChange"] != 1 {
		t.Fatalf("events %v", ev)
	}
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Your password was changed"), mailWait)
	if !strings.Contains(m.Body, f.user.Login) || !strings.Contains(m.Body, f.resource.Name) {
		t.Fatalf("password_changed mail:\n%s", m.Body)
	}
	// With a password the action is gone, and the password signs in.
	if p := b.Get(f.accountPath("create-password")); p.Status != http.StatusNotFound {
		t.Fatalf("create-password with a password: %d", p.Status)
	}
	f.password = newPassword
	f.signIn(t, "")
}

func TestChangePassword(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	f.longLogin(t)
	b := f.signIn(t, "")
	if p := b.Get(f.accountPath("change-password")); p.Doc.Find(`input[name="password"]`).Length() != 1 ||
		p.Doc.Find(`input[name="new_password"]`).Length() != 1 {
		t.Fatalf("change-password page: %d %s", p.Status, p.Text("main"))
	}

	// A wrong current password is a field error and counts like a failed sign-in.
	p := b.Post(f.accountPath("change-password"), apptest.Form("password", "not-my-password-1", "new_password", newPassword))
	wantFieldError(t, p, "password", "not your current password")
	if inputValue(p, "password") != "" || inputValue(p, "new_password") != "" {
		t.Fatal("password values were sent back")
	}
	if u := f.reloadUser(t); u.FailedLogins != 1 {
		t.Fatalf("failed logins %d", u.FailedLogins)
	}
	ev := f.events(t)
	if ev["UserLoginAttempt"] != 1 || ev["UserPasswordChangeRequest"] != 1 || ev["UserPasswordChange"] != 0 {
		t.Fatalf("events after a wrong current password: %v", ev)
	}

	cases := append(policyCases(f), struct{ name, password, want string }{"the current password", f.password, "different from your current"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := b.Post(f.accountPath("change-password"), apptest.Form("password", f.password, "new_password", c.password))
			wantFieldError(t, p, "new_password", c.want)
		})
	}
	p = b.Post(f.accountPath("change-password"), apptest.Form("new_password", newPassword))
	wantFieldError(t, p, "password", "Enter your current password")

	before := f.events(t)["UserPasswordChangeRequest"]
	wantDone(t, b.Post(f.accountPath("change-password"), apptest.Form("password", f.password, "new_password", newPassword)),
		"/home", "password was changed")
	ev = f.events(t)
	if ev["UserPasswordChangeRequest"] != before+1 || ev["UserPasswordChange"] != 1 {
		t.Fatalf("events: %v", ev)
	}
	var order []string
	rows, err := f.env.App.Pool.Query(context.Background(), `SELECT event FROM activities WHERE user_id = $1
		AND event LIKE 'UserPasswordChange%' ORDER BY id DESC LIMIT 2`, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		_ = rows.Scan(&e)
		order = append(order, e)
	}
	if strings.Join(order, ",") != "UserPasswordChange,UserPasswordChangeRequest" {
		t.Fatalf("newest activities %v", order)
	}
	mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Your password was changed"), mailWait)

	b.Post(f.path("/logout"), nil)
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, f.password))
	f.password = newPassword
	f.signIn(t, "")
}

// Ten wrong current passwords lock the account like ten failed sign-ins;
// then even the right one is refused.
func TestChangePasswordWrongCurrentLocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	for range 10 {
		p := b.Post(f.accountPath("change-password"), apptest.Form("password", "wrong-password-123", "new_password", newPassword))
		wantFieldError(t, p, "password", "not your current password")
	}
	if f.reloadUser(t).LockedUntil == nil {
		t.Fatal("not locked")
	}
	p := b.Post(f.accountPath("change-password"), apptest.Form("password", f.password, "new_password", newPassword))
	wantFieldError(t, p, "password", "Too many failed attempts")
	if f.events(t)["UserPasswordChange"] != 0 {
		t.Fatal("changed while locked")
	}
}

// A sensitive action more than 10 minutes after sign-in asks for the
// password again, then goes on to the action.
func TestSensitiveActionAsksToReauthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	f.env.Clock.Advance(11 * time.Minute)
	p := b.Get(f.accountPath("change-password"))
	if !strings.HasSuffix(p.URL.Path, "/reauth") || p.Doc.Find(`input[name="password"]`).Length() != 1 {
		t.Fatalf("no re-authentication: %s %s", p.URL.Path, p.Text("main"))
	}
	p = b.Post(f.path("/reauth"), apptest.Form("password", f.password, "next", "/actions/change-password"))
	if !strings.HasSuffix(p.URL.Path, "/actions/change-password") || p.Doc.Find(`input[name="new_password"]`).Length() != 1 {
		t.Fatalf("after re-authentication: %s %s", p.URL.Path, p.Text("main"))
	}
	// Not sensitive: no question asked.
	f.env.Clock.Advance(11 * time.Minute)
	if p := b.Get(f.accountPath("change-name")); !strings.HasSuffix(p.URL.Path, "/actions/change-name") {
		t.Fatalf("change-name asked to re-authenticate: %s", p.URL.Path)
	}
}

// A user with neither password nor token re-authenticates with a code sent
// to their email address.
func TestReauthenticateByEmailCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.dropPassword(t)
	b := f.signInByCode(t)
	f.env.Clock.Advance(11 * time.Minute)
	p := b.Get(f.accountPath("change-login"))
	if !strings.HasSuffix(p.URL.Path, "/reauth") || p.Doc.Find(`input[name="email_code"]`).Length() != 1 {
		t.Fatalf("no email code asked: %s %s", p.URL.Path, p.Text("main"))
	}
	code := queuedCode(t, f, f.user.Email)
	p = b.Post(f.path("/reauth"), apptest.Form("email_code", "000000", "next", "/actions/change-login"))
	if p.Status != http.StatusUnauthorized || p.Doc.Find(`input[name="email_code"]`).Length() != 1 {
		t.Fatalf("wrong code: %d %s", p.Status, p.Text("main"))
	}
	p = b.Post(f.path("/reauth"), apptest.Form("email_code", code, "next", "/actions/change-login"))
	if !strings.HasSuffix(p.URL.Path, "/actions/change-login") || p.Doc.Find(`input[name="new_login"]`).Length() != 1 {
		t.Fatalf("after the code: %s %s", p.URL.Path, p.Text("main"))
	}
}

// The password forced at sign-in when the old one expired is mailed about too.
func TestExpiredPasswordChangeSendsMail(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	if _, err := f.env.App.Pool.Exec(context.Background(), "UPDATE users SET password_changed_at = $2 WHERE id = $1",
		f.user.ID, f.env.Clock.Now().Add(-400*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	if p := b.Post(f.path("/login"), apptest.Form("new_password", newPassword)); !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("forced change: %s %s", p.URL.Path, p.Text("main"))
	}
	mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Your password was changed"), mailWait)
}
