package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow/otp"
)

// Time limits of the browser tests. A test gets browserTimeout, or less when
// `go test -timeout` leaves less; one step (a navigation, a click and the
// page it loads, a query) gets stepTimeout, so a missing element fails the
// test with a clear message instead of hanging until the end.
const (
	browserTimeout = 3 * time.Minute
	stepTimeout    = 30 * time.Second
)

// screenshotDir is where the story test saves a screenshot of every page:
// $E2E_SCREENSHOTS, or var/e2e-screenshots; a relative path is taken from the
// repository root (tests run in cmd/tokenportal/e2e).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		dir = "var/e2e-screenshots"
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", "..", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	return abs
}

// browser is one headless Chromium for one test, closed when it ends. Its
// tabs are separate people: each has a browser context of its own (own
// cookies), as if on another computer.
type browser struct {
	t    *testing.T
	base string          // URL of the tokenportal instance
	ctx  context.Context // the browser, bounded by the test's deadline
	// seen is called with each tab and a short name of the page whenever a
	// flow arrives at a page (screenshots, accessibility audit); nil: nothing.
	seen func(p *tab, name string)
}

// newBrowser starts Chromium (or skips the test when there is none) for the
// instance at base.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	// The first run binds the browser's life to root, which has no deadline
	// (chromedp docs/API.md §21); the deadline goes on the tabs.
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	deadline := time.Now().Add(browserTimeout)
	if d, ok := t.Deadline(); ok && d.Add(-10*time.Second).Before(deadline) {
		deadline = d.Add(-10 * time.Second)
	}
	ctx, cancel := context.WithDeadline(root, deadline)
	t.Cleanup(cancel)
	return &browser{t: t, base: base, ctx: ctx}
}

// tab is one person's browser window.
type tab struct {
	b   *browser
	who string // "admin", "user": names screenshots
	ctx context.Context
	doc *servedDoc // the page it shows, as served
}

// newTab opens a tab in a fresh browser context.
func (b *browser) newTab(who string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab for %s: %v", who, err)
	}
	// Several tabs share one headless window: let each behave as the
	// focused one, so keyboard focus and :focus-visible work as for a
	// person in front of it.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		b.t.Fatalf("focus emulation: %v", err)
	}
	p := &tab{b: b, who: who, ctx: ctx, doc: &servedDoc{}}
	if err := chromedp.Listen(ctx, p.doc.listen); err != nil {
		b.t.Fatalf("listen to %s's tab: %v", who, err)
	}
	b.t.Cleanup(func() {
		if b.t.Failed() {
			p.saveFailure()
		}
	})
	return p
}

// arrived reports that a flow reached a page called name.
func (p *tab) arrived(name string) {
	p.b.t.Helper()
	if p.b.seen != nil {
		p.b.seen(p, name)
	}
}

// tabRun runs one action within stepTimeout and fails the test with the state
// of the page when it fails.
func tabRun[T any](p *tab, what string, a chromedp.Action[T]) T {
	p.b.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fatalf("%s: %v", what, err)
	}
	return v
}

// do runs actions that return nothing, as one step.
func (p *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.b.t.Helper()
	tabRun(p, what, chromedp.Steps(actions...))
}

// tabEval evaluates a JavaScript expression in the page.
func tabEval[T any](p *tab, what, js string) T {
	p.b.t.Helper()
	return tabRun(p, what, chromedp.Evaluate[T](js))
}

// pageState is what a failure message says about the page.
type pageState struct {
	URL     string `json:"url"`
	Title   string `json:"title"`
	H1      string `json:"h1"`
	Notices string `json:"notices"`
	Errors  string `json:"errors"`
}

const pageStateJS = `(() => {
	const text = sel => Array.from(document.querySelectorAll(sel)).map(e => e.textContent.replace(/\s+/g, ' ').trim()).join(' | ');
	return {url: location.href, title: document.title, h1: text('h1'), notices: text('.notice'), errors: text('.field-error')};
})()`

// state reads the page's address, heading and messages without waiting.
func (p *tab) state() (pageState, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[pageState](pageStateJS))
}

func (s pageState) String() string {
	out := fmt.Sprintf("page %s, title %q, h1 %q", s.URL, s.Title, s.H1)
	if s.Notices != "" {
		out += fmt.Sprintf(", notices %q", s.Notices)
	}
	if s.Errors != "" {
		out += fmt.Sprintf(", field errors %q", s.Errors)
	}
	return out
}

// fatalf ends the test with the message and where the tab is.
func (p *tab) fatalf(format string, args ...any) {
	p.b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if s, err := p.state(); err == nil {
		msg += "\n\t" + p.who + " is at " + s.String()
	}
	p.b.t.Fatal(msg)
}

// saveFailure keeps a screenshot of the tab when the test failed.
func (p *tab) saveFailure() {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(p.b.t.Name()+"-"+p.who, "-")
	file := filepath.Join(screenshotDir(p.b.t), "failed-"+name+".png")
	if os.WriteFile(file, buf, 0o644) == nil {
		p.b.t.Logf("screenshot of %s's tab at the failure: %s", p.who, file)
	}
}

// open loads path of the instance.
func (p *tab) open(path string) {
	p.b.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.b.base+path))
}

// click clicks the element of a CSS selector and waits until the page it
// leads to has loaded.
func (p *tab) click(sel string) {
	p.b.t.Helper()
	tabRun(p, "click "+sel+" and wait for the next page",
		chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
}

// press sends a key that leads to another page (Enter on a button or link)
// and waits until that page has loaded.
func (p *tab) press(key string) {
	p.b.t.Helper()
	tabRun(p, fmt.Sprintf("press %q and wait for the next page", key),
		chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(key)))
}

// fill types value into the field of a CSS selector, replacing its text.
func (p *tab) fill(sel, value string) {
	p.b.t.Helper()
	p.do("type into "+sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ''`, jsString(sel))),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

// check ticks (on) or unticks a checkbox by clicking it when needed.
func (p *tab) check(sel string, on bool) {
	p.b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.checked : null; })()`, jsString(sel))
	checked := tabEval[*bool](p, "read "+sel, js)
	if checked == nil {
		p.fatalf("no checkbox %s", sel)
	}
	if *checked != on {
		p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	}
}

// text is the visible text of the first element of a CSS selector.
func (p *tab) text(sel string) string {
	p.b.t.Helper()
	return strings.TrimSpace(tabRun(p, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// count is the number of elements of a CSS selector, now.
func (p *tab) count(sel string) int {
	p.b.t.Helper()
	return tabEval[int](p, "count "+sel, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)))
}

// texts are the texts of every element of a CSS selector, now.
func (p *tab) texts(sel string) []string {
	p.b.t.Helper()
	return tabEval[[]string](p, "read "+sel, fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s)).map(e => e.textContent.replace(/\s+/g, ' ').trim())`, jsString(sel)))
}

// attr is an attribute of the first element of a CSS selector.
func (p *tab) attr(sel, name string) string {
	p.b.t.Helper()
	r := tabRun(p, "read "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if !r.Exists {
		p.fatalf("%s has no attribute %s", sel, name)
	}
	return r.Value
}

// path is the path (with query) of the page.
func (p *tab) path() string {
	p.b.t.Helper()
	loc := tabRun(p, "read the address", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		p.fatalf("address %q: %v", loc, err)
	}
	return u.RequestURI()
}

// expect checks that the page's h1 contains heading; otherwise the test
// ends with what the page says instead.
func (p *tab) expect(heading string) {
	p.b.t.Helper()
	s, err := p.state()
	if err != nil {
		p.fatalf("read the page: %v", err)
	}
	if !strings.Contains(s.H1, heading) {
		p.b.t.Fatalf("%s expected a page with heading %q, got %s", p.who, heading, s)
	}
}

// expectNotice checks that a .notice of the page contains text.
func (p *tab) expectNotice(text string) {
	p.b.t.Helper()
	s, err := p.state()
	if err != nil {
		p.fatalf("read the page: %v", err)
	}
	if !strings.Contains(s.Notices, text) {
		p.b.t.Fatalf("%s expected a notice with %q, got %s", p.who, text, s)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shooter saves a full-page screenshot of every page a flow arrives at into
// dir, numbered in order: NN-who-name.png.
func shooter(t *testing.T, dir string) func(p *tab, name string) {
	n := 0
	return func(p *tab, name string) {
		t.Helper()
		n++
		buf := tabRun(p, "screenshot of "+name, chromedp.FullScreenshot(100))
		file := filepath.Join(dir, fmt.Sprintf("%02d-%s-%s.png", n, p.who, name))
		if err := os.WriteFile(file, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// clearScreenshots removes the numbered screenshots of an earlier run, so
// the folder shows one story.
func clearScreenshots(t *testing.T, dir string) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.png"))
	failed, _ := filepath.Glob(filepath.Join(dir, "failed-*.png"))
	for _, f := range append(old, failed...) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
}

// totpApp hands out the codes of one TOTP secret like an authenticator app,
// each from a time step the server has not seen: it refuses a step twice
// (replay) and accepts one step either side of now, so a test that uses a
// token several times within 30 seconds takes the steps around now rather
// than waiting for the clock, and waits only when those are used up.
type totpApp struct {
	secret []byte
	last   int64
}

func newTOTP(secret []byte) *totpApp { return &totpApp{secret: secret} }

// totpMargin is how long a code must stay acceptable: the time to type and
// submit it on a busy machine.
const totpMargin = 8 * time.Second

func (c *totpApp) code() string {
	period := int64(otp.Default.Period)
	for {
		now := time.Now()
		lo := otp.Step(now.Add(totpMargin), otp.Default.Period) - 1 // still accepted after totpMargin
		hi := otp.Step(now, otp.Default.Period) + 1
		step := max(c.last+1, lo)
		if step <= hi {
			c.last = step
			return otp.TOTPCode(c.secret, time.Unix(step*period, 0), otp.Default)
		}
		// Every acceptable step is used: wait until the step before the
		// next one begins.
		time.Sleep(time.Until(time.Unix((step-1)*period, 0)) + 100*time.Millisecond)
	}
}

// browserPortal is a resource with an enabled portal and one user assigned
// to it, made through the API.
type browserPortal struct {
	ResourceID int64
	Resource   string
	Alias      string
	Login      string
	Password   string
	FirstName  string
}

// makeBrowserPortal makes the resource, the user and the portal of s with
// the API key; settings are the portal's settings (the alias is added).
func makeBrowserPortal(t *testing.T, inst *Instance, key string, s *browserPortal, settings map[string]any) {
	t.Helper()
	k := newKeyClient(inst, key)
	var r, u struct {
		ID int64 `json:"id"`
	}
	k.must(t, http.MethodPost, "/resources", map[string]any{"name": s.Resource, "description": "Browser test resource"}, &r)
	s.ResourceID = r.ID
	k.must(t, http.MethodPost, "/users", map[string]any{
		"login": s.Login, "password": s.Password, "first_name": s.FirstName, "last_name": "Tester", "phone": "+31612345678",
	}, &u)
	k.must(t, http.MethodPut, fmt.Sprintf("/resources/%d/users/%d", r.ID, u.ID), nil, nil)
	settings["alias"] = s.Alias
	k.must(t, http.MethodPut, fmt.Sprintf("/resources/%d/portal", r.ID), settings, nil)
}

// adminSignIn signs in at /admin/login with login and password and enrols
// TOTP from the key shown as text, as a first sign-in does; it ends on the
// dashboard.
func (p *tab) adminSignIn(login, password string) {
	p.b.t.Helper()
	p.open("/admin/login")
	p.expect("Sign in to the admin console")
	p.arrived("sign-in")
	p.fill("#login", login)
	p.fill("#password", password)
	p.click("main form button[type=submit]")

	p.expect("Set up two-factor sign-in")
	p.arrived("enrol-totp")
	if src := p.attr("img.qr", "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		p.fatalf("the enrolment QR code is not a PNG data URI: %.40q", src)
	}
	codes := newTOTP(apptest.Base32Secret(p.b.t, p.text("#totp-secret")))
	p.fill("#code", codes.code())
	p.click("main form button[type=submit]")
	p.expect("Dashboard")
	p.arrived("dashboard")
}

// portalSignIn signs in to the portal at alias with login and password and,
// when the portal asks for it, the OTP that otp returns (nil: the test
// expects no OTP step). It ends on the page after the sign-in.
func (p *tab) portalSignIn(alias, login, password string, otp func() string) {
	p.b.t.Helper()
	if p.path() != "/selfservice/"+alias+"/login" || p.count("#login") != 1 {
		p.open("/selfservice/" + alias + "/login")
	}
	if p.count("#login") != 1 {
		p.fatalf("no sign-in form")
	}
	p.arrived("portal-sign-in")
	p.fill("#login", login)
	p.click("main form button[type=submit]")
	if p.count("#password") != 1 {
		p.fatalf("no password step")
	}
	p.arrived("portal-password")
	p.fill("#password", password)
	p.click("main form button[type=submit]")
	if p.count("#otp") == 0 {
		if otp != nil {
			p.fatalf("the portal asked for no OTP")
		}
		return
	}
	if otp == nil {
		p.fatalf("the portal asked for an OTP")
	}
	p.arrived("portal-otp")
	p.fill("#otp", otp())
	p.click("main form button[type=submit]")
}

// portalSignOut presses Sign out in the portal's header.
func (p *tab) portalSignOut() {
	p.b.t.Helper()
	p.click("header.portal-head form button[type=submit]")
	if p.count("#login") != 1 {
		p.fatalf("no sign-in form after signing out")
	}
}

// chooseLanguage picks lang in the page's language switcher, unless the page
// is in lang already.
func (p *tab) chooseLanguage(lang string) {
	p.b.t.Helper()
	if p.attr("html", "lang") == lang {
		return
	}
	p.click(`form.lang-switch button[value="` + lang + `"]`)
	if got := p.attr("html", "lang"); got != lang {
		p.fatalf("after choosing %s in the switcher: <html lang=%q>", lang, got)
	}
}

// expectPath checks that the page's path (without query) starts with prefix.
func (p *tab) expectPath(prefix string) {
	p.b.t.Helper()
	if path, _, _ := strings.Cut(p.path(), "?"); !strings.HasPrefix(path, prefix) {
		p.fatalf("expected a page at %s", prefix)
	}
}

// auditLibJS defines window.tpAudit: colour arithmetic of WCAG 2.x
// (relative luminance, contrast ratio, alpha compositing) and the effective
// background of an element: its own and its ancestors' background colours
// composited up to the first opaque one (white canvas below). A background
// image makes the background unknown (null).
const auditLibJS = `window.tpAudit = window.tpAudit || (() => {
	const parse = c => {
		const m = /^rgba?\(([^)]*)\)$/.exec((c || '').trim());
		if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
		return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
	};
	const over = (top, bottom) => {
		const a = top[3] + bottom[3] * (1 - top[3]);
		if (a === 0) return [0, 0, 0, 0];
		return [0, 1, 2].map(i => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
	};
	const lum = c => {
		const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
	};
	const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
	const background = el => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const s = getComputedStyle(e);
			if (s.backgroundImage && s.backgroundImage !== 'none') return null;
			const c = parse(s.backgroundColor);
			if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
		}
		let bg = [255, 255, 255, 1];
		for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
		return bg;
	};
	return {parse, over, lum, ratio, background};
})();`

// auditJS checks the page as rendered and returns its problems, one line
// each, as "rule: element — detail":
//   - lang: <html> has a non-empty lang;
//   - h1: exactly one h1;
//   - label: every input, select and textarea (but hidden and button-like
//     inputs) has a label (label[for], a wrapping label, aria-label or
//     aria-labelledby) with text;
//   - alt: every img has an alt attribute; an svg is aria-hidden or named;
//   - name: every link and button has an accessible name;
//   - contrast: every visible text has a contrast of 4.5:1 against its
//     effective background, 3:1 when large (24px, or 18.66px bold) — WCAG
//     1.4.3; disabled controls are exempt;
//   - icon-contrast: visible icons (svg drawn in currentColor) 3:1 — WCAG
//     1.4.11.
//
// pageChecker's overflowAt checks the width (at 390 px, as a phone).
const auditJS = auditLibJS + `(() => {
	const A = window.tpAudit, out = [];
	const squash = s => (s || '').replace(/\s+/g, ' ').trim();
	const desc = el => {
		let d = el.tagName.toLowerCase();
		if (el.id) d += '#' + el.id;
		if (el.getAttribute('name')) d += '[name=' + el.getAttribute('name') + ']';
		if (typeof el.className === 'string' && el.className.trim()) d += '.' + el.className.trim().split(/\s+/).join('.');
		const t = el === document.documentElement || el === document.body ? '' : squash(el.textContent).slice(0, 50);
		if (t) d += ' "' + t + '"';
		return d;
	};
	const add = (rule, el, detail) => out.push(rule + ': ' + (el ? desc(el) : '') + (detail ? ' — ' + detail : ''));
	const byIDs = ids => ids.split(/\s+/).map(id => document.getElementById(id)).filter(Boolean).map(e => squash(e.textContent)).join(' ').trim();
	const name = el => {
		const lb = el.getAttribute('aria-labelledby');
		if (lb && byIDs(lb)) return byIDs(lb);
		const al = squash(el.getAttribute('aria-label'));
		if (al) return al;
		if (el.labels && el.labels.length) {
			const n = Array.from(el.labels).map(l => squash(l.textContent)).join(' ').trim();
			if (n) return n;
		}
		if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type)) return squash(el.value);
		if (el.tagName === 'A' || el.tagName === 'BUTTON' || el.getAttribute('role') === 'button') {
			const n = squash(el.textContent) || Array.from(el.querySelectorAll('img[alt]')).map(i => squash(i.alt)).join(' ').trim();
			if (n) return n;
		}
		return squash(el.getAttribute('title'));
	};

	const lang = document.documentElement.getAttribute('lang');
	if (!lang || !lang.trim()) add('lang', document.documentElement, 'no lang attribute');
	const h1s = document.querySelectorAll('h1');
	if (h1s.length !== 1) add('h1', null, h1s.length + ' h1 elements: ' + Array.from(h1s).map(h => JSON.stringify(squash(h.textContent))).join(', '));

	for (const el of document.querySelectorAll('input, select, textarea')) {
		const type = (el.getAttribute('type') || '').toLowerCase();
		if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
		const lb = el.getAttribute('aria-labelledby');
		const labelled = (el.labels && Array.from(el.labels).some(l => squash(l.textContent))) ||
			squash(el.getAttribute('aria-label')) || (lb && byIDs(lb));
		if (!labelled) add('label', el, 'no label');
	}
	for (const el of document.querySelectorAll('img')) {
		if (!el.hasAttribute('alt')) add('alt', el, 'img without alt');
		else if (!squash(el.alt) && el.closest('a, button') && !name(el.closest('a, button'))) add('alt', el, 'the only content of a link or button has an empty alt');
	}
	for (const el of document.querySelectorAll('svg')) {
		if (el.closest('[aria-hidden=true]')) continue;
		if (!name(el) && !el.querySelector('title')) add('alt', el, 'svg neither aria-hidden nor named');
	}
	for (const el of document.querySelectorAll('a[href], button, [role=button], input[type=submit], input[type=button]')) {
		if (!name(el)) add('name', el, 'no accessible name');
	}

	// Contrast of what is on screen.
	const clipped = el => {
		for (let e = el; e && e !== document.body; e = e.parentElement) {
			const s = getComputedStyle(e), r = e.getBoundingClientRect();
			if (s.position === 'absolute' && s.clip && s.clip !== 'auto') return true;
			if (s.overflow === 'hidden' && (r.width <= 1 || r.height <= 1)) return true;
		}
		return false;
	};
	const visible = el => {
		const s = getComputedStyle(el);
		if (s.display === 'none' || s.visibility !== 'visible') return false;
		const r = el.getBoundingClientRect();
		if (r.width < 1 || r.height < 1 || r.right <= 0 || r.bottom <= 0) return false;
		return !clipped(el);
	};
	const opacity = el => { let o = 1; for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; };
	const check = (el, rule, needFor) => {
		const s = getComputedStyle(el);
		const bg = A.background(el);
		const fg = A.parse(s.color);
		if (!bg || !fg) return;
		fg[3] *= opacity(el);
		const r = A.ratio(A.over(fg, bg), bg);
		const need = needFor(s);
		if (r + 1e-6 < need) add(rule, el, r.toFixed(2) + ':1, needs ' + need + ':1 (' + s.color + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + '), ' + s.fontSize + ' weight ' + s.fontWeight + ')');
	};
	const textNeed = s => {
		const size = parseFloat(s.fontSize), weight = parseInt(s.fontWeight, 10);
		return size >= 24 || (size >= 18.66 && weight >= 700) ? 3 : 4.5;
	};
	const done = new Set();
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		if (!n.nodeValue.trim() || !el || done.has(el)) continue;
		done.add(el);
		if (el.closest('option, script, style, noscript, svg') || el.closest(':disabled') || !visible(el)) continue;
		check(el, 'contrast', textNeed);
	}
	for (const el of document.querySelectorAll('input, select, textarea')) {
		if (['hidden', 'checkbox', 'radio', 'submit', 'button', 'reset', 'image'].includes(el.type) || el.disabled || !visible(el)) continue;
		check(el, 'contrast', textNeed);
	}
	for (const el of document.querySelectorAll('svg')) {
		if (!visible(el)) continue;
		check(el, 'icon-contrast', () => 3);
	}
	return out;
})()`
