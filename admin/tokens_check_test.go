package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

// Check OTP is Post/Redirect/Get: the POST answers 303, the token's page
// shows the result once, and reloading it checks nothing again.
func TestCheckOTPRedirects(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleHelpdesk)
	importHOTP(t, env, "UIPRG01")
	path := views.TokenHref("UIPRG01")
	checks := func() int {
		t.Helper()
		var n int
		if err := env.App.Pool.QueryRow(context.Background(),
			`SELECT count(*) FROM activities WHERE event = $1 AND details->>'serial' = 'UIPRG01'`, workflow.EventTokenChecked).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The POST itself, without following the redirect.
	if status := accessConsole(t, env, b, http.MethodPost, path+"/check", apptest.Form("otp", "755224").Encode()); status != http.StatusSeeOther {
		t.Fatalf("check: %d, want 303", status)
	}
	if n := checks(); n != 1 {
		t.Fatalf("%d checks recorded, want 1", n)
	}

	// Following the redirect shows the result.
	p := b.Get(path)
	if p.Status != 200 || p.Text("#check-result") != "Valid" {
		t.Fatalf("after the redirect: %d %q", p.Status, p.Text("#check-result"))
	}
	// Reloading neither checks again nor shows the result again.
	p = b.Get(path)
	if p.Status != 200 || p.Doc.Find("#check-result").Length() != 0 {
		t.Fatalf("reload shows %q", p.Text("#check-result"))
	}
	if n := checks(); n != 1 {
		t.Fatalf("%d checks recorded after the reload, want 1", n)
	}

	// The wrong code after a redirect: the result, once.
	if p = b.Post(path+"/check", apptest.Form("otp", "000000")); !strings.HasPrefix(p.Text("#check-result"), "Not valid: wrong code") {
		t.Fatalf("wrong code: %q", p.Text("#check-result"))
	}
	if p = b.Get(path); p.Doc.Find("#check-result").Length() != 0 || checks() != 2 {
		t.Fatalf("reload after the wrong code: %q, %d checks", p.Text("#check-result"), checks())
	}
}
