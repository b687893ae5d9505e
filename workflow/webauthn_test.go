package workflow_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/passkeytest"
)

// Security keys and passkeys (SPEC §14), the ceremonies without a browser:
// passkeytest signs with a real P-256 key, as a security key would.

const keyOrigin = "https://portal.example.org"

// keyWorld is a RADIUS world whose portal allows security keys, with the
// relying party at keyOrigin.
type keyWorld struct {
	*radiusWorld
	portal workflow.Portal
	m      workflow.Meta
}

func newKeyWorld(t *testing.T, mod func(*workflow.PortalInput)) *keyWorld {
	t.Helper()
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.svc.BaseURL = keyOrigin
	p, err := w.svc.Store.PortalByResource(bg, w.resource.ID)
	must(t, err)
	in := p.Input()
	in.TokenTypes, in.MaxTokensPerUser = []string{"totp", "webauthn"}, 3
	in.Actions = []string{"register-token", "reassign-token", "unassign-token"}
	if mod != nil {
		mod(&in)
	}
	p, err = w.svc.SavePortal(bg, w.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	return &keyWorld{radiusWorld: w, portal: p, m: signedInWith(workflow.FactorPassword)}
}

// register enrols key as a security key named name; the ceremony goes
// through JSON, as through the session.
func (w *keyWorld) register(t *testing.T, key *passkeytest.Authenticator, name string) (workflow.Registered, error) {
	t.Helper()
	e, err := w.svc.StartEnrolment(bg, w.portal, w.user, "webauthn")
	if err != nil {
		return workflow.Registered{}, err
	}
	opts, c, err := w.svc.KeyRegistrationOptions(bg, w.portal, w.user, e)
	if err != nil {
		return workflow.Registered{}, err
	}
	answer, err := key.Create(opts)
	must(t, err)
	c = roundTrip(t, c)
	return w.svc.ConfirmKeyEnrolment(bg, w.portal, w.user, e, c, answer, name, w.m)
}

func roundTrip(t *testing.T, c workflow.Ceremony) workflow.Ceremony {
	t.Helper()
	got, ok := workflow.OpenCeremony(c.Seal())
	if !ok {
		t.Fatal("the ceremony does not survive the session")
	}
	return got
}

// signInFlow is a sign-in at its second step.
func (w *keyWorld) signInFlow(t *testing.T) workflow.LoginFlow {
	t.Helper()
	f, err := w.svc.LoginStart(bg, w.portal, w.user.Login, w.m)
	must(t, err)
	f, err = w.svc.LoginFirstFactor(bg, w.portal, f, eventPassword, "", w.m)
	must(t, err)
	if f.Step != workflow.StepOTP {
		t.Fatalf("after the password: step %s, want otp", f.Step)
	}
	return f
}

// signInWithKey signs in with the password and key as second factor.
func (w *keyWorld) signInWithKey(t *testing.T, key *passkeytest.Authenticator) (workflow.LoginFlow, error) {
	t.Helper()
	f := w.signInFlow(t)
	if !f.Keys {
		t.Fatal("the second step does not offer the security key")
	}
	opts, c, err := w.svc.KeySignInOptions(bg, w.portal, f)
	must(t, err)
	answer, err := key.Get(opts)
	must(t, err)
	return w.svc.LoginSecurityKey(bg, w.portal, f, roundTrip(t, c), answer, w.m)
}

func TestWebAuthnRegisterAndSignIn(t *testing.T) {
	w := newKeyWorld(t, nil)
	key := passkeytest.New(keyOrigin)
	copy(key.AAGUID[:], []byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8})

	if _, err := w.register(t, key, "  "); workflow.ErrorFieldMsgs(err)["name"].ID != "webauthn.name" {
		t.Fatalf("no name: %v, want the name asked for", err)
	}
	reg, err := w.register(t, key, "Blue key")
	must(t, err)
	if reg.Pending || !reg.Token.Enabled || reg.Token.Type != workflow.TokenWebAuthn || len(reg.RecoveryCodes) != 8 {
		t.Fatalf("registered %+v: want an enabled key with recovery codes", reg)
	}
	creds, err := w.svc.Store.UserKeyCredentials(bg, w.user.ID)
	must(t, err)
	if len(creds) != 1 || creds[0].Name != "Blue key" || creds[0].SignCount != 0 || string(creds[0].CredentialID) != string(key.ID()) ||
		workflow.AuthenticatorName(creds[0].AAGUID) != "YubiKey 5 Series" || len(creds[0].Transports) != 1 {
		t.Fatalf("stored credential %+v", creds)
	}
	// The same key again: the browser is told to exclude it; if it did
	// not, the store refuses it.
	if _, err := w.register(t, key, "Blue key again"); !errors.Is(err, workflow.ErrKeyRegistered) {
		t.Fatalf("the same key twice: %v", err)
	}

	f, err := w.signInWithKey(t, key)
	must(t, err)
	if f.Step != workflow.StepDone || !f.SecondFactor || f.Factors[len(f.Factors)-1] != workflow.FactorSecurityKey {
		t.Fatalf("flow after the key: %+v", f)
	}
	_, err = w.svc.LoginComplete(bg, w.portal, f, w.m)
	must(t, err)
	if tok := w.reload(t, reg.Token); tok.LastUsedAt == nil {
		t.Fatal("the key's last use is not recorded")
	}

	// A ceremony answers once: the same answer again is refused.
	f = w.signInFlow(t)
	opts, c, err := w.svc.KeySignInOptions(bg, w.portal, f)
	must(t, err)
	answer, err := key.Get(opts)
	must(t, err)
	_, err = w.svc.LoginSecurityKey(bg, w.portal, f, c, answer, w.m)
	must(t, err)
	if _, err := w.svc.LoginSecurityKey(bg, w.portal, w.signInFlow(t), c, answer, w.m); err == nil {
		t.Fatal("a replayed assertion signed in")
	}

	// A ceremony older than five minutes is refused.
	f = w.signInFlow(t)
	opts, c, err = w.svc.KeySignInOptions(bg, w.portal, f)
	must(t, err)
	answer, err = key.Get(opts)
	must(t, err)
	w.clock.Advance(6 * time.Minute)
	if _, err := w.svc.LoginSecurityKey(bg, w.portal, f, c, answer, w.m); err == nil {
		t.Fatal("an expired ceremony signed in")
	}
}

func TestWebAuthnWrongOriginAndKey(t *testing.T) {
	w := newKeyWorld(t, nil)
	key := passkeytest.New(keyOrigin)
	_, err := w.register(t, key, "key")
	must(t, err)

	// A phishing site's origin, and a key the user never registered.
	phished := key.Clone()
	phished.Origin = "https://portal.example.org.evil.test"
	stranger := passkeytest.New(keyOrigin)
	for name, k := range map[string]*passkeytest.Authenticator{"origin": phished, "other key": stranger} {
		if _, err := w.signInWithKey(t, k); workflow.ErrorCode(err) != workflow.CodeUnauthenticated {
			t.Errorf("%s: %v, want the sign-in refused", name, err)
		}
	}
}

func TestWebAuthnClonedKeyRefused(t *testing.T) {
	w := newKeyWorld(t, nil)
	key := passkeytest.New(keyOrigin)
	reg, err := w.register(t, key, "key")
	must(t, err)
	copyOf := key.Clone() // copied before any use: counter 0
	for range 3 {
		_, err := w.signInWithKey(t, key)
		must(t, err)
	}
	if _, err := w.signInWithKey(t, copyOf); err == nil {
		t.Fatal("a key whose counter went back signed in")
	}
	acts, err := w.svc.Store.ListActivities(bg, workflow.ActivityFilter{UserID: w.user.ID, Event: workflow.EventTokenCloneSuspected, Limit: 10})
	must(t, err)
	if len(acts) != 1 || details(t, acts[0])["serial"] != reg.Token.Serial {
		t.Fatalf("clone recorded as %+v", acts)
	}
	// The real key goes on working.
	_, err = w.signInWithKey(t, key)
	must(t, err)
}

// Of two assertions with the same counter, one passes: the counter moves
// in one conditional UPDATE.
func TestWebAuthnSameCounterConcurrently(t *testing.T) {
	w := newKeyWorld(t, nil)
	key := passkeytest.New(keyOrigin)
	_, err := w.register(t, key, "key")
	must(t, err)
	twin := key.Clone()
	type try struct {
		f      workflow.LoginFlow
		c      workflow.Ceremony
		answer []byte
	}
	tries := make([]try, 2)
	for i, k := range []*passkeytest.Authenticator{key, twin} {
		f := w.signInFlow(t)
		opts, c, err := w.svc.KeySignInOptions(bg, w.portal, f)
		must(t, err)
		answer, err := k.Get(opts) // both send counter 1
		must(t, err)
		tries[i] = try{f, c, answer}
	}
	var wg sync.WaitGroup
	ok := make([]bool, 2)
	for i, tr := range tries {
		wg.Go(func() {
			_, err := w.svc.LoginSecurityKey(bg, w.portal, tr.f, tr.c, tr.answer, w.m)
			ok[i] = err == nil
		})
	}
	wg.Wait()
	if ok[0] == ok[1] {
		t.Fatalf("two assertions with one counter: %v, want exactly one accepted", ok)
	}
}

func TestWebAuthnPasskeyLogin(t *testing.T) {
	w := newKeyWorld(t, func(in *workflow.PortalInput) { in.PasskeyLogin = true })
	key := passkeytest.New(keyOrigin)
	_, err := w.register(t, key, "phone")
	must(t, err)

	opts, c, err := w.svc.PasskeyOptions(bg, w.portal)
	must(t, err)
	var o struct {
		PublicKey struct {
			AllowCredentials []any  `json:"allowCredentials"`
			UserVerification string `json:"userVerification"`
		} `json:"publicKey"`
	}
	must(t, json.Unmarshal(opts, &o))
	if len(o.PublicKey.AllowCredentials) != 0 || o.PublicKey.UserVerification != "required" {
		t.Fatalf("passkey options %s: want a discoverable request with user verification", opts)
	}
	answer, err := key.Get(opts)
	must(t, err)
	f, err := w.svc.LoginPasskey(bg, w.portal, roundTrip(t, c), answer, w.m)
	must(t, err)
	if f.UserID != w.user.ID || f.Step != workflow.StepDone || len(f.Factors) != 1 || f.Factors[0] != workflow.FactorPasskey {
		t.Fatalf("passkey flow %+v", f)
	}
	_, err = w.svc.LoginComplete(bg, w.portal, f, w.m)
	must(t, err)

	// Without user verification a passkey is no sign-in on its own.
	key.UV = false
	opts, c, err = w.svc.PasskeyOptions(bg, w.portal)
	must(t, err)
	answer, err = key.Get(opts)
	must(t, err)
	if _, err := w.svc.LoginPasskey(bg, w.portal, c, answer, w.m); !errors.Is(err, workflow.ErrLoginFailed) {
		t.Fatalf("passkey without user verification: %v, want login failed", err)
	}

	// A portal without passkey_login offers none.
	in := w.portal.Input()
	in.PasskeyLogin = false
	p, err := w.svc.SavePortal(bg, w.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	if _, _, err := w.svc.PasskeyOptions(bg, p); err == nil {
		t.Fatal("passkey options without passkey_login")
	}
}

// Validate and RADIUS cannot use a key: a user whose only token is one
// gets the plain reject, and the activity says why.
func TestWebAuthnKeyOnlyUserRejectedByValidateAndRadius(t *testing.T) {
	w := newKeyWorld(t, nil)
	_, err := w.register(t, passkeytest.New(keyOrigin), "key")
	must(t, err)
	if validate(t, w.fixture, w.resource.ID, w.user.Login, "123456") {
		t.Fatal("validate accepted a code for a key-only user")
	}
	// The password is right; no token can give the second factor.
	wantCode(t, w.ask(t, eventPassword, nil), workflow.RadiusReject)
	for _, event := range []string{workflow.EventValidate, workflow.EventRadiusReject} {
		acts, err := w.svc.Store.ListActivities(bg, workflow.ActivityFilter{UserID: w.user.ID, Event: event, Limit: 1})
		must(t, err)
		if len(acts) != 1 || details(t, acts[0])["reason"] != "only security keys" {
			t.Errorf("%s recorded as %+v, want the reason", event, acts)
		}
	}
	// Check OTP explains it cannot check a key.
	tokens, err := w.svc.Store.UserTokens(bg, w.user.ID, w.resource.ID)
	must(t, err)
	if _, err := w.svc.CheckOTP(bg, tokens[0].Serial, "123456", workflow.SystemActor, workflow.Meta{}); !errors.Is(err, workflow.ErrCheckKey) {
		t.Fatalf("Check OTP on a key: %v", err)
	}
}

// A key waits for approval like any token (SPEC §15).
func TestWebAuthnKeyWaitsForApproval(t *testing.T) {
	w := newKeyWorld(t, func(in *workflow.PortalInput) { in.ApproveNewTokens = true })
	key := passkeytest.New(keyOrigin)
	reg, err := w.register(t, key, "key")
	must(t, err)
	if !reg.Pending || reg.Token.Enabled {
		t.Fatalf("registered %+v: want pending", reg)
	}
	// The pending key is no token: no second step, nothing offered.
	f, err := w.svc.LoginStart(bg, w.portal, w.user.Login, w.m)
	must(t, err)
	f, err = w.svc.LoginFirstFactor(bg, w.portal, f, eventPassword, "", w.m)
	must(t, err)
	if f.Keys || f.Step != workflow.StepDone {
		t.Fatalf("sign-in with only a pending key: %+v", f)
	}
	list, _, err := w.svc.Store.ListIssues(bg, workflow.IssueFilter{UserID: w.user.ID, Kind: workflow.IssueEnrolment,
		Status: workflow.IssueOpen, Limit: 10})
	must(t, err)
	if len(list) != 1 || list[0].TokenType != "webauthn" {
		t.Fatalf("enrolment issues %+v", list)
	}
}

// Restore access takes an assertion of the user's key as the token proof;
// the options are the same for every login.
func TestWebAuthnRestoreProof(t *testing.T) {
	w := newKeyWorld(t, nil)
	key := passkeytest.New(keyOrigin)
	_, err := w.register(t, key, "key")
	must(t, err)

	prove := func(login string, k *passkeytest.Authenticator) (workflow.RestoreFlow, []byte) {
		rf, err := w.svc.RestoreStart(bg, w.portal, login, []string{workflow.LostPassword}, w.m)
		must(t, err)
		opts, c, err := w.svc.RestoreKeyOptions(bg, w.portal, rf)
		must(t, err)
		answer, err := k.Get(opts)
		must(t, err)
		rf, err = w.svc.RestoreProve(bg, w.portal, rf, workflow.RestoreProofs{Key: answer, Ceremony: &c}, w.m)
		must(t, err)
		return rf, opts
	}
	rf, opts := prove(w.user.Login, key)
	if rf.Token != workflow.EvidenceVerified {
		t.Fatalf("token proof with the key: %s", rf.Token)
	}
	if tok, _ := w.svc.Store.UserKeyCredentials(bg, w.user.ID); tok[0].SignCount != 0 {
		t.Fatal("the restore proof stored the counter: it must change nothing")
	}
	_, strangerOpts := prove(unique("nobody"), passkeytest.New(keyOrigin))
	if shape(t, opts) != shape(t, strangerOpts) {
		t.Fatalf("restore options differ by login:\n%s\n%s", opts, strangerOpts)
	}
	if rf, _ := prove(w.user.Login, passkeytest.New(keyOrigin)); rf.Token != workflow.EvidenceFailed {
		t.Fatalf("token proof with another key: %s", rf.Token)
	}
}

// shape is the options without their challenge.
func shape(t *testing.T, opts []byte) string {
	t.Helper()
	var o map[string]map[string]any
	must(t, json.Unmarshal(opts, &o))
	delete(o["publicKey"], "challenge")
	b, _ := json.Marshal(o)
	return string(b)
}

func details(t *testing.T, a workflow.ActivityRow) map[string]any {
	t.Helper()
	var d map[string]any
	must(t, json.Unmarshal(a.RawDetails, &d))
	return d
}

// A key stays its owner's: the console moves it between resources, never
// to another user or to stock.
func TestWebAuthnKeyStaysWithItsOwner(t *testing.T) {
	w := newKeyWorld(t, nil)
	reg, err := w.register(t, passkeytest.New(keyOrigin), "key")
	must(t, err)
	other, err := w.svc.CreateUser(bg, workflow.UserInput{Login: unique("other")}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	for name, to := range map[string]*int64{"another user": &other.ID, "stock": nil} {
		if _, err := w.svc.AssignToken(bg, reg.Token.Serial, &w.resource.ID, to, workflow.SystemActor, workflow.Meta{}); workflow.ErrorFieldMsgs(err)["user_id"].ID != "webauthn.owner_only" {
			t.Errorf("key to %s: %v", name, err)
		}
	}
	_, err = w.svc.AssignToken(bg, reg.Token.Serial, nil, &w.user.ID, workflow.SystemActor, workflow.Meta{})
	must(t, err)
}

// An approved lost-token request disables the key like any token; the
// user then signs in without a second factor to register a new one.
func TestWebAuthnLostKeyDisabledByApproval(t *testing.T) {
	w := newKeyWorld(t, nil)
	reg, err := w.register(t, passkeytest.New(keyOrigin), "key")
	must(t, err)
	rf, err := w.svc.RestoreStart(bg, w.portal, w.user.Login, []string{workflow.LostToken}, w.m)
	must(t, err)
	_, err = w.svc.RestoreProve(bg, w.portal, rf, workflow.RestoreProofs{Password: eventPassword}, w.m)
	must(t, err)
	list, _, err := w.svc.Store.ListIssues(bg, workflow.IssueFilter{UserID: w.user.ID, Status: workflow.IssueOpen, Limit: 5})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("open issues %+v", list)
	}
	helpdesk, err := w.svc.CreateAdmin(bg, workflow.NewAdmin{Login: unique("hd"), Role: workflow.RoleHelpdesk, Password: eventPassword},
		workflow.SystemActor, workflow.Meta{})
	must(t, err)
	_, err = w.svc.VerifyIssue(bg, list[0].ID, helpdesk.Actor(), "", workflow.Meta{})
	must(t, err)
	if tok := w.reload(t, reg.Token); tok.Enabled || tok.DisabledReason != workflow.DisabledLost {
		t.Fatalf("the lost key after the approval: %+v", tok)
	}
	f, err := w.svc.LoginStart(bg, w.portal, w.user.Login, w.m)
	must(t, err)
	f, err = w.svc.LoginFirstFactor(bg, w.portal, f, eventPassword, "", w.m)
	must(t, err)
	if f.Step != workflow.StepDone || f.Keys {
		t.Fatalf("sign-in after the approval: %+v", f)
	}
}
