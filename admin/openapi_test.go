package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"tokenportal/admin"
	"tokenportal/workflow"
)

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc, err := apiDoc()
	if err != nil {
		t.Fatalf("admin/openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3 (what kin-openapi validates in full)", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Errorf("servers %v, want the one /api/v1", doc.Servers)
	}
}

// TestOpenAPIDocumentsEveryRoute: every route under /api/v1 is in the
// document, and the document has no operation the API lacks.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([^/]+)`)
	routes := map[string]bool{}
	for _, r := range env.App.Routes {
		path, ok := strings.CutPrefix(r.Path, "/api/v1")
		if !ok {
			continue
		}
		key := r.Method + " " + param.ReplaceAllString(path, "{$1}")
		routes[key] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, key := range slices.Sorted(mapKeys(routes)) {
		if !documented[key] {
			t.Errorf("route %s (under /api/v1) is not in admin/openapi.json", key)
		}
	}
	for _, key := range slices.Sorted(mapKeys(documented)) {
		if !routes[key] {
			t.Errorf("admin/openapi.json has %s, which the API does not", key)
		}
	}
	if len(routes) < 30 {
		t.Fatalf("only %d API routes found: is the walk right?", len(routes))
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestOpenAPIServed: the document is public, and served as embedded.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/openapi.json", "", nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if !bytes.Equal(body, admin.OpenAPI) {
		t.Fatal("GET /api/v1/openapi.json is not the embedded document")
	}
	var doc struct{ OpenAPI string }
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.0.3" {
		t.Fatalf("not an OpenAPI 3.0.3 document (%v): %.80s", err, body)
	}
}

// TestOpenAPIValidationBites: the checks of apiCheck fail when the document
// and the API part ways, in either direction.
func TestOpenAPIValidationBites(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	validator := apiNewKey(t, env, workflow.RoleValidate, 0)
	u := apiCreateUser(t, env, su, apiTag(t)+".bites")

	// Real exchanges, as the API tests make them.
	exchange := func(method, path, key string, body any) apiExchange {
		t.Helper()
		var raw []byte
		if body != nil {
			raw, _ = json.Marshal(body)
		}
		req, err := http.NewRequest(method, env.Server.URL+path, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return apiExchange{req: req, reqBody: raw, status: resp.StatusCode, header: resp.Header, body: answer}
	}
	getUser := exchange(http.MethodGet, fmt.Sprintf("/api/v1/users/%d", u.ID), su, nil)
	validate := exchange(http.MethodPost, "/api/v1/validate", validator, map[string]any{"resource_id": 1, "login": "nobody", "pass": "123456"})
	notFound := exchange(http.MethodGet, "/api/v1/users/999999999", su, nil)
	if getUser.status != http.StatusOK || validate.status != http.StatusOK || notFound.status != http.StatusNotFound {
		t.Fatalf("statuses %d, %d, %d: want 200, 200, 404", getUser.status, validate.status, notFound.status)
	}

	// A document with one change, and its router.
	edited := func(t *testing.T, edit func(doc *openapi3.T)) apiExchangeChecker {
		t.Helper()
		doc, err := openapi3.NewLoader().LoadFromData(admin.OpenAPI)
		if err != nil {
			t.Fatal(err)
		}
		edit(doc)
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		return func(x apiExchange) error { return openapiMismatch(router, x) }
	}
	current := func(x apiExchange) error {
		router, err := apiRouter()
		if err != nil {
			return err
		}
		return openapiMismatch(router, x)
	}
	schema := func(doc *openapi3.T, name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	drop := func(s *openapi3.Schema, field string) {
		delete(s.Properties, field)
		s.Required = slices.DeleteFunc(s.Required, func(f string) bool { return f == field })
	}

	cases := []struct {
		name  string
		x     apiExchange
		check apiExchangeChecker
		want  string // in the error
	}{
		{"result removed from validate's answer", validate,
			edited(t, func(doc *openapi3.T) { drop(schema(doc, "ValidateResult"), "result") }), "result"},
		{"login removed from the user", getUser,
			edited(t, func(doc *openapi3.T) { drop(schema(doc, "User"), "login") }), "login"},
		{"a field the document requires but the API does not send", getUser,
			edited(t, func(doc *openapi3.T) {
				s := schema(doc, "User")
				s.Properties["nickname"] = openapi3.NewStringSchema().NewRef()
				s.Required = append(s.Required, "nickname")
			}), "nickname"},
		{"a status the operation does not document", notFound,
			edited(t, func(doc *openapi3.T) { doc.Paths.Value("/users/{id}").Get.Responses.Delete("404") }), "status is not supported"},
		{"a request field the document does not know", validate,
			edited(t, func(doc *openapi3.T) { drop(schema(doc, "Validate"), "pass") }), "pass"},
		{"an answer without a field it must have", editAnswer(t, getUser, func(m map[string]any) { delete(m, "login") }),
			current, "login"},
		{"an error answer with the code of another status", editAnswer(t, notFound, func(m map[string]any) {
			m["error"].(map[string]any)["code"] = "conflict"
		}), current, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.check(c.x)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%s %s → %d: got %v, want a mismatch naming %q", c.x.req.Method, c.x.req.URL.Path, c.x.status, err, c.want)
			}
		})
	}

	// And the real document takes the real exchanges.
	for _, x := range []apiExchange{getUser, validate, notFound} {
		apiCheck(t, x)
	}
}

type apiExchangeChecker func(apiExchange) error

// editAnswer is x with its JSON answer changed by edit.
func editAnswer(t *testing.T, x apiExchange, edit func(map[string]any)) apiExchange {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(x.body, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	x.body, _ = json.Marshal(m)
	return x
}
