package portal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// restoreAs walks the restore pages: login and lost items, then the proofs
// (when a prove page comes), then the new password/email (when asked).
func restoreAs(t *testing.T, f *fixture, b *apptest.Browser, login string, lost []string, proofs, news map[string]string) *apptest.Page {
	t.Helper()
	form := apptest.Form("login", login)
	for _, l := range lost {
		form.Set(l, "1")
	}
	p := b.Post(f.path("/restore"), form)
	if p.Doc.Find(`input[name="password"], input[name="email_code"], input[name="otp"]`).Length() > 0 {
		v := apptest.Form()
		for k, val := range proofs {
			v.Set(k, val)
		}
		p = b.Post(f.path("/restore"), v)
	}
	if p.Doc.Find(`input[name="new_password"], input[name="new_email"]`).Length() > 0 {
		v := apptest.Form()
		for k, val := range news {
			v.Set(k, val)
		}
		p = b.Post(f.path("/restore"), v)
	}
	return p
}

func openIssues(t *testing.T, f *fixture, userID int64) []workflow.Issue {
	t.Helper()
	list, _, err := f.env.Svc.Store.ListIssues(context.Background(), workflow.IssueFilter{Status: workflow.IssueOpen, ResourceID: f.resource.ID})
	if err != nil {
		t.Fatal(err)
	}
	var mine []workflow.Issue
	for _, is := range list {
		if is.UserID == userID {
			mine = append(mine, is)
		}
	}
	return mine
}

func done(t *testing.T, p *apptest.Page) {
	t.Helper()
	if p.Status != http.StatusOK || !strings.Contains(p.Text(".notice.success"), "Your request has been sent") {
		t.Fatalf("not the end page: %d %s", p.Status, p.Text("main"))
	}
}

func TestRestoreCombinationsAndEvidence(t *testing.T) {
	t.Parallel()
	const newPassword = "granite-pelican-orbit-17"
	cases := []struct {
		name     string
		lost     []string
		token    bool // the user has a token
		proofs   func(f *fixture) map[string]string
		news     map[string]string
		evidence [3]string // token, password, email
	}{
		{"lost token, password and email code right", []string{"lost_token"}, true,
			func(f *fixture) map[string]string {
				return map[string]string{"password": userPassword, "email_code": "CODE"}
			}, nil, [3]string{"lost", "verified", "verified"}},
		{"lost token, wrong password, no email code", []string{"lost_token"}, true,
			func(f *fixture) map[string]string { return map[string]string{"password": "wrong-one-99"} },
			nil, [3]string{"lost", "failed", "failed"}},
		{"forgot password, OTP right", []string{"forgot_password"}, true,
			func(f *fixture) map[string]string { return map[string]string{"otp": f.totp(0), "email_code": "CODE"} },
			map[string]string{"new_password": newPassword}, [3]string{"verified", "lost", "verified"}},
		{"forgot password without any token", []string{"forgot_password"}, false,
			func(f *fixture) map[string]string { return map[string]string{"otp": "123456"} },
			map[string]string{"new_password": newPassword}, [3]string{"absent", "lost", "failed"}},
		{"lost email, password right", []string{"lost_email"}, false,
			func(f *fixture) map[string]string { return map[string]string{"password": userPassword} },
			map[string]string{"new_email": "jane.new@example.org"}, [3]string{"absent", "verified", "lost"}},
		{"everything lost", []string{"lost_token", "forgot_password", "lost_email"}, true,
			func(f *fixture) map[string]string { return nil },
			map[string]string{"new_password": newPassword, "new_email": "jane.new@example.org"}, [3]string{"lost", "lost", "lost"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if tc.token {
				f.giveToken(t, "totp", nil)
			}
			b := f.env.Browser()
			form := apptest.Form("login", f.user.Login)
			for _, l := range tc.lost {
				form.Set(l, "1")
			}
			p := b.Post(f.path("/restore"), form)
			proofs := tc.proofs(f)
			if proofs["email_code"] == "CODE" {
				proofs["email_code"] = queuedCode(t, f, f.user.Email)
			}
			if p.Doc.Find(`input[name="password"], input[name="email_code"], input[name="otp"]`).Length() > 0 {
				v := apptest.Form()
				for k, val := range proofs {
					v.Set(k, val)
				}
				p = b.Post(f.path("/restore"), v)
			}
			if len(tc.news) > 0 {
				v := apptest.Form()
				for k, val := range tc.news {
					v.Set(k, val)
				}
				p = b.Post(f.path("/restore"), v)
			}
			done(t, p)
			issues := openIssues(t, f, f.user.ID)
			if len(issues) != 1 {
				t.Fatalf("%d open issues", len(issues))
			}
			is := issues[0]
			if got := [3]string{is.Token, is.Password, is.Email}; got != tc.evidence {
				t.Fatalf("evidence %v, want %v", got, tc.evidence)
			}
			if is.Password == "lost" && (is.NewPasswordHash == "" || !f.env.Svc.Hasher.Compare(is.NewPasswordHash, newPassword)) {
				t.Fatal("the new password is not stored as its hash")
			}
			if is.Email == "lost" && is.NewEmail != "jane.new@example.org" {
				t.Fatalf("new email %q", is.NewEmail)
			}
			if f.events(t)["IssueCreated"] != 1 {
				t.Fatal("no IssueCreated activity")
			}
		})
	}
}

// An unknown login sees the same pages and end as a real user, and nothing
// is stored or sent.
func TestRestoreUnknownLoginLooksTheSame(t *testing.T) {
	// Serial: it counts every issue, activity and job.
	f := newFixture(t, nil)
	ctx := context.Background()
	count := func(sql string) int {
		var n int
		if err := f.env.App.Pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.env.WorkCodeRequests(t) // earlier tests' requests
	issues, acts := count("SELECT count(*) FROM user_issues"), count("SELECT count(*) FROM activities")
	messages, requests := count("SELECT count(*) FROM river_job WHERE kind = 'message'"), count("SELECT count(*) FROM river_job WHERE kind = 'code_request'")

	walk := func(login string) []string {
		b := f.env.Browser()
		var bodies []string
		p := b.Post(f.path("/restore"), apptest.Form("login", login, "lost_token", "1", "forgot_password", "1"))
		bodies = append(bodies, strings.ReplaceAll(p.Body, login, "LOGIN"))
		// The login as typed is on every page (for password managers).
		p = b.Post(f.path("/restore"), apptest.Form("email_code", "123456"))
		bodies = append(bodies, strings.ReplaceAll(p.Body, login, "LOGIN"))
		p = b.Post(f.path("/restore"), apptest.Form("new_password", "weak"))
		bodies = append(bodies, strings.ReplaceAll(p.Body, login, "LOGIN"))
		p = b.Post(f.path("/restore"), apptest.Form("new_password", "granite-pelican-orbit-17"))
		done(t, p)
		return append(bodies, p.Body)
	}
	unknown := walk("nobody-" + tag("u"))
	if n := count("SELECT count(*) FROM user_issues"); n != issues {
		t.Fatalf("an unknown login stored %d issues", n-issues)
	}
	if n := count("SELECT count(*) FROM activities"); n != acts {
		t.Fatalf("an unknown login wrote %d activities", n-acts)
	}
	// The same work as for a real login (SPEC §4.2, equal time): one code
	// request is queued; the queue decides that nobody gets a code.
	if n := count("SELECT count(*) FROM river_job WHERE kind = 'code_request'") - requests; n != 1 {
		t.Fatalf("an unknown login queued %d code requests, want 1", n)
	}
	f.env.WorkCodeRequests(t)
	if n := count("SELECT count(*) FROM river_job WHERE kind = 'message'"); n != messages {
		t.Fatalf("an unknown login queued %d messages", n-messages)
	}
	known := walk(f.user.Login)
	for i := range unknown {
		if unknown[i] != known[i] {
			t.Fatalf("page %d differs between an unknown and a real login", i+1)
		}
	}
	if len(openIssues(t, f, f.user.ID)) != 1 {
		t.Fatal("the real request was not stored")
	}
}

func TestRestoreNewRequestReplacesOpenOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_token"}, map[string]string{"password": userPassword}, nil))
	first := openIssues(t, f, f.user.ID)
	done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_email"}, map[string]string{"password": userPassword}, map[string]string{"new_email": "x@example.org"}))
	second := openIssues(t, f, f.user.ID)
	if len(first) != 1 || len(second) != 1 || first[0].ID == second[0].ID || second[0].NewEmail != "x@example.org" {
		t.Fatalf("first %v second %v", first, second)
	}
	old, err := f.env.Svc.Store.IssueByID(context.Background(), first[0].ID)
	if err != nil || old.Status != workflow.IssueWithdrawn {
		t.Fatalf("old request %q (%v)", old.Status, err)
	}
}

func TestRestoreValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.env.Browser()
	p := b.Post(f.path("/restore"), apptest.Form("login", f.user.Login))
	if p.Status != 422 || !strings.Contains(p.Text(".field-error"), "Tick what you have lost") {
		t.Fatalf("nothing ticked: %d %q", p.Status, p.Text(".field-error"))
	}
	p = b.Post(f.path("/restore"), apptest.Form("lost_email", "1"))
	if p.Status != 422 || !strings.Contains(p.Text(".field-error"), "Enter your login") {
		t.Fatalf("no login: %d %q", p.Status, p.Text(".field-error"))
	}
	p = restoreAs(t, f, b, f.user.Login, []string{"lost_email", "lost_token", "forgot_password"}, nil, map[string]string{"new_password": "password123", "new_email": "not an address"})
	if p.Status != 422 || !strings.Contains(p.Text("#new_password-error"), "too easy to guess") || p.Text("#new_email-error") == "" {
		t.Fatalf("bad new values: %d %q %q", p.Status, p.Text("#new_password-error"), p.Text("#new_email-error"))
	}
	if len(openIssues(t, f, f.user.ID)) != 0 {
		t.Fatal("an invalid request was stored")
	}
}

func TestRestoreRateLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for range 3 {
		done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_token"}, map[string]string{"password": userPassword}, nil))
	}
	p := restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_token"}, map[string]string{"password": userPassword}, nil)
	if p.Status != http.StatusTooManyRequests {
		t.Fatalf("fourth request in an hour: %d %s", p.Status, p.Text("main"))
	}
	// The same for a login that does not exist.
	ghost := "ghost-" + tag("g")
	for range 3 {
		done(t, restoreAs(t, f, f.env.Browser(), ghost, []string{"lost_token"}, nil, nil))
	}
	if p := restoreAs(t, f, f.env.Browser(), ghost, []string{"lost_token"}, nil, nil); p.Status != http.StatusTooManyRequests {
		t.Fatalf("fourth request for an unknown login: %d", p.Status)
	}
	// Per address: 20 an hour.
	// 3 + 3 requests so far; the limit counts requests that passed the
	// per-login limit.
	for range 14 {
		done(t, restoreAs(t, f, f.env.Browser(), "someone-"+tag("s"), []string{"lost_token"}, nil, nil))
	}
	if p := restoreAs(t, f, f.env.Browser(), "someone-else-"+tag("s"), []string{"lost_token"}, nil, nil); p.Status != http.StatusTooManyRequests {
		t.Fatalf("21st request from one address: %d", p.Status)
	}
	f.env.Clock.Advance(61 * time.Minute)
	done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_token"}, map[string]string{"password": userPassword}, nil))
}

// The whole lost-token story: the user files a request proving their
// password, the helpdesk verifies it, the user signs in with the password
// alone and registers a new token, which then guards the next sign-in.
func TestLostTokenEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, nil)
	old := f.giveToken(t, "totp", nil)
	done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_token"}, map[string]string{"password": userPassword}, nil))
	// Without the token there is no way in yet.
	b := f.env.Browser()
	if p := loginWith(t, f, b, f.user.Login, f.password); p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatal("signed in without OTP before the request was approved")
	}
	issue := openIssues(t, f, f.user.ID)[0]
	if _, err := f.env.Svc.VerifyIssue(ctx, issue.ID, workflow.SystemActor, "", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if got := f.reload(t, old); got.Enabled || got.DisabledReason != workflow.DisabledLost || got.ResourceID == nil {
		t.Fatalf("old token after approval: enabled %v reason %q resource %v", got.Enabled, got.DisabledReason, got.ResourceID)
	}
	b = f.signIn(t, "") // password alone
	p := b.Post(f.act("register-token"), apptest.Form("type", "totp"))
	secret := pageSecret(t, p)
	p = b.Post(f.act("register-token"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)))
	if p.Status != http.StatusOK {
		t.Fatalf("registering the new token: %d %s", p.Status, p.Text("main"))
	}
	b.Post(f.path("/logout"), nil)
	f.env.Clock.Advance(30 * time.Second)
	b = f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("otp", f.totp(0)))) // the lost token's code
	b = f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	if p := b.Post(f.path("/login"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default))); !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("new token: %s %s", p.URL.Path, p.Text("main"))
	}
}
