package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Security keys and passkeys end to end (SPEC §14): the real binary, headless
// Chromium with a virtual authenticator of the DevTools protocol's WebAuthn
// domain, and assets/webauthn.js doing the ceremonies. The relying party is
// the host of BASE_URL: localhost, since WebAuthn takes no IP address as RP
// ID.

// addCredential is WebAuthn.addCredential with only the fields a copied
// key has: cdproto's Credential always sends generateCmtgKeyOnNextOperation,
// which Chromium refuses for an authenticator without that extension.
var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      clonedCredential         `json:"credential"`
}

type clonedCredential struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle,omitempty"`
	SignCount            float64 `json:"signCount"`
}

// webauthnInstance starts an instance whose BASE_URL is http://localhost:port
// and a browser on that address.
func webauthnInstance(t *testing.T) (*Instance, Env, *browser) {
	t.Helper()
	env := baseEnv("")
	port := freePort(t)
	base := fmt.Sprintf("http://localhost:%d", port)
	inst := startOn(t, env.with("BASE_URL", base), port)
	b := newBrowser(t, base)
	// The pages of the keys pass the same checks as every other page.
	check := newPageChecker(t)
	b.seen = func(p *tab, name string) {
		t.Helper()
		for _, problem := range tabEval[[]string](p, "audit "+name, auditJS) {
			t.Errorf("%s (%s): %s", name, p.path(), problem)
		}
		check.check(p, name)
	}
	return inst, env, b
}

// virtualKey gives the tab a virtual authenticator: a USB security key, or
// (platform) a built-in passkey provider that verifies its user. Both keep
// discoverable credentials.
func (p *tab) virtualKey(platform bool) webauthn.AuthenticatorID {
	p.b.t.Helper()
	if _, err := chromedp.Call(p.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		p.fatalf("enable WebAuthn: %v", err)
	}
	transport := webauthn.AuthenticatorTransportUsb
	if platform {
		transport = webauthn.AuthenticatorTransportInternal
	}
	r, err := chromedp.Call(p.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: transport, HasResidentKey: true, HasUserVerification: true, IsUserVerified: true,
			AutomaticPresenceSimulation: true}})
	if err != nil {
		p.fatalf("add a virtual authenticator: %v", err)
	}
	return r.AuthenticatorID
}

// credentials are the credentials on the tab's virtual authenticator id.
func (p *tab) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	p.b.t.Helper()
	r, err := chromedp.Call(p.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		p.fatalf("read the virtual authenticator: %v", err)
	}
	return r.Credentials
}

// registerKey registers the tab's key as name, from home, in a portal
// that offers register-token with the type webauthn; it ends on the page
// after the registration.
func (p *tab) registerKey(name string) {
	p.b.t.Helper()
	p.click(`.action-list a[href$="/actions/register-token"]`)
	p.do("choose a security key", chromedp.Click(chromedp.CSS(`input[name=type][value=webauthn]`)))
	p.click(`main form button[type=submit]`)
	p.expect("Register new token")
	p.arrived("register-key")
	p.fill("#name", name)
	// The script asks for the options, the virtual key answers, and the
	// form is posted.
	p.click(`.webauthn[data-webauthn=create] .webauthn-start`)
}

// signInToSecondStep signs in with the password up to the second step.
func (p *tab) signInToSecondStep(alias string, s browserPortal) {
	p.b.t.Helper()
	p.open("/selfservice/" + alias + "/login")
	p.fill("#login", s.Login)
	p.click("main form button[type=submit]")
	p.fill("#password", s.Password)
	p.click("main form button[type=submit]")
	if p.count("#otp") != 1 || p.count(".key-sign-in .webauthn-start") != 1 {
		p.fatalf("the second step offers no security key beside the otp field")
	}
	p.arrived("second-step-key")
}

// webauthnPortal makes a portal where users register security keys.
func webauthnPortal(t *testing.T, inst *Instance, env Env, first string, settings map[string]any) browserPortal {
	t.Helper()
	s := browserPortal{Resource: uniqueName("VPN Delft"), Alias: uniqueName("keys"), Login: uniqueName(strings.ToLower(first)),
		Password: "Analytical-Engine-1843", FirstName: first}
	settings["enabled"], settings["token_types"] = true, []string{"totp", "webauthn"}
	settings["actions"], settings["max_tokens_per_user"] = []string{"register-token", "unassign-token"}, 2
	makeBrowserPortal(t, inst, apiKey(t, env, "superadmin"), &s, settings)
	return s
}

// TestBrowserWebAuthnSecondFactorAndClone: a user registers a security key,
// signs out, and signs in with the password and the key as second factor;
// then the key's credential is put back with its signature counter at 0, as
// a copy made before would be, and that sign-in is refused and recorded.
func TestBrowserWebAuthnSecondFactorAndClone(t *testing.T) {
	inst, env, b := webauthnInstance(t)
	s := webauthnPortal(t, inst, env, "Ada", map[string]any{})
	user := b.newTab("user")
	key := user.virtualKey(false)

	user.portalSignIn(s.Alias, s.Login, s.Password, nil)
	user.expect("Welcome, Ada")
	user.registerKey("Blue key")
	if user.count(".recovery-codes") != 1 {
		user.fatalf("no recovery codes after the first token")
	}
	user.arrived("recovery-codes-key")
	user.open("/selfservice/" + s.Alias + "/home")
	user.arrived("home-key")
	if got := user.text("table.tokens"); !strings.Contains(got, "Security key or passkey") || !strings.Contains(got, "Blue key") {
		user.fatalf("home lists the tokens as %q", got)
	}
	user.portalSignOut()

	user.signInToSecondStep(s.Alias, s)
	user.click(".key-sign-in .webauthn-start")
	user.expect("Welcome, Ada")
	creds := user.credentials(key)
	if len(creds) != 1 || creds[0].SignCount < 1 {
		user.fatalf("credentials on the key: %+v", creds)
	}
	user.portalSignOut()

	// The clone: the same credential, its counter back at 0.
	c := creds[0]
	if _, err := chromedp.Call(user.ctx, webauthn.RemoveCredential, webauthn.RemoveCredentialParams{AuthenticatorID: key, CredentialID: c.CredentialID}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(user.ctx, addCredential, addCredentialParams{AuthenticatorID: key, Credential: clonedCredential{
		CredentialID: c.CredentialID, IsResidentCredential: c.IsResidentCredential, RpID: c.RpID, PrivateKey: c.PrivateKey,
		UserHandle: c.UserHandle, SignCount: 0}}); err != nil {
		t.Fatal(err)
	}
	user.signInToSecondStep(s.Alias, s)
	user.click(".key-sign-in .webauthn-start")
	if msg := user.text(".notice.error"); !strings.Contains(msg, "Login failed") {
		user.fatalf("the cloned key: %q, want the sign-in refused", msg)
	}
	db := openDB(t, storeURL(inst))
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM activities a JOIN users u ON u.id = a.user_id
		WHERE u.login = $1 AND a.event = 'TokenCloneSuspected'`, s.Login).Scan(&n); err != nil || n != 1 {
		t.Fatalf("TokenCloneSuspected recorded %d times (%v), want 1", n, err)
	}
}

// TestBrowserWebAuthnPasskeyAndRestore: in a portal with passkey_login, a
// platform passkey (resident, user verification) signs in alone; then the
// same passkey is the proof of "token" in a restore-access request for a
// forgotten password.
func TestBrowserWebAuthnPasskeyAndRestore(t *testing.T) {
	inst, env, b := webauthnInstance(t)
	s := webauthnPortal(t, inst, env, "Grace", map[string]any{"passkey_login": true})
	user := b.newTab("user")
	user.virtualKey(true)

	user.portalSignIn(s.Alias, s.Login, s.Password, nil)
	user.expect("Welcome, Grace")
	user.registerKey("Laptop")
	user.open("/selfservice/" + s.Alias + "/home")
	user.portalSignOut()

	// The passkey alone.
	user.open("/selfservice/" + s.Alias + "/login")
	user.arrived("sign-in-passkey")
	user.click(".passkey-sign-in .webauthn-start")
	user.expect("Welcome, Grace")
	user.portalSignOut()

	// Restore access: password forgotten, the passkey proves the token.
	user.open("/selfservice/" + s.Alias + "/restore")
	user.fill("#login", s.Login)
	user.check(`input[name=forgot_password]`, true)
	user.click("main form button[type=submit]")
	user.arrived("restore-prove-key")
	user.do("use the key", chromedp.Click(chromedp.CSS(".webauthn .webauthn-start")))
	tabRun(user, "wait for the key's answer", chromedp.Poll[bool](
		`document.querySelector('.webauthn input[name=credential]').value !== ''`))
	user.click("main form button[type=submit]")
	user.fill("#new_password", "Difference-Engine-Plans-1834")
	user.click("main form button[type=submit]")

	db := openDB(t, storeURL(inst))
	var token string
	if err := db.QueryRow(context.Background(), `SELECT i.evidence_token FROM user_issues i JOIN users u ON u.id = i.user_id
		WHERE u.login = $1 AND i.status = 'open'`, s.Login).Scan(&token); err != nil || token != "verified" {
		t.Fatalf("the request's token evidence: %q (%v), want verified by the passkey", token, err)
	}
}
