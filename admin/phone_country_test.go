package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tokenportal/workflow"
)

// A portal's default country for phone numbers: set on the Self-Service
// tab and over the API, stored in upper case; a code that is no country is
// refused and nothing is saved.
func TestPortalDefaultCountry(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t)
	r := newResource(t, env, tag+" Country VPN")
	newPortal(t, env, r, tag+"-country")

	page := settingsPage(t, b, r)
	if page.Doc.Find(`input[name="default_country"]`).Length() != 1 || page.Text(`label[for="default_country"]`) != "Country for phone numbers" {
		t.Fatalf("no country field: %q", page.Text(`label[for="default_country"]`))
	}
	v := formValues(page, settingsForm)
	v.Set("default_country", " nl ")
	if p := b.Post(resourcePath(r)+"/portal", v); p.Status != 200 && p.Status != 303 {
		t.Fatalf("save: %d %s", p.Status, mainText(p))
	}
	if got := storedPortal(t, env, r).DefaultCountry; got != "NL" {
		t.Fatalf("stored %q", got)
	}
	if got := formValues(settingsPage(t, b, r), settingsForm).Get("default_country"); got != "NL" {
		t.Fatalf("form shows %q", got)
	}
	v.Set("default_country", "XX")
	if p := b.Post(resourcePath(r)+"/portal", v); p.Status != 422 || !strings.Contains(p.Text("#default_country-error"), "two letters") {
		t.Fatalf("XX: %d %q", p.Status, p.Text("#default_country-error"))
	}
	if got := storedPortal(t, env, r).DefaultCountry; got != "NL" {
		t.Fatalf("XX saved: %q", got)
	}

	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	path := fmt.Sprintf("/api/v1/resources/%d/portal", r.ID)
	status, body := apiDo(t, env, http.MethodPut, path, su, map[string]any{"alias": tag + "-country", "default_country": "de"})
	var p struct {
		DefaultCountry string `json:"default_country"`
	}
	apiWant(t, status, body, http.StatusOK, &p)
	if p.DefaultCountry != "DE" {
		t.Fatalf("PUT answered %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, path, su, nil)
	apiWant(t, status, body, http.StatusOK, &p)
	if p.DefaultCountry != "DE" {
		t.Fatalf("GET answered %s", body)
	}
	// Left out, it is none again (PUT replaces the whole).
	status, body = apiDo(t, env, http.MethodPut, path, su, map[string]any{"alias": tag + "-country"})
	apiWant(t, status, body, http.StatusOK, &p)
	if p.DefaultCountry != "" {
		t.Fatalf("PUT without it answered %s", body)
	}
	status, body = apiDo(t, env, http.MethodPut, path, su, map[string]any{"alias": tag + "-country", "default_country": "Netherlands"})
	if e := apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "default_country"); e.Error.Fields["default_country"] != "Enter a country code of two letters, like NL or DE, or leave it empty." {
		t.Fatalf("API field error %s", body)
	}
	// A name is no code: the field's message says what to enter.
	in := workflow.DefaultPortalInput(tag + "-country")
	in.DefaultCountry = "Netherlands"
	_, err := env.Svc.SavePortal(context.Background(), r.ID, in, workflow.SystemActor, workflow.Meta{})
	if f := workflow.ErrorFieldMsgs(err); workflow.ErrorCode(err) != workflow.CodeInvalid || f["default_country"].ID != "phone.country_invalid" {
		t.Fatalf("a name for a code: %v %v", err, f)
	}
}
