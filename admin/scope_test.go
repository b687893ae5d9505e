package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

// ownResource makes the owner signed in with b an owner of r.
func ownResource(t *testing.T, env *apptest.Env, b *apptest.Browser, r workflow.Resource) {
	t.Helper()
	a := adminOf(t, env, b)
	if _, err := env.App.Pool.Exec(context.Background(),
		`INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)`, r.ID, a.ID); err != nil {
		t.Fatal(err)
	}
}

// deniedBy counts the AccessDenied activities of an actor.
func deniedBy(t *testing.T, env *apptest.Env, actorType string, id int64) int {
	t.Helper()
	return accessDenials(t, env, actorType, id)
}

// scopeWorld is two resources with a user, a token and an open issue each,
// and a user assigned to both with a token on each.
type scopeWorld struct {
	mine, theirs          workflow.Resource
	uMine, uTheirs, uBoth workflow.User
	tMine, tTheirs, tBoth string // tBoth: uBoth's token on theirs
	tBothMine             string // uBoth's token on mine
}

func newScopeWorld(t *testing.T, env *apptest.Env) scopeWorld {
	t.Helper()
	ctx := context.Background()
	tag := apiTag(t)
	w := scopeWorld{mine: newResource(t, env, tag+" Mine"), theirs: newResource(t, env, tag+" Theirs")}
	w.uMine, w.uTheirs, w.uBoth = newUser(t, env, tag+"-mine"), newUser(t, env, tag+"-theirs"), newUser(t, env, tag+"-both")
	w.tMine, w.tTheirs, w.tBoth, w.tBothMine = tag+"-TMA", tag+"-TTH", tag+"-TBT", tag+"-TBM"
	place := func(serial string, u workflow.User, r workflow.Resource) {
		importHOTP(t, env, serial)
		giveToken(t, env, serial, u, r)
	}
	place(w.tMine, w.uMine, w.mine)
	place(w.tTheirs, w.uTheirs, w.theirs)
	place(w.tBoth, w.uBoth, w.theirs)
	place(w.tBothMine, w.uBoth, w.mine)
	for _, is := range []workflow.Issue{
		{UserID: w.uMine.ID, ResourceID: w.mine.ID, Lost: []string{"token"}, Token: "lost", Password: "absent", Email: "verified"},
		{UserID: w.uTheirs.ID, ResourceID: w.theirs.ID, Lost: []string{"token"}, Token: "lost", Password: "absent", Email: "verified"},
	} {
		if _, err := env.Svc.Store.CreateIssue(ctx, &is, env.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestOwnerScopingConsole(t *testing.T) {
	// Serial: it counts rows that other tests write.
	env := apptest.New(t, nil)
	w := newScopeWorld(t, env)
	owner := signIn(t, env, workflow.RoleOwner)
	ownResource(t, env, owner, w.mine)
	me := adminOf(t, env, owner)

	// Lists show only what is on the owned resource, whatever the filter.
	for _, path := range []string{"/admin/users", "/admin/users?q=" + w.uTheirs.Login, fmt.Sprintf("/admin/users?resource_id=%d", w.theirs.ID)} {
		p := owner.Get(path)
		if p.Status != 200 || pageHas(p, "main", w.uTheirs.Login) {
			t.Fatalf("%s: %d, lists %s", path, p.Status, w.uTheirs.Login)
		}
	}
	p := owner.Get("/admin/users?q=" + strings.Split(w.uMine.Login, "-")[0])
	if !pageHas(p, "tbody", w.uMine.Login) || !pageHas(p, "tbody", w.uBoth.Login) || pageHas(p, "tbody", w.uTheirs.Login) {
		t.Fatalf("owner's users: %q", p.Text("tbody"))
	}
	// Counts of a user on both resources cover the owned one only.
	both := p.Doc.Find("tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Find("th").Text(), w.uBoth.Login) })
	if counts := both.Find("td.num").Map(func(_ int, s *goquery.Selection) string { return s.Text() }); strings.Join(counts, " ") != "1 1" {
		t.Fatalf("counts of a user on both resources: %v", counts)
	}
	if opts := p.Text("#filter-resource"); !strings.Contains(opts, w.mine.Name) || strings.Contains(opts, w.theirs.Name) {
		t.Fatalf("resource filter offers %q", opts)
	}
	p = owner.Get("/admin/tokens?q=" + strings.Split(w.tMine, "-")[0])
	if !pageHas(p, "tbody", w.tMine) || !pageHas(p, "tbody", w.tBothMine) || pageHas(p, "tbody", w.tTheirs) || pageHas(p, "tbody", w.tBoth) {
		t.Fatalf("owner's tokens: %q", p.Text("tbody"))
	}
	p = owner.Get("/admin/resources")
	if !pageHas(p, "tbody", w.mine.Name) || pageHas(p, "tbody", w.theirs.Name) {
		t.Fatalf("owner's resources: %q", p.Text("tbody"))
	}

	// By id: what is theirs is not found, and the attempt is recorded.
	for _, path := range []string{
		userPath(w.uTheirs), resourcePath(w.theirs), resourcePath(w.theirs) + "?tab=users",
		views.TokenHref(w.tTheirs), views.TokenHref(w.tBoth),
	} {
		before := deniedBy(t, env, workflow.ActorAdmin, me.ID)
		if p := owner.Get(path); p.Status != http.StatusNotFound {
			t.Errorf("owner GET %s: %d, want 404", path, p.Status)
		}
		if deniedBy(t, env, workflow.ActorAdmin, me.ID) != before+1 {
			t.Errorf("owner GET %s: no AccessDenied activity", path)
		}
	}

	// What is theirs is readable; a user on both shows only the owned part.
	for _, path := range []string{userPath(w.uMine), resourcePath(w.mine), views.TokenHref(w.tMine)} {
		if p := owner.Get(path); p.Status != 200 {
			t.Errorf("owner GET %s: %d", path, p.Status)
		}
	}
	p = owner.Get(userPath(w.uBoth))
	if p.Status != 200 || !pageHas(p, "main", w.mine.Name) || pageHas(p, "main", w.theirs.Name) ||
		!pageHas(p, "main", w.tBothMine) || pageHas(p, "main", w.tBoth) {
		t.Fatalf("owner's view of a user on both: %d\n%s", p.Status, mainText(p))
	}

	// The User Issues badge counts the owned resource's open request only.
	if badge := p.Text(".admin-nav .badge"); badge != "1" {
		t.Fatalf("owner's badge %q, want 1", badge)
	}
	super := signIn(t, env, workflow.RoleSuperadmin)
	var open int
	if err := env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM user_issues WHERE status = 'open'`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	if badge := super.Get("/admin/users").Text(".admin-nav .badge"); badge != fmt.Sprint(open) {
		t.Fatalf("superadmin's badge %q, want %d", badge, open)
	}

	// An owner of nothing sees nothing.
	none := signIn(t, env, workflow.RoleOwner)
	if p := none.Get("/admin/users?q=" + strings.Split(w.uMine.Login, "-")[0]); tableRows(p) != 0 {
		t.Fatalf("owner of nothing sees %d users", tableRows(p))
	}
	if p := none.Get(userPath(w.uMine)); p.Status != 404 {
		t.Fatalf("owner of nothing reads a user: %d", p.Status)
	}
	if p := none.Get("/admin/resources"); tableRows(p) != 0 {
		t.Fatalf("owner of nothing sees %d resources", tableRows(p))
	}
}

func TestOwnerScopingAPI(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	w := newScopeWorld(t, env)
	ctx := context.Background()
	key, k, err := env.Svc.CreateAPIKey(ctx, workflow.NewAPIKey{Name: "owner " + apiTag(t), Role: workflow.RoleOwner, ResourceID: &w.mine.ID},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		path   string
		status int
	}{
		{fmt.Sprintf("/api/v1/users/%d", w.uTheirs.ID), http.StatusNotFound},
		{"/api/v1/tokens/" + w.tTheirs, http.StatusNotFound},
		{"/api/v1/tokens/" + w.tBoth, http.StatusNotFound},
		{fmt.Sprintf("/api/v1/resources/%d", w.theirs.ID), http.StatusForbidden},
		{fmt.Sprintf("/api/v1/users?resource_id=%d", w.theirs.ID), http.StatusForbidden},
		{fmt.Sprintf("/api/v1/tokens?resource_id=%d", w.theirs.ID), http.StatusForbidden},
	} {
		before := deniedBy(t, env, workflow.ActorAPIKey, k.ID)
		status, body := apiDo(t, env, http.MethodGet, c.path, key, nil)
		if status != c.status {
			t.Errorf("GET %s: %d, want %d: %s", c.path, status, c.status, body)
		}
		if deniedBy(t, env, workflow.ActorAPIKey, k.ID) != before+1 {
			t.Errorf("GET %s: no AccessDenied activity", c.path)
		}
	}
	for _, path := range []string{
		fmt.Sprintf("/api/v1/users/%d", w.uMine.ID), fmt.Sprintf("/api/v1/users/%d", w.uBoth.ID),
		"/api/v1/tokens/" + w.tMine, fmt.Sprintf("/api/v1/resources/%d", w.mine.ID),
	} {
		if status, body := apiDo(t, env, http.MethodGet, path, key, nil); status != http.StatusOK {
			t.Errorf("GET %s: %d: %s", path, status, body)
		}
	}

	var users struct{ Items []apiTestUser }
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/users?limit=200&q="+strings.Split(w.uMine.Login, "-")[0], key, nil)
	apiWant(t, status, body, http.StatusOK, &users)
	logins := map[string][]int64{}
	for _, u := range users.Items {
		logins[u.Login] = u.Resources
	}
	if _, ok := logins[w.uTheirs.Login]; ok || len(logins) != 2 || len(logins[w.uBoth.Login]) != 1 || logins[w.uBoth.Login][0] != w.mine.ID {
		t.Fatalf("owner key's users: %v", logins)
	}
	var tokens struct{ Items []apiTestToken }
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens?limit=200", key, nil)
	apiWant(t, status, body, http.StatusOK, &tokens)
	for _, tok := range tokens.Items {
		if tok.ResourceID == nil || *tok.ResourceID != w.mine.ID {
			t.Fatalf("owner key lists token %s on %v", tok.Serial, tok.ResourceID)
		}
	}
	if len(tokens.Items) != 2 {
		t.Fatalf("owner key lists %d tokens, want 2", len(tokens.Items))
	}
	var resources struct{ Items []struct{ ID int64 } }
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/resources", key, nil)
	apiWant(t, status, body, http.StatusOK, &resources)
	if len(resources.Items) != 1 || resources.Items[0].ID != w.mine.ID {
		t.Fatalf("owner key's resources: %s", body)
	}
}
