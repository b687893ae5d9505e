package portal_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/passkeytest"
)

// The ceremony handlers of security keys (SPEC §14) over HTTP, with the
// answers of a software authenticator: the options each page carries, the
// forms the page's script posts, the ceremony kept in the session.

// keyOrigin is the origin of apptest's BASE_URL.
const keyOrigin = "http://tokenportal.test"

// registerKey registers key through register-token and returns the page
// after it.
func registerKey(t *testing.T, f *fixture, b *apptest.Browser, key *passkeytest.Authenticator, name string) *apptest.Page {
	t.Helper()
	p := b.Post(f.act("register-token"), apptest.Form("type", "webauthn"))
	wantPage(t, p, http.StatusOK, "/actions/register-token")
	block := p.Doc.Find(`form .webauthn[data-webauthn="create"]`)
	if block.Length() != 1 || p.Doc.Find(`input[name="name"]`).Length() != 1 || p.Doc.Find(`input[type="hidden"][name="credential"]`).Length() != 1 {
		t.Fatalf("the key's page has no ceremony, name or credential field: %s", p.Text("main"))
	}
	for _, attr := range []string{"data-msg-unsupported", "data-msg-cancelled", "data-msg-exists"} {
		if block.AttrOr(attr, "") == "" {
			t.Errorf("the page gives the script no %s", attr)
		}
	}
	answer, err := key.Create([]byte(block.AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	return b.Post(f.act("register-token"), apptest.Form("credential", string(answer), "name", name))
}

// keySignIn signs in with the password and key; it returns the last page.
func keySignIn(t *testing.T, f *fixture, key *passkeytest.Authenticator) (*apptest.Browser, *apptest.Page) {
	t.Helper()
	b := f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	p := b.Post(f.path("/login"), apptest.Form("password", f.password))
	block := p.Doc.Find(`.key-sign-in .webauthn[data-webauthn="get"]`)
	if p.Doc.Find(`input[name="otp"]`).Length() != 1 || block.Length() != 1 {
		t.Fatalf("the second step offers no security key beside otp: %s", p.Text("main"))
	}
	answer, err := key.Get([]byte(block.AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	return b, b.Post(f.path("/login"), apptest.Form("credential", string(answer)))
}

func TestWebAuthnHandlersRegisterAndSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	key := passkeytest.New(keyOrigin)

	p := registerKey(t, f, b, key, "")
	if fieldError(p, "name") == "" {
		t.Fatalf("a key without a name: %d %s", p.Status, p.Text("main"))
	}
	p = registerKey(t, f, b, key, "Blue key")
	if p.Status != http.StatusOK || p.Doc.Find(".recovery-codes").Length() != 1 {
		t.Fatalf("after registering the first token: %d %s", p.Status, p.Text("main"))
	}
	tokens, err := f.env.Svc.Store.UserTokens(t.Context(), f.user.ID, f.resource.ID)
	if err != nil || len(tokens) != 1 || tokens[0].Type != workflow.TokenWebAuthn {
		t.Fatalf("tokens %+v %v", tokens, err)
	}
	home := b.Get(f.path("/home"))
	if !strings.Contains(home.Text("table.tokens"), "Blue key") {
		t.Fatalf("home does not name the key: %s", home.Text("table.tokens"))
	}
	// The same key again: refused with the words for it.
	p = registerKey(t, f, b, key, "again")
	if p.Status != http.StatusConflict || !strings.Contains(p.Text("main"), "registered already") {
		t.Fatalf("the same key twice: %d %s", p.Status, p.Text("main"))
	}

	_, p = keySignIn(t, f, key)
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("sign-in with the key ended at %d %s: %s", p.Status, p.URL.Path, p.Text("main"))
	}
	// A copy of the key (its counter behind) is refused.
	clone := key.Clone()
	clone.Counter = 0
	if _, p = keySignIn(t, f, clone); strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatal("a cloned key signed in")
	}
	// The answer without its ceremony (taken by the first post) fails.
	b2 := f.env.Browser()
	b2.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	p = b2.Post(f.path("/login"), apptest.Form("password", f.password))
	answer, err := key.Get([]byte(p.Doc.Find(".key-sign-in .webauthn").AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	b2.Post(f.path("/login"), apptest.Form("otp", "000000")) // fails and ends the flow
	if p := b2.Post(f.path("/login"), apptest.Form("credential", string(answer))); strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatal("an answer signed in after its sign-in ended")
	}
}

func TestWebAuthnHandlersPasskeyAndRestore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) { in.PasskeyLogin = true })
	key := passkeytest.New(keyOrigin)
	registerKey(t, f, f.signIn(t, ""), key, "phone")

	b := f.env.Browser()
	p := b.Get(f.path("/login"))
	block := p.Doc.Find(`.passkey-sign-in .webauthn`)
	if block.Length() != 1 {
		t.Fatalf("the login page offers no passkey: %s", p.Text("main"))
	}
	answer, err := key.Get([]byte(block.AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	p = b.Post(f.path("/login"), apptest.Form("passkey", "1", "credential", string(answer)))
	if !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("passkey sign-in ended at %s: %s", p.URL.Path, p.Text("main"))
	}

	// Restore access: the key proves the token; the page and options are
	// the same for a login nobody has.
	restoreOptions := func(login string) (*apptest.Browser, string) {
		b := f.env.Browser()
		p := b.Post(f.path("/restore"), apptest.Form("login", login, "forgot_password", "1"))
		block := p.Doc.Find(`.webauthn[data-webauthn="get"]`)
		if block.Length() != 1 {
			t.Fatalf("restore offers no security key for %s: %s", login, p.Text("main"))
		}
		return b, block.AttrOr("data-options", "")
	}
	b, body := restoreOptions(f.user.Login)
	_, other := restoreOptions(tag("nobody"))
	if body == "" || strings.Contains(body, "allowCredentials") || strings.Contains(other, "allowCredentials") || len(body) != len(other) {
		t.Fatalf("restore options tell logins apart:\n%s\n%s", body, other)
	}
	answer, err = key.Get([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	b.Post(f.path("/restore"), apptest.Form("email_code", "", "credential", string(answer)))
	b.Post(f.path("/restore"), apptest.Form("new_password", "A-new-and-long-passphrase-17"))
	issues, _, err := f.env.Svc.Store.ListIssues(t.Context(), workflow.IssueFilter{UserID: f.user.ID, Status: workflow.IssueOpen, Limit: 5})
	if err != nil || len(issues) != 1 || issues[0].Token != workflow.EvidenceVerified {
		t.Fatalf("restore request %+v %v: want the token proven by the key", issues, err)
	}
}

// A TOTP token exchanged for a key (reassign-token), the key unassigned;
// a user without a password confirms the sensitive action with the key.
func TestWebAuthnHandlersReassignReauthUnassign(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	old := f.giveToken(t, "totp", nil)
	b := f.signIn(t, f.totp(0))
	key := passkeytest.New(keyOrigin)

	p := b.Post(f.act("reassign-token"), apptest.Form("serial", old.Serial, "type", "webauthn"))
	wantPage(t, p, http.StatusOK, "/actions/reassign-token")
	block := p.Doc.Find(`.webauthn[data-webauthn="create"]`)
	answer, err := key.Create([]byte(block.AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	p = b.Post(f.act("reassign-token"), apptest.Form("credential", string(answer), "name", "Yellow key"))
	wantHome(t, p, old.Serial)
	if got := f.reload(t, old); got.Enabled || got.ResourceID != nil {
		t.Fatalf("the replaced token %+v is still in use", got)
	}

	// Without a password the re-authentication asks for the key.
	f.dropPassword(t)
	f.env.Clock.Advance(11 * time.Minute)
	p = b.Get(f.act("unassign-token"))
	wantPage(t, p, http.StatusOK, "/reauth")
	block = p.Doc.Find(`.key-sign-in .webauthn[data-webauthn="get"]`)
	if block.Length() != 1 {
		t.Fatalf("the reauth page offers no key: %s", p.Text("main"))
	}
	answer, err = key.Get([]byte(block.AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	p = b.Post(f.path("/reauth"), apptest.Form("credential", string(answer), "next", "/actions/unassign-token"))
	wantPage(t, p, http.StatusOK, "/actions/unassign-token")
	serial := p.Doc.Find(`input[name="serial"]`).AttrOr("value", "")
	p = b.Post(f.act("unassign-token"), apptest.Form("serial", serial))
	wantHome(t, p, "no longer works")
	tokens, err := f.env.Svc.Store.UserTokens(t.Context(), f.user.ID, f.resource.ID)
	if err != nil || len(tokens) != 0 {
		t.Fatalf("tokens on the resource after unassigning the key: %+v %v", tokens, err)
	}
}

// A session that signed in without a second factor (a trusted network)
// proves one with the key before it adds a token (the step-up).
func TestWebAuthnHandlersStepUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) {
		in.TrustedNetworks, in.OTPOutsideTrusted = []string{"0.0.0.0/0", "::/0"}, true
	})
	key := passkeytest.New(keyOrigin)
	registerKey(t, f, f.signIn(t, ""), key, "key")

	b := f.signIn(t, "") // trusted: no second step
	p := b.Get(f.act("register-token"))
	wantPage(t, p, http.StatusOK, "/step-up")
	block := p.Doc.Find(`.key-sign-in .webauthn[data-webauthn="get"]`)
	if block.Length() != 1 {
		t.Fatalf("the step-up offers no key: %s", p.Text("main"))
	}
	answer, err := key.Get([]byte(block.AttrOr("data-options", "")))
	if err != nil {
		t.Fatal(err)
	}
	next := p.Doc.Find(`.key-sign-in input[name="next"]`).AttrOr("value", "")
	p = b.Post(f.path("/step-up"), apptest.Form("credential", string(answer), "next", next))
	wantPage(t, p, http.StatusOK, "/actions/register-token")
	if p.Doc.Find(`input[name="type"]`).Length() == 0 {
		t.Fatalf("after the step-up: %s", p.Text("main"))
	}
}
