package portal_test

import (
	"net/http"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
)

// TestLanguageChoice: the portal speaks the language the browser asks for,
// the switcher's choice beats it, a signed-in user's stored language beats
// both, and switching while signed in stores it (SPEC §13).
func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	lang := func(p *apptest.Page) string { l, _ := p.Doc.Find("html").Attr("lang"); return l }

	b := f.env.Browser()
	b.AcceptLanguage = "de-DE,de;q=0.9,en;q=0.5"
	p := b.Get(f.path("/login"))
	if lang(p) != "de" || p.Text(".skip-link") != "Zum Inhalt springen" {
		t.Fatalf("Accept-Language de: lang=%q, skip link %q", lang(p), p.Text(".skip-link"))
	}
	if p.Doc.Find(`form.lang-switch button[name="lang"]`).Length() != 3 {
		t.Fatal("no switcher with three languages on the sign-in page")
	}
	if cur, _ := p.Doc.Find(`form.lang-switch button[aria-current="true"]`).Attr("value"); cur != "de" {
		t.Errorf("the switcher marks %q as current", cur)
	}

	// The switcher: cookie, back to the page, in Dutch.
	p = b.Post(f.path("/language"), apptest.Form("lang", "nl", "return_to", f.path("/login")))
	if p.URL.Path != f.path("/login") || lang(p) != "nl" {
		t.Fatalf("after switching to nl: %s lang=%q", p.URL.Path, lang(p))
	}
	// A foreign return address stays on this site; an unknown language is refused.
	if p = b.Post(f.path("/language"), apptest.Form("lang", "de", "return_to", "//evil.example/x")); p.URL.Host != f.env.Server.Listener.Addr().String() {
		t.Errorf("the switcher sent the browser to %s", p.URL)
	}
	if p = b.Post(f.path("/language"), apptest.Form("lang", "fr")); p.Status != http.StatusBadRequest {
		t.Errorf("an unknown language: %d", p.Status)
	}
	if lang(b.Get(f.path("/login"))) != "de" {
		t.Error("the refused choice changed the language")
	}

	// First sign-in with no stored language: the browser's is stored.
	if u := f.reloadUser(t); u.Language != "" {
		t.Fatalf("the fixture's user has language %q", u.Language)
	}
	s := f.signIn(t, "")
	s.AcceptLanguage = "nl"
	if p = s.Get(f.path("/home")); lang(p) != "nl" {
		t.Fatalf("home lang=%q", lang(p))
	}
	if u := f.reloadUser(t); u.Language != "nl" {
		t.Fatalf("the browser's language was not stored: %q", u.Language)
	}
	// The stored language beats Accept-Language; the switcher changes it.
	s.AcceptLanguage = "de"
	if p = s.Get(f.path("/home")); lang(p) != "nl" {
		t.Errorf("stored nl, browser de: lang=%q", lang(p))
	}
	p = s.Post(f.path("/language"), apptest.Form("lang", "de", "return_to", f.path("/home")))
	if lang(p) != "de" || f.reloadUser(t).Language != "de" {
		t.Errorf("switching while signed in: lang=%q stored=%q", lang(p), f.reloadUser(t).Language)
	}
}
