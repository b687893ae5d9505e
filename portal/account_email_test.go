package portal_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

func TestChangeEmail(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	b := f.signIn(t, "")
	old := f.user.Email
	newEmail := tag("new") + "@example.org"

	for _, c := range []struct{ name, email, want string }{
		{"empty", "", "Enter your new email address"},
		{"malformed", "jane at example", "valid email address"},
		{"the current one", strings.ToUpper(old), "already your email address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := b.Post(f.accountPath("change-email"), apptest.Form("new_email", c.email))
			wantFieldError(t, p, "new_email", c.want)
			if inputValue(p, "new_email") != c.email {
				t.Fatalf("input not kept: %q", inputValue(p, "new_email"))
			}
		})
	}

	// The code goes to the new address, and the page asks for it.
	p := b.Post(f.accountPath("change-email"), apptest.Form("new_email", "  "+newEmail+" "))
	if !strings.HasSuffix(p.URL.Path, "/actions/change-email") || p.Doc.Find(`input[name="email_code"]`).Length() != 1 ||
		!strings.Contains(p.Text("main"), newEmail) {
		t.Fatalf("code step: %d %s %s", p.Status, p.URL.Path, p.Text("main"))
	}
	m := mail.WaitFor(t, smtptest.ToWith(newEmail, "verification code"), mailWait)
	if !strings.Contains(m.Body, "to confirm your new email address") {
		t.Fatalf("code mail:\n%s", m.Body)
	}
	code := codeIn(t, m)
	if got := f.reloadUser(t).Email; got != old {
		t.Fatalf("email changed before confirmation: %s", got)
	}
	// Reloading the page still asks for the code.
	if p := b.Get(f.accountPath("change-email")); p.Doc.Find(`input[name="email_code"]`).Length() != 1 {
		t.Fatalf("code step lost: %s", p.Text("main"))
	}

	// Four wrong codes say how many attempts are left; the fifth ends it,
	// and then not even the right code works.
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := 1; i <= 4; i++ {
		p := b.Post(f.accountPath("change-email"), apptest.Form("email_code", wrong))
		wantFieldError(t, p, "email_code", itoa(int64(5-i))+" attempt")
		if p.Doc.Find(`input[name="email_code"]`).Length() != 1 {
			t.Fatal("the code step is gone")
		}
	}
	p = b.Post(f.accountPath("change-email"), apptest.Form("email_code", wrong))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text(".notice.error"), "Too many wrong codes") ||
		p.Doc.Find(`input[name="new_email"]`).Length() != 1 {
		t.Fatalf("fifth wrong code: %d %q %s", p.Status, p.Text(".notice.error"), p.Text("main"))
	}
	p = b.Post(f.accountPath("change-email"), apptest.Form("email_code", code))
	if p.Status != http.StatusUnprocessableEntity || f.reloadUser(t).Email != old {
		t.Fatalf("the right code after five wrong ones: %d %s", p.Status, p.Text("main"))
	}
	if ev := f.events(t); ev["UserEmailChangeRequest"] != 1 || ev["UserEmailChange"] != 0 {
		t.Fatalf("events %v", ev)
	}

	// Again, with the right code: the address changes and the old one is told.
	f.env.Clock.Advance(workflow.CodeResendAfter) // the code limiter
	b.Post(f.accountPath("change-email"), apptest.Form("new_email", newEmail))
	m = mail.WaitFor(t, func(m smtptest.Message) bool {
		return smtptest.To(newEmail)(m) && sixDigits.FindString(m.Body) != code
	}, mailWait)
	wantDone(t, b.Post(f.accountPath("change-email"), apptest.Form("email_code", codeIn(t, m))), "/home", "Your email address is now "+newEmail)
	if got := f.reloadUser(t).Email; got != newEmail {
		t.Fatalf("email %s", got)
	}
	if ev := f.events(t); ev["UserEmailChangeRequest"] != 2 || ev["UserEmailChange"] != 1 {
		t.Fatalf("events %v", ev)
	}
	told := mail.WaitFor(t, smtptest.ToWith(old, "Your email address was changed"), mailWait)
	if !strings.Contains(told.Body, newEmail) {
		t.Fatalf("email_changed mail:\n%s", told.Body)
	}
	if n := len(mail.Messages()); n < 3 {
		t.Fatalf("%d mails", n)
	}
	for _, m := range mail.Messages() {
		if smtptest.To(newEmail)(m) && strings.Contains(m.Subject, "changed") {
			t.Fatal("the change notice went to the new address")
		}
	}
}

func TestChangeEmailCodeExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	newEmail := tag("late") + "@example.org"
	b.Post(f.accountPath("change-email"), apptest.Form("new_email", newEmail))
	code := queuedCode(t, f, newEmail)

	f.env.Clock.Advance(11 * time.Minute)
	// Sensitive: confirm the password first; the code has expired meanwhile.
	if p := b.Get(f.accountPath("change-email")); !strings.HasSuffix(p.URL.Path, "/reauth") {
		t.Fatalf("no re-authentication: %s", p.URL.Path)
	}
	p := b.Post(f.path("/reauth"), apptest.Form("password", f.password, "next", "/actions/change-email"))
	if p.Doc.Find(`input[name="new_email"]`).Length() != 1 {
		t.Fatalf("an expired change still asks for its code: %s", p.Text("main"))
	}
	p = b.Post(f.accountPath("change-email"), apptest.Form("email_code", code))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text(".notice.error"), "expired") ||
		p.Doc.Find(`input[name="new_email"]`).Length() != 1 {
		t.Fatalf("expired code: %d %q", p.Status, p.Text(".notice.error"))
	}
	if f.reloadUser(t).Email != f.user.Email {
		t.Fatal("email changed with an expired code")
	}
}
