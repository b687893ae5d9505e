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

func TestAPIResources(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	ctx := context.Background()
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)

	var r struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		CreatedAt   string `json:"created_at"`
	}
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/resources", su, map[string]any{"name": " " + tag + " Corporate VPN ", "description": "IPsec"})
	apiWant(t, status, body, http.StatusCreated, &r)
	if r.ID == 0 || r.Name != tag+" Corporate VPN" || r.Description != "IPsec" || r.CreatedAt == "" {
		t.Fatalf("created %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/resources", su, map[string]any{"name": strings.ToUpper(tag + " corporate vpn")})
	apiWantError(t, status, body, http.StatusConflict, "conflict", "name")
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/resources", su, map[string]any{"name": ""})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "name")
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/resources", su, map[string]any{"name": "X", "owner": 1})
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "owner")

	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d", r.ID), su, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	for _, path := range []string{"/api/v1/resources/999999", "/api/v1/resources/vpn", "/api/v1/resources/999999/portal"} {
		status, body = apiDo(t, env, http.MethodGet, path, su, nil)
		apiWantError(t, status, body, http.StatusNotFound, "not_found")
	}

	// Assign (twice: idempotent), list, unassign.
	u := apiCreateUser(t, env, su, tag+"-margaret")
	path := fmt.Sprintf("/api/v1/resources/%d/users/%d", r.ID, u.ID)
	for range 2 {
		status, body = apiDo(t, env, http.MethodPut, path, su, nil)
		apiWant(t, status, body, http.StatusOK, nil)
	}
	if ok, _ := env.Svc.Store.IsAssigned(ctx, r.ID, u.ID); !ok {
		t.Fatal("not assigned")
	}
	var list struct {
		Items []struct {
			ID          int64  `json:"id"`
			Users       int    `json:"users"`
			PortalAlias string `json:"portal_alias"`
		} `json:"items"`
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/resources", su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	found := false
	for _, it := range list.Items {
		if it.ID == r.ID {
			found = true
			if it.Users != 1 || it.PortalAlias != "" {
				t.Fatalf("list %s", body)
			}
		}
	}
	if !found {
		t.Fatalf("list %s", body)
	}
	status, body = apiDo(t, env, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/users/999999", r.ID), su, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	status, body = apiDo(t, env, http.MethodPut, fmt.Sprintf("/api/v1/resources/999999/users/%d", u.ID), su, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")

	status, body = apiDo(t, env, http.MethodDelete, path, su, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if ok, _ := env.Svc.Store.IsAssigned(ctx, r.ID, u.ID); ok {
		t.Fatal("still assigned")
	}
	status, body = apiDo(t, env, http.MethodDelete, path, su, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")

	// An empty list is [], never null.
	helpdesk := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/tokens?resource_id=%d", r.ID), helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if string(body) != `{"items":[],"next_after":null,"total":0}` {
		t.Fatalf("empty token list %s", body)
	}
}

type apiTestPortal struct {
	ResourceID int64    `json:"resource_id"`
	Alias      string   `json:"alias"`
	Enabled    bool     `json:"enabled"`
	Actions    []string `json:"actions"`
	AllActions []struct {
		ID      string `json:"id"`
		Enabled bool   `json:"enabled"`
	} `json:"all_actions"`
	TokenTypes                     []string `json:"token_types"`
	TrustedNetworks                []string `json:"trusted_networks"`
	OTPOutsideTrusted              bool     `json:"otp_outside_trusted"`
	DenyWithoutTokenOutsideTrusted bool     `json:"deny_without_token_outside_trusted"`
	RequireToken                   bool     `json:"require_token"`
	RememberDeviceDays             int      `json:"remember_device_days"`
	MaxTokensPerUser               int      `json:"max_tokens_per_user"`
	PINLength                      int      `json:"pin_length"`
}

func TestAPIPortal(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	alias := tag + "-vpn"
	vpn := apiCreateResource(t, env, su, tag+" VPN")
	web := apiCreateResource(t, env, su, tag+" Web")
	portalPath := fmt.Sprintf("/api/v1/resources/%d/portal", vpn)

	status, body := apiDo(t, env, http.MethodGet, portalPath, su, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")

	settings := map[string]any{
		"alias": alias, "enabled": true, "actions": []string{"change-password", "register-token", "sync-token"},
		"token_types": []string{"hotp", "totp"}, "trusted_networks": []string{"10.1.2.3/8", "192.168.1.7", "2001:db8::1"},
		"otp_outside_trusted": true, "deny_without_token_outside_trusted": true, "require_token": true,
		"remember_device_days": 30, "max_tokens_per_user": 2, "pin_length": 6,
	}
	var p apiTestPortal
	status, body = apiDo(t, env, http.MethodPut, portalPath, su, settings)
	apiWant(t, status, body, http.StatusOK, &p)
	check := func(p apiTestPortal, body []byte) {
		t.Helper()
		if p.ResourceID != vpn || p.Alias != alias || !p.Enabled || !p.OTPOutsideTrusted || !p.DenyWithoutTokenOutsideTrusted ||
			!p.RequireToken || p.RememberDeviceDays != 30 || p.MaxTokensPerUser != 2 || p.PINLength != 6 {
			t.Fatalf("portal %s", body)
		}
		if !slices.Equal(p.Actions, []string{"change-password", "register-token", "sync-token"}) {
			t.Fatalf("actions %v", p.Actions)
		}
		if !slices.Equal(p.TokenTypes, []string{"totp", "hotp"}) {
			t.Fatalf("token types %v", p.TokenTypes)
		}
		if !slices.Equal(p.TrustedNetworks, []string{"10.0.0.0/8", "192.168.1.7/32", "2001:db8::1/128"}) {
			t.Fatalf("networks %v", p.TrustedNetworks)
		}
		// The full order: the enabled ones as given, then the rest, off, in
		// their default order.
		var order []string
		for i, a := range p.AllActions {
			order = append(order, a.ID)
			if a.Enabled != (i < 3) {
				t.Fatalf("all_actions %s", body)
			}
		}
		want := []string{"change-password", "register-token", "sync-token"}
		for _, a := range workflow.Actions {
			if !slices.Contains(want, a) {
				want = append(want, a)
			}
		}
		if !slices.Equal(order, want) {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	check(p, body)
	status, body = apiDo(t, env, http.MethodGet, portalPath, su, nil)
	apiWant(t, status, body, http.StatusOK, &p)
	check(p, body)
	stored, err := env.Svc.Store.PortalByAlias(ctx, alias)
	if err != nil || stored.ResourceID != vpn || len(stored.Actions) != len(workflow.Actions) {
		t.Fatalf("stored %+v %v", stored, err)
	}
	var n int
	if err := env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM activities WHERE event = 'PortalChanged' AND resource_id = $1`, vpn).Scan(&n); err != nil || n != 1 {
		t.Fatalf("PortalChanged activities: %d %v", n, err)
	}

	// A PUT replaces the whole; left-out fields take their defaults.
	status, body = apiDo(t, env, http.MethodPut, portalPath, su, map[string]any{"alias": alias})
	apiWant(t, status, body, http.StatusOK, &p)
	if p.Enabled || len(p.Actions) != 0 || !slices.Equal(p.TokenTypes, []string{"totp"}) || len(p.TrustedNetworks) != 0 ||
		p.MaxTokensPerUser != 1 || p.PINLength != 4 || p.RememberDeviceDays != 0 || p.AllActions[0].ID != workflow.Actions[0] {
		t.Fatalf("defaults %s", body)
	}
	if string(body) == "" || p.Actions == nil {
		t.Fatalf("actions must be [] not null: %s", body)
	}

	// Another resource may not take the alias.
	status, body = apiDo(t, env, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/portal", web), su, map[string]any{"alias": alias})
	apiWantError(t, status, body, http.StatusConflict, "conflict", "alias")

	bad := []struct {
		name  string
		over  map[string]any
		field string
	}{
		{"alias with capitals", map[string]any{"alias": "VPN"}, "alias"},
		{"alias too short", map[string]any{"alias": "v"}, "alias"},
		{"alias starting with a hyphen", map[string]any{"alias": "-vpn"}, "alias"},
		{"unknown action", map[string]any{"actions": []string{"register-token", "fly"}}, "actions"},
		{"action twice", map[string]any{"actions": []string{"set-pin", "set-pin"}}, "actions"},
		{"no token type", map[string]any{"token_types": []string{}}, "token_types"},
		{"unknown token type", map[string]any{"token_types": []string{"totp", "yubikey"}}, "token_types"},
		{"bad network", map[string]any{"trusted_networks": []string{"10.0.0.0/33"}}, "trusted_networks"},
		{"not a network", map[string]any{"trusted_networks": []string{"office"}}, "trusted_networks"},
		{"remember too long", map[string]any{"remember_device_days": 366}, "remember_device_days"},
		{"negative remember", map[string]any{"remember_device_days": -1}, "remember_device_days"},
		{"no tokens", map[string]any{"max_tokens_per_user": 0}, "max_tokens_per_user"},
		{"too many tokens", map[string]any{"max_tokens_per_user": 11}, "max_tokens_per_user"},
		{"short pin", map[string]any{"pin_length": 3}, "pin_length"},
		{"long pin", map[string]any{"pin_length": 9}, "pin_length"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			b := map[string]any{}
			for k, v := range settings {
				b[k] = v
			}
			for k, v := range tc.over {
				b[k] = v
			}
			status, body := apiDo(t, env, http.MethodPut, portalPath, su, b)
			apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", tc.field)
		})
	}
	status, body = apiDo(t, env, http.MethodPut, portalPath, su, map[string]any{"alias": alias, "pin_length": "6"})
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "pin_length")
	status, body = apiDo(t, env, http.MethodPut, "/api/v1/resources/999999/portal", su, map[string]any{"alias": tag + "-nowhere"})
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	// The refused requests changed nothing.
	if got, _ := env.Svc.Store.PortalByResource(ctx, vpn); got.PINLength != 4 || got.Alias != alias {
		t.Fatalf("portal changed: %+v", got)
	}
	if _, err := env.Svc.Store.PortalByResource(ctx, web); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("web got a portal: %v", err)
	}
}

func TestAPIPortalRoles(t *testing.T) {
	// Serial: it counts the AccessDenied activities of every API key.
	env := apptest.New(t, nil)
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	mine := apiCreateResource(t, env, su, tag+" Mine")
	other := apiCreateResource(t, env, su, tag+" Other")
	owner := apiNewKey(t, env, workflow.RoleOwner, mine)
	helpdesk := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	put := map[string]any{"alias": tag + "-mine", "enabled": true, "actions": []string{"register-token"}}

	status, body := apiDo(t, env, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/portal", mine), owner, put)
	apiWant(t, status, body, http.StatusOK, nil)
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d/portal", mine), owner, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d", mine), owner, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	var list struct{ Items []struct{ ID int64 } }
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/resources", owner, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != mine {
		t.Fatalf("owner's resources %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d/portal", mine), helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, nil)

	denials := apiDenials(t, env)
	forbidden := []struct {
		name, key, method, path string
		body                    any
	}{
		{"owner reads another resource", owner, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d", other), nil},
		{"owner sets another resource's portal", owner, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/portal", other), map[string]any{"alias": tag + "-other"}},
		{"owner reads another resource's portal", owner, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d/portal", other), nil},
		{"owner creates a resource", owner, http.MethodPost, "/api/v1/resources", map[string]any{"name": tag + " Mine too"}},
		{"owner assigns a user", owner, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/users/1", mine), nil},
		{"helpdesk sets a portal", helpdesk, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/portal", mine), put},
		{"helpdesk creates a resource", helpdesk, http.MethodPost, "/api/v1/resources", map[string]any{"name": tag + " Helpdesk"}},
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
}
