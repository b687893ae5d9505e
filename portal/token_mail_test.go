package portal_test

import (
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow/notify/smtptest"
	"tokenportal/workflow/otp"
)

// Registering and removing a token mail the user, through the real queue and
// a real SMTP conversation (SPEC §9; issue 5).
func TestTokenRegisteredAndRemovedMails(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	b := f.signIn(t, "")
	p := b.Post(f.act("register-token"), apptest.Form("type", "totp"))
	secret := pageSecret(t, p)
	p = b.Post(f.act("register-token"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)))
	if p.Status != 200 {
		t.Fatalf("register: %d %s", p.Status, p.Text("main"))
	}
	serial := f.userTokens(t)[0].Serial
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "A new token was added"), mailWait)
	if !strings.Contains(m.Body, serial) {
		t.Fatalf("registered mail does not name %s:\n%s %s", serial, m.Subject, m.Body)
	}
	// Unassigning is sensitive; the sign-in was just now.
	p = b.Post(f.act("unassign-token"), apptest.Form("serial", serial))
	if p.Status != 200 {
		t.Fatalf("unassign: %d %s", p.Status, p.Text("main"))
	}
	m = mail.WaitFor(t, smtptest.ToWith(f.user.Email, "A token was removed"), mailWait)
	if !strings.Contains(m.Body, serial) {
		t.Fatalf("removed mail does not name %s:\n%s", serial, m.Body)
	}
}
