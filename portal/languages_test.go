package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views/i18n"
)

// TestEveryPortalPageInEveryLanguage walks the portal in English, German
// and Dutch — the sign-in steps, home, every action's page, re-authentication,
// step-up, the restore steps and the wrong-input answers — and checks that
// the German and Dutch pages say <html lang> rightly and show no English
// text their English version shows, except what is the same in both
// languages or data (SPEC §13).
func TestEveryPortalPageInEveryLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok := f.giveToken(t, "totp", nil)
	data := []string{f.resource.Name, f.portal.Alias, f.user.Login, f.user.Email, f.user.Phone, tok.Serial, "Jane Doe", "Jane", "Doe"}

	walk := func(lang string) map[string]*apptest.Page {
		// The user's language is what the browser asks for at each walk.
		if _, err := f.env.App.Pool.Exec(context.Background(), `UPDATE users SET language = NULL WHERE id = $1`, f.user.ID); err != nil {
			t.Fatal(err)
		}
		f.env.Clock.Advance(time.Minute) // a fresh TOTP step for this walk
		got := map[string]*apptest.Page{}
		b := f.env.Browser()
		b.AcceptLanguage = lang
		got["login"] = b.Get(f.path("/login"))
		got["login wrong"] = b.Post(f.path("/login"), apptest.Form("login", ""))
		got["password"] = b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
		got["password wrong"] = b.Post(f.path("/login"), apptest.Form("password", "wrong password"))
		b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
		got["otp"] = b.Post(f.path("/login"), apptest.Form("password", f.password))
		got["home"] = b.Post(f.path("/login"), apptest.Form("otp", f.totp(0)))
		got["home"].Doc.Find(`a[href*="/actions/"]`).Each(func(_ int, s *goquery.Selection) {
			href, _ := s.Attr("href")
			got["action "+href[strings.LastIndex(href, "/")+1:]] = b.Get(href)
		})
		// A security key's registration page (SPEC §14).
		got["register key"] = b.Post(f.act("register-token"), apptest.Form("type", "webauthn"))
		if got["register key"].Doc.Find(".webauthn").Length() != 1 {
			t.Fatalf("%s: no security key page: %s", lang, got["register key"].Text("main"))
		}
		got["reauth"] = b.Get(f.path("/reauth"))
		got["step-up"] = b.Get(f.path("/step-up"))
		b.Post(f.path("/logout"), nil)

		r := f.env.Browser()
		r.AcceptLanguage = lang
		got["restore"] = r.Get(f.path("/restore"))
		got["restore wrong"] = r.Post(f.path("/restore"), apptest.Form("login", f.user.Login))
		got["restore prove"] = r.Post(f.path("/restore"), apptest.Form("login", f.user.Login, "lost_token", "1"))
		got["restore sent"] = r.Post(f.path("/restore"), apptest.Form("password", f.password))
		r2 := f.env.Browser()
		r2.AcceptLanguage = lang
		r2.Post(f.path("/restore"), apptest.Form("login", f.user.Login, "forgot_password", "1"))
		got["restore password"] = r2.Post(f.path("/restore"), apptest.Form("otp", f.totp(30*time.Second)))
		got["not found"] = r.Get(f.path("/no-such-page"))
		return got
	}
	pages := map[string]map[string]*apptest.Page{}
	for _, lang := range i18n.Langs {
		pages[lang] = walk(lang)
	}
	if len(pages["en"]) < 20 {
		t.Errorf("only %d portal pages were walked", len(pages["en"]))
	}
	for name, en := range pages["en"] {
		for _, lang := range i18n.Langs[1:] {
			p, ok := pages[lang][name]
			if !ok {
				t.Errorf("%s: no %s page in %s", f.path(""), name, lang)
				continue
			}
			if l, _ := p.Doc.Find("html").Attr("lang"); l != lang {
				t.Errorf("%s in %s (%s): <html lang=%q>", name, lang, p.URL.Path, l)
			}
			if left := apptest.Untranslated(en, p, lang, data...); len(left) > 0 {
				t.Errorf("%s in %s (%s) shows English: %q", name, lang, p.URL.Path, left)
			}
		}
	}
}
