package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// Text PostgreSQL cannot store (NUL, bytes that are not UTF-8) is refused
// with 400 at the door instead of failing a query with 500 (found by
// fuzzing the forms).
func TestUnstorableTextIsRefused(t *testing.T) {
	env := apptest.New(t, nil)
	ctx := context.Background()
	key, _, err := env.Svc.CreateAPIKey(ctx, workflow.NewAPIKey{Name: "input test", Role: workflow.RoleSuperadmin}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name, method, path, contentType, body string
		json                                  bool
	}{
		{"NUL in a portal form", "POST", "/selfservice/demo/login", form, "login=a%00b", false},
		{"not UTF-8 in a console form", "POST", "/admin/login", form, "login=%FF%FE&password=x", false},
		{"NUL in a field name", "POST", "/admin/login", form, "log%00in=a", false},
		{"NUL in a query", "GET", "/admin/login?q=%00", "", "", false},
		{"NUL in a path", "GET", "/selfservice/de%00mo/login", "", "", false},
		{"NUL in an API query", "GET", "/api/v1/users?q=%00", "", "", true},
		{"NUL in a JSON body", "POST", "/api/v1/users", "application/json", `{"login": "a\u0000b"}`, true},
		{"NUL in a JSON key", "POST", "/api/v1/users", "application/json", `{"login\u0000": "ab"}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, env.Server.URL+tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.json {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400:\n%.500s", resp.StatusCode, body)
			}
			if tc.json {
				var e struct{ Error struct{ Code string } }
				if json.Unmarshal(body, &e) != nil || e.Error.Code != "bad_request" {
					t.Fatalf("not the API's error: %s", body)
				}
			} else if !strings.Contains(string(body), "cannot be used") {
				t.Fatalf("not the error page: %.500s", body)
			}
		})
	}

	// A JSON body whose text is fine still works, escapes and all.
	req, _ := http.NewRequest("POST", env.Server.URL+"/api/v1/users", strings.NewReader(`{"login": "input-ok", "first_name": "\\u0000 \u00e9"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a valid user: status %d", resp.StatusCode)
	}
}

// A User-Agent that is not UTF-8 is recorded repaired, not refused.
func TestUserAgentNotUTF8IsRepaired(t *testing.T) {
	env := apptest.New(t, nil)
	ctx := context.Background()
	r, err := env.Svc.CreateResource(ctx, workflow.ResourceInput{Name: "UA VPN"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	in := workflow.DefaultPortalInput("ua-portal")
	in.Enabled = true
	if _, err := env.Svc.SavePortal(ctx, r.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	b := env.Browser()
	b.UserAgent = "Agent/\xff\xfe 1.0"
	b.Post("/selfservice/ua-portal/login", apptest.Form("login", "nobody-ua"))
	p := b.Post("/selfservice/ua-portal/login", apptest.Form("password", "wrong"))
	if p.Status >= 500 {
		t.Fatalf("status %d", p.Status)
	}
	var ua string
	if err := env.App.Pool.QueryRow(ctx, `SELECT user_agent FROM activities WHERE actor_name = 'nobody-ua' ORDER BY id DESC LIMIT 1`).Scan(&ua); err != nil {
		t.Fatalf("the failed sign-in was not recorded: %v", err)
	}
	if ua != "Agent/\uFFFD 1.0" {
		t.Fatalf("user agent recorded as %q", ua)
	}
}
