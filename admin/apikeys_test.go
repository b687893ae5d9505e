package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// keyRow is the text of the API keys list's row of the key named name.
func keyRow(p *apptest.Page, name string) string {
	row := p.Doc.Find("tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("th").Text()) == name
	})
	return strings.Join(strings.Fields(row.Text()), " ")
}

func TestAPIKeyCreateUseRevoke(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	ctx := context.Background()
	tag := apiTag(t)
	vpn := newResource(t, env, tag+" VPN")
	super := signIn(t, env, workflow.RoleSuperadmin)

	p := super.Get("/admin/apikeys/new")
	if p.Status != 200 || p.Doc.Find("#name").Length() != 1 || p.Doc.Find("select#role").Length() != 1 ||
		p.Doc.Find(fmt.Sprintf(`select#resource option[value="%d"]`, vpn.ID)).Length() != 1 {
		t.Fatalf("new key form: %d\n%s", p.Status, mainText(p))
	}
	// Owner keys need a resource; superadmin and helpdesk keys take none.
	name := tag + " bridge"
	p = super.Post("/admin/apikeys", apptest.Form("name", name, "role", "owner"))
	if p.Status != 422 || p.Text("#resource-error") == "" || attrValue(p, "#name") != name {
		t.Fatalf("owner key without resource: %d %q", p.Status, p.Text("#resource-error"))
	}
	p = super.Post("/admin/apikeys", apptest.Form("name", name, "role", "helpdesk", "resource", fmt.Sprint(vpn.ID)))
	if p.Status != 422 || p.Text("#resource-error") == "" {
		t.Fatalf("helpdesk key with resource: %d", p.Status)
	}

	// Created: the key is shown once.
	p = super.Post("/admin/apikeys", apptest.Form("name", name, "role", "owner", "resource", fmt.Sprint(vpn.ID)))
	key := p.Text("#api-key")
	if p.Status != 200 || !strings.HasPrefix(key, "tpk_") || p.Header.Get("Cache-Control") != "no-store" ||
		!pageHas(p, ".notice", "shown only this once") {
		t.Fatalf("result: %d %q\n%s", p.Status, key, mainText(p))
	}
	prefix := strings.Split(key, "_")[1]
	p = super.Get("/admin/apikeys")
	row := keyRow(p, name)
	if strings.Contains(p.Body, key) || !strings.Contains(row, "tpk_"+prefix+"_…") || !strings.Contains(row, "owner") ||
		!strings.Contains(row, vpn.Name) || !strings.Contains(row, adminOf(t, env, super).Login) || !strings.Contains(row, "never") ||
		!strings.Contains(row, "live") {
		t.Fatalf("list row: %q", row)
	}

	// The key works on the API, bound to its resource; its use is shown.
	status, body := apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d", vpn.ID), key, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if row := keyRow(super.Get("/admin/apikeys"), name); strings.Contains(row, "never") {
		t.Fatalf("last use not shown: %q", row)
	}

	// Revoked: refused at once on this instance, although it checked the
	// key a moment ago.
	var id int64
	if err := env.App.Pool.QueryRow(ctx, `SELECT id FROM api_keys WHERE prefix = $1`, prefix).Scan(&id); err != nil {
		t.Fatal(err)
	}
	p = super.Get(fmt.Sprintf("/admin/apikeys/%d/revoke", id))
	if p.Status != 200 || !pageHas(p, ".effects", "401") {
		t.Fatalf("confirmation: %d %q", p.Status, p.Text(".effects"))
	}
	p = super.Post(fmt.Sprintf("/admin/apikeys/%d/revoke", id), nil)
	wantStatus(t, "revoke", p, 200, "/admin/apikeys")
	if !strings.Contains(flashOf(p), "revoked") || !strings.Contains(keyRow(p, name), "revoked") {
		t.Fatalf("after revoking: %q %q", flashOf(p), keyRow(p, name))
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/resources/%d", vpn.ID), key, nil)
	apiWantError(t, status, body, http.StatusUnauthorized, "unauthenticated")
	var revoked int
	if err := env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM activities WHERE event = $1 AND details->>'prefix' = $2`,
		workflow.EventAPIKeyRevoked, prefix).Scan(&revoked); err != nil || revoked != 1 {
		t.Fatalf("APIKeyRevoked activities: %d %v", revoked, err)
	}
	// Twice is harmless.
	p = super.Post(fmt.Sprintf("/admin/apikeys/%d/revoke", id), nil)
	if !strings.Contains(flashOf(p), "revoked already") {
		t.Fatalf("second revoke: %q", flashOf(p))
	}
}

func TestAPIKeyValidateKey(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	super := signIn(t, env, workflow.RoleSuperadmin)
	name := apiTag(t) + " radius"
	p := super.Post("/admin/apikeys", apptest.Form("name", name, "role", "validate"))
	key := p.Text("#api-key")
	if p.Status != 200 || key == "" {
		t.Fatalf("result: %d", p.Status)
	}
	// It may validate and nothing else.
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/validate", key, map[string]any{"resource_id": 1, "login": "nobody", "pass": "123456"})
	apiWant(t, status, body, http.StatusOK, nil)
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/users", key, nil)
	apiWantError(t, status, body, http.StatusForbidden, "forbidden")
}
