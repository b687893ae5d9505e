package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/ldap/slapdtest"
)

// The directories API against a real slapd (SPEC §12): LDAPS and StartTLS
// with the CA the test made, a clear failure for a wrong bind password or
// an untrusted certificate, a sync, and the users' source. The only test
// of the package that syncs: the directory's logins are its own.
func TestAPIDirectoryAgainstSlapd(t *testing.T) {
	t.Parallel()
	s := slapdtest.New(t, slapdtest.Options{Users: 3, Groups: map[string][]int{"vpn": {1, 2}}})
	b := setup(t)
	env := b.env
	key := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	resourceID := apiCreateResource(t, env, key, "LDAP VPN "+apiTag(t))

	status, body := apiDo(t, env, "POST", "/api/v1/directories", key, map[string]any{
		"name": "Corp " + apiTag(t), "url": s.LDAPSURL(), "ca_pem": s.CAPEM(), "bind_dn": s.PortalDN(),
		"bind_password": s.PortalPassword(), "base_dn": slapdtest.PeopleDN, "sync_interval": "0",
		"groups": []map[string]any{{"group_dn": s.GroupDN("vpn"), "resource_id": resourceID}}})
	var d struct {
		ID         int64          `json:"id"`
		Attributes map[string]any `json:"attributes"`
		UserFilter string         `json:"user_filter"`
	}
	apiWant(t, status, body, http.StatusCreated, &d)
	if strings.Contains(string(body), s.PortalPassword()) || strings.Contains(string(body), "bind_password") {
		t.Fatalf("the bind password came back: %s", body)
	}
	if d.UserFilter != workflow.DefaultUserFilter || d.Attributes["id"] != "entryUUID" {
		t.Fatalf("defaults not applied: %s", body)
	}
	path := fmt.Sprintf("/api/v1/directories/%d", d.ID)

	test := func(wantOK bool, wantWords ...string) {
		t.Helper()
		status, body := apiDo(t, env, "POST", path+"/test", key, nil)
		var r workflow.DirectoryTest
		apiWant(t, status, body, http.StatusOK, &r)
		if r.OK != wantOK || (wantOK && r.UsersFound != 3) {
			t.Fatalf("test: %s, want ok=%v", body, wantOK)
		}
		for _, w := range wantWords {
			if !strings.Contains(strings.ToLower(r.Message), w) {
				t.Fatalf("test message %q does not say %q", r.Message, w)
			}
		}
	}
	patch := func(fields map[string]any) {
		t.Helper()
		status, body := apiDo(t, env, "PATCH", path, key, fields)
		apiWant(t, status, body, http.StatusOK, nil)
	}
	test(true, "3 users")                                    // LDAPS with the test's CA
	patch(map[string]any{"url": s.URL(), "start_tls": true}) // StartTLS with it
	test(true)
	patch(map[string]any{"url": s.LDAPSURL(), "start_tls": false, "ca_pem": ""})
	test(false, "certificate") // a CA nobody trusts
	patch(map[string]any{"ca_pem": s.CAPEM(), "bind_password": "wrong"})
	test(false, "refused")                                     // the wrong bind password
	patch(map[string]any{"bind_password": s.PortalPassword()}) // (an absent one is kept)
	test(true)

	// Bad settings: 422 naming the field, nothing stored.
	for field, value := range map[string]any{"url": "http://ldap.example.org", "user_filter": "(uid=", "base_dn": "not a dn",
		"sync_interval": "soon"} {
		status, body := apiDo(t, env, "PATCH", path, key, map[string]any{field: value})
		apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", field)
	}
	status, body = apiDo(t, env, "PATCH", path, key, map[string]any{"start_tls": true})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "start_tls")
	test(true)

	status, body = apiDo(t, env, "POST", path+"/sync", key, nil)
	var counts map[string]any
	apiWant(t, status, body, http.StatusOK, &counts)
	if counts["created"] != float64(3) || counts["assigned"] != float64(2) {
		t.Fatalf("sync: %s", body)
	}

	// The users show their source, and the filter finds them.
	var list struct {
		Items []struct {
			Login     string `json:"login"`
			Source    string `json:"source"`
			Directory string `json:"directory"`
		} `json:"items"`
	}
	status, body = apiDo(t, env, "GET", fmt.Sprintf("/api/v1/users?source=%d", d.ID), key, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 3 || list.Items[0].Source != "directory" || list.Items[0].Directory == "" {
		t.Fatalf("users of the directory: %s", body)
	}
	status, body = apiDo(t, env, "GET", "/api/v1/users?source=local&q=user0000", key, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("local users include the directory's: %s", body)
	}
	status, body = apiDo(t, env, "GET", "/api/v1/users?source=ldap", key, nil)
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "source")

	// A directory user's mapped fields are the directory's.
	u, err := env.Svc.Store.UserByLogin(t.Context(), slapdtest.UID(1))
	if err != nil {
		t.Fatal(err)
	}
	status, body = apiDo(t, env, "PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), key, map[string]any{"email": "elsewhere@example.com"})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "email")
	status, body = apiDo(t, env, "PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), key, map[string]any{"password": "A much longer passphrase 42"})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "password")
	status, body = apiDo(t, env, "PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), key, map[string]any{"language": "nl"})
	apiWant(t, status, body, http.StatusOK, nil)
}
