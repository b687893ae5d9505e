package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// apiDo sends a JSON API request with key (none when "") and returns the
// status and body. body may be nil (no body), a string or []byte (sent as
// is, for malformed JSON and import files) or anything else (JSON-encoded).
func apiDo(t *testing.T, env *apptest.Env, method, path, key string, body any) (int, []byte) {
	t.Helper()
	return apiSend(t, env, method, path, key, body, nil)
}

// apiSend is apiDo with extra request headers. Every exchange is checked
// against the OpenAPI document (apiCheck).
func apiSend(t *testing.T, env *apptest.Env, method, path, key string, body any, header map[string]string) (int, []byte) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		raw = j
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, env.Server.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if env.ClientIP != "" {
		req.Header.Set("X-Forwarded-For", env.ClientIP)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	apiCheck(t, apiExchange{req: resp.Request, reqBody: raw, status: resp.StatusCode, header: resp.Header, body: b})
	return resp.StatusCode, b
}

// apiImport posts a token file to path (/api/v1/tokens/import…) as its
// type: PSKC when it starts with '<', else OATH CSV.
func apiImport(t *testing.T, env *apptest.Env, path, key, file string, header map[string]string) (int, []byte) {
	t.Helper()
	h := map[string]string{"Content-Type": "text/csv"}
	if strings.HasPrefix(strings.TrimSpace(file), "<") {
		h["Content-Type"] = "application/pskc+xml"
	}
	for k, v := range header {
		h[k] = v
	}
	return apiSend(t, env, http.MethodPost, path, key, file, h)
}

// apiWant fails the test unless the response has status; it decodes the
// body into out (when not nil).
func apiWant(t *testing.T, status int, body []byte, want int, out any) {
	t.Helper()
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("decoding %s: %v", body, err)
		}
	}
}

// apiWantError checks an error answer: status, code, and that fields is an
// object naming each of fields.
func apiWantError(t *testing.T, status int, body []byte, want int, code string, fields ...string) apiError {
	t.Helper()
	var e apiError
	apiWant(t, status, body, want, &e)
	if e.Error.Code != code || e.Error.Message == "" || e.Error.Fields == nil {
		t.Fatalf("error body %s, want code %q", body, code)
	}
	for _, f := range fields {
		if e.Error.Fields[f] == "" {
			t.Fatalf("error body %s: no message for field %q", body, f)
		}
	}
	return e
}

// apiNewKey creates an API key with role (bound to resourceID when not 0).
func apiNewKey(t *testing.T, env *apptest.Env, role workflow.Role, resourceID int64) string {
	t.Helper()
	n := workflow.NewAPIKey{Name: string(role) + " key", Role: role}
	if resourceID != 0 {
		n.ResourceID = &resourceID
	}
	key, _, err := env.Svc.CreateAPIKey(context.Background(), n, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// apiTestUser is the JSON of a user, as far as the tests look at it.
type apiTestUser struct {
	ID                   int64   `json:"id"`
	Login                string  `json:"login"`
	FirstName            string  `json:"first_name"`
	LastName             string  `json:"last_name"`
	Email                string  `json:"email"`
	Phone                string  `json:"phone"`
	HasPassword          bool    `json:"has_password"`
	PasswordNeverExpires bool    `json:"password_never_expires"`
	ValidUntil           *string `json:"valid_until"`
	Disabled             bool    `json:"disabled"`
	Language             string  `json:"language"`
	Locked               bool    `json:"locked"`
	CreatedAt            string  `json:"created_at"`
	Resources            []int64 `json:"resources"`
}

type apiTestToken struct {
	Serial     string `json:"serial"`
	Type       string `json:"type"`
	Enabled    bool   `json:"enabled"`
	UserID     *int64 `json:"user_id"`
	ResourceID *int64 `json:"resource_id"`
	Failcount  int    `json:"failcount"`
	HasPIN     bool   `json:"has_pin"`
	Locked     bool   `json:"locked"`
	Algorithm  string `json:"algorithm"`
	Digits     int    `json:"digits"`
	Period     int    `json:"period"`
}

// apiCreateResource creates a resource through the API and returns its id.
func apiCreateResource(t *testing.T, env *apptest.Env, key, name string) int64 {
	t.Helper()
	var r struct{ ID int64 }
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/resources", key, map[string]any{"name": name, "description": "for " + name})
	apiWant(t, status, body, http.StatusCreated, &r)
	if r.ID == 0 {
		t.Fatalf("no id: %s", body)
	}
	return r.ID
}

// apiCreateUser creates a user through the API.
func apiCreateUser(t *testing.T, env *apptest.Env, key, login string) apiTestUser {
	t.Helper()
	var u apiTestUser
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/users", key, map[string]any{
		"login": login, "first_name": "Ada", "last_name": "Lovelace", "email": login + "@example.com",
		"phone": "+31 6 1234 5678", "password": "quartz-lantern-harbor-93",
	})
	apiWant(t, status, body, http.StatusCreated, &u)
	return u
}

// apiDenials counts the AccessDenied activities written for API keys.
func apiDenials(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM activities WHERE event = 'AccessDenied' AND actor_type = 'apikey'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var apiTags atomic.Int64

// apiTag is a short prefix unique to the calling test, for the names,
// logins, serials and aliases it creates: the tests of a package share one
// database.
func apiTag(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("t%d", apiTags.Add(1))
}
