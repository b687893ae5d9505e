package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// Attacks on the self-service workflows (issue "abuse-proofing"): each test
// does what a stranger (or a thief of a password) would do against the real
// router and PostgreSQL, and asserts that nothing of the victim changed.

// count runs a counting query.
func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.env.App.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// validate calls POST /api/v1/validate with a validate key of the resource.
func (f *fixture) validate(t *testing.T, key, pass string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"resource_id": f.resource.ID, "login": f.user.Login, "pass": pass})
	req, _ := http.NewRequest(http.MethodPost, f.env.Server.URL+"/api/v1/validate", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Result *bool `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK || r.Result == nil {
		t.Fatalf("validate: %d %v", resp.StatusCode, err)
	}
	return *r.Result
}

// validateKey creates an API key that may validate on the fixture's resource.
func (f *fixture) validateKey(t *testing.T) string {
	t.Helper()
	key, _, err := f.env.Svc.CreateAPIKey(context.Background(), workflow.NewAPIKey{Name: tag("vpn"), Role: workflow.RoleValidate, ResourceID: &f.resource.ID},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// Restore access must not be a way to lock somebody's token: wrong OTP
// proofs leave the token as it was (no failcount, no used step), each is
// recorded, and once the per-login limit is reached no proof is checked.
func TestAbuseRestoreCannotLockToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	key := f.validateKey(t)
	wrong := f.totp(-10 * time.Minute)
	for i := range 12 {
		b := f.env.Browser()
		p := restoreAs(t, f, b, f.user.Login, []string{"forgot_password"}, map[string]string{"otp": wrong, "email_code": "000000"},
			map[string]string{"new_password": "granite-pelican-orbit-17"})
		if i < workflow.DefaultLimits.RestorePerLogin {
			done(t, p)
		} else if p.Status != http.StatusTooManyRequests {
			t.Fatalf("request %d past the per-login limit: %d %s", i+1, p.Status, p.Text("main"))
		}
	}
	got := f.reload(t, tok)
	if got.Failcount != 0 || got.LastStep != tok.LastStep || !got.Enabled {
		t.Fatalf("the victim's token changed: failcount %d, last step %d→%d, enabled %v", got.Failcount, tok.LastStep, got.LastStep, got.Enabled)
	}
	// Each failed proof of the three counted requests is recorded; the
	// refused requests checked nothing.
	if n := f.count(t, "SELECT count(*) FROM activities WHERE user_id = $1 AND event = 'RestoreProofFailed' AND details->>'proof' = 'token'", f.user.ID); n != workflow.DefaultLimits.RestorePerLogin {
		t.Fatalf("%d failed token proofs recorded, want %d", n, workflow.DefaultLimits.RestorePerLogin)
	}
	// The owner still gets through the VPN and the portal.
	if !f.validate(t, key, f.totp(0)) {
		t.Fatal("validate refused the owner's code after the attack")
	}
	f.env.Clock.Advance(30 * time.Second)
	f.signIn(t, f.totp(0))
}

// A right OTP given as a restore proof is not used up either: the proof
// leaves no trace on the token.
func TestAbuseRestoreProofUsesNoCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	code := f.totp(0)
	done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_email"}, map[string]string{"otp": code, "password": userPassword},
		map[string]string{"new_email": "new@example.org"}))
	issues := openIssues(t, f, f.user.ID)
	if len(issues) != 1 || issues[0].Token != workflow.EvidenceVerified || issues[0].Password != workflow.EvidenceVerified {
		t.Fatalf("issues %+v", issues)
	}
	if got := f.reload(t, tok); got.LastStep != tok.LastStep || got.Failcount != 0 {
		t.Fatalf("the proof changed the token: %+v", got)
	}
	if !f.validate(t, f.validateKey(t), code) {
		t.Fatal("the code of the proof no longer works")
	}
}

// Ten wrong passwords lock the account for 15 minutes; tries during the
// lock neither count nor extend it, and when it ends the owner gets in.
func TestAbuseLockoutEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for range workflow.DefaultLimits.LockAfter {
		failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, "wrong-password-123"))
	}
	u := f.reloadUser(t)
	if u.LockedUntil == nil {
		t.Fatal("not locked after ten failures")
	}
	lockedUntil := *u.LockedUntil
	// One try every five minutes, as an attacker keeping the owner out.
	for range 2 {
		f.env.Clock.Advance(5 * time.Minute)
		failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, "wrong-password-123"))
	}
	if u := f.reloadUser(t); u.LockedUntil == nil || !u.LockedUntil.Equal(lockedUntil) || u.FailedLogins != workflow.DefaultLimits.LockAfter {
		t.Fatalf("tries while locked changed the lock: %v / %d", u.LockedUntil, u.FailedLogins)
	}
	// The right password while locked fails too.
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, f.password))
	f.env.Clock.Set(lockedUntil.Add(time.Second))
	// A wrong try after the lock starts the count again: one, not eleven.
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, "wrong-password-123"))
	if u := f.reloadUser(t); u.FailedLogins != 1 || u.LockedUntil != nil {
		t.Fatalf("after the lock: %d failures, locked until %v", u.FailedLogins, u.LockedUntil)
	}
	f.signIn(t, "")
}

// IPv6 clients are throttled per /64: changing the last 64 bits does not
// buy an attacker new tries.
func TestAbuseIPv6ThrottledPer64(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.TrustedProxies = append(cfg.TrustedProxies, mustPrefix("127.0.0.1/32"))
	f := newFixtureWith(t, &cfg, nil)
	from := func(ip string) *apptest.Browser {
		b := f.env.Browser()
		b.ForwardedFor = ip
		return b
	}
	// Failures on logins nobody has, each from another address of one /64.
	for i := range workflow.DefaultLimits.IPFailures {
		failedLogin(t, loginWith(t, f, from("2001:db8:77:1::"+itoa(int64(i+1))), tag("nobody"), "wrong-password-123"))
	}
	// A further address of the same /64 is refused even with the right password.
	failedLogin(t, loginWith(t, f, from("2001:db8:77:1:ffff::9"), f.user.Login, f.password))
	// Another /64 is somebody else.
	b := from("2001:db8:77:2::1")
	loginWith(t, f, b, f.user.Login, f.password)
	if p := b.Get(f.path("/home")); !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("a neighbouring /64 was throttled: %s", p.URL.Path)
	}
}

// Validate with an empty pass sends at most one code per 30 s and ten an
// hour; a new code never cancels the one being typed; "no code" never
// counts towards the token's lock.
func TestAbuseValidateCodeFlood(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "email", nil)
	key := f.validateKey(t)
	messages := func() int {
		return f.count(t, "SELECT count(*) FROM river_job WHERE kind = 'message' AND args->>'to' = $1", f.user.Email)
	}
	// Before any code: a guess is "no code", which is no failure.
	for range 12 {
		if f.validate(t, key, "123456") {
			t.Fatal("a code was accepted before any was sent")
		}
	}
	if got := f.reload(t, tok); got.Failcount != 0 {
		t.Fatalf("\"no code\" counted as a failure: failcount %d", got.Failcount)
	}
	for range 30 {
		f.validate(t, key, "")
	}
	if n := messages(); n != 1 {
		t.Fatalf("30 requests within a second sent %d codes, want 1", n)
	}
	first := queuedCode(t, f, f.user.Email)
	f.env.Clock.Advance(workflow.CodeResendAfter)
	f.validate(t, key, "")
	if n := messages(); n != 2 {
		t.Fatalf("after 30 s: %d codes, want 2", n)
	}
	// The first code still works: the second did not cancel it.
	if !f.validate(t, key, first) {
		t.Fatal("the first code was cancelled by the second")
	}
	// Ten an hour at most.
	for range 20 {
		f.env.Clock.Advance(workflow.CodeResendAfter)
		f.validate(t, key, "")
	}
	if n := messages(); n != workflow.CodesPerHour {
		t.Fatalf("%d codes within the hour, want %d", n, workflow.CodesPerHour)
	}
	if got := f.reload(t, tok); got.Failcount != 0 {
		t.Fatalf("asking for codes counted as failures: failcount %d", got.Failcount)
	}
}

// The login step looks the same for every login (SPEC §4.2): an unknown
// login, a user with a password and a user without one see the same
// password page and, after "email me a code", the same code page, with no
// address on either; and each queues the same one code request.
func TestAbuseLoginStepAlike(t *testing.T) {
	// Serial: it counts every queued code request.
	f := newFixture(t, nil)
	ctx := context.Background()
	login := tag("nopw")
	noPassword, err := f.env.Svc.CreateUser(ctx, workflow.UserInput{Login: login, FirstName: "No", LastName: "Password", Email: login + "@example.com"},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.Svc.AssignUser(ctx, f.resource.ID, noPassword.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	f.env.WorkCodeRequests(t)
	requests := func() int { return f.count(t, "SELECT count(*) FROM river_job WHERE kind = 'code_request'") }
	walk := func(login string) []string {
		b := f.env.Browser()
		before := requests()
		p1 := b.Post(f.path("/login"), apptest.Form("login", login))
		p2 := b.Post(f.path("/login"), apptest.Form("send_code", "1"))
		if n := requests() - before; n != 1 {
			t.Fatalf("%s: %d code requests queued, want 1", login, n)
		}
		if n := f.count(t, "SELECT count(*) FROM one_time_codes c JOIN users u ON u.id = c.user_id WHERE u.login = $1", login); n != 0 {
			t.Fatalf("%s: a code was made in the request itself", login)
		}
		var pages []string
		for _, p := range []*apptest.Page{p1, p2} {
			if strings.Contains(p.Text("main"), "@") {
				t.Fatalf("%s: an address is shown: %s", login, p.Text("main"))
			}
			pages = append(pages, strings.ReplaceAll(p.Text("main"), login, "LOGIN"))
		}
		return pages
	}
	unknown := walk(tag("nobody"))
	withPassword := walk(f.user.Login)
	without := walk(noPassword.Login)
	for i := range unknown {
		if unknown[i] != withPassword[i] || unknown[i] != without[i] {
			t.Fatalf("page %d differs:\nunknown  %q\npassword %q\nnone     %q", i+1, unknown[i], withPassword[i], without[i])
		}
	}
	// Only the user without a password gets a code, and it signs them in.
	f.env.WorkCodeRequests(t)
	if n := f.count(t, "SELECT count(*) FROM river_job WHERE kind = 'message' AND args->>'to' = $1", f.user.Email); n != 0 {
		t.Fatal("a user with a password was sent a sign-in code")
	}
	b := f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", noPassword.Login))
	b.Post(f.path("/login"), apptest.Form("send_code", "1"))
	code := queuedCode(t, f, noPassword.Email)
	if p := b.Post(f.path("/login"), apptest.Form("email_code", code)); !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("sign-in by code: %s %s", p.URL.Path, p.Text("main"))
	}
}

// A session that signed in without a second factor (here: a trusted network
// with otp_outside_trusted) cannot add, replace or remove a token or a PIN
// until it proves one; a user with no token can register their first.
func TestAbuseStepUpBeforeTokenChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) {
		in.TrustedNetworks, in.OTPOutsideTrusted = []string{clientNet}, true
	})
	tok := f.giveToken(t, "totp", nil)
	b := f.signIn(t, "") // the password alone, from the trusted network
	for _, id := range []string{"register-token", "register-existing-token", "reassign-token", "unassign-token"} {
		p := b.Get(f.act(id))
		if !strings.HasSuffix(p.URL.Path, "/step-up") || p.Doc.Find(`input[name="otp"]`).Length() != 1 {
			t.Fatalf("%s without a second factor: %d %s", id, p.Status, p.URL.Path)
		}
	}
	// Posting straight to the action changes nothing.
	b.Post(f.act("unassign-token"), apptest.Form("serial", tok.Serial))
	b.Post(f.act("register-token"), apptest.Form("type", "totp"))
	if got := f.reload(t, tok); got.ResourceID == nil || !got.Enabled {
		t.Fatalf("the token was changed without a second factor: %+v", got)
	}
	if n := len(f.userTokens(t)); n != 1 {
		t.Fatalf("%d tokens after the attempts", n)
	}
	// Removing a PIN still needs PIN and code in the form itself.
	// A wrong code at the step-up is refused and counted.
	p := b.Post(f.path("/step-up"), apptest.Form("otp", "000000", "next", "/actions/unassign-token"))
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Text("#otp-error"), "not right") {
		t.Fatalf("wrong step-up code: %d %s", p.Status, p.Text("main"))
	}
	p = b.Post(f.path("/step-up"), apptest.Form("otp", f.totp(0), "next", "/actions/unassign-token"))
	wantPage(t, p, http.StatusOK, "/actions/unassign-token")
	wantHome(t, b.Post(f.act("unassign-token"), apptest.Form("serial", tok.Serial)), "no longer works")
	if ev := f.events(t); ev[workflow.EventSecondFactorStepUp] != 1 || ev[workflow.EventTokenUnassigned] != 1 {
		t.Fatalf("events %v", ev)
	}

	// Now without a usable token: the first token needs no step-up.
	c := f.signIn(t, "")
	if p := c.Get(f.act("register-token")); !strings.HasSuffix(p.URL.Path, "/actions/register-token") {
		t.Fatalf("first token asked for a step-up: %s", p.URL.Path)
	}
}

// A password that expired is replaced only when the sign-in completes: a
// thief of the old password who cannot pass the OTP changes nothing.
func TestAbuseExpiredPasswordKeptUntilSecondFactor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.giveToken(t, "totp", nil)
	old := f.env.Clock.Now().Add(-workflow.PasswordMaxAge - time.Hour)
	if _, err := f.env.App.Pool.Exec(context.Background(), "UPDATE users SET password_changed_at = $2 WHERE id = $1", f.user.ID, old); err != nil {
		t.Fatal(err)
	}
	const chosen = "saffron-lantern-glacier-88"
	b := f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	p := b.Post(f.path("/login"), apptest.Form("new_password", chosen))
	if p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatalf("no OTP step after the new password: %s", p.Text("main"))
	}
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("otp", "000000")))
	if u := f.reloadUser(t); u.PasswordChangedAt == nil || !u.PasswordChangedAt.Equal(old) || f.events(t)[workflow.EventUserPasswordChange] != 0 {
		t.Fatalf("the password changed before the second factor: %v %v", u.PasswordChangedAt, f.events(t))
	}
	// The owner, with the token, completes the change.
	b = f.env.Browser()
	loginWith(t, f, b, f.user.Login, f.password)
	b.Post(f.path("/login"), apptest.Form("new_password", chosen))
	wantPage(t, b.Post(f.path("/login"), apptest.Form("otp", f.totp(0))), http.StatusOK, "/home")
	if ev := f.events(t); ev[workflow.EventUserPasswordChange] != 1 {
		t.Fatalf("events %v", ev)
	}
	f.password = chosen
	f.env.Clock.Advance(30 * time.Second)
	f.signIn(t, f.totp(0))
}

// A token disabled by an admin does not waive the second factor (only a
// lost-token approval does): the password alone fails, a recovery code
// still gets the owner in.
func TestAbuseAdminDisabledTokenKeepsSecondFactor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	tok := f.giveToken(t, "totp", nil)
	codes, err := f.env.Svc.NewRecoveryCodes(ctx, f.user, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Svc.SetTokenEnabled(ctx, tok.Serial, false, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	b := f.env.Browser()
	p := loginWith(t, f, b, f.user.Login, f.password)
	if p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatalf("an admin-disabled token waived the second factor: %s %s", p.URL.Path, p.Text("main"))
	}
	failedLogin(t, b.Post(f.path("/login"), apptest.Form("otp", f.totp(0))))
	f.signIn(t, codes[0])
}

// PINs are HMACs under a key of SECRET_KEY; a PIN stored as bcrypt by an
// earlier version still works once and is rehashed; validate answers the
// same for a wrong PIN, a missing user and a user without a PIN.
func TestAbusePINHashing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	key := f.validateKey(t)
	legacy, err := f.env.Svc.Hasher.Hash("4321")
	if err != nil {
		t.Fatal(err)
	}
	tok := f.giveToken(t, "hotp", func(tk *workflow.Token) { tk.PINHash, tk.PINPosition = legacy, "before" })
	if f.validate(t, key, "9999"+hotpCode(0)) {
		t.Fatal("a wrong PIN was accepted")
	}
	if got := f.reload(t, tok); got.PINHash != legacy {
		t.Fatal("a wrong PIN rehashed the PIN")
	}
	if !f.validate(t, key, "4321"+hotpCode(0)) {
		t.Fatal("the bcrypt PIN no longer works")
	}
	got := f.reload(t, tok)
	if !strings.HasPrefix(got.PINHash, "hmac-sha256$") || strings.Contains(got.PINHash, "4321") {
		t.Fatalf("the PIN was not rehashed: %q", got.PINHash)
	}
	if !f.validate(t, key, "4321"+hotpCode(1)) {
		t.Fatal("the rehashed PIN does not work")
	}
	if f.validate(t, key, "1234"+hotpCode(2)) {
		t.Fatal("a wrong PIN was accepted after the rehash")
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// hotpCode is rfcSecret's HOTP code at counter.
func hotpCode(counter uint64) string { return otp.Code(rfcSecret, counter, otp.Default) }
