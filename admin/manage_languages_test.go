package admin_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

// mainOf is the <main> of p alone, without the pager: the layout and the
// pager are shared with the other parts of the console, and tested there.
func mainOf(p *apptest.Page) *apptest.Page {
	m := p.Doc.Find("main").Clone()
	m.Find(".pager").Remove()
	if len(m.Nodes) == 0 {
		return p
	}
	return &apptest.Page{Status: p.Status, URL: p.URL, Doc: goquery.NewDocumentFromNode(m.Nodes[0])}
}

// storedNames are the data the pages may show, in every language alike:
// the names of the resources and directories (other tests' too, as they
// share the database) and descriptions, the last syncs' errors and problems, the sender.
func storedNames(t *testing.T, env *apptest.Env, more ...string) []string {
	t.Helper()
	ctx := context.Background()
	names := append([]string{apptest.Config(t).MailFrom}, more...)
	resources, err := env.Svc.Store.ListResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resources {
		names = append(names, r.Name, r.Description)
	}
	dirs, err := env.Svc.Store.Directories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		names = append(names, d.Name)
		if d.LastSync != nil {
			names = append(append(names, d.LastSync.Error), d.LastSync.Problems...)
		}
	}
	return names
}

// TestManagePagesInGermanAndDutch: the settings, portal settings,
// resources, tokens (list with import, token with Check OTP), RADIUS and
// directories pages, asked for in German or Dutch, leave no English text
// in their content (SPEC §13); the outcome of Check OTP and a flash too.
func TestManagePagesInGermanAndDutch(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	tag := apiTag(t)
	r := newResource(t, env, tag+" Sprachen VPN")
	newPortal(t, env, r, tag+"-sprachen")
	bare := newResource(t, env, tag+" Ohne Portal")
	serial := strings.ToUpper(tag) + "-LANG"
	importHOTP(t, env, serial)
	d := newDirectory(t, env, tag+" Firmenverzeichnis")
	b := signIn(t, env, workflow.RoleSuperadmin)

	paths := []string{
		"/admin/settings",
		views.TemplateHref("code", "de"),
		"/admin/resources",
		resourcePath(r) + "?tab=details",
		resourcePath(r) + "?tab=users",
		resourcePath(r) + "?tab=tokens",
		resourcePath(r) + "?tab=selfservice",
		resourcePath(bare) + "?tab=selfservice",
		resourcePath(r) + "?tab=radius",
		"/admin/tokens",
		views.TokenHref(serial),
		"/admin/directories",
		"/admin/directories/new",
		views.DirectoryHref(d.ID),
	}
	for _, path := range paths {
		b.AcceptLanguage = "en"
		en := b.Get(path)
		if en.Status != 200 {
			t.Fatalf("%s: %d", path, en.Status)
		}
		for _, lang := range []string{"de", "nl"} {
			b.AcceptLanguage = lang
			p := b.Get(path)
			if l, _ := p.Doc.Find("html").Attr("lang"); p.Status != 200 || l != lang {
				t.Fatalf("%s in %s: %d, lang=%q", path, lang, p.Status, l)
			}
			if left := apptest.Untranslated(mainOf(en), mainOf(p), lang, storedNames(t, env, serial)...); len(left) > 0 {
				t.Errorf("%s in %s still shows English: %q", path, lang, left)
			}
		}
	}

	// Check OTP answers in the language of the request.
	b.AcceptLanguage = "de"
	p := b.Post(views.TokenHref(serial)+"/check", apptest.Form("otp", "000000"))
	if got := p.Text("#check-result"); !strings.HasPrefix(got, "Ungültig: falscher Code") {
		t.Errorf("Check OTP in German: %q", got)
	}
	b.AcceptLanguage = "nl"
	p = b.Post(views.TokenHref(serial)+"/disable", url.Values{})
	if got := flashOf(p); got != "Token "+serial+" is nu uitgeschakeld." {
		t.Errorf("flash in Dutch: %q", got)
	}
}
