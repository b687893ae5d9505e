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
	req, err := http.NewRequest(http.MethodPost, env.Server.URL+path+"/check", strings.NewReader(apptest.Form("otp", "755224").Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", env.Server.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := *b.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, path) {
		t.Fatalf("check: %d to %q, want 303 to %s", resp.StatusCode, loc, path)
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
