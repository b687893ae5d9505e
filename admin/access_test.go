package admin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// accessCase says which roles may use one route (SPEC §2). Every admin route
// and API endpoint must have one: TestEveryRouteHasAnAccessCase fails for a
// route without. Area test files add theirs in an init():
//
//	func init() { accessCases = append(accessCases, accessCase{...}) }
//
// Paths are gin patterns; their parameters are filled from the fixture of
// TestRoleAccess (see accessFixture.fill). Owners are tested on a resource
// they own; owner scoping to other resources has tests of its own.
type accessCase struct {
	method, path string
	allowed      []workflow.Role
	// body is sent with POST/PUT/PATCH (form fields for the console, JSON
	// for the API); the request may still fail validation: only 403 counts.
	body string
}

var accessCases []accessCase

// Routes that need no role: signing in and out, and the API's description.
var publicAdminRoutes = []string{
	"GET /admin/login", "POST /admin/login", "GET /admin/login/totp", "POST /admin/login/totp",
	"GET /admin/login/enrol", "POST /admin/login/enrol", "POST /admin/logout", "POST /admin/language",
	"GET /api/v1/openapi.json",
}

func TestEveryRouteHasAnAccessCase(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	have := map[string]bool{}
	for _, c := range accessCases {
		key := c.method + " " + c.path
		if have[key] {
			t.Errorf("two access cases for %s", key)
		}
		have[key] = true
	}
	for _, r := range env.App.Routes {
		key := r.Method + " " + r.Path
		if !strings.HasPrefix(r.Path, "/admin") && !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		if slices.Contains(publicAdminRoutes, key) {
			continue
		}
		if !have[key] {
			t.Errorf("route %s has no access case: add one saying which roles may use it", key)
		}
	}
}

// accessFixture holds the objects the parameters of routes point at.
type accessFixture struct {
	env      *apptest.Env
	resource workflow.Resource // owned by the owner admin
	user     workflow.User     // assigned to resource
	serial   string            // a token of user on resource
	issue    int64             // an open issue of user on resource
	admin    workflow.Admin    // another admin account
	apikey   int64             // an API key
	dir      int64             // a directory, without users
}

func (f *accessFixture) param(name string) string {
	switch name {
	case "id", "resource":
		return fmt.Sprint(f.resource.ID)
	case "uid", "user_id", "user":
		return fmt.Sprint(f.user.ID)
	case "serial":
		return f.serial
	case "issue":
		return fmt.Sprint(f.issue)
	case "admin":
		return fmt.Sprint(f.admin.ID)
	case "key":
		return fmt.Sprint(f.apikey)
	case "directory":
		return fmt.Sprint(f.dir)
	}
	return "1"
}

// fill replaces the :params of a gin path; an :id means what the path
// segment before it names (users/:id is a user, issues/:id an issue, …).
func (f *accessFixture) fill(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, ":") {
			continue
		}
		name := p[1:]
		if name == "id" && i > 0 {
			switch parts[i-1] {
			case "users":
				name = "user"
			case "issues":
				name = "issue"
			case "admins":
				name = "admin"
			case "apikeys", "keys":
				name = "key"
			case "directories":
				name = "directory"
			}
		}
		parts[i] = url.PathEscape(f.param(name))
	}
	return strings.Join(parts, "/")
}

func newAccessFixture(t *testing.T, env *apptest.Env, owner workflow.Admin) *accessFixture {
	t.Helper()
	ctx := context.Background()
	svc := env.Svc
	tagged := apiTag(t)
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: "Access " + tagged}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Pool.Exec(ctx, "INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)", r.ID, owner.ID); err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: "acc-user-" + tagged, Email: "acc-" + tagged + "@example.com"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := workflow.Token{Serial: "ACC-" + tagged, Type: "hotp", Enabled: true, UserID: &u.ID, ResourceID: &r.ID}
	if err := svc.StoreToken(ctx, svc.Store, &tok, []byte("12345678901234567890")); err != nil {
		t.Fatal(err)
	}
	is := workflow.Issue{UserID: u.ID, ResourceID: r.ID, Lost: []string{"token"}, Token: "lost", Password: "verified", Email: "absent"}
	if _, err := svc.Store.CreateIssue(ctx, &is, env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateAdmin(ctx, workflow.NewAdmin{Login: "acc-admin-" + tagged, Role: workflow.RoleHelpdesk, Password: adminPassword}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := svc.CreateAPIKey(ctx, workflow.NewAPIKey{Name: "acc key " + tagged, Role: workflow.RoleValidate}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, workflow.DirectoryInput{Name: "acc dir " + tagged, URL: "ldap://127.0.0.1:1",
		BindDN: "cn=x,dc=example,dc=org", BindPassword: "bind-secret", BaseDN: "dc=example,dc=org"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return &accessFixture{env: env, resource: r, user: u, serial: tok.Serial, issue: is.ID, admin: other, apikey: k.ID, dir: d.ID}
}

// TestRoleAccess walks every access case with every role and checks that
// exactly the allowed roles get through (anything but 403), and that every
// 403 is recorded as an AccessDenied activity.
//
// Cases that delete or detach what the fixture holds run after the others,
// the deletion of its resource (which takes the owner key with it) last;
// within a case the superadmin comes last, so that its successful change
// does not turn the other roles' 403 into a 404.
func TestRoleAccess(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	browsers := map[workflow.Role]*apptest.Browser{}
	adminIDs := map[workflow.Role]int64{}
	var owner workflow.Admin
	for _, role := range workflow.AdminRoles {
		browsers[role] = signIn(t, env, role)
		login := strings.TrimSpace(browsers[role].Get("/admin/").Text(".admin-top .who strong"))
		a, err := env.Svc.Store.AdminByLogin(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		adminIDs[role] = a.ID
		if role == workflow.RoleOwner {
			owner = a
		}
	}
	f := newAccessFixture(t, env, owner)
	keys := map[workflow.Role]string{}
	keyIDs := map[workflow.Role]int64{}
	for _, role := range workflow.APIKeyRoles {
		n := workflow.NewAPIKey{Name: "role " + string(role) + " " + apiTag(t), Role: role}
		if role == workflow.RoleOwner {
			n.ResourceID = &f.resource.ID
		}
		key, k, err := env.Svc.CreateAPIKey(ctx, n, workflow.SystemActor, workflow.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		keys[role], keyIDs[role] = key, k.ID
	}
	cases := slices.Clone(accessCases)
	slices.SortStableFunc(cases, func(a, b accessCase) int { return accessRank(a) - accessRank(b) })
	for _, c := range cases {
		api := strings.HasPrefix(c.path, "/api/")
		roles := workflow.AdminRoles
		if api {
			roles = workflow.APIKeyRoles
		}
		roles = append(slices.DeleteFunc(slices.Clone(roles), func(r workflow.Role) bool { return r == workflow.RoleSuperadmin }),
			workflow.RoleSuperadmin)
		for _, role := range roles {
			t.Run(c.method+" "+c.path+" as "+string(role), func(t *testing.T) {
				path := f.fill(c.path)
				actor, actorID := workflow.ActorAdmin, adminIDs[role]
				if api {
					actor, actorID = workflow.ActorAPIKey, keyIDs[role]
				}
				denials := accessDenials(t, env, actor, actorID)
				var status int
				if api {
					status = accessAPI(t, env, c.method, path, keys[role], c.body)
				} else {
					status = accessConsole(t, env, browsers[role], c.method, path, c.body)
				}
				allowed := slices.Contains(c.allowed, role)
				if allowed && status == http.StatusForbidden {
					t.Fatalf("%s may use %s %s, got 403", role, c.method, path)
				}
				if !allowed && status != http.StatusForbidden {
					t.Fatalf("%s must not use %s %s, got %d", role, c.method, path, status)
				}
				if status == http.StatusForbidden && accessDenials(t, env, actor, actorID) == denials {
					t.Fatalf("%s %s as %s: 403 without an AccessDenied activity", c.method, path, role)
				}
			})
		}
	}
}

// accessRank orders the cases of TestRoleAccess: 0 for those that leave the
// fixture in place, 1 for those that delete or detach part of it, 2 for
// the deletion of the resource itself.
func accessRank(c accessCase) int {
	if c.method == http.MethodGet {
		return 0
	}
	removes := c.method == http.MethodDelete
	for _, suffix := range []string{"/delete", "/remove", "/unassign", "/reset-2fa"} {
		removes = removes || strings.HasSuffix(c.path, suffix)
	}
	switch {
	case !removes:
		return 0
	case strings.HasSuffix(strings.TrimSuffix(c.path, "/delete"), "/resources/:id"):
		return 2
	}
	return 1
}

// accessDenials counts the AccessDenied activities of one actor.
func accessDenials(t *testing.T, env *apptest.Env, actorType string, actorID int64) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM activities WHERE event = 'AccessDenied' AND actor_type = $1 AND actor_id = $2`,
		actorType, actorID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func accessConsole(t *testing.T, env *apptest.Env, b *apptest.Browser, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, env.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", env.Server.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	// Redirects are not followed: a redirect after an allowed POST is fine.
	client := *b.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func accessAPI(t *testing.T, env *apptest.Env, method, path, key, body string) int {
	t.Helper()
	if body == "" && method != http.MethodGet && method != http.MethodDelete {
		body = "{}"
	}
	req, err := http.NewRequest(method, env.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	apiCheck(t, apiExchange{req: resp.Request, reqBody: []byte(body), status: resp.StatusCode, header: resp.Header, body: answer})
	return resp.StatusCode
}
