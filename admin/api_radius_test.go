package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"tokenportal/workflow"
)

// radiusNets hands each test its own network: an address belongs to one
// resource only, and the tests of the package share one database.
var radiusNets atomic.Int64

// radiusAddr is an address no other test uses.
func radiusAddr() string {
	n := radiusNets.Add(1)
	return fmt.Sprintf("198.18.%d.%d", n/250, n%250+1)
}

const radiusSecret = "correct-horse-battery-staple" // 28 characters

type apiTestRadiusClient struct {
	ID                          int64  `json:"id"`
	ResourceID                  int64  `json:"resource_id"`
	Name                        string `json:"name"`
	Address                     string `json:"address"`
	RequireMessageAuthenticator bool   `json:"require_message_authenticator"`
	CreatedAt                   string `json:"created_at"`
}

func radiusClientsPath(resourceID int64) string {
	return fmt.Sprintf("/api/v1/resources/%d/radius-clients", resourceID)
}

// noSecret fails the test when body holds a secret the tests send, in any
// field.
func noSecret(t *testing.T, what string, body []byte) {
	t.Helper()
	if strings.Contains(string(body), radiusSecret) || strings.Contains(string(body), "too-short") {
		t.Fatalf("%s shows the secret: %s", what, body)
	}
}

func TestAPIRadiusClients(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	key := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	rid := apiCreateResource(t, env, key, "Radius API "+apiTag(t))
	addr := radiusAddr()

	// require_message_authenticator left out: true.
	var created apiTestRadiusClient
	status, body := apiDo(t, env, http.MethodPost, radiusClientsPath(rid), key,
		map[string]any{"name": "VPN gateway", "address": addr, "secret": radiusSecret})
	apiWant(t, status, body, http.StatusCreated, &created)
	noSecret(t, "create", body)
	if strings.Contains(string(body), "secret") {
		t.Fatalf("create names a secret: %s", body)
	}
	if created.ID == 0 || created.ResourceID != rid || created.Address != addr || !created.RequireMessageAuthenticator || created.CreatedAt == "" {
		t.Fatalf("created %+v", created)
	}

	// Explicitly false is kept.
	var lax apiTestRadiusClient
	status, body = apiDo(t, env, http.MethodPost, radiusClientsPath(rid), key,
		map[string]any{"name": "Old firewall", "address": radiusAddr(), "secret": radiusSecret, "require_message_authenticator": false})
	apiWant(t, status, body, http.StatusCreated, &lax)
	if lax.RequireMessageAuthenticator {
		t.Fatalf("require_message_authenticator false not kept: %s", body)
	}

	var list struct{ Items []apiTestRadiusClient }
	status, body = apiDo(t, env, http.MethodGet, radiusClientsPath(rid), key, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	noSecret(t, "list", body)
	if strings.Contains(string(body), "secret") {
		t.Fatalf("list names a secret: %s", body)
	}
	if len(list.Items) != 2 || list.Items[1].ID != created.ID || list.Items[1].Name != "VPN gateway" {
		t.Fatalf("list: %s", body)
	}

	// The secret is sealed at rest, not stored as typed.
	var stored []byte
	if err := env.App.Pool.QueryRow(context.Background(), `SELECT secret FROM radius_clients WHERE id = $1`, created.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), radiusSecret) {
		t.Fatal("the secret is stored in the clear")
	}

	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/radius-clients/%d", created.ID), key, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	noSecret(t, "delete", body)
	if !strings.Contains(string(body), `"deleted":true`) {
		t.Fatalf("delete: %s", body)
	}
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/radius-clients/%d", created.ID), key, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	status, body = apiDo(t, env, http.MethodGet, radiusClientsPath(rid), key, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != lax.ID {
		t.Fatalf("after delete: %s", body)
	}

	// Unknown resource.
	status, body = apiDo(t, env, http.MethodGet, radiusClientsPath(rid+1000000), key, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
}

func TestAPIRadiusClientValidation(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	key := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	rid := apiCreateResource(t, env, key, "Radius invalid "+apiTag(t))
	other := apiCreateResource(t, env, key, "Radius other "+apiTag(t))
	taken := radiusAddr()
	status, body := apiDo(t, env, http.MethodPost, radiusClientsPath(other), key,
		map[string]any{"name": "Theirs", "address": taken, "secret": radiusSecret})
	apiWant(t, status, body, http.StatusCreated, nil)

	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"short secret", map[string]any{"name": "VPN", "address": radiusAddr(), "secret": "too-short"}, http.StatusUnprocessableEntity, "secret"},
		{"no secret", map[string]any{"name": "VPN", "address": radiusAddr()}, http.StatusUnprocessableEntity, "secret"},
		{"bad address", map[string]any{"name": "VPN", "address": "vpn.example.com", "secret": radiusSecret}, http.StatusUnprocessableEntity, "address"},
		{"every address", map[string]any{"name": "VPN", "address": "0.0.0.0/0", "secret": radiusSecret}, http.StatusUnprocessableEntity, "address"},
		{"no name", map[string]any{"name": " ", "address": radiusAddr(), "secret": radiusSecret}, http.StatusUnprocessableEntity, "name"},
		{"address of another resource", map[string]any{"name": "VPN", "address": taken, "secret": radiusSecret}, http.StatusConflict, "address"},
		{"network around another resource's", map[string]any{"name": "VPN", "address": taken + "/16", "secret": radiusSecret}, http.StatusConflict, "address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := apiDo(t, env, http.MethodPost, radiusClientsPath(rid), key, c.body)
			code := "invalid"
			if c.status == http.StatusConflict {
				code = "conflict"
			}
			apiWantError(t, status, body, c.status, code, c.field)
			noSecret(t, c.name, body)
		})
	}
	status, body = apiDo(t, env, http.MethodPost, radiusClientsPath(rid), key, map[string]any{"name": "VPN", "address": radiusAddr(), "secret": radiusSecret, "port": 1812})
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "port")
}

// An owner key manages the clients of its own resource only; helpdesk and
// validate keys none.
func TestAPIRadiusClientScope(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	superKey := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	mine := apiCreateResource(t, env, superKey, "Radius mine "+apiTag(t))
	theirs := apiCreateResource(t, env, superKey, "Radius theirs "+apiTag(t))
	ownerKey := apiNewKey(t, env, workflow.RoleOwner, mine)
	helpdeskKey := apiNewKey(t, env, workflow.RoleHelpdesk, 0)

	var own, foreign apiTestRadiusClient
	status, body := apiDo(t, env, http.MethodPost, radiusClientsPath(mine), ownerKey,
		map[string]any{"name": "Mine", "address": radiusAddr(), "secret": radiusSecret})
	apiWant(t, status, body, http.StatusCreated, &own)
	status, body = apiDo(t, env, http.MethodPost, radiusClientsPath(theirs), superKey,
		map[string]any{"name": "Theirs", "address": radiusAddr(), "secret": radiusSecret})
	apiWant(t, status, body, http.StatusCreated, &foreign)

	refused := func(what string, key string, method, path string, body any, want int) {
		t.Helper()
		before := apiDenials(t, env)
		status, b := apiDo(t, env, method, path, key, body)
		if status != want {
			t.Fatalf("%s: %d, want %d: %s", what, status, want, b)
		}
		noSecret(t, what, b)
		if apiDenials(t, env) == before {
			t.Fatalf("%s: no AccessDenied activity", what)
		}
	}
	newClient := map[string]any{"name": "Sneaky", "address": radiusAddr(), "secret": radiusSecret}
	refused("owner lists another resource", ownerKey, http.MethodGet, radiusClientsPath(theirs), nil, http.StatusForbidden)
	refused("owner adds to another resource", ownerKey, http.MethodPost, radiusClientsPath(theirs), newClient, http.StatusForbidden)
	refused("owner deletes another resource's client", ownerKey, http.MethodDelete, fmt.Sprintf("/api/v1/radius-clients/%d", foreign.ID), nil, http.StatusNotFound)
	refused("helpdesk lists", helpdeskKey, http.MethodGet, radiusClientsPath(mine), nil, http.StatusForbidden)
	refused("helpdesk deletes", helpdeskKey, http.MethodDelete, fmt.Sprintf("/api/v1/radius-clients/%d", own.ID), nil, http.StatusForbidden)

	// Nothing of theirs changed.
	list, err := env.Svc.RadiusClients(context.Background(), theirs)
	if err != nil || len(list) != 1 || list[0].ID != foreign.ID {
		t.Fatalf("their clients: %+v, %v", list, err)
	}

	var got struct{ Items []apiTestRadiusClient }
	status, body = apiDo(t, env, http.MethodGet, radiusClientsPath(mine), ownerKey, nil)
	apiWant(t, status, body, http.StatusOK, &got)
	if len(got.Items) != 1 || got.Items[0].ID != own.ID {
		t.Fatalf("owner's list: %s", body)
	}
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/radius-clients/%d", own.ID), ownerKey, nil)
	apiWant(t, status, body, http.StatusOK, nil)
}

// The two RADIUS settings go through PUT and GET of the portal; a PUT that
// leaves them out sets their defaults.
func TestAPIPortalRadiusSettings(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	key := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	rid := apiCreateResource(t, env, key, "Radius portal "+tag)
	path := fmt.Sprintf("/api/v1/resources/%d/portal", rid)
	type settings struct {
		RadiusFirstFactor       string `json:"radius_first_factor"`
		RadiusAllowWithoutToken bool   `json:"radius_allow_without_token"`
	}
	var got settings
	status, body := apiDo(t, env, http.MethodPut, path, key, map[string]any{"alias": "radius-" + tag,
		"radius_first_factor": "otp", "radius_allow_without_token": true})
	apiWant(t, status, body, http.StatusOK, &got)
	if got != (settings{"otp", true}) {
		t.Fatalf("PUT answered %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, path, key, nil)
	apiWant(t, status, body, http.StatusOK, &got)
	if got != (settings{"otp", true}) {
		t.Fatalf("GET answered %s", body)
	}
	if p, err := env.Svc.Store.PortalByResource(context.Background(), rid); err != nil || p.RadiusFirstFactor != workflow.RadiusOTP || !p.RadiusAllowWithoutToken {
		t.Fatalf("stored %+v, %v", p, err)
	}

	status, body = apiDo(t, env, http.MethodPut, path, key, map[string]any{"alias": "radius-" + tag, "radius_first_factor": "pap"})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "radius_first_factor")

	status, body = apiDo(t, env, http.MethodPut, path, key, map[string]any{"alias": "radius-" + tag})
	apiWant(t, status, body, http.StatusOK, &got)
	if got != (settings{"password", false}) {
		t.Fatalf("PUT without them answered %s", body)
	}
}
