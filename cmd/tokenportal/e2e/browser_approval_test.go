package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tokenportal/cmd/tokenportal/app/apptest"
)

// TestBrowserEnrolmentApproval walks one approval of a new token end to end
// (SPEC §15) on the real binary: a user registers a TOTP token in a portal
// that holds new tokens for approval; until the helpdesk verifies it, the
// token is refused by RADIUS (FreeRADIUS's radclient) and the validate API;
// the helpdesk finds the request in User Issues, reads what it knows about
// it, confirms with a note, and the token works. Screenshots of the queue and
// the pages at 1280 px go to the screenshot folder as approval-*.png; every
// page is checked as pageChecker does (axe-core, html-validate, 390 px).
func TestBrowserEnrolmentApproval(t *testing.T) {
	radclientBin(t)
	env := baseEnv("")
	port := freeUDPPort(t)
	inst := start(t, env.with("RADIUS_LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", port)))
	rad := fmt.Sprintf("127.0.0.1:%d", port)
	key := apiKey(t, env, "superadmin")
	s := browserPortal{Resource: uniqueName("VPN Rotterdam"), Alias: uniqueName("approve"), Login: uniqueName("grace.hopper"),
		Password: "Cobol-Compiler-1959", FirstName: "Grace"}
	makeBrowserPortal(t, inst, key, &s, map[string]any{"enabled": true, "actions": []string{"register-token"},
		"token_types": []string{"totp"}, "approve_new_tokens": true})
	k := newKeyClient(inst, key)
	const secret = "a-shared-secret-of-the-rotterdam-vpn"
	k.must(t, http.MethodPost, fmt.Sprintf("/resources/%d/radius-clients", s.ResourceID),
		map[string]any{"name": "Rotterdam VPN", "address": "127.0.0.1", "secret": secret}, nil)
	dropRadiusClients(t)
	helpdesk := uniqueName("helpdesk")
	helpdeskPassword := createAdmin(t, env, helpdesk, "helpdesk")

	b := newBrowser(t, inst.URL)
	dir := screenshotDir(t)
	old, _ := filepath.Glob(filepath.Join(dir, "approval-*.png"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	n, check := 0, newPageChecker(t)
	b.seen = func(p *tab, name string) {
		t.Helper()
		n++
		buf := tabRun(p, "screenshot of "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("approval-%02d-%s-%s.png", n, p.who, name)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		check.check(p, "approval-"+name)
	}
	user, admin := b.newTab("user"), b.newTab("helpdesk")

	// 1. The user, signed in by password (no token yet), registers a TOTP
	// token: it waits for approval.
	user.portalSignIn(s.Alias, s.Login, s.Password, nil)
	user.expect("Welcome, Grace")
	user.click(`.action-list a[href$="/actions/register-token"]`)
	user.do("choose TOTP", chromedp.Click(chromedp.CSS(`input[name=type][value=totp]`)))
	user.click(`main form button[type=submit]`)
	_, seed := apptest.OTPAuth(t, apptest.ReadQR(t, user.attr("img.qr", "src")))
	codes := newTOTP(seed)
	user.fill("#otp", codes.code())
	user.click(`main form button[type=submit]`)
	user.expect("Welcome, Grace")
	user.expectNotice("waits for your helpdesk's approval")
	if user.count(".recovery-codes") != 0 {
		t.Fatal("recovery codes were shown for a token that waits")
	}
	serial := strings.Fields(user.text(".pending-approval"))[1]
	user.arrived("home-waiting")
	user.inEachLanguage("home-waiting")

	// 2. Until it is approved the token is refused by RADIUS and validate.
	if a := radclientSend(t, rad, "auth", secret, pap(s.Login, s.Password+codes.code(), withMA)); a.Code != "Access-Reject" {
		t.Fatalf("RADIUS with the pending token: %q\n%s", a.Code, a.Out)
	}
	if ok, _, err := k.validate(s.ResourceID, s.Login, codes.code()); err != nil || ok {
		t.Fatalf("validate accepted the pending token: %v %v", ok, err)
	}

	// 3. The helpdesk works the queue.
	admin.adminSignIn(helpdesk, helpdeskPassword)
	admin.open("/admin/issues")
	admin.expect("User Issues")
	row := admin.issueRow(s.Login)
	if got := admin.text(row); !strings.Contains(got, serial) {
		t.Fatalf("the queue's row does not name the token %s: %q", serial, got)
	}
	admin.arrived("queue")
	admin.open("/admin/issues?kind=enrolment")
	admin.arrived("queue-new-tokens")
	id := strings.TrimPrefix(row, "tr#issue-")
	admin.open("/admin/issues/" + id)
	admin.arrived("issue")
	admin.inEachLanguage("issue")
	admin.open("/admin/issues/" + id + "/delete")
	admin.arrived("delete-confirm")
	admin.inEachLanguage("delete-confirm")
	admin.open("/admin/issues/" + id)
	admin.click(`a[href="/admin/issues/` + id + `/verify"]`)
	admin.inEachLanguage("verify-confirm")
	if admin.count(`.no-proof`) != 1 {
		t.Fatal("the confirmation does not say that no second factor was proven (password-only session)")
	}
	if effects := admin.text("ul.effects"); !strings.Contains(effects, serial) {
		t.Fatalf("the effects do not name %s: %q", serial, effects)
	}
	const note = "Called Grace on +31 10 123 4567; she confirmed the new phone."
	admin.fill("#note", note)
	admin.arrived("verify-confirm")
	admin.click(`main form[action="/admin/issues/` + id + `/verify"] button[type=submit]`)
	admin.arrived("verified")
	admin.open("/admin/issues?status=all&kind=enrolment")
	admin.arrived("queue-handled")
	admin.open("/admin/issues/" + id)
	if h := admin.text("#history"); !strings.Contains(h, note) {
		t.Fatalf("the history does not show the note: %q", h)
	}
	admin.arrived("issue-history")

	// 4. Now the token works: RADIUS, validate, and the portal's sign-in,
	// which shows the recovery codes of this first token once.
	if a := radclientSend(t, rad, "auth", secret, pap(s.Login, s.Password+codes.code(), withMA)); a.Code != "Access-Accept" {
		t.Fatalf("RADIUS with the approved token: %q\n%s", a.Code, a.Out)
	}
	if ok, _, err := k.validate(s.ResourceID, s.Login, codes.code()); err != nil || !ok {
		t.Fatalf("validate refused the approved token: %v %v", ok, err)
	}
	user.portalSignOut()
	user.portalSignIn(s.Alias, s.Login, s.Password, codes.code)
	if got := len(user.texts(".recovery-codes li")); got != 8 {
		t.Fatalf("%d recovery codes after the approval, want 8", got)
	}
	user.arrived("approved-recovery-codes")
}

// inEachLanguage shows the page in German and Dutch (the switcher keeps the
// page), so the checks run on it in every language, and returns to English.
func (p *tab) inEachLanguage(name string) {
	p.b.t.Helper()
	for _, lang := range []string{"de", "nl", "en"} {
		p.click(`form.lang-switch button[value="` + lang + `"]`)
		if lang != "en" {
			p.arrived(name + "-" + lang)
		}
	}
}
