package admin_test

import (
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// TestEveryConsolePageInEveryLanguage walks every page of the console (each
// GET route, its parameters filled from a fixture, as a superadmin; the
// sign-in pages signed out) in English, German and Dutch: the German and
// Dutch pages say <html lang> rightly and show no English text that the
// English page shows, except what is the same in both languages or data
// (SPEC §13).
func TestEveryConsolePageInEveryLanguage(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	super := signIn(t, env, workflow.RoleSuperadmin)
	owner := newAdmin(t, env, "lang-owner-"+apiTag(t), workflow.RoleOwner)
	f := newAccessFixture(t, env, owner)
	data := []string{f.resource.Name, f.user.Login, f.user.Email, f.serial, f.admin.Login, owner.Login,
		strings.TrimSpace(super.Get("/admin/").Text(".admin-top .who strong"))}

	pages := 0
	for _, r := range env.App.Routes {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/admin") || strings.HasSuffix(r.Path, ".csv") {
			continue
		}
		path := f.fill(r.Path)
		b := super
		if strings.HasPrefix(r.Path, "/admin/login") {
			b = env.Browser()
		}
		got := map[string]*apptest.Page{}
		for _, lang := range i18n.Langs {
			b.AcceptLanguage = lang
			got[lang] = b.Get(path)
		}
		if got["en"].Status != 200 {
			continue // a page this fixture cannot show (a redirect ends elsewhere)
		}
		pages++
		for _, lang := range i18n.Langs[1:] {
			p := got[lang]
			if l, _ := p.Doc.Find("html").Attr("lang"); l != lang {
				t.Errorf("%s in %s: <html lang=%q>", path, lang, l)
			}
			if left := apptest.Untranslated(got["en"], p, lang, data...); len(left) > 0 {
				t.Errorf("%s in %s shows English: %q", path, lang, left)
			}
		}
	}
	t.Logf("%d console pages walked in %d languages", pages, len(i18n.Langs))
	if pages < 25 {
		t.Errorf("only %d console pages were walked", pages)
	}
}
