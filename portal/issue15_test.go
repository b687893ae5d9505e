package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// What a new user tripped over in the portal (issue 15).

// wantNoConsoleLink fails when the page's content links to the console's
// sign-in.
func wantNoConsoleLink(t *testing.T, p *apptest.Page) {
	t.Helper()
	if n := p.Doc.Find(`main a[href="/"], main a[href^="/admin"]`).Length(); n != 0 {
		t.Fatalf("%s links to the console: %s", p.URL.Path, p.Text("main"))
	}
}

// A portal's unknown page sends people to the portal's start; an unknown
// portal sends them nowhere (certainly not to the console).
func TestPortalNotFoundPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.env.Browser()

	p := b.Get(f.path("/no-such-page"))
	if p.Status != http.StatusNotFound || p.Doc.Find(`main a[href="`+f.path("/")+`"]`).Length() != 1 {
		t.Fatalf("unknown page of a portal: %d %s", p.Status, p.Text("main"))
	}
	wantNoConsoleLink(t, p)
	if action, _ := p.Doc.Find(`form.lang-switch`).Attr("action"); action != f.path("/language") {
		t.Fatalf("the language switcher of the portal's 404 posts to %q", action)
	}

	p = b.Get("/selfservice/" + tag("nope") + "/login")
	if p.Status != http.StatusNotFound || !strings.Contains(p.Text("h1"), "Portal not found") || p.Doc.Find("main a").Length() != 0 {
		t.Fatalf("unknown portal: %d %s", p.Status, p.Text("main"))
	}
	wantNoConsoleLink(t, p)
	if next, _ := p.Doc.Find(`form.lang-switch input[name="return_to"]`).Attr("value"); next != p.URL.Path {
		t.Fatalf("the language switcher of an unknown portal returns to %q", next)
	}
	p = b.Get("/selfservice/" + tag("nope") + "/no-such-page")
	if p.Status != http.StatusNotFound || p.Doc.Find("main a").Length() != 0 {
		t.Fatalf("unknown page of an unknown portal: %d %s", p.Status, p.Text("main"))
	}
}

// Aliases match without regard to case; links keep the canonical alias.
func TestPortalAliasIgnoresCase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	upper := "/selfservice/" + strings.ToUpper(f.portal.Alias)
	b := f.env.Browser()
	p := b.Get(upper + "/login")
	wantPage(t, p, http.StatusOK, f.path("/login"))
	if a, _ := p.Doc.Find(`main form`).Attr("action"); a != f.path("/login") {
		t.Fatalf("form posts to %q", a)
	}
	p = b.Post(upper+"/login", apptest.Form("login", f.user.Login))
	if p.Doc.Find(`input[name="password"]`).Length() != 1 {
		t.Fatalf("sign-in at the upper-case alias: %d %s", p.Status, p.Text("main"))
	}
	p = b.Post(upper+"/login", apptest.Form("password", f.password))
	wantPage(t, p, http.StatusOK, f.path("/home"))
}

// The recovery codes page offers Copy, Download and Print through a script
// of its own; the buttons wait hidden until the script shows them.
func TestRecoveryCodesTools(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	p := b.Post(f.act("register-token"), apptest.Form("type", "totp"))
	secret := pageSecret(t, p)
	p = b.Post(f.act("register-token"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)))
	if len(recoveryCodes(p)) == 0 {
		t.Fatalf("no recovery codes: %d %s", p.Status, p.Text("main"))
	}
	tools := p.Doc.Find(".recovery-tools")
	if _, hidden := tools.Attr("hidden"); !hidden || tools.Length() != 1 {
		t.Fatal("the recovery tools are not hidden until the script runs")
	}
	for _, want := range []string{"copy", "download", "print"} {
		if tools.Find(`button[type="button"][data-recovery="`+want+`"]`).Length() != 1 {
			t.Fatalf("no %s button", want)
		}
	}
	if got := tools.Find("button").Text(); !strings.Contains(got, "Copy") || !strings.Contains(got, "Download") || !strings.Contains(got, "Print") {
		t.Fatalf("button labels %q", got)
	}
	src, _ := p.Doc.Find(`script[src*="/assets/recovery-codes.js"]`).Attr("src")
	if src == "" || p.Doc.Find("script:not([src])").Length() != 0 {
		t.Fatal("the page does not load recovery-codes.js (and no inline script)")
	}
	if js := b.Get(src); js.Status != http.StatusOK || !strings.Contains(js.Body, "new Blob(") {
		t.Fatalf("recovery-codes.js: %d", js.Status)
	}
	// Only that page loads it.
	if home := b.Get(f.path("/home")); home.Doc.Find(`script[src*="recovery-codes.js"]`).Length() != 0 {
		t.Fatal("the start page loads recovery-codes.js")
	}
}

// A PIN is typed twice; when the two differ nothing is stored.
func TestSetPINTwiceMismatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	b := f.signIn(t, f.totp(0))
	p := b.Get(f.act("set-pin"))
	if p.Doc.Find(`input[name="pin"][type="password"]`).Length() != 1 || p.Doc.Find(`input[name="pin_confirm"][type="password"]`).Length() != 1 {
		t.Fatalf("set-pin asks the PIN twice: %s", p.Text("main"))
	}
	f.env.Clock.Advance(30 * time.Second)
	p = b.Post(f.act("set-pin"), apptest.Form("serial", tok.Serial, "pin", "135790", "pin_confirm", "135791", "pin_position", "after", "otp", f.totp(0)))
	wantFieldError(t, p, "pin_confirm", "differ")
	if f.reload(t, tok).HasPIN() {
		t.Fatal("a PIN was stored although the two differ")
	}
	if checked(p, "serial") != tok.Serial || inputValue(p, "pin") != "" || inputValue(p, "pin_confirm") != "" {
		t.Fatal("the token choice is not kept, or a PIN is")
	}
}

// Home groups the actions: each token's row has its own, the account its.
// "Manage environment" is "Devices and sign-ins".
func TestHomeGroupsActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	b := f.signIn(t, f.totp(0))
	home := b.Get(f.path("/home"))
	tokens := home.Doc.Find(`section[aria-labelledby="tokens-title"]`)
	row := tokens.Find("tbody tr")
	for _, id := range []string{"sync-token", "set-pin", "unassign-token", "reassign-token"} {
		if row.Find(`a[href="`+f.act(id)+"?serial="+url.QueryEscape(tok.Serial)+`"]`).Length() != 1 {
			t.Fatalf("the token's row has no %s: %s", id, row.Text())
		}
	}
	if row.Find(`a[href^="`+f.act("remove-pin")+`"]`).Length() != 0 {
		t.Fatal("remove-pin offered for a token without PIN")
	}
	if tokens.Find(`a[href="`+f.act("register-token")+`"]`).Length() != 1 {
		t.Fatal("register-token is not with the tokens")
	}
	account := home.Doc.Find(`section[aria-labelledby="contact-title"]`)
	for _, id := range []string{"change-password", "change-email", "change-phone", "change-login", "change-name", "manage-environment"} {
		if account.Find(`a[href="`+f.act(id)+`"]`).Length() != 1 {
			t.Fatalf("%s is not with the account", id)
		}
		if tokens.Find(`a[href^="`+f.act(id)+`"]`).Length() != 0 {
			t.Fatalf("%s is with the tokens", id)
		}
	}
	if got := account.Find(`a[href="` + f.act("manage-environment") + `"]`).Text(); got != "Devices and sign-ins" {
		t.Fatalf("manage-environment is labelled %q", got)
	}
	if strings.Contains(home.Body, "Manage environment") {
		t.Fatal("the old label is still shown")
	}
	// The row's link chooses its token.
	p := b.Get(f.act("sync-token") + "?serial=" + url.QueryEscape(tok.Serial))
	if checked(p, "serial") != tok.Serial {
		t.Fatal("the row's link does not choose its token")
	}
	p = b.Get(f.act("manage-environment"))
	if p.Text("h1") != "Devices and sign-ins" || !strings.HasPrefix(p.Text("title"), "Devices and sign-ins") {
		t.Fatalf("environment page: title %q, h1 %q", p.Text("title"), p.Text("h1"))
	}
}

// After an approved lost-token request, home leads to a new token first.
func TestHomeLeadsToNewTokenAfterLoss(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.giveToken(t, "totp", nil)
	done(t, restoreAs(t, f, f.env.Browser(), f.user.Login, []string{"lost_token"}, map[string]string{"password": userPassword}, nil))
	issue := openIssues(t, f, f.user.ID)[0]
	if _, err := f.env.Svc.VerifyIssue(context.Background(), issue.ID, workflow.SystemActor, "", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "")
	home := b.Get(f.path("/home"))
	first := home.Doc.Find("main").Children().First()
	if !first.HasClass("lost-token-lead") || first.Find(`a[href="`+f.act("register-token")+`"]`).Length() != 1 {
		t.Fatalf("home does not lead to a new token first: %s", home.Text("main"))
	}
	// With a usable token again, the lead is gone.
	g := newFixture(t, nil)
	g.giveToken(t, "totp", nil)
	if h := g.signIn(t, g.totp(0)).Get(g.path("/home")); h.Doc.Find(".lost-token-lead").Length() != 0 {
		t.Fatal("the lead is shown to a user with a usable token")
	}
}

// autocomplete is what the field holds; wantAutocomplete checks each.
func wantAutocomplete(t *testing.T, p *apptest.Page, fields map[string]string) {
	t.Helper()
	for name, want := range fields {
		got, ok := p.Doc.Find(`main input[name="` + name + `"]`).Attr("autocomplete")
		if !ok || got != want {
			t.Errorf("%s: input %s has autocomplete %q, want %q", p.URL.Path, name, got, want)
		}
	}
}

// wantUsername checks the field that names the account to password managers.
func wantUsername(t *testing.T, p *apptest.Page, login string) {
	t.Helper()
	u := p.Doc.Find(`main form input[name="username"][autocomplete="username"]`)
	v, _ := u.Attr("value")
	if u.Length() != 1 || v != login || !u.HasClass("visually-hidden") {
		t.Fatalf("%s: no username field for %q (%d, %q)", p.URL.Path, login, u.Length(), v)
	}
	if _, ro := u.Attr("readonly"); !ro {
		t.Fatalf("%s: the username field is editable", p.URL.Path)
	}
}

// Password managers: the password steps name the account in a username
// field, and every field says what it holds.
func TestPasswordManagerFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.giveToken(t, "totp", nil)
	b := f.env.Browser()
	p := b.Get(f.path("/login"))
	wantAutocomplete(t, p, map[string]string{"login": "username"})
	p = b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	wantUsername(t, p, f.user.Login)
	wantAutocomplete(t, p, map[string]string{"password": "current-password"})
	p = b.Post(f.path("/login"), apptest.Form("password", f.password))
	wantAutocomplete(t, p, map[string]string{"otp": "one-time-code"})
	p = b.Post(f.path("/login"), apptest.Form("otp", f.totp(0)))
	wantPage(t, p, http.StatusOK, "/home")

	p = b.Get(f.act("change-password"))
	wantUsername(t, p, f.user.Login)
	wantAutocomplete(t, p, map[string]string{"password": "current-password", "new_password": "new-password"})
	wantAutocomplete(t, b.Get(f.act("change-email")), map[string]string{"new_email": "email"})
	wantAutocomplete(t, b.Get(f.act("change-phone")), map[string]string{"phone": "tel"})
	wantAutocomplete(t, b.Get(f.act("change-name")), map[string]string{"first_name": "given-name", "last_name": "family-name"})
	wantAutocomplete(t, b.Get(f.act("change-login")), map[string]string{"new_login": "username"})
	wantAutocomplete(t, b.Get(f.act("sync-token")), map[string]string{"otp1": "one-time-code", "otp2": "one-time-code"})

	r := f.env.Browser()
	p = r.Post(f.path("/restore"), apptest.Form("login", f.user.Login, "lost_token", "1", "forgot_password", "1"))
	wantAutocomplete(t, p, map[string]string{"email_code": "one-time-code"})
	p = r.Post(f.path("/restore"), apptest.Form("email_code", "123456"))
	wantUsername(t, p, f.user.Login)
	wantAutocomplete(t, p, map[string]string{"new_password": "new-password"})
}

// A form posted after the session ended leads to the sign-in, which says
// so; the name typed waits and fills the form after the sign-in. Secrets
// are never kept.
func TestStaleFormAfterSignOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	b.Get(f.act("change-name"))
	b.Post(f.path("/logout"), nil)

	p := b.Post(f.act("change-name"), apptest.Form("first_name", "Janet", "last_name", "Roe"))
	wantPage(t, p, http.StatusOK, "/login")
	if got := p.Text(".notice"); !strings.Contains(got, "Your session has ended. Please sign in again.") {
		t.Fatalf("sign-in after a stale form says %q", got)
	}
	if u := f.reloadUser(t); u.FirstName != "Jane" {
		t.Fatal("a stale form changed the name")
	}
	// Said once.
	if again := b.Get(f.path("/login")); strings.Contains(again.Text("main"), "session has ended") {
		t.Fatal("the notice is shown again")
	}
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	p = b.Post(f.path("/login"), apptest.Form("password", f.password))
	wantPage(t, p, http.StatusOK, "/actions/change-name")
	if inputValue(p, "first_name") != "Janet" || inputValue(p, "last_name") != "Roe" {
		t.Fatalf("the typed name is not back: %q %q", inputValue(p, "first_name"), inputValue(p, "last_name"))
	}
	// Once: the form shows the saved names again afterwards.
	if again := b.Get(f.act("change-name")); inputValue(again, "first_name") != "Jane" {
		t.Fatal("the kept input is used twice")
	}

	// A password form keeps nothing: after the sign-in, home.
	b.Post(f.path("/logout"), nil)
	p = b.Post(f.act("change-password"), apptest.Form("password", f.password, "new_password", "some-new-secret-words-9"))
	if !strings.Contains(p.Text(".notice"), "session has ended") {
		t.Fatalf("no notice: %s", p.Text("main"))
	}
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	p = b.Post(f.path("/login"), apptest.Form("password", f.password))
	wantPage(t, p, http.StatusOK, "/home")
	if strings.Contains(p.Body, "some-new-secret-words-9") {
		t.Fatal("a password was kept")
	}
}

// languageBrowser is a browser whose switcher chose lang.
func languageBrowser(t *testing.T, f *fixture, lang string) *apptest.Browser {
	t.Helper()
	b := f.env.Browser()
	u, _ := url.Parse(f.env.Server.URL)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: i18n.CookieName, Value: lang, Path: "/"}})
	return b
}

// The sign-in, home, restore and action pages speak German and Dutch.
func TestPortalPagesTranslated(t *testing.T) {
	t.Parallel()
	data := []string{"Jane Doe", "Jane", "Doe", "VPN", "TOTP", "HOTP", "PIN", "Token", "Portal", "Firefox"}
	// A fixture per language: a user's language, once learnt, wins over
	// the switcher's.
	pages := func(lang string) map[string]*apptest.Page {
		f := newFixture(t, nil)
		f.giveToken(t, "totp", nil)
		b := languageBrowser(t, f, lang)
		out := map[string]*apptest.Page{"login": b.Get(f.path("/login"))}
		out["password"] = b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
		out["otp"] = b.Post(f.path("/login"), apptest.Form("password", f.password))
		out["home"] = b.Post(f.path("/login"), apptest.Form("otp", f.totp(0)))
		for _, id := range workflow.Actions {
			if id != "create-password" && id != "remove-pin" { // not for a user with a password and no PIN
				out[id] = b.Get(f.act(id))
			}
		}
		out["enrol-confirm"] = b.Post(f.act("register-token"), apptest.Form("type", "totp"))
		f.env.Clock.Advance(11 * time.Minute)
		out["reauth"] = b.Get(f.act("change-password"))
		r := languageBrowser(t, f, lang)
		out["restore"] = r.Get(f.path("/restore"))
		out["restore-prove"] = r.Post(f.path("/restore"), apptest.Form("login", f.user.Login, "lost_token", "1"))
		return out
	}
	en := pages("en")
	want := map[string]map[string]string{
		"de": {"login": "Anmeldename", "password": "Passwort", "otp": "Einmalpasswort", "home": "Ihre Token", "restore": "Zugang wiederherstellen", "restore-prove": "was Sie noch haben"},
		"nl": {"login": "Gebruikersnaam", "password": "Wachtwoord", "otp": "Eenmalig wachtwoord", "home": "Je tokens", "restore": "Toegang herstellen", "restore-prove": "zien wat je nog hebt"},
	}
	for _, lang := range []string{"de", "nl"} {
		tr := pages(lang)
		for name, p := range tr {
			if p.Status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", lang, name, p.Status, p.Text("main"))
			}
			if lg, _ := p.Doc.Find("html").Attr("lang"); lg != lang {
				t.Errorf("%s %s: html lang %q", lang, name, lg)
			}
			if w := want[lang][name]; w != "" && !strings.Contains(p.Text("main"), w) {
				t.Errorf("%s %s: no %q in %s", lang, name, want[lang][name], p.Text("main"))
			}
			if left := apptest.Untranslated(en[name], p, lang, data...); len(left) > 0 {
				t.Errorf("%s %s: English left: %q", lang, name, left)
			}
		}
	}
}
