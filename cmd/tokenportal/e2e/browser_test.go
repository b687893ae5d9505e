package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser tests drive Debian's headless Chromium against the real
// binary and PostgreSQL, one browser at a time (the CI machine has two
// cores). The three take about 75 seconds together there, most of it the
// story's 40-odd pages and their screenshots; each is bounded by
// browserTimeout and by `go test -timeout`.

// TestBrowserStory is the whole life of a token, as people see it: an admin
// sets up a resource, a user and its portal in the console; the user
// registers a TOTP token from the QR code, sets a PIN and signs in with it,
// loses the token and asks for help; the admin verifies the request; the
// user gets in without the token and registers a new one. Every page is
// saved as a screenshot for review (see screenshotDir) and checked as
// pageChecker does (axe-core, html-validate, 390 px).
func TestBrowserStory(t *testing.T) {
	env := baseEnv("")
	inst := start(t, env)
	const (
		adminLogin = "story-admin"
		resource   = "VPN Amsterdam"
		alias      = "vpn-amsterdam"
		login      = "ada.lovelace"
		password   = "Analytical-Engine-1843"
		pin        = "2468"
	)
	adminPassword := createAdmin(t, env, adminLogin, "superadmin")

	b := newBrowser(t, inst.URL)
	shots := screenshotDir(t)
	clearScreenshots(t, shots)
	shoot, check := shooter(t, shots), newPageChecker(t)
	b.seen = func(p *tab, name string) {
		t.Helper()
		shoot(p, name)
		check.check(p, name)
	}
	admin := b.newTab("admin")
	user := b.newTab("user")

	// 1. The admin signs in for the first time and enrols TOTP.
	admin.adminSignIn(adminLogin, adminPassword)

	// 2. A resource, a user assigned to it, and its portal, all through
	// the console's forms.
	admin.click(`nav.admin-nav a[href="/admin/resources"]`)
	admin.expect("Resources")
	admin.arrived("resources")
	admin.fill("#name", resource)
	admin.fill("#description", "Remote access for the Amsterdam office")
	admin.click(`section[aria-labelledby=create-heading] button[type=submit]`)
	admin.expect("Resource " + resource)
	admin.expectNotice("was created")
	admin.arrived("resource-created")
	resourcePath := admin.path() // /admin/resources/<id>
	resourceID := strings.TrimPrefix(resourcePath, "/admin/resources/")

	admin.click(`nav.admin-nav a[href="/admin/users"]`)
	admin.expect("Users")
	admin.arrived("users")
	admin.click(`a.button[href="/admin/users/new"]`)
	admin.expect("New user")
	admin.fill("#login", login)
	admin.fill("#password", password)
	admin.fill("#first_name", "Ada")
	admin.fill("#last_name", "Lovelace")
	admin.fill("#phone", "+31612345678")
	admin.arrived("new-user")
	admin.click(`main form[action="/admin/users"] button[type=submit]`)
	admin.expect("User " + login)
	admin.expectNotice("was created")
	admin.arrived("user-created")

	admin.do("choose the resource", chromedp.SetValue(chromedp.CSS("#assign-resource"), resourceID))
	admin.click(`form[action$="/assign"] button[type=submit]`)
	admin.expectNotice("is now assigned to " + resource)
	admin.arrived("user-assigned")

	admin.open(resourcePath)
	admin.click(`nav.tabs a[href$="tab=selfservice"]`)
	admin.expect("Resource " + resource)
	admin.arrived("self-service-tab")
	admin.fill("#alias", alias)
	admin.click(`section[aria-labelledby=portal-enable-heading] button[type=submit]`)
	admin.expectNotice("is enabled at /selfservice/" + alias)
	admin.arrived("portal-enabled")
	for _, a := range []string{"register-token", "set-pin", "remove-pin", "change-password"} {
		admin.check("#actions-"+a, true)
	}
	for _, typ := range []string{"hotp", "email", "sms"} {
		admin.check("#token_types-"+typ, false)
	}
	admin.check("#token_types-totp", true)
	admin.click(`#portal-settings > .actions-row button[type=submit]`)
	admin.expectNotice("portal settings of " + resource + " were saved")
	admin.arrived("portal-saved")
	order := admin.actionOrder()
	if want := []string{"register-token", "set-pin", "remove-pin", "change-password"}; !slices.Equal(order[:4], want) {
		t.Fatalf("saved action order starts %v, want %v", order[:4], want)
	}
	admin.click(`button[name=move][value="up:remove-pin"]`)
	admin.expectNotice("moved up")
	admin.arrived("action-moved-up")
	order = admin.actionOrder()
	if want := []string{"register-token", "remove-pin", "set-pin", "change-password"}; !slices.Equal(order[:4], want) {
		t.Fatalf("after Move up the order starts %v, want %v", order[:4], want)
	}

	// 3. The user signs in and registers a TOTP token from the QR code.
	user.portalSignIn(alias, login, password, nil)
	user.expect("Welcome, Ada")
	user.arrived("portal-home-no-token")
	user.expectActionsInOrder(order)
	token1, recovery1 := user.registerTOTP(resource, login)

	// 4. A PIN, and a sign-in with PIN and OTP.
	user.click(`table.tokens a[href*="/actions/set-pin?"]`)
	user.expect("Set PIN")
	user.arrived("set-pin")
	user.fill("#pin", pin)
	user.fill("#pin_confirm", pin)
	user.do("choose the PIN position", chromedp.Click(chromedp.CSS(`input[name=pin_position][value=after]`)))
	user.fill("#otp", token1.code())
	user.click(`main form button[type=submit]`)
	user.expect("Welcome, Ada")
	user.expectNotice("has a PIN now")
	user.arrived("pin-set")
	user.portalSignOut()
	user.arrived("signed-out")
	user.portalSignIn(alias, login, password, func() string { return token1.code() + pin })
	user.expect("Welcome, Ada")
	user.arrived("signed-in-with-pin")

	// 5. The token is lost: a restore request, proven with the password.
	user.portalSignOut()
	user.click(`p.restore-link a`)
	user.expect("Restore access")
	user.arrived("restore")
	user.fill("#login", login)
	user.check(`input[name=lost_token]`, true)
	user.click(`main form button[type=submit]`)
	user.expect("Restore access")
	if user.count("#otp") != 0 {
		user.fatalf("the restore page asks for the OTP of a lost token")
	}
	user.arrived("restore-prove")
	user.fill("#password", password)
	user.click(`main form button[type=submit]`)
	user.expectNotice("Your request has been sent")
	user.arrived("restore-sent")

	// 6. The admin sees the request with its evidence and verifies it.
	admin.open("/admin/")
	if badge := admin.text(`nav.admin-nav a[href="/admin/issues"] .badge`); badge != "1" {
		t.Fatalf("User Issues badge = %q, want 1", badge)
	}
	admin.click(`nav.admin-nav a[href="/admin/issues"]`)
	admin.expect("User Issues")
	admin.arrived("user-issues")
	row := admin.issueRow(login)
	for _, icon := range []string{".auth-token.ev-lost", ".auth-password.ev-verified", ".auth-email.ev-absent"} {
		if admin.count(row+" td.authenticators "+icon) != 1 {
			t.Errorf("the request's Authenticators have no %s icon", icon)
		}
	}
	if n := admin.count(row + " .slash"); n != 1 {
		t.Errorf("%d slashed icons, want 1 (the lost token)", n)
	}
	admin.click(row + ` td.row-actions a`)
	admin.expect("Request of " + login)
	admin.arrived("issue")
	admin.click(`main a[href$="/verify"]`)
	admin.expect("Verify the request of " + login)
	admin.arrived("issue-confirm")
	admin.click(`form[action$="/verify"] button[type=submit]`)
	admin.expect("User Issues")
	admin.expectNotice("verified")
	admin.arrived("issue-verified")

	// 7. The user gets in without the token, registers a new one, and the
	// new one works.
	user.portalSignIn(alias, login, password, nil)
	user.expect("Welcome, Ada")
	user.arrived("home-token-disabled")
	if got := strings.Join(user.texts(`section[aria-labelledby=tokens-title] tbody td:last-child`), " "); !strings.HasPrefix(got, "No") {
		t.Errorf("the lost token's Enabled column says %q, want No (…)", got)
	}
	// With the lost token disabled, the new one is the user's only enabled
	// token again: it comes with fresh recovery codes.
	token2, recovery2 := user.registerTOTP(resource, login)
	if slices.Equal(token2.secret, token1.secret) {
		t.Fatal("the new token has the old secret")
	}
	if len(recovery2) != 8 || slices.ContainsFunc(recovery2, func(c string) bool { return slices.Contains(recovery1, c) }) {
		t.Fatalf("recovery codes with the new token %v, want 8 new ones (old: %v)", recovery2, recovery1)
	}
	user.portalSignOut()
	user.portalSignIn(alias, login, password, token2.code)
	user.expect("Welcome, Ada")
	user.arrived("signed-in-new-token")
}

// actionOrder reads the actions of the Self-Service tab in their order.
func (p *tab) actionOrder() []string {
	p.b.t.Helper()
	ids := tabEval[[]string](p, "read the action order",
		`Array.from(document.querySelectorAll('ol.action-order li')).map(li => li.id.replace(/^action-/, ''))`)
	if len(ids) < 4 {
		p.fatalf("the Self-Service tab lists %d actions", len(ids))
	}
	return ids
}

// expectActionsInOrder checks that portal home lists its actions in the
// order the admin set (it shows only those that apply).
func (p *tab) expectActionsInOrder(order []string) {
	p.b.t.Helper()
	hrefs := tabEval[[]string](p, "read the actions", `Array.from(document.querySelectorAll('.action-list a')).map(a => a.getAttribute('href').replace(/^.*\/actions\//, ''))`)
	if len(hrefs) == 0 {
		p.fatalf("home offers no actions")
	}
	last := -1
	for _, id := range hrefs {
		at := slices.Index(order, id)
		if at < last {
			p.b.t.Fatalf("home lists the actions %v, not in the portal's order %v", hrefs, order)
		}
		last = at
	}
}

// issueRow is the CSS selector of the row of login's request in User Issues.
func (p *tab) issueRow(login string) string {
	p.b.t.Helper()
	id := tabEval[string](p, "find the request of "+login, fmt.Sprintf(`(() => {
		const row = Array.from(document.querySelectorAll('table.issues tbody tr')).find(tr => tr.querySelector('th a').textContent.trim() === %s);
		return row ? row.id : '';
	})()`, jsString(login)))
	if id == "" {
		p.fatalf("User Issues shows no request of %s", login)
	}
	return "tr#" + id
}

// registerTOTP goes from portal home through register-token: it reads the
// secret from the QR code, checks the issuer and account in it and the key
// shown as text, confirms with a code and returns the token's codes and the
// recovery codes that come with it (with the user's only enabled token),
// or nil (then the registration leads home).
func (p *tab) registerTOTP(resource, login string) (*totpApp, []string) {
	p.b.t.Helper()
	t := p.b.t
	p.click(`.action-list a[href$="/actions/register-token"]`)
	p.expect("Register new token")
	p.arrived("register-token")
	p.do("choose TOTP", chromedp.Click(chromedp.CSS(`input[name=type][value=totp]`)))
	p.click(`main form button[type=submit]`)
	p.expect("Register new token")
	p.arrived("register-token-qr")

	u, secret := apptest.OTPAuth(t, apptest.ReadQR(t, p.attr("img.qr", "src")))
	if u.Host != "totp" {
		t.Errorf("otpauth type %q, want totp", u.Host)
	}
	if issuer := u.Query().Get("issuer"); issuer != resource {
		t.Errorf("otpauth issuer %q, want %q", issuer, resource)
	}
	if !strings.Contains(u.Path, login) {
		t.Errorf("otpauth account %q does not name %s", u.Path, login)
	}
	if shown := apptest.Base32Secret(t, p.text("#token-secret")); !slices.Equal(shown, secret) {
		t.Errorf("the key shown as text is not the secret of the QR code")
	}
	codes := newTOTP(secret)
	p.fill("#otp", codes.code())
	p.click(`main form button[type=submit]`)
	var recovery []string
	if p.count(".recovery-codes") > 0 {
		p.expect("Token registered")
		recovery = p.texts(".recovery-codes li")
		if len(recovery) != 8 {
			t.Fatalf("%d recovery codes, want 8", len(recovery))
		}
		p.arrived("token-registered")
		p.click(`main a.button[href$="/home"]`)
	} else {
		p.expectNotice("is registered and ready to use")
	}
	p.expect("Welcome")
	return codes, recovery
}

// focused describes document.activeElement after a key press.
type focused struct {
	Tag          string  `json:"tag"`
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Text         string  `json:"text"`
	FocusVisible bool    `json:"focusVisible"`
	Indicator    string  `json:"indicator"`
	Contrast     float64 `json:"contrast"`
	OnScreen     bool    `json:"onScreen"`
}

func (f focused) String() string {
	s := f.Tag
	if f.ID != "" {
		s += "#" + f.ID
	}
	if f.Name != "" {
		s += "[name=" + f.Name + "]"
	}
	if f.Text != "" {
		s += fmt.Sprintf(" %q", f.Text)
	}
	return s
}

// focusJS describes the focused element and its focus indicator: the
// computed box-shadow or outline, and the best contrast of the
// indicator's colours against the background around the element (WCAG
// 1.4.11 asks 3:1 of what shows focus).
const focusJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return {tag: 'body'};
	const s = getComputedStyle(el);
	let indicator = '';
	if (s.boxShadow && s.boxShadow !== 'none') indicator = s.boxShadow;
	else if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) indicator = s.outlineColor + ' ' + s.outlineWidth + ' ' + s.outlineStyle;
	const colours = (indicator.match(/rgba?\([^)]*\)/g) || []).map(tpAudit.parse);
	const around = tpAudit.background(el.parentElement || el);
	const contrast = around ? Math.max(0, ...colours.filter(c => c && c[3] > 0).map(c => tpAudit.ratio(tpAudit.over(c, around), around))) : 0;
	const r = el.getBoundingClientRect();
	return {
		tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
		text: (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60),
		focusVisible: el.matches(':focus-visible'), indicator, contrast,
		onScreen: r.width > 1 && r.height > 1 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth,
	};
})()`

// focusWant matches a focused element: tag, then name, id or text (a prefix).
type focusWant struct{ tag, name, text string }

func (w focusWant) match(f focused) bool {
	return f.Tag == w.tag && (w.name == "" || f.Name == w.name || f.ID == w.name) && strings.HasPrefix(f.Text, w.text)
}

func (w focusWant) String() string {
	return fmt.Sprintf("%s %s %q", w.tag, w.name, w.text)
}

// tabTo presses Tab (or Shift+Tab with back) once for each of wants and
// checks that focus lands on each in turn, on screen, with a visible focus
// indicator of enough contrast.
func (p *tab) tabTo(back bool, wants ...focusWant) {
	p.b.t.Helper()
	for i, w := range wants {
		if f := p.pressTab(back); !w.match(f) {
			p.fatalf("Tab %d: focus is on %s, want %s", i+1, f, w)
		}
	}
}

// pressTab presses Tab (Shift+Tab with back) once and checks that what gets
// focus is on screen with a visible focus indicator of enough contrast
// (nothing to check when focus left the page's elements).
func (p *tab) pressTab(back bool) focused {
	p.b.t.Helper()
	p.do("load the audit helpers", chromedp.Evaluate[chromedp.Void](auditLibJS))
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	p.do("press Tab", chromedp.KeyEvent(kb.Tab, opts...))
	f := tabEval[focused](p, "read the focus", focusJS)
	if f.Tag == "body" {
		return f
	}
	if !f.FocusVisible || f.Indicator == "" {
		p.b.t.Errorf("%s: no visible focus indicator (:focus-visible %v, indicator %q)", f, f.FocusVisible, f.Indicator)
	} else if f.Contrast < 3 {
		p.b.t.Errorf("%s: focus indicator %q has contrast %.2f:1 against its background, want 3:1", f, f.Indicator, f.Contrast)
	}
	if !f.OnScreen {
		p.b.t.Errorf("%s has focus but is not on screen", f)
	}
	return f
}

// maxTabs bounds a walk with Tab: more than any page of ours has stops.
const maxTabs = 120

// tabUntil presses Tab until want has focus, each stop checked as by
// pressTab: want is reachable by keyboard.
func (p *tab) tabUntil(want focusWant) {
	p.b.t.Helper()
	var seen []string
	for range maxTabs {
		f := p.pressTab(false)
		if want.match(f) {
			return
		}
		seen = append(seen, f.String())
	}
	p.fatalf("%s not reached with %d Tabs; focus went through %s", want, maxTabs, strings.Join(seen, ", "))
}

// tabAround presses Tab from where focus is until it comes back there: the
// page has no keyboard trap, and every stop on the way shows its focus.
func (p *tab) tabAround() {
	p.b.t.Helper()
	start := tabEval[focused](p, "read the focus", focusJS)
	if start.Tag == "body" {
		start = p.pressTab(false)
	}
	p.do("mark the start", chromedp.Evaluate[chromedp.Void](`document.activeElement.setAttribute('data-tab-start', '')`))
	var seen []string
	for range maxTabs {
		f := p.pressTab(false)
		if tabEval[bool](p, "is focus back", `document.activeElement.hasAttribute('data-tab-start')`) {
			return
		}
		seen = append(seen, f.String())
	}
	p.fatalf("a keyboard trap: %d Tabs from %s did not come back to it; focus went through %s", maxTabs, start, strings.Join(seen, ", "))
}

// typeHere types text into the focused element.
func (p *tab) typeHere(text string) {
	p.b.t.Helper()
	p.do("type into the focused element", chromedp.SendKeys(chromedp.JSPath("document.activeElement"), text))
}

// TestBrowserKeyboardOnly does with the keyboard alone (Tab, Shift+Tab,
// Space, typing and Enter): the language switcher, a portal sign-in and a TOTP
// registration, two restore requests, and in the console's User Issues the
// deletion of one and the verification of the other through the request's
// confirmation page. Focus must go through the skip link, the fields and the
// buttons in reading order, always show (3:1) and stay on screen; on the
// pages where Tab goes all the way round it comes back (no keyboard trap).
func TestBrowserKeyboardOnly(t *testing.T) {
	env := baseEnv("")
	inst := start(t, env)
	s := &browserPortal{Resource: "Keyboard VPN", Alias: "kb-vpn", Login: "kb.user", Password: "Keys-Only-Sign-In-77", FirstName: "Kim"}
	makeBrowserPortal(t, inst, apiKey(t, env, "superadmin"), s, map[string]any{
		"enabled": true, "actions": []string{"register-token", "set-pin"}, "token_types": []string{"totp"},
		"require_token": true, // straight from the sign-in to the registration
	})

	b := newBrowser(t, inst.URL)
	p := b.newTab("user")
	skip := focusWant{"a", "", "Skip to content"}
	english, deutsch, dutch := focusWant{"button", "lang", "English"}, focusWant{"button", "lang", "Deutsch"}, focusWant{"button", "lang", "Nederlands"}

	// The language switcher follows the skip link; it works by keyboard.
	p.open("/selfservice/" + s.Alias + "/login")
	p.expect("Sign in to " + s.Resource)
	p.tabTo(false, skip, english, deutsch)
	p.press(kb.Enter)
	if lang := p.attr("html", "lang"); lang != "de" {
		p.fatalf("Enter on Deutsch: <html lang=%q>", lang)
	}
	p.tabTo(false, focusWant{"a", "", "Zum Inhalt springen"}, english)
	p.press(kb.Enter)
	p.expect("Sign in to " + s.Resource)
	p.tabTo(false, skip, english, deutsch, dutch, focusWant{"input", "login", ""}, focusWant{"button", "", "Continue"}, focusWant{"a", "", "Lost your token"})
	p.tabTo(true, focusWant{"button", "", "Continue"}, focusWant{"input", "login", ""})
	p.typeHere(s.Login)
	p.tabTo(false, focusWant{"button", "", "Continue"})
	p.press(kb.Enter)

	p.expect("Sign in to " + s.Resource)
	p.tabTo(false, skip, english, deutsch, dutch, focusWant{"input", "password", ""})
	p.typeHere(s.Password)
	p.tabTo(false, focusWant{"button", "", "Continue"}, focusWant{"a", "", "Not you?"})
	p.tabTo(true, focusWant{"button", "", "Continue"})
	p.press(kb.Enter)

	// require_token: the sign-in leads to the registration.
	p.expect("Register new token")
	signOut := focusWant{"button", "", "Sign out"}
	p.tabTo(false, skip, english, deutsch, dutch, signOut, focusWant{"input", "type", ""}, focusWant{"button", "", "Continue"}, focusWant{"a", "", "Cancel"})
	p.tabTo(true, focusWant{"button", "", "Continue"})
	p.press(kb.Enter)

	p.expect("Register new token")
	codes := newTOTP(apptest.Base32Secret(t, p.text("#token-secret")))
	p.tabTo(false, skip, english, deutsch, dutch, signOut, focusWant{"a", "", "Open in an authenticator app"}, focusWant{"input", "otp", ""})
	p.typeHere(codes.code())
	p.tabTo(false, focusWant{"button", "", "Confirm"}, focusWant{"a", "", "Start over"})
	p.tabTo(true, focusWant{"button", "", "Confirm"})
	p.press(kb.Enter)

	p.expect("Token registered")
	if n := p.count(".recovery-codes li"); n != 8 {
		t.Fatalf("%d recovery codes, want 8", n)
	}
	// recovery-codes.js shows Copy, Download and Print.
	p.tabTo(false, skip, english, deutsch, dutch, signOut, focusWant{"button", "", "Copy"}, focusWant{"button", "", "Download"},
		focusWant{"button", "", "Print"}, focusWant{"a", "", "Continue to the start page"})
	p.press(kb.Enter)
	p.expect("Welcome, " + s.FirstName)
	// No keyboard trap: Tab goes round home and comes back.
	p.tabAround()

	// The token is lost: restore access by keyboard. An admin handles the
	// request from User Issues through its confirmation page, by keyboard:
	// deletes it; then the user asks again and the admin verifies.
	admin := b.newTab("admin")
	adminPassword := createAdmin(t, env, "kb-admin", "superadmin")
	admin.adminSignIn("kb-admin", adminPassword)
	p.tabUntil(signOut)
	p.press(kb.Enter)
	for _, step := range []struct{ link, confirm, button, notice string }{
		{"Delete request", "Delete the request of", "Delete request", "deleted"},
		{"Verify identity", "Verify the request of", "Verify identity and apply", "verified"},
	} {
		p.expect("Sign in to " + s.Resource)
		p.tabUntil(focusWant{"a", "", "Lost your token"})
		p.press(kb.Enter)
		p.expect("Restore access")
		p.tabUntil(focusWant{"input", "login", ""})
		p.typeHere(s.Login)
		p.tabUntil(focusWant{"input", "lost_token", ""})
		p.do("tick with Space", chromedp.KeyEvent(" "))
		if !tabEval[bool](p, "read the box", `document.activeElement.checked`) {
			p.fatalf("Space did not tick %s", "lost_token")
		}
		p.tabUntil(focusWant{"button", "", "Continue"})
		p.press(kb.Enter)
		p.tabUntil(focusWant{"input", "password", ""})
		p.typeHere(s.Password)
		p.tabUntil(focusWant{"button", "", "Continue"})
		p.press(kb.Enter)
		p.expectNotice("Your request has been sent")
		p.tabAround()
		p.tabUntil(focusWant{"a", "", "Back to sign-in"})
		p.press(kb.Enter)

		admin.open("/admin/issues")
		admin.tabUntil(focusWant{"a", "", "Verify identity of " + s.Login})
		admin.press(kb.Enter)
		admin.expect("Request of " + s.Login)
		admin.tabAround()
		// The issue page leads to the action's confirmation, which takes a
		// note and is the only place that applies it.
		admin.tabUntil(focusWant{"a", "", step.link})
		admin.press(kb.Enter)
		admin.expect(step.confirm + " " + s.Login)
		admin.tabAround()
		admin.tabUntil(focusWant{"textarea", "note", ""})
		admin.typeHere("Checked by keyboard")
		admin.tabUntil(focusWant{"button", "", step.button})
		admin.press(kb.Enter)
		admin.expect("User Issues")
		admin.expectNotice(step.notice)
	}
	admin.tabAround()
}

// TestBrowserAccessibility walks every kind of page of the portal and the
// console in English, German and Dutch, and checks each in the browser, with
// its styles applied: axe-core's WCAG 2.0/2.1/2.2 A and AA rules and best
// practices, html-validate on the HTML as served (when the test ends), no
// sideways scroll at 390 px, and the project's own audit (auditJS: labels,
// alternative text, one h1, names, contrast of every text and icon).
func TestBrowserAccessibility(t *testing.T) {
	env := baseEnv("")
	inst := start(t, env)
	key := apiKey(t, env, "superadmin")
	s := &browserPortal{Resource: "Audit VPN", Alias: "audit-vpn", Login: "audit.user", Password: "Contrast-Matters-451", FirstName: "Alex"}
	makeBrowserPortal(t, inst, key, s, map[string]any{
		"enabled": true, "actions": []string{"register-token", "set-pin", "change-password", "manage-environment"}, "token_types": []string{"totp", "hotp"},
	})
	adminLogin := "audit-admin"
	adminPassword := createAdmin(t, env, adminLogin, "superadmin")
	var dir struct {
		ID int64 `json:"id"`
	}
	newKeyClient(inst, key).must(t, "POST", "/directories", map[string]any{"name": "Audit directory",
		"url": "ldap://127.0.0.1:1", "bind_dn": "cn=svc,dc=example,dc=org", "bind_password": "audit-bind-secret",
		"base_dn": "dc=example,dc=org", "groups": []map[string]any{{"group_dn": "cn=vpn,dc=example,dc=org", "resource_id": s.ResourceID}}}, &dir)

	b := newBrowser(t, inst.URL)
	check := newPageChecker(t)
	audited := 0
	b.seen = func(p *tab, name string) {
		t.Helper()
		audited++
		for _, problem := range tabEval[[]string](p, "audit "+name, auditJS) {
			t.Errorf("%s (%s): %s", name, p.path(), problem)
		}
		check.check(p, name)
	}
	user := b.newTab("user")
	admin := b.newTab("admin")
	admin.adminSignIn(adminLogin, adminPassword)
	portal := "/selfservice/" + s.Alias

	for _, lang := range []string{"en", "de", "nl"} {
		user.open(portal + "/login")
		user.chooseLanguage(lang)
		user.portalSignIn(s.Alias, s.Login, s.Password, nil)
		user.chooseLanguage(lang) // the language stored at the first sign-in wins
		user.expectPath(portal + "/home")
		user.arrived("portal-home")
		user.open(portal + "/actions/register-token")
		user.arrived("register-token")
		user.do("choose TOTP", chromedp.Click(chromedp.CSS(`input[name=type][value=totp]`)))
		user.click(`main form button[type=submit]`)
		if user.count("img.qr") != 1 {
			user.fatalf("no QR code")
		}
		user.arrived("register-token-qr")
		user.open(portal + "/actions/register-token?restart=1")
		for _, a := range []string{"set-pin", "change-password", "manage-environment"} {
			user.open(portal + "/actions/" + a)
			user.arrived(a)
		}
		user.portalSignOut()

		user.click(`p.restore-link a`)
		user.expectPath(portal + "/restore")
		user.arrived("restore")
		user.fill("#login", s.Login)
		user.check(`input[name=forgot_password]`, true)
		user.click(`main form button[type=submit]`)
		user.arrived("restore-prove")
		user.click(`main form button[type=submit]`)
		user.arrived("restore-new-password")
		user.fill("#new_password", "Fresh-Password-For-Audit-9")
		user.click(`main form button[type=submit]`)
		if user.count(".notice") == 0 {
			user.fatalf("no notice that the request was sent")
		}
		user.arrived("restore-sent")

		admin.open("/admin/")
		admin.chooseLanguage(lang)
		admin.arrived("dashboard")
		for _, page := range []string{"users", "users/new", "resources", "tokens", "activities", "directories", "directories/new", "settings", "admins", "apikeys", "notifications"} {
			admin.open("/admin/" + page)
			admin.arrived(strings.ReplaceAll(page, "/", "-"))
		}
		admin.open("/admin/users")
		admin.click(`table a[href^="/admin/users/"]`)
		admin.arrived("user-detail")
		admin.open(fmt.Sprintf("/admin/resources/%d?tab=selfservice", s.ResourceID))
		admin.arrived("self-service-tab")
		admin.open(fmt.Sprintf("/admin/resources/%d?tab=radius", s.ResourceID))
		admin.arrived("radius-tab")
		admin.open(fmt.Sprintf("/admin/directories/%d", dir.ID))
		admin.arrived("directory-edit")
		admin.open("/admin/issues")
		if admin.count("table.issues tbody tr") == 0 {
			t.Fatal("User Issues is empty: the audit needs a request")
		}
		admin.arrived("user-issues")
		admin.click(`table.issues td.row-actions a`)
		admin.expectPath("/admin/issues/")
		admin.arrived("issue")
		// Deleted, so the next language's request is the only one: the
		// issue page leads to the confirmation, which takes a note.
		admin.click(`main a[href$="/delete"]`)
		admin.expectPath("/admin/issues/")
		if admin.count("textarea#note") != 1 {
			admin.fatalf("the delete confirmation takes no note")
		}
		admin.arrived("issue-delete-confirm")
		admin.fill("#note", "audit")
		admin.click(`form[action$="/delete"] button[type=submit]`)
		if admin.count(".notice") == 0 {
			admin.fatalf("no notice that the request was deleted")
		}
		admin.arrived("issue-deleted")
	}

	// A page of each kind was audited.
	if audited < 3*31 {
		t.Fatalf("audited %d pages", audited)
	}
	// The audit itself finds what it should: a page that breaks every rule.
	admin.open("/admin/")
	admin.do("break the page", chromedp.Evaluate[chromedp.Void](`(() => {
		document.documentElement.removeAttribute('lang');
		document.querySelector('main').insertAdjacentHTML('beforeend',
			'<h1>Second</h1><input id="unlabelled"><img src="/favicon.ico"><button></button><a href="/"></a><p id="pale">Pale text</p>');
		// Through the CSSOM: the Content-Security-Policy refuses style attributes.
		document.getElementById('pale').style.color = '#aaa';
	})()`))
	got := strings.Join(tabEval[[]string](admin, "audit the broken page", auditJS), "\n")
	for _, rule := range []string{"lang:", "h1:", "label:", "alt:", "name: button", "name: a", "contrast: p#pale"} {
		if !strings.Contains(got, rule) {
			t.Errorf("the audit misses %q in a broken page; it found:\n%s", rule, got)
		}
	}
	// The checkers too: a portal sign-in whose field lost its <label> fails
	// axe in the browser and html-validate as served.
	user.open(portal + "/login")
	user.do("remove the label", chromedp.Evaluate[chromedp.Void](`document.querySelector('label[for=login]').remove()`))
	if got := strings.Join(check.probe().check(user, "sign-in-without-label"), "\n"); !strings.Contains(got, "axe label") {
		t.Errorf("axe misses the field without a label; it found:\n%s", got)
	}
	served, err := user.servedHTML()
	if err != nil {
		t.Fatal(err)
	}
	unlabelled := regexp.MustCompile(`(?s)<label for="login"[^>]*>.*?</label>`).ReplaceAll(served, nil)
	if bytes.Equal(unlabelled, served) {
		t.Fatal("the served sign-in page has no <label for=login>")
	}
	file := filepath.Join(t.TempDir(), "sign-in-without-label.html")
	if err := os.WriteFile(file, unlabelled, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(check.runValidator([]string{file}), "\n"); !strings.Contains(got, "input-missing-label") {
		t.Errorf("html-validate misses the field without a label; it found:\n%s", got)
	}
}
