package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLanguages walks the portal's sign-in, home and restore pages
// and the console's User Issues in German and Dutch, switching with the
// visible switcher, and saves a screenshot of each for a reader of the
// language (lang-<lang>-<page>.png in the screenshot folder), and checks
// each as pageChecker does (axe-core, html-validate, 390 px). On each page
// <html lang> names the language and the heading is not the English one;
// the User Issues row's actions stay within the 1280 px window (issue 15
// item 1, with the longer German and Dutch labels).
func TestBrowserLanguages(t *testing.T) {
	// A database of its own: its open requests must not show in the other
	// browser tests' User Issues.
	env := baseEnv(freshDatabase(t))
	inst := start(t, env)
	key := apiKey(t, env, "superadmin")
	s := &browserPortal{Resource: "VPN Utrecht", Alias: "vpn-utrecht", Login: "lang.user", Password: "Talen-Sprachen-Languages-3", FirstName: "Noor"}
	makeBrowserPortal(t, inst, key, s, map[string]any{
		"enabled": true, "actions": []string{"register-token", "set-pin", "change-password", "manage-environment"}, "token_types": []string{"totp"},
	})
	adminLogin := "lang-admin"
	adminPassword := createAdmin(t, env, adminLogin, "superadmin")

	dir := screenshotDir(t)
	old, _ := filepath.Glob(filepath.Join(dir, "lang-*.png"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	b := newBrowser(t, inst.URL)
	admin := b.newTab("admin")
	user := b.newTab("user")
	english := map[string]string{}
	check := newPageChecker(t)
	shot := func(p *tab, lang, name string) {
		t.Helper()
		check.check(p, name)
		if got := p.attr("html", "lang"); got != lang {
			p.fatalf("%s: <html lang=%q>, want %q", name, got, lang)
		}
		if h1 := p.text("h1"); english[name] != "" && h1 == english[name] {
			p.fatalf("%s in %s: the heading is the English one (%q)", name, lang, h1)
		}
		buf := tabRun(p, "screenshot of "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("lang-%s-%s.png", lang, name)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The English headings, to tell a translated page from an untranslated one.
	user.open("/selfservice/" + s.Alias + "/login")
	english["portal-sign-in"] = user.text("h1")
	user.open("/selfservice/" + s.Alias + "/restore")
	english["portal-restore"] = user.text("h1")

	admin.adminSignIn(adminLogin, adminPassword)
	english["user-issues"] = func() string { admin.open("/admin/issues"); return admin.text("h1") }()

	for _, lang := range []string{"de", "nl"} {
		user.open("/selfservice/" + s.Alias + "/login")
		user.chooseLanguage(lang)
		shot(user, lang, "portal-sign-in")
		user.fill("#login", s.Login)
		user.click("main form button[type=submit]")
		user.fill("#password", s.Password)
		user.click("main form button[type=submit]")
		if user.count(`form.lang-switch`) != 1 {
			user.fatalf("no language switcher on home")
		}
		// The language stored at the first sign-in beats the cookie;
		// switching while signed in stores the new one.
		user.chooseLanguage(lang)
		shot(user, lang, "portal-home")
		// The portal shows times in the viewer's zone (assets/local-time.js),
		// keeping the server's UTC text as the title.
		user.open("/selfservice/" + s.Alias + "/actions/manage-environment")
		if n := user.count("time[data-local]"); n == 0 || user.count("time[data-local][title]") != n {
			t.Errorf("devices and sign-ins in %s: %d times, %d in the viewer's zone", lang, n, user.count("time[data-local][title]"))
		}
		shot(user, lang, "portal-devices")
		user.click("header.portal-head form button[type=submit]") // sign out

		user.open("/selfservice/" + s.Alias + "/restore")
		shot(user, lang, "portal-restore")
		user.fill("#login", s.Login)
		user.check(`input[name=lost_token]`, true)
		user.click(`main form button[type=submit]`)
		shot(user, lang, "portal-restore-prove")
		user.fill("#password", s.Password)
		user.click(`main form button[type=submit]`)
		shot(user, lang, "portal-restore-sent")

		admin.open("/admin/issues")
		admin.chooseLanguage(lang)
		if admin.count("table.issues tbody tr") == 0 {
			t.Fatal("User Issues is empty")
		}
		shot(admin, lang, "user-issues")
		overflow := tabEval[[]string](admin, "row actions within the window", `(() => {
			const out = [];
			for (const el of document.querySelectorAll('table.issues tbody tr a, table.issues tbody tr button')) {
				const r = el.getBoundingClientRect();
				if (r.right > window.innerWidth || r.left < 0) out.push(el.textContent.trim() + ' ends at ' + Math.round(r.right));
			}
			return out;
		})()`)
		if len(overflow) > 0 {
			t.Errorf("User Issues in %s at %d px: actions off-screen: %v", lang, 1280, overflow)
		}
	}

	// Issue 15 item 2: the dashboard's chart tables, hidden for screen
	// readers, take no room (they used to add ~900 px of empty scroll).
	admin.open("/admin/")
	if tall := tabEval[[]string](admin, "hidden blocks take no room", `Array.from(document.querySelectorAll('.visually-hidden'))
		.filter(el => el.getBoundingClientRect().height > 1).map(el => el.className + ' ' + Math.round(el.getBoundingClientRect().height) + 'px')`); len(tall) > 0 {
		t.Errorf("visually hidden blocks on the dashboard take room: %v", tall)
	}
	// Item 11: at 390 px the console's header keeps Sign out on screen.
	admin.do("a phone's width", chromedp.EmulateViewport(390, 844))
	admin.open("/admin/")
	if off := tabEval[string](admin, "Sign out on screen", `(() => {
		const b = document.querySelector('form[action="/admin/logout"] button');
		const r = b.getBoundingClientRect();
		return (r.width > 1 && r.left >= 0 && r.right <= window.innerWidth) ? '' : 'from ' + Math.round(r.left) + ' to ' + Math.round(r.right);
	})()`); off != "" {
		t.Errorf("at 390 px the header's Sign out is clipped: %s", off)
	}
	shot(admin, "nl", "dashboard-390px")
}
