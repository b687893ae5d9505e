package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func apiGet(t *testing.T, env *apptest.Env, path, auth string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.Server.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	apiCheck(t, apiExchange{req: resp.Request, status: resp.StatusCode, header: resp.Header, body: body})
	return resp.StatusCode, body
}

func TestAPIKeyAuthentication(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	key, _, err := env.Svc.CreateAPIKey(ctx, workflow.NewAPIKey{Name: "ci", Role: workflow.RoleHelpdesk}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	// Only the hash is stored.
	var stored []byte
	if err := env.App.Pool.QueryRow(ctx, "SELECT key_hash FROM api_keys WHERE name = 'ci'").Scan(&stored); err != nil || len(stored) != 32 || string(stored) == key {
		t.Fatalf("stored key: %x %v", stored, err)
	}

	unauthorized := map[string]string{
		"no header":                  "",
		"wrong scheme":               "Basic " + key,
		"empty bearer":               "Bearer ",
		"malformed key":              "Bearer not-a-key",
		"unknown key":                "Bearer tpk_aaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		"right prefix, wrong secret": "Bearer " + key[:len(key)-4] + "zzzz",
	}
	for name, auth := range unauthorized {
		t.Run(name, func(t *testing.T) {
			status, body := apiGet(t, env, "/api/v1/whoami", auth)
			if status != http.StatusUnauthorized {
				t.Fatalf("status %d", status)
			}
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "unauthenticated" || e.Error.Message == "" || e.Error.Fields == nil {
				t.Fatalf("body %s (%v)", body, err)
			}
		})
	}

	status, body := apiGet(t, env, "/api/v1/whoami", "Bearer "+key)
	if status != http.StatusOK {
		t.Fatalf("valid key: %d %s", status, body)
	}
	var who struct{ Name, Role string }
	if err := json.Unmarshal(body, &who); err != nil || who.Name != "ci" || who.Role != "helpdesk" {
		t.Fatalf("whoami %s", body)
	}

	// A key revoked elsewhere (another instance, SQL) stops working once this
	// instance's short cache of checked keys expires.
	if _, err := env.App.Pool.Exec(ctx, "UPDATE api_keys SET revoked_at = now() WHERE name = 'ci'"); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(workflow.APIKeyCacheTTL + time.Second)
	if status, _ := apiGet(t, env, "/api/v1/whoami", "Bearer "+key); status != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d", status)
	}
}

func TestAPIUnknownEndpointIsJSON(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	status, body := apiGet(t, env, "/api/v1/nothing-here", "")
	var e apiError
	if status != http.StatusNotFound {
		t.Fatalf("status %d", status)
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("body %s", body)
	}
}

func TestCreateAPIKeyValidation(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	_, _, err := env.Svc.CreateAPIKey(context.Background(), workflow.NewAPIKey{Name: " ", Role: "root"}, workflow.SystemActor, workflow.Meta{})
	f := workflow.ErrorFieldMsgs(err)
	if workflow.ErrorCode(err) != workflow.CodeInvalid || f["name"].ID == "" || f["role"].ID == "" {
		t.Fatalf("%v %v", err, f)
	}
	_, _, err = env.Svc.CreateAPIKey(context.Background(), workflow.NewAPIKey{Name: "owner key", Role: workflow.RoleOwner}, workflow.SystemActor, workflow.Meta{})
	if workflow.ErrorFieldMsgs(err)["resource"].ID == "" {
		t.Fatalf("owner key without resource: %v", err)
	}
}
