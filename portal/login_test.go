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

// failedLogin asserts the page every failure ends on.
func failedLogin(t *testing.T, p *apptest.Page) {
	t.Helper()
	if p.Status != http.StatusUnauthorized || p.Text(".notice.error") != "Login failed." ||
		p.Doc.Find(`input[name="login"]`).Length() != 1 {
		t.Fatalf("want the failed sign-in page, got %d %s: %q", p.Status, p.URL.Path, p.Text("main"))
	}
}

func loginWith(t *testing.T, f *fixture, b *apptest.Browser, login, password string) *apptest.Page {
	t.Helper()
	b.Post(f.path("/login"), apptest.Form("login", login))
	return b.Post(f.path("/login"), apptest.Form("password", password))
}

// An unknown login and a wrong password walk the same pages and end on
// byte-identical answers; so do users not assigned and disabled accounts.
func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	other, err := f.env.Svc.CreateUser(ctx, workflow.UserInput{Login: tag("unassigned"), Password: userPassword}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	disabled, err := f.env.Svc.CreateUser(ctx, workflow.UserInput{Login: tag("disabled"), Password: userPassword, Disabled: true}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.Svc.AssignUser(ctx, f.resource.ID, disabled.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ login, password string }{
		{f.user.Login, "wrong-password-123"},
		{"nobody-" + tag("x"), "wrong-password-123"},
		{other.Login, userPassword},
		{disabled.Login, userPassword},
	}
	var bodies []string
	for _, c := range cases {
		b := f.env.Browser()
		step := b.Post(f.path("/login"), apptest.Form("login", c.login))
		if step.Doc.Find(`input[name="password"]`).Length() != 1 {
			t.Fatalf("%s: no password step", c.login)
		}
		p := b.Post(f.path("/login"), apptest.Form("password", c.password))
		failedLogin(t, p)
		bodies = append(bodies, p.Body)
	}
	for i := 1; i < len(bodies); i++ {
		if bodies[i] != bodies[0] {
			t.Fatalf("failure %d answers differently from failure 0", i)
		}
	}
	if got := f.events(t)["UserLoginAttempt"]; got != 1 {
		t.Fatalf("%d UserLoginAttempt for the user", got)
	}
}

func TestLoginWithPasswordOnlyAndLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "") // no token: no OTP step
	home := b.Get(f.path("/home"))
	if !strings.Contains(home.Text("main"), f.user.Email) || home.Doc.Find(".action-list a").Length() == 0 {
		t.Fatalf("home: %s", home.Text("main"))
	}
	p := b.Post(f.path("/logout"), nil)
	if !strings.HasSuffix(p.URL.Path, "/login") {
		t.Fatalf("after logout: %s", p.URL.Path)
	}
	if p := b.Get(f.path("/home")); !strings.HasSuffix(p.URL.Path, "/login") {
		t.Fatalf("home after logout: %s", p.URL.Path)
	}
	ev := f.events(t)
	if ev["UserLogin"] != 1 || ev["UserLogoff"] != 1 {
		t.Fatalf("events %v", ev)
	}
}

func TestLoginWithOTPAndReplay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.giveToken(t, "totp", nil)
	code := f.totp(0)
	f.signIn(t, code)
	// The same code cannot sign in again: it is refused as used, and the
	// person stays on the code step to wait for the next one (issue 15).
	replay := f.env.Browser()
	loginWith(t, f, replay, f.user.Login, f.password)
	wantReplayed(t, replay.Post(f.path("/login"), apptest.Form("otp", code)))
	wantReplayed(t, replay.Post(f.path("/login"), apptest.Form("otp", code)))
	// A wrong code fails; so does a right code after a wrong password.
	b := f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("otp", "000000")))
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, "not-the-password"))
	f.env.Clock.Advance(30 * time.Second)
	// The next code, on the step the replay left open, signs in.
	if p := replay.Post(f.path("/login"), apptest.Form("otp", f.totp(0))); p.Status != http.StatusOK || !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("the next code after a replay: %d %s", p.Status, p.URL.Path)
	}
	if ev := f.events(t); ev["UserLogin"] != 2 {
		t.Fatalf("events %v", ev)
	}
}

// wantReplayed: a right code used already is refused with a field error on
// the code step, which stays open.
func wantReplayed(t *testing.T, p *apptest.Page) {
	t.Helper()
	if p.Status != http.StatusUnprocessableEntity || p.Doc.Find(`input[name="otp"][aria-invalid="true"]`).Length() != 1 ||
		!strings.Contains(p.Text("#otp-error"), "already used") || p.Doc.Find(`input[name="login"]`).Length() != 0 {
		t.Fatalf("want the code step with the replay refused, got %d %s: %q", p.Status, p.URL.Path, p.Text("main"))
	}
}

func TestLoginPINBeforeOTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	hash, _ := f.env.Svc.Hasher.Hash("4711")
	f.giveToken(t, "hotp", func(tk *workflow.Token) { tk.PINHash, tk.PINPosition = hash, "before" })
	b := f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("otp", otp.Code(rfcSecret, 0, otp.Default))))
	f.signIn(t, "4711"+otp.Code(rfcSecret, 0, otp.Default))
}

func TestLockoutAfterTenFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for range 10 {
		failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, "wrong-password-123"))
	}
	// Locked: the right password fails the same way.
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, f.password))
	u, _ := f.env.Svc.Store.UserByID(context.Background(), f.user.ID)
	if u.LockedUntil == nil {
		t.Fatal("user not locked")
	}
	f.env.Clock.Advance(16 * time.Minute)
	f.signIn(t, "")
	u, _ = f.env.Svc.Store.UserByID(context.Background(), f.user.ID)
	if u.FailedLogins != 0 || u.LockedUntil != nil {
		t.Fatalf("after sign-in: %d failures, locked until %v", u.FailedLogins, u.LockedUntil)
	}
}

func TestPerIPThrottle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for i := range 50 {
		failedLogin(t, loginWith(t, f, f.env.Browser(), "nobody-"+tag("ip"), "x"+strings.Repeat("y", i%3+8)))
	}
	// The 51st attempt from the address fails even with the right password.
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, f.password))
	f.env.Clock.Advance(16 * time.Minute)
	f.signIn(t, "")
}

func TestTrustedNetworkSkipsOTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) {
		in.TrustedNetworks = []string{clientNet}
		in.OTPOutsideTrusted = true
	})
	f.giveToken(t, "totp", nil)
	f.signIn(t, "") // the fixture's client address is trusted: no OTP step

	g := newFixture(t, func(in *workflow.PortalInput) {
		in.TrustedNetworks = []string{"10.0.0.0/8"}
		in.OTPOutsideTrusted = true
	})
	g.giveToken(t, "totp", nil)
	g.signIn(t, g.totp(0)) // outside the trusted network: OTP asked
}

func TestDenyWithoutTokenOutsideTrusted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) {
		in.TrustedNetworks = []string{"10.0.0.0/8"}
		in.DenyWithoutTokenOutsideTrusted = true
	})
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, f.password))
	g := newFixture(t, func(in *workflow.PortalInput) {
		in.TrustedNetworks = []string{clientNet}
		in.DenyWithoutTokenOutsideTrusted = true
	})
	g.signIn(t, "")
}

func TestRememberedDevice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) { in.RememberDeviceDays = 30 })
	f.giveToken(t, "totp", nil)
	b := f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	if b.Get(f.path("/login")).Doc.Find(`input[name="remember"]`).Length() != 1 {
		t.Fatal("remember this device is not offered")
	}
	p := b.Post(f.path("/login"), apptest.Form("otp", f.totp(0), "remember", "1"))
	if !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("sign-in: %s", p.Text("main"))
	}
	b.Post(f.path("/logout"), nil)
	// Same browser: password only.
	if p := loginWith(t, f, b, f.user.Login, f.password); !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("remembered device asked again: %s %s", p.URL.Path, p.Text("main"))
	}
	// Only the hash of the cookie is stored.
	var n int
	if err := f.env.App.Pool.QueryRow(context.Background(), "SELECT count(*) FROM remembered_devices WHERE user_id = $1 AND length(token_hash) = 32", f.user.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d devices (%v)", n, err)
	}
	// Another browser still needs the OTP; the cookie expires with the days.
	f.env.Clock.Advance(30 * time.Second)
	f.signIn(t, f.totp(0))
	f.env.Clock.Advance(31 * 24 * time.Hour)
	b.Post(f.path("/logout"), nil)
	if p := loginWith(t, f, b, f.user.Login, f.password); p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatalf("expired remembered device skipped the OTP: %s", p.URL.Path)
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.giveToken(t, "totp", nil)
	codes, err := f.env.Svc.NewRecoveryCodes(context.Background(), f.user, workflow.Meta{})
	if err != nil || len(codes) != 8 {
		t.Fatalf("%v %v", codes, err)
	}
	// Accepted without the hyphen and in upper case.
	code := strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))
	f.signIn(t, code)
	b := f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("otp", codes[3])))
	if f.events(t)["RecoveryCodeUsed"] != 1 {
		t.Fatal("no RecoveryCodeUsed activity")
	}
}

func TestExpiredPasswordMustBeChanged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if _, err := f.env.App.Pool.Exec(context.Background(), "UPDATE users SET password_changed_at = $2 WHERE id = $1",
		f.user.ID, f.env.Clock.Now().Add(-400*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := f.env.Browser()
	p := loginWith(t, f, b, f.user.Login, f.password)
	if p.Doc.Find(`input[name="new_password"]`).Length() != 1 {
		t.Fatalf("no forced change: %s", p.Text("main"))
	}
	p = b.Post(f.path("/login"), apptest.Form("new_password", "password123"))
	if p.Status != 422 || !strings.Contains(p.Text(".field-error"), "too easy to guess") {
		t.Fatalf("weak new password: %d %q", p.Status, p.Text(".field-error"))
	}
	p = b.Post(f.path("/login"), apptest.Form("new_password", f.password))
	if p.Status != 422 || !strings.Contains(p.Text(".field-error"), "different from your current") {
		t.Fatalf("same password: %d %q", p.Status, p.Text(".field-error"))
	}
	p = b.Post(f.path("/login"), apptest.Form("new_password", "quartz-marmot-lantern-88"))
	if !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("after the change: %s %s", p.URL.Path, p.Text("main"))
	}
	f.password = "quartz-marmot-lantern-88"
	b.Post(f.path("/logout"), nil)
	f.signIn(t, "")
}

func TestExpiredAccountAndTemporaryPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	yesterday := f.env.Clock.Now().AddDate(0, 0, -1)
	if _, err := f.env.App.Pool.Exec(ctx, "UPDATE users SET valid_until = $2::date WHERE id = $1", f.user.ID, yesterday); err != nil {
		t.Fatal(err)
	}
	p := loginWith(t, f, f.env.Browser(), f.user.Login, f.password)
	if p.Status != 403 || !strings.Contains(p.Text(".notice.error"), "account has expired") {
		t.Fatalf("expired account: %d %q", p.Status, p.Text(".notice.error"))
	}
	// A wrong password on an expired account says only "Login failed".
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, "wrong-password-123"))
	if _, err := f.env.App.Pool.Exec(ctx, "UPDATE users SET valid_until = NULL, temporary_until = $2 WHERE id = $1", f.user.ID, yesterday); err != nil {
		t.Fatal(err)
	}
	p = loginWith(t, f, f.env.Browser(), f.user.Login, f.password)
	if p.Status != 403 || !strings.Contains(p.Text(".notice.error"), "temporary password has expired") {
		t.Fatalf("expired temporary password: %d %q", p.Status, p.Text(".notice.error"))
	}
}

func TestLoginByEmailCodeWithoutPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.dropPassword(t)
	b := f.env.Browser()
	// The password page, as for everyone, with the offer of a code.
	p := b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	if p.Doc.Find(`input[name="password"]`).Length() != 1 || p.Doc.Find(`button[name="send_code"]`).Length() != 1 {
		t.Fatalf("no password step with the code offer: %s", p.Text("main"))
	}
	p = b.Post(f.path("/login"), apptest.Form("send_code", "1"))
	if p.Doc.Find(`input[name="email_code"]`).Length() != 1 || strings.Contains(p.Text("main"), "@") {
		t.Fatalf("no email code step, or an address shown: %s", p.Text("main"))
	}
	code := queuedCode(t, f, f.user.Email)
	p = b.Post(f.path("/login"), apptest.Form("email_code", code))
	if !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("email code sign-in: %s %s", p.URL.Path, p.Text("main"))
	}
	// The code is single use.
	b = f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	b.Post(f.path("/login"), apptest.Form("send_code", "1"))
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("email_code", code)))
}

func TestLostTokenUserSignsInWithoutOTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	if _, err := f.env.App.Pool.Exec(context.Background(), "UPDATE tokens SET enabled = false, disabled_reason = 'lost' WHERE id = $1", tok.ID); err != nil {
		t.Fatal(err)
	}
	f.signIn(t, "")
}

func TestSuccessfulLoginWithdrawsOpenIssues(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	var id int64
	if err := f.env.App.Pool.QueryRow(ctx, `INSERT INTO user_issues (user_id, resource_id, lost, evidence_token, evidence_password, evidence_email)
		VALUES ($1, $2, '{token}', 'lost', 'verified', 'absent') RETURNING id`, f.user.ID, f.resource.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	f.signIn(t, "")
	var status string
	if err := f.env.App.Pool.QueryRow(ctx, "SELECT status FROM user_issues WHERE id = $1", id).Scan(&status); err != nil || status != "withdrawn" {
		t.Fatalf("issue status %q (%v)", status, err)
	}
	if f.events(t)["IssueWithdrawn"] != 1 {
		t.Fatal("no IssueWithdrawn activity")
	}
}

// SPEC §8: if the UserLogin record cannot be written, the login is refused.
func TestLoginRefusedWhenItCannotBeRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	pool := f.env.App.Pool
	if _, err := pool.Exec(ctx, `CREATE OR REPLACE FUNCTION refuse_user_login() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.event = 'UserLogin' AND NEW.user_id = `+itoa(f.user.ID)+` THEN RAISE EXCEPTION 'activity log unavailable'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_user_login BEFORE INSERT ON activities FOR EACH ROW EXECUTE FUNCTION refuse_user_login();`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP TRIGGER refuse_user_login ON activities; DROP FUNCTION refuse_user_login()")
	})
	b := f.env.Browser()
	p := loginWith(t, f, b, f.user.Login, f.password)
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Text(".notice.error"), "could not record the login") {
		t.Fatalf("%d %q", p.Status, p.Text(".notice.error"))
	}
	if p := b.Get(f.path("/home")); !strings.HasSuffix(p.URL.Path, "/login") {
		t.Fatal("a session was created although the login was not recorded")
	}
}

func TestSessionIsBoundToItsPortalAndRenewed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.env.Browser()
	before := b.Get(f.path("/login")) // no session cookie yet
	_ = before
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	var pending string
	for _, c := range b.Client.Jar.Cookies(mustURL(f.env.Server.URL + "/selfservice/")) {
		if c.Name == "tp_portal" {
			pending = c.Value
		}
	}
	b.Post(f.path("/login"), apptest.Form("password", f.password))
	var after string
	for _, c := range b.Client.Jar.Cookies(mustURL(f.env.Server.URL + "/selfservice/")) {
		if c.Name == "tp_portal" {
			after = c.Value
		}
	}
	if pending == "" || after == "" || pending == after {
		t.Fatalf("session token not renewed at sign-in (%q → %q)", pending, after)
	}
	// A second portal on the same resource's user does not accept the session.
	ctx := context.Background()
	r2, err := f.env.Svc.CreateResource(ctx, workflow.ResourceInput{Name: tag("Other ")}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	in := workflow.DefaultPortalInput(tag("q"))
	in.Enabled = true
	p2, err := f.env.Svc.SavePortal(ctx, r2.ID, in, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.Svc.AssignUser(ctx, r2.ID, f.user.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if p := b.Get("/selfservice/" + p2.Alias + "/home"); !strings.HasSuffix(p.URL.Path, "/login") {
		t.Fatalf("session of portal %s opened portal %s", f.portal.Alias, p2.Alias)
	}
}

func TestUnknownOrDisabledAliasIs404(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if p := f.env.Browser().Get("/selfservice/no-such-portal/login"); p.Status != 404 {
		t.Fatalf("unknown alias: %d", p.Status)
	}
	in := f.portal.Input()
	in.Enabled = false
	if _, err := f.env.Svc.SavePortal(context.Background(), f.resource.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if p := f.env.Browser().Get(f.path("/login")); p.Status != 404 {
		t.Fatalf("disabled portal: %d", p.Status)
	}
}
