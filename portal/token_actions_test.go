package portal_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// Unassigning takes the token off the resource; it stays the user's, and
// without a token there the user signs in without OTP.
func TestUnassignToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	b := f.signIn(t, f.totp(0))

	p := b.Get(f.act("unassign-token"))
	wantPage(t, p, http.StatusOK, "/actions/unassign-token")
	if checked(p, "serial") != tok.Serial {
		t.Fatal("the only token is not preselected")
	}
	if p := b.Post(f.act("unassign-token"), apptest.Form("serial", "NOT-MINE")); p.Status != http.StatusUnprocessableEntity || p.Text("#serial-error") == "" {
		t.Fatalf("a serial not offered: %d", p.Status)
	}
	p = b.Post(f.act("unassign-token"), apptest.Form("serial", tok.Serial))
	wantHome(t, p, "no longer works")
	got := f.reload(t, tok)
	if got.ResourceID != nil || got.UserID == nil || *got.UserID != f.user.ID || !got.Enabled {
		t.Fatalf("token %+v", got)
	}
	if p.Doc.Find("td.mono").Length() != 0 || f.hasAction(p, "unassign-token") {
		t.Fatal("the start page still shows the token")
	}
	if ev := f.events(t); ev[workflow.EventTokenUnassigned] != 1 {
		t.Fatalf("events %v", ev)
	}
	f.signIn(t, "")
}

// Two codes far ahead realign an HOTP token; the next code then works.
func TestSyncToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "hotp", nil)
	b := f.signIn(t, otp.Code(rfcSecret, 0, otp.Default))
	code := func(c uint64) string { return otp.Code(rfcSecret, c, otp.Default) }

	p := b.Get(f.act("sync-token"))
	if checked(p, "serial") != tok.Serial || p.Doc.Find(`input[name="otp1"]`).Length() != 1 || p.Doc.Find(`input[name="otp2"]`).Length() != 1 {
		t.Fatalf("sync page: %s", p.Text("main"))
	}
	p = b.Post(f.act("sync-token"), apptest.Form("serial", tok.Serial, "otp1", code(501), "otp2", code(500)))
	if p.Status != http.StatusUnprocessableEntity || p.Text("#otp2-error") == "" || checked(p, "serial") != tok.Serial {
		t.Fatalf("codes in the wrong order: %d", p.Status)
	}
	p = b.Post(f.act("sync-token"), apptest.Form("serial", tok.Serial, "otp1", code(500), "otp2", code(501)))
	wantHome(t, p, "synchronised")
	if got := f.reload(t, tok); got.Counter != 502 || got.Failcount != 0 {
		t.Fatalf("counter %d failcount %d", got.Counter, got.Failcount)
	}
	if ev := f.events(t); ev[workflow.EventTokenSynced] != 1 {
		t.Fatalf("events %v", ev)
	}
	f.signIn(t, code(502))
}

// A PIN set with a current code goes before or after the code from then
// on, at sign-in and to remove it again.
func TestSetAndRemovePIN(t *testing.T) {
	t.Parallel()
	for _, position := range []string{"before", "after"} {
		t.Run(position, func(t *testing.T) {
			f := newFixture(t, func(in *workflow.PortalInput) { in.PINLength = 6 })
			tok := f.giveToken(t, "totp", nil)
			b := f.signIn(t, f.totp(0))
			with := func(pin, code string) string {
				if position == "before" {
					return pin + code
				}
				return code + pin
			}

			p := b.Get(f.act("set-pin"))
			if checked(p, "serial") != tok.Serial || p.Doc.Find(`input[name="pin"]`).Length() != 1 ||
				p.Doc.Find(`fieldset input[type="radio"][name="pin_position"]`).Length() != 2 {
				t.Fatalf("set-pin page: %s", p.Text("main"))
			}
			f.env.Clock.Advance(30 * time.Second)
			for _, bad := range []string{"1234", "12345a", "1234567"} {
				p = b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "pin", bad, "pin_confirm", bad, "pin_position", position, "otp", f.totp(0)))
				if p.Status != http.StatusUnprocessableEntity || p.Text("#pin-error") == "" || checked(p, "pin_position") != position {
					t.Fatalf("PIN %q: %d %s", bad, p.Status, p.Text("main"))
				}
			}
			p = b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "pin", "135790", "pin_confirm", "135790", "pin_position", position, "otp", "000000"))
			if p.Status != http.StatusUnprocessableEntity || p.Text("#otp-error") == "" || f.reload(t, tok).HasPIN() {
				t.Fatalf("wrong code: %d", p.Status)
			}
			p = b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "pin", "135790", "pin_confirm", "135790", "pin_position", position, "otp", f.totp(0)))
			wantHome(t, p, "has a PIN")
			got := f.reload(t, tok)
			if !got.HasPIN() || got.PINPosition != position || strings.Contains(got.PINHash, "135790") {
				t.Fatalf("token %+v", got)
			}

			// The code alone no longer signs in; PIN and code do.
			f.env.Clock.Advance(30 * time.Second)
			c := f.env.Browser()
			c.Post(f.path("/login"), apptest.Form("login", f.user.Login))
			c.Post(f.path("/login"), apptest.Form("password", f.password))
			failedLogin(t, c.Post(f.path("/login"), apptest.Form("otp", f.totp(0))))
			b = f.signIn(t, with("135790", f.totp(0)))

			// Removing it takes PIN and code.
			f.env.Clock.Advance(30 * time.Second)
			p = b.Post(f.act("remove-pin"), apptest.Form("serial", tok.Serial, "otp", f.totp(0)))
			if p.Status != http.StatusUnprocessableEntity || !f.reload(t, tok).HasPIN() {
				t.Fatalf("remove-pin without the PIN: %d", p.Status)
			}
			p = b.Post(f.act("remove-pin"), apptest.Form("serial", tok.Serial, "otp", with("135790", f.totp(0))))
			wantHome(t, p, "no PIN")
			if f.reload(t, tok).HasPIN() {
				t.Fatal("PIN still set")
			}
			if ev := f.events(t); ev[workflow.EventTokenPinSet] != 1 || ev[workflow.EventTokenPinRemoved] != 1 {
				t.Fatalf("events %v", ev)
			}
			f.env.Clock.Advance(30 * time.Second)
			f.signIn(t, f.totp(0))
		})
	}
}

// Email tokens get their code sent for set-pin and remove-pin.
func TestPINOfEmailToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "email", nil)
	b := f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	b.Post(f.path("/login"), apptest.Form("password", f.password))
	wantPage(t, b.Post(f.path("/login"), apptest.Form("otp", queuedCode(t, f, f.user.Email))), http.StatusOK, "/home")

	// Within 30 s of the sign-in's code no new one is sent (the code
	// limiter); then it is.
	p := b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "send", "1"))
	if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Text("main"), "less than 30 seconds ago") {
		t.Fatalf("send at once: %d %s", p.Status, p.Text("main"))
	}
	f.env.Clock.Advance(workflow.CodeResendAfter)
	p = b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "send", "1"))
	if p.Status != http.StatusOK || !strings.Contains(p.Text("main"), "We sent a code") || checked(p, "serial") != tok.Serial {
		t.Fatalf("send: %d %s", p.Status, p.Text("main"))
	}
	p = b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "pin", "2468", "pin_confirm", "2468", "pin_position", "before", "otp", queuedCode(t, f, f.user.Email)))
	wantHome(t, p, "has a PIN")

	f.env.Clock.Advance(workflow.CodeResendAfter)
	b.Post(f.act("remove-pin"), apptest.Form("serial", tok.Serial, "send", "1"))
	p = b.Post(f.act("remove-pin"), apptest.Form("serial", tok.Serial, "otp", "2468"+queuedCode(t, f, f.user.Email)))
	wantHome(t, p, "no PIN")
	if ev := f.events(t); ev[workflow.EventTokenPinSet] != 1 || ev[workflow.EventTokenPinRemoved] != 1 {
		t.Fatalf("events %v", ev)
	}
}

// Sensitive actions ask for the password again 10 minutes after sign-in,
// for GET and POST alike, and go on after it.
func TestSensitiveActionAsksForReauthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	b := f.signIn(t, f.totp(0))
	f.env.Clock.Advance(11 * time.Minute)

	for _, id := range []string{"unassign-token", "reassign-token"} {
		p := b.Get(f.act(id))
		wantPage(t, p, http.StatusOK, "/reauth")
		if p.Doc.Find(`input[name="password"]`).Length() != 1 {
			t.Fatalf("%s: reauth page without password field", id)
		}
	}
	p := b.Post(f.act("unassign-token"), apptest.Form("serial", tok.Serial))
	wantPage(t, p, http.StatusOK, "/reauth")
	if f.reload(t, tok).ResourceID == nil {
		t.Fatal("unassigned without re-authentication")
	}
	// Not sensitive: no question.
	wantPage(t, b.Get(f.act("sync-token")), http.StatusOK, "/actions/sync-token")

	next, _ := p.Doc.Find(`main input[name="next"]`).Attr("value")
	p = b.Post(f.path("/reauth"), apptest.Form("password", f.password, "next", next))
	wantPage(t, p, http.StatusOK, "/actions/unassign-token")
	p = b.Post(f.act("unassign-token"), apptest.Form("serial", tok.Serial))
	wantHome(t, p, "no longer works")
}

// An action the portal switched off is neither on the start page nor
// reachable.
func TestSwitchedOffActionIsGone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.giveToken(t, "hotp", nil)
	in := f.portal.Input()
	in.Actions = slices.DeleteFunc(slices.Clone(workflow.Actions), func(id string) bool { return id == "sync-token" || id == "unassign-token" })
	if _, err := f.env.Svc.SavePortal(context.Background(), f.resource.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	b := f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	b.Post(f.path("/login"), apptest.Form("password", f.password))
	home := b.Post(f.path("/login"), apptest.Form("otp", otp.Code(rfcSecret, 0, otp.Default)))
	wantPage(t, home, http.StatusOK, "/home")
	if !f.hasAction(home, "set-pin") {
		t.Fatal("set-pin, still on, is not offered")
	}
	for _, id := range []string{"sync-token", "unassign-token"} {
		if f.hasAction(home, id) {
			t.Fatalf("%s is offered although switched off", id)
		}
		if p := b.Get(f.act(id)); p.Status != http.StatusNotFound {
			t.Fatalf("GET %s: %d", id, p.Status)
		}
		if p := b.Post(f.act(id), apptest.Form("serial", "x", "otp1", "1", "otp2", "2")); p.Status != http.StatusNotFound {
			t.Fatalf("POST %s: %d", id, p.Status)
		}
	}
}
