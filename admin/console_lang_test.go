package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

// TestConsoleInGermanAndDutch: the console's sign-in, dashboard, User
// Issues with a request's page, Users and Activities speak German and Dutch
// (SPEC §13): nothing the English page shows is left in English, besides
// data and texts that are the same in both languages.
func TestConsoleInGermanAndDutch(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	tag := apiTag(t) + "lang"
	w := newIssueWorld(t, env, tag)
	is := fileIssue(t, env, w.u, w.r, []string{workflow.LostToken, workflow.LostEmail}, workflow.EvidenceLost,
		workflow.EvidenceVerified, workflow.EvidenceAbsent, env.Clock.Now().Add(-3*time.Minute))
	b := signIn(t, env, workflow.RoleSuperadmin)
	me := adminOf(t, env, b)
	data := []string{w.u.Login, w.by.Login, w.r.Name, w.other.Name, w.u.Email, w.by.Email, is.NewEmail, me.Login,
		"First Last " + w.u.Login, "First Last " + w.by.Login, "tokenportal", "Firefox 140", "UTC", "CSV", "IP",
		is.UserAgent, b.UserAgent, `{"name":"` + w.r.Name + `"}`, `{"name":"` + w.other.Name + `"}`}
	// The users list, not a user's page: its token table is the Tokens area's.
	pages := []string{"/admin/", "/admin/issues", issuePath(is.ID), "/admin/users?q=" + url.QueryEscape(tag), "/admin/activities?resource_id=" + strconv.FormatInt(w.r.ID, 10),
		"/admin/activities?tab=grouped&resource_id=" + strconv.FormatInt(w.r.ID, 10)}
	anon := env.Browser()
	for _, lang := range []string{"de", "nl"} {
		t.Run(lang, func(t *testing.T) {
			anon.AcceptLanguage, b.AcceptLanguage = "en", "en"
			enLogin, enPages := anon.Get("/admin/login"), map[string]*apptest.Page{}
			for _, path := range pages {
				enPages[path] = b.Get(path)
			}
			anon.AcceptLanguage, b.AcceptLanguage = lang, lang
			// Tests in parallel share the database: their names are data too.
			data := append(slices.Clip(data), dbNames(t, env)...)
			check := func(path string, en, tr *apptest.Page, english ...string) {
				t.Helper()
				if l, _ := tr.Doc.Find("html").Attr("lang"); tr.Status != http.StatusOK || l != lang {
					t.Fatalf("%s: %d, lang %q", path, tr.Status, l)
				}
				if left := apptest.Untranslated(en, tr, lang, data...); len(left) > 0 {
					t.Errorf("%s in %s shows English: %q", path, lang, left)
				}
				for _, s := range english {
					if strings.Contains(tr.Body, s) {
						t.Errorf("%s in %s says %q", path, lang, s)
					}
				}
			}
			check("/admin/login", enLogin, anon.Get("/admin/login"), "Sign in to the admin console")
			for _, path := range pages {
				check(path, enPages[path], b.Get(path), "User Issues", "Sign out", "minutes ago", "Verify identity")
			}
		})
	}
	// The words say what they mean: a sample of each language.
	b.AcceptLanguage = "de"
	if got := b.Get("/admin/issues").Text("h1"); got != "Benutzeranfragen" {
		t.Errorf("German User Issues: %q", got)
	}
	if got := b.Get("/admin/issues").Text(rowOf(is.ID) + " time"); got != "vor 3 Minuten" {
		t.Errorf("German age: %q", got)
	}
	b.AcceptLanguage = "nl"
	if got := b.Get("/admin/issues").Text(rowOf(is.ID) + " time"); got != "3 minuten geleden" {
		t.Errorf("Dutch age: %q", got)
	}
	if got := anon.Get("/admin/login").Text("h1"); got != "Inloggen bij de beheeromgeving" {
		t.Errorf("Dutch sign-in: %q", got)
	}
}

// dbNames are the names of every resource and user of the database, as
// the console shows them.
func dbNames(t *testing.T, env *apptest.Env) []string {
	t.Helper()
	rows, err := env.App.Pool.Query(context.Background(), `SELECT name FROM resources
		UNION SELECT trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) FROM users
		UNION SELECT '{"name":"' || name || '"}' FROM resources UNION SELECT name FROM directories`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestActivitiesShowEventLabels: the Detailed view names events in words
// of the page's language, the actor once and the browser short; the event
// filter keeps the raw names in its values and in the addresses.
func TestActivitiesShowEventLabels(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t) + "labels"
	u := newUser(t, env, tag)
	if _, err := env.Svc.Store.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	b := signIn(t, env, workflow.RoleSuperadmin)
	me := adminOf(t, env, b)
	firefox := "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	if err := env.Svc.UnlockUser(ctx, u.ID, me.Actor(), workflow.Meta{IP: "192.0.2.50", UserAgent: firefox}); err != nil {
		t.Fatal(err)
	}
	path := "/admin/activities?event=" + workflow.EventUserUnlocked + "&user=" + url.QueryEscape(u.Login)
	p := b.Get(path)
	row := p.Doc.Find("table.activities tbody tr").First()
	cell := func(i int) string { return strings.Join(strings.Fields(row.Find("td").Eq(i).Text()), " ") }
	if cell(1) != "User unlocked" || row.Find("td").Eq(1).AttrOr("data-event", "") != workflow.EventUserUnlocked {
		t.Errorf("event cell %q", cell(1))
	}
	if cell(2) != me.Login+" (admin)" {
		t.Errorf("actor %q, want the login once with its kind", cell(2))
	}
	if cell(6) != "Firefox 133 on Windows" || row.Find("td").Eq(6).AttrOr("title", "") != firefox {
		t.Errorf("user agent %q", cell(6))
	}
	opt := p.Doc.Find(`#filter-event option[selected]`)
	if v, _ := opt.Attr("value"); v != workflow.EventUserUnlocked || strings.TrimSpace(opt.Text()) != "User unlocked" {
		t.Errorf("selected event option %q = %q", v, opt.Text())
	}
	if csv, _ := p.Doc.Find(`a[download]`).Attr("href"); !strings.Contains(csv, "event="+workflow.EventUserUnlocked) {
		t.Errorf("CSV link %q does not keep the event's name", csv)
	}
	b.AcceptLanguage = "de"
	p = b.Get(path)
	row = p.Doc.Find("table.activities tbody tr").First()
	if cell(1) != "Benutzer entsperrt" || cell(2) != me.Login+" (Admin)" || cell(6) != "Firefox 133 unter Windows" {
		t.Errorf("German row: %q, %q, %q", cell(1), cell(2), cell(6))
	}
	// The system acts under its own name: said once.
	sys := views.ActorLabel(ctx, workflow.SystemActor)
	if sys != "system" {
		t.Errorf("system actor %q", sys)
	}
}

// TestStaleFormAfterSignOut: a form posted after the admin's session ended
// leads to the sign-in page, which says so; nothing posted is kept.
func TestStaleFormAfterSignOut(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	b.Post("/admin/logout", nil)
	p := b.Post("/admin/users", apptest.Form("login", "stale-form-user", "password", "Secret-stale-1234"))
	if p.URL.Path != "/admin/login" || p.Status != http.StatusOK {
		t.Fatalf("stale form: %d at %s", p.Status, p.URL)
	}
	if got := p.Text(".session-ended"); got != "Your session has ended. Please sign in again." {
		t.Errorf("notice %q", got)
	}
	if strings.Contains(p.Body, "stale-form-user") || strings.Contains(p.Body, "Secret-stale-1234") {
		t.Error("the sign-in page keeps what the stale form posted")
	}
	if _, err := env.Svc.Store.UserByLogin(context.Background(), "stale-form-user"); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Errorf("the stale form created the user: %v", err)
	}
	// A visitor who opens the sign-in page is told nothing of the kind.
	if p := env.Browser().Get("/admin/"); p.URL.Path != "/admin/login" || p.Doc.Find(".session-ended").Length() != 0 {
		t.Errorf("a new visitor sees %q at %s", p.Text(".session-ended"), p.URL)
	}
	b.AcceptLanguage = "de"
	if got := b.Get("/admin/login?session=ended").Text(".session-ended"); got != "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an." {
		t.Errorf("German notice %q", got)
	}
}

// TestExpiredSignInStep: a code posted after the sign-in's second step
// expired leads to the sign-in page, which says the session ended.
func TestExpiredSignInStep(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	login := "stale-step-" + apiTag(t)
	newAdmin(t, env, login, workflow.RoleHelpdesk)
	b := env.Browser()
	if p := b.Post("/admin/login", apptest.Form("login", login, "password", adminPassword)); p.URL.Path != "/admin/login/enrol" {
		t.Fatalf("after the password: %s", p.URL)
	}
	env.Clock.Advance(6 * time.Minute)
	p := b.Post("/admin/login/enrol", apptest.Form("code", "123456"))
	if p.URL.Path != "/admin/login" || p.Doc.Find(".session-ended").Length() != 1 {
		t.Fatalf("expired step: %s %q", p.URL, p.Text("main"))
	}
}
