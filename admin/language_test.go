package admin_test

import (
	"context"
	"net/http"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// TestConsoleLanguage: the console follows the browser until an admin
// switches; the switch is stored as the admin's own language and beats the
// browser from then on, in any browser they sign in with (SPEC §13).
func TestConsoleLanguage(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	lang := func(p *apptest.Page) string { l, _ := p.Doc.Find("html").Attr("lang"); return l }

	anon := env.Browser()
	anon.AcceptLanguage = "nl-NL"
	if p := anon.Get("/admin/login"); lang(p) != "nl" {
		t.Fatalf("sign-in page with Accept-Language nl: lang=%q", lang(p))
	}

	b := signIn(t, env, workflow.RoleHelpdesk)
	b.AcceptLanguage = "de"
	if p := b.Get("/admin/"); lang(p) != "de" {
		t.Fatalf("dashboard with Accept-Language de: lang=%q", lang(p))
	}
	p := b.Post("/admin/language", apptest.Form("lang", "nl", "return_to", "/admin/users"))
	if p.URL.Path != "/admin/users" || lang(p) != "nl" {
		t.Fatalf("after switching: %s lang=%q", p.URL.Path, lang(p))
	}
	var stored *string
	login := p.Text(".admin-top .who strong")
	if err := env.App.Pool.QueryRow(context.Background(),
		`SELECT language FROM admins WHERE login = $1`, login).Scan(&stored); err != nil || stored == nil || *stored != "nl" {
		t.Fatalf("stored language of %q: %v (%v)", login, stored, err)
	}
	// A new browser of the same admin (no cookie, browser asks for German).
	b.Client.Jar.SetCookies(p.URL, []*http.Cookie{{Name: "lang", Value: "de", Path: "/"}})
	if p := b.Get("/admin/"); lang(p) != "nl" {
		t.Errorf("the admin's own language lost to the cookie: lang=%q", lang(p))
	}
	if p := b.Post("/admin/language", apptest.Form("lang", "xx")); p.Status != http.StatusBadRequest {
		t.Errorf("unknown language: %d", p.Status)
	}
}

// TestSiteLanguageSwitcher: the error pages' switcher keeps the choice in
// the cookie and returns to a page of this site.
func TestSiteLanguageSwitcher(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := env.Browser()
	p := b.Get("/no-such-page")
	if action, _ := p.Doc.Find("form.lang-switch").Attr("action"); p.Status != 404 || action != "/language" {
		t.Fatalf("404 page: %d, switcher posts to %q", p.Status, action)
	}
	p = b.Post("/language", apptest.Form("lang", "de", "return_to", "/no-such-page"))
	if l, _ := p.Doc.Find("html").Attr("lang"); p.URL.Path != "/no-such-page" || l != "de" {
		t.Fatalf("after switching: %s lang=%q", p.URL.Path, l)
	}
}
