package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

func TestAPIUsersLifecycle(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	login := apiTag(t) + "-Grace.Hopper"

	// Create.
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/users", su, map[string]any{
		"login": login, "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com",
		"phone": "+1 (202) 555-0147", "password": "cobol-harbor-vessel-59", "language": "nl",
		"password_never_expires": true, "valid_until": "2031-12-31",
	})
	var u apiTestUser
	apiWant(t, status, body, http.StatusCreated, &u)
	if u.ID == 0 || u.Login != login || u.Phone != "+12025550147" || !u.HasPassword || !u.PasswordNeverExpires ||
		u.ValidUntil == nil || *u.ValidUntil != "2031-12-31" || u.Language != "nl" || u.Locked || u.Disabled ||
		u.Resources == nil || len(u.Resources) != 0 || u.CreatedAt == "" {
		t.Fatalf("created %s", body)
	}
	if strings.Contains(string(body), "$2") || strings.Contains(strings.ToLower(string(body)), "hash") {
		t.Fatalf("the answer shows a password hash: %s", body)
	}

	// Read, by id and by login in another case.
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/users/%d", u.ID), su, nil)
	var got apiTestUser
	apiWant(t, status, body, http.StatusOK, &got)
	if got.ID != u.ID || got.Email != "grace@example.com" {
		t.Fatalf("get %s", body)
	}
	var list struct {
		Items     []apiTestUser `json:"items"`
		NextAfter *string       `json:"next_after"`
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users?login="+strings.ToUpper(login), su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != u.ID {
		t.Fatalf("by login %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users?login=nobody", su, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if string(body) != `{"items":[],"next_after":null,"total":0}` {
		t.Fatalf("unknown login: %s", body)
	}

	// Patch: only the fields given change.
	status, body = apiDo(t, env, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", u.ID), su, map[string]any{
		"last_name": "Hopper-Murray", "disabled": true, "valid_until": nil,
	})
	apiWant(t, status, body, http.StatusOK, &got)
	if got.LastName != "Hopper-Murray" || !got.Disabled || got.ValidUntil != nil || got.FirstName != "Grace" ||
		got.Phone != "+12025550147" || !got.HasPassword || got.Language != "nl" || !got.PasswordNeverExpires {
		t.Fatalf("patched %s", body)
	}
	before, _ := env.Svc.Store.UserByID(ctx, u.ID)
	status, body = apiDo(t, env, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", u.ID), su, map[string]any{"password": "mast-glacier-violet-27"})
	apiWant(t, status, body, http.StatusOK, nil)
	after, _ := env.Svc.Store.UserByID(ctx, u.ID)
	if after.PasswordHash == before.PasswordHash || !env.Svc.Hasher.Compare(after.PasswordHash, "mast-glacier-violet-27") {
		t.Fatal("the password did not change")
	}
	status, body = apiDo(t, env, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", u.ID), su, map[string]any{"remove_password": true})
	apiWant(t, status, body, http.StatusOK, &got)
	if got.HasPassword {
		t.Fatalf("password not removed: %s", body)
	}
	status, body = apiDo(t, env, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", u.ID), su, map[string]any{"password": ""})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "password")
	status, body = apiDo(t, env, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", u.ID), su, map[string]any{"email": nil})
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "email")

	// Delete.
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/users/%d", u.ID), su, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if string(body) != fmt.Sprintf(`{"deleted":true,"id":%d}`, u.ID) {
		t.Fatalf("delete %s", body)
	}
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		var b any
		if m == http.MethodPatch {
			b = map[string]any{"first_name": "x"}
		}
		status, body = apiDo(t, env, m, fmt.Sprintf("/api/v1/users/%d", u.ID), su, b)
		apiWantError(t, status, body, http.StatusNotFound, "not_found")
	}
	var acts []string
	rows, err := env.App.Pool.Query(ctx, `SELECT event FROM activities WHERE actor_type = 'apikey' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		_ = rows.Scan(&e)
		acts = append(acts, e)
	}
	if !slices.Contains(acts, workflow.EventUserCreated) || !slices.Contains(acts, workflow.EventUserUpdated) || !slices.Contains(acts, workflow.EventUserDeleted) {
		t.Fatalf("activities %v", acts)
	}
}

func TestAPIUsersErrors(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	apiCreateUser(t, env, su, tag+"-alan")
	valid := func(over map[string]any) map[string]any {
		m := map[string]any{"login": tag + "-kurt", "first_name": "Kurt", "last_name": "Gödel", "email": "kurt@example.com",
			"phone": "+43 1 234567", "password": "incomplete-theorem-axe-31"}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	cases := []struct {
		name   string
		key    string
		body   any
		status int
		code   string
		fields []string
	}{
		{"no key", "", valid(nil), 401, "unauthenticated", nil},
		{"malformed JSON", su, `{"login": "kurt",`, 400, "bad_request", nil},
		{"not an object", su, `["kurt"]`, 400, "bad_request", nil},
		{"two objects", su, `{"login":"kurt"} {}`, 400, "bad_request", nil},
		{"empty body", su, "", 400, "bad_request", nil},
		{"unknown field", su, valid(map[string]any{"nickname": "K"}), 400, "bad_request", []string{"nickname"}},
		{"wrong type", su, valid(map[string]any{"disabled": "yes"}), 400, "bad_request", []string{"disabled"}},
		{"duplicate login in another case", su, valid(map[string]any{"login": strings.ToUpper(tag) + "-ALAN"}), 409, "conflict", []string{"login"}},
		{"bad email", su, valid(map[string]any{"email": "kurt@"}), 422, "invalid", []string{"email"}},
		{"bad phone", su, valid(map[string]any{"phone": "0043-abc"}), 422, "invalid", []string{"phone"}},
		{"weak password", su, valid(map[string]any{"password": "password1"}), 422, "invalid", []string{"password"}},
		{"password is the login", su, valid(map[string]any{"login": "zebra-quartz-kite-88", "password": "zebra-quartz-kite-88"}), 422, "invalid", []string{"password"}},
		{"several at once", su, valid(map[string]any{"login": " ", "email": "no", "language": "fr", "valid_until": "31.12.2030"}),
			422, "invalid", []string{"login", "email", "language", "valid_until"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := apiDo(t, env, http.MethodPost, "/api/v1/users", tc.key, tc.body)
			apiWantError(t, status, body, tc.status, tc.code, tc.fields...)
		})
	}
	// Nothing of the refused requests was stored.
	var list struct{ Items []apiTestUser }
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/users?q="+tag, su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 {
		t.Fatalf("users %s", body)
	}

	for _, path := range []string{"/api/v1/users/999999", "/api/v1/users/abc", "/api/v1/users/-1"} {
		status, body := apiDo(t, env, http.MethodGet, path, su, nil)
		apiWantError(t, status, body, http.StatusNotFound, "not_found")
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users?limit=x", su, nil)
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "limit")
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users?limit=1000", su, nil)
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "limit")
}

func TestAPIUsersPaging(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	for _, l := range []string{"carol", "Bob", "alice", "dave", "Eve"} {
		apiCreateUser(t, env, su, tag+"-"+l)
	}
	var logins []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var page struct {
			Items     []apiTestUser `json:"items"`
			NextAfter *string       `json:"next_after"`
			Total     int           `json:"total"`
		}
		status, body := apiDo(t, env, http.MethodGet, "/api/v1/users?limit=2&q="+tag+"&after="+after, su, nil)
		apiWant(t, status, body, http.StatusOK, &page)
		if page.Total != 5 || len(page.Items) > 2 {
			t.Fatalf("page %s", body)
		}
		for _, u := range page.Items {
			logins = append(logins, strings.TrimPrefix(u.Login, tag+"-"))
		}
		if page.NextAfter == nil {
			break
		}
		after = *page.NextAfter
	}
	if strings.Join(logins, ",") != "alice,Bob,carol,dave,Eve" {
		t.Fatalf("pages gave %v", logins)
	}
}

func TestAPIUsersRoles(t *testing.T) {
	// Serial: it counts the AccessDenied activities of every API key.
	env := apptest.New(t, nil)
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	mine := apiCreateResource(t, env, su, tag+" Mine")
	other := apiCreateResource(t, env, su, tag+" Other")
	in := apiCreateUser(t, env, su, tag+"-inside")
	out := apiCreateUser(t, env, su, tag+"-outside")
	for _, p := range [][2]int64{{mine, in.ID}, {other, in.ID}, {other, out.ID}} {
		status, body := apiDo(t, env, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/users/%d", p[0], p[1]), su, nil)
		apiWant(t, status, body, http.StatusOK, nil)
	}
	helpdesk := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	owner := apiNewKey(t, env, workflow.RoleOwner, mine)
	validate := apiNewKey(t, env, workflow.RoleValidate, 0)
	userPath := func(u apiTestUser) string { return fmt.Sprintf("/api/v1/users/%d", u.ID) }

	denials := apiDenials(t, env)
	forbidden := []struct {
		name, key, method, path string
		body                    any
	}{
		{"helpdesk creates a user", helpdesk, http.MethodPost, "/api/v1/users", map[string]any{"login": "x"}},
		{"helpdesk deletes a user", helpdesk, http.MethodDelete, userPath(in), nil},
		{"helpdesk disables a user", helpdesk, http.MethodPatch, userPath(in), map[string]any{"first_name": "I", "disabled": true}},
		{"helpdesk sets a password", helpdesk, http.MethodPatch, userPath(in), map[string]any{"password": "cobol-harbor-vessel-59"}},
		{"owner patches a user", owner, http.MethodPatch, userPath(in), map[string]any{"first_name": "I"}},
		{"owner lists another resource's users", owner, http.MethodGet, fmt.Sprintf("/api/v1/users?resource_id=%d", other), nil},
		{"validate key lists users", validate, http.MethodGet, "/api/v1/users", nil},
		{"validate key reads a user", validate, http.MethodGet, userPath(in), nil},
	}
	for _, tc := range forbidden {
		t.Run(tc.name, func(t *testing.T) {
			status, body := apiDo(t, env, tc.method, tc.path, tc.key, tc.body)
			apiWantError(t, status, body, http.StatusForbidden, "forbidden")
		})
	}
	if n := apiDenials(t, env); n != denials+len(forbidden) {
		t.Fatalf("%d AccessDenied activities, want %d", n-denials, len(forbidden))
	}
	status, body := apiDo(t, env, http.MethodPatch, userPath(in), helpdesk, map[string]any{"first_name": "I", "disabled": true})
	if e := apiWantError(t, status, body, http.StatusForbidden, "forbidden", "disabled"); e.Error.Fields["first_name"] != "" {
		t.Fatalf("first_name is allowed: %s", body)
	}

	// Helpdesk reads and changes contact fields.
	var u apiTestUser
	status, body = apiDo(t, env, http.MethodPatch, userPath(in), helpdesk, map[string]any{
		"first_name": "Ina", "email": "ina@example.org", "phone": "0031 20 123 4567", "language": "de",
	})
	apiWant(t, status, body, http.StatusOK, &u)
	if u.FirstName != "Ina" || u.Email != "ina@example.org" || u.Phone != "+31201234567" || u.Language != "de" || !u.HasPassword {
		t.Fatalf("helpdesk patch %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, userPath(out), helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, nil)

	// The owner sees its resource's users, and only those.
	var list struct{ Items []apiTestUser }
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users", owner, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != in.ID || !slices.Equal(list.Items[0].Resources, []int64{mine}) {
		t.Fatalf("owner list %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, userPath(in), owner, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	status, body = apiDo(t, env, http.MethodGet, userPath(out), owner, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users?login="+out.Login, owner, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("owner finds a user of another resource: %s", body)
	}
	// The superadmin sees both resources of "inside".
	status, body = apiDo(t, env, http.MethodGet, userPath(in), su, nil)
	apiWant(t, status, body, http.StatusOK, &u)
	if !slices.Equal(u.Resources, []int64{mine, other}) {
		t.Fatalf("resources %v", u.Resources)
	}
}
