package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tokenportal/workflow"
)

type apiTestDirectory struct {
	ID           int64                        `json:"id"`
	Name         string                       `json:"name"`
	URL          string                       `json:"url"`
	StartTLS     bool                         `json:"start_tls"`
	BindDN       string                       `json:"bind_dn"`
	BaseDN       string                       `json:"base_dn"`
	UserFilter   string                       `json:"user_filter"`
	Attributes   workflow.DirectoryAttributes `json:"attributes"`
	Groups       []workflow.DirectoryGroup    `json:"groups"`
	SyncInterval string                       `json:"sync_interval"`
	Users        int                          `json:"users"`
}

func TestAPIDirectories(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	key := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	name := "API dir " + tag

	// Create: 201 with the id and the defaults of the kind, never the
	// password.
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/directories", key, map[string]any{
		"name": name, "kind": "ad", "url": "ldap://dc.example.org", "bind_dn": "cn=svc,dc=example,dc=org",
		"bind_password": dirBindPassword, "base_dn": "dc=example,dc=org", "sync_interval": "30m",
	})
	var d apiTestDirectory
	apiWant(t, status, body, http.StatusCreated, &d)
	if d.ID == 0 || d.Name != name || d.Attributes.Login != "sAMAccountName" || d.UserFilter != workflow.ADUserFilter ||
		d.SyncInterval != "30m0s" {
		t.Fatalf("created: %s", body)
	}
	if bytes.Contains(body, []byte("bind_password")) || bytes.Contains(body, []byte(dirBindPassword)) {
		t.Fatalf("the answer shows the password: %s", body)
	}
	path := fmt.Sprintf("/api/v1/directories/%d", d.ID)

	// List and get.
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/directories", key, nil)
	var list struct{ Items []apiTestDirectory }
	apiWant(t, status, body, http.StatusOK, &list)
	found := false
	for _, x := range list.Items {
		found = found || x.ID == d.ID
	}
	if !found || bytes.Contains(body, []byte(dirBindPassword)) {
		t.Fatalf("list: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, path, key, nil)
	var got apiTestDirectory
	apiWant(t, status, body, http.StatusOK, &got)
	if got.Name != name || got.BaseDN != "dc=example,dc=org" {
		t.Fatalf("get: %s", body)
	}

	// Patch: only the fields sent change; the password is kept.
	status, body = apiDo(t, env, http.MethodPatch, path, key, map[string]any{"base_dn": "ou=people,dc=example,dc=org"})
	apiWant(t, status, body, http.StatusOK, &got)
	if got.BaseDN != "ou=people,dc=example,dc=org" || got.Name != name || got.URL != "ldap://dc.example.org" ||
		got.SyncInterval != "30m0s" || got.Attributes.Login != "sAMAccountName" {
		t.Fatalf("patched: %s", body)
	}
	stored, err := env.Svc.Store.DirectoryByID(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := env.Svc.Sealer.Open(stored.SealedPassword, stored.KeyID, "directory bind password"); err != nil || string(pw) != dirBindPassword {
		t.Fatalf("the patch changed the password: %v", err)
	}

	// Invalid input: 422 naming the fields.
	status, body = apiDo(t, env, http.MethodPatch, path, key, map[string]any{"sync_interval": "soon"})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "sync_interval")
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/directories", key, map[string]any{
		"name": "No password " + tag, "url": "ldap://x", "bind_dn": "cn=x", "base_dn": "dc=x", "groups": []map[string]any{{"group_dn": "cn=g", "resource_id": 0}},
	})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "bind_password", "groups[0].resource_id")

	// A directory that does not answer: the test says so (200, ok false),
	// the sync fails with 503 and changes nothing.
	status, body = apiDo(t, env, http.MethodPatch, path, key, map[string]any{"url": "ldap://127.0.0.1:1"})
	apiWant(t, status, body, http.StatusOK, nil)
	status, body = apiDo(t, env, http.MethodPost, path+"/test", key, nil)
	var res workflow.DirectoryTest
	apiWant(t, status, body, http.StatusOK, &res)
	if res.OK || !strings.Contains(res.Message, "cannot connect") {
		t.Fatalf("test of a closed port: %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, path+"/sync", key, nil)
	apiWantError(t, status, body, http.StatusServiceUnavailable, "unavailable")

	// Delete: its users stay, detached and disabled.
	u := newUser(t, env, "api-dir-user-"+tag)
	linkUser(t, env, workflow.Directory{ID: d.ID}, u)
	status, body = apiDo(t, env, http.MethodDelete, path, key, nil)
	var deleted struct {
		Deleted       bool `json:"deleted"`
		UsersDisabled int  `json:"users_disabled"`
	}
	apiWant(t, status, body, http.StatusOK, &deleted)
	if !deleted.Deleted || deleted.UsersDisabled != 1 {
		t.Fatalf("delete: %s", body)
	}
	if after, err := env.Svc.Store.UserByID(ctx, u.ID); err != nil || after.FromDirectory() || !after.Disabled {
		t.Fatalf("the user after the delete: %+v %v", after, err)
	}
	status, body = apiDo(t, env, http.MethodGet, path, key, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
}

func TestAPIDirectoriesSuperadminOnly(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	d := newDirectory(t, env, "API roles "+apiTag(t))
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	denials := apiDenials(t, env)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/directories"},
		{http.MethodGet, fmt.Sprintf("/api/v1/directories/%d", d.ID)},
		{http.MethodPost, fmt.Sprintf("/api/v1/directories/%d/sync", d.ID)},
	} {
		status, body := apiDo(t, env, c.method, c.path, key, nil)
		apiWantError(t, status, body, http.StatusForbidden, "forbidden")
	}
	if apiDenials(t, env) < denials+3 {
		t.Fatal("the refusals were not recorded")
	}
}
