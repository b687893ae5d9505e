package admin_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

var admins atomic.Int64

// signIn creates an admin with role and returns a browser signed in as
// them, through the real sign-in and TOTP enrolment pages (enrol).
func signIn(t *testing.T, env *apptest.Env, role workflow.Role) *apptest.Browser {
	t.Helper()
	login := "ui-" + string(role) + "-" + strconv.FormatInt(admins.Add(1), 10)
	newAdmin(t, env, login, role)
	b := env.Browser()
	enrol(t, env, b, login)
	// enrol shows that a wrong code is refused, which counts against the
	// client's IP; take that back, so the sign-ins of many tests sharing
	// the package database do not add up to the per-IP limit.
	forgiveFailedSignIn(t, env)
	return b
}

// newUser creates a user through the service (without a password, which
// keeps bcrypt out of bulk setups).
func newUser(t *testing.T, env *apptest.Env, login string) workflow.User {
	t.Helper()
	u, err := env.Svc.CreateUser(context.Background(), workflow.UserInput{Login: login, FirstName: "First", LastName: "Last " + login,
		Email: login + "@example.com"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newResource(t *testing.T, env *apptest.Env, name string) workflow.Resource {
	t.Helper()
	r, err := env.Svc.CreateResource(context.Background(), workflow.ResourceInput{Name: name}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rfc4226Seed is the secret of the RFC 4226 test vectors; counter 0 gives
// 755224, counter 1 287082.
const rfc4226Seed = "3132333435363738393031323334353637383930"

// importHOTP imports an HOTP token with the RFC 4226 seed, in stock.
func importHOTP(t *testing.T, env *apptest.Env, serial string) workflow.Token {
	t.Helper()
	if _, err := env.Svc.ImportTokens(context.Background(), []byte(serial+","+rfc4226Seed+",hotp,6,0\n"), nil, nil, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	tok, err := env.Svc.Store.TokenBySerial(context.Background(), serial)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// giveToken makes a token the user's on the resource.
func giveToken(t *testing.T, env *apptest.Env, serial string, u workflow.User, r workflow.Resource) {
	t.Helper()
	if _, err := env.Svc.AssignToken(context.Background(), serial, &r.ID, &u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
}

// postFile submits a multipart form with one file, as a same-origin
// browser would.
func postFile(t *testing.T, env *apptest.Env, b *apptest.Browser, path string, fields map[string]string, field, filename string, content []byte) *apptest.Page {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if field != "" {
		fw, err := w.CreateFormFile(field, filename)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.Server.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", env.Server.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.Do(req)
}

// flashOf is the success message shown after a change.
func flashOf(p *apptest.Page) string { return p.Text(".notice.success") }

// attrValue is the value attribute of the element matching selector.
func attrValue(p *apptest.Page, selector string) string {
	v, _ := p.Doc.Find(selector).Attr("value")
	return v
}

// tableRows counts the body rows of the first table.
func tableRows(p *apptest.Page) int { return p.Doc.Find("table").First().Find("tbody tr").Length() }

// wantStatus fails the test when p is not at status and path.
func wantStatus(t *testing.T, what string, p *apptest.Page, status int, path string) {
	t.Helper()
	if p.Status != status || (path != "" && p.URL.Path != path) {
		t.Fatalf("%s: %d %s, want %d %s\n%s", what, p.Status, p.URL.Path, status, path, mainText(p))
	}
}

// mainText is the page's main content, for failure messages.
func mainText(p *apptest.Page) string {
	s := p.Text("main")
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}

func userPath(u workflow.User) string { return views.UserHref(u.ID) }

func resourcePath(r workflow.Resource) string { return views.ResourceHref(r.ID) }

// pageHas reports whether the text of selector in p contains want.
func pageHas(p *apptest.Page, selector, want string) bool {
	return strings.Contains(p.Text(selector), want)
}
