package admin_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// The console's forms are read with gin's PostForm in the handlers and the
// API's bodies with apiDecode; these fuzz targets send arbitrary bodies
// through the real router, signed in as a superadmin (or with a superadmin
// or validate key), and require an answer that is no server error and well
// formed: a whole HTML page, or JSON with the API's error object. The app
// is built once per target. In bodies and paths {uid}, {rid}, {serial} and
// {login} stand for a user, resource and token made for each input (the
// user assigned to the resource, the token theirs on it), so mutations
// keep reaching the handlers' work rather than their 404s.

var fuzzSeq atomic.Int64

// fuzzConsole is an app without throttling, so fuzzing never locks itself
// out.
type fuzzConsole struct {
	env    *apptest.Env
	inputs int
	last   fuzzObjects
}

func newFuzzConsole(f *testing.F) *fuzzConsole {
	env := apptest.New(f, nil)
	env.Svc.Limits = workflow.Limits{LockAfter: 1 << 30, LockFor: time.Minute, IPFailures: 1 << 30, IPWindow: time.Minute,
		RestorePerLogin: 1 << 30, RestorePerIP: 1 << 30}
	return &fuzzConsole{env: env}
}

// fuzzObjects are the objects of one input.
type fuzzObjects struct {
	uid, rid, iid int64
	login, serial string
}

func (o fuzzObjects) fill(s string) string {
	return strings.NewReplacer("{uid}", strconv.FormatInt(o.uid, 10), "{rid}", strconv.FormatInt(o.rid, 10),
		"{iid}", strconv.FormatInt(o.iid, 10), "{serial}", o.serial, "{login}", o.login).Replace(s)
}

// objects makes a user assigned to a new resource, with an HOTP token
// (RFC 4226 seed) of theirs on it and an open request to restore access
// (lost token and email).
func (fc *fuzzConsole) objects(t testing.TB) fuzzObjects {
	t.Helper()
	ctx, svc, by := context.Background(), fc.env.Svc, workflow.SystemActor
	n := fmt.Sprintf("fz%d-%d", time.Now().UnixNano()%1e9, fuzzSeq.Add(1))
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: "Fuzz " + n}, by, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: n, FirstName: "Fuzz", LastName: "User", Email: n + "@example.com"}, by, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, r.ID, u.ID, by, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	serial := "FZ" + strings.ReplaceAll(n, "-", "")
	if _, err := svc.ImportTokens(ctx, []byte(serial+","+rfc4226Seed+",hotp,6,0\n"), nil, nil, by, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AssignToken(ctx, serial, &r.ID, &u.ID, by, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	is := workflow.Issue{UserID: u.ID, ResourceID: r.ID, Lost: []string{workflow.LostToken, workflow.LostEmail}, Token: workflow.EvidenceLost,
		Password: workflow.EvidenceVerified, Email: workflow.EvidenceLost, NewEmail: "new-" + n + "@example.org", IP: "192.0.2.9"}
	if _, err := svc.Store.CreateIssue(ctx, &is, fc.env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	return fuzzObjects{uid: u.ID, rid: r.ID, iid: is.ID, login: n, serial: serial}
}

// fresh returns the objects for an input: new ones every 16 inputs, which
// keeps most of the time for the requests; an input that deleted or
// changed them only changes which paths the next ones take.
func (fc *fuzzConsole) fresh(t testing.TB) fuzzObjects {
	t.Helper()
	if fc.inputs%16 == 0 {
		fc.last = fc.objects(t)
	}
	fc.inputs++
	return fc.last
}

// signIn returns a client signed in as a new superadmin, through the real
// sign-in and TOTP enrolment pages.
func (fc *fuzzConsole) signIn(f *testing.F) *apptest.Raw {
	b, _ := fc.enrolled(f, fc.admin(f))
	return b
}

// admin creates a superadmin with adminPassword and returns the login.
func (fc *fuzzConsole) admin(f *testing.F) string {
	login := "fuzz-admin-" + strconv.FormatInt(fuzzSeq.Add(1), 10)
	if _, err := fc.env.Svc.CreateAdmin(context.Background(), workflow.NewAdmin{Login: login, Role: workflow.RoleSuperadmin, Password: adminPassword},
		workflow.SystemActor, workflow.Meta{}); err != nil {
		f.Fatal(err)
	}
	return login
}

// enrolled signs login in for the first time, enrolling TOTP; it returns
// the signed-in client and the TOTP secret.
func (fc *fuzzConsole) enrolled(f *testing.F, login string) (*apptest.Raw, []byte) {
	b := fc.env.Raw()
	resp, body := b.PostForm(f, "/admin/login", url.Values{"login": {login}, "password": {adminPassword}}.Encode())
	if !strings.HasSuffix(resp.Request.URL.Path, "/login/enrol") {
		f.Fatalf("sign-in ended at %s", resp.Request.URL.Path)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		f.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.Join(strings.Fields(doc.Find("#totp-secret").Text()), ""))
	if err != nil {
		f.Fatal(err)
	}
	resp, _ = b.PostForm(f, "/admin/login/enrol", url.Values{"code": {otp.TOTPCode(secret, fc.env.Clock.Now(), otp.Default)}}.Encode())
	if resp.Request.URL.Path != "/admin/" {
		f.Fatalf("enrolment ended at %s", resp.Request.URL.Path)
	}
	return b, secret
}

// fuzzRoute is a request a fuzz input fills: a form (or JSON) body, a
// query string, a path segment or an uploaded file.
type fuzzRoute struct {
	method, path string
	as           string // "form", "json", "query", "segment" (path ends in the escaped input) or "file"
}

// send fills route with the input and checks the answer.
func send(t *testing.T, b *apptest.Raw, rt fuzzRoute, o fuzzObjects, input string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	path, body := o.fill(rt.path), o.fill(input)
	var resp *http.Response
	var out []byte
	switch rt.as {
	case "form":
		resp, out = b.Send(t, rt.method, path, "application/x-www-form-urlencoded", []byte(body), header)
	case "json":
		resp, out = b.Send(t, rt.method, path, "application/json", []byte(body), header)
	case "query":
		resp, out = b.Send(t, rt.method, path+"?"+rawQuery(body), "", nil, header)
	case "segment":
		resp, out = b.Send(t, rt.method, path+url.PathEscape(body), "", nil, header)
	case "file":
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("resource_id", strconv.FormatInt(o.rid, 10))
		fw, _ := mw.CreateFormFile("file", "tokens.csv")
		_, _ = fw.Write([]byte(body))
		_ = mw.Close()
		resp, out = b.Send(t, rt.method, path, mw.FormDataContentType(), buf.Bytes(), header)
	default:
		t.Fatalf("route kind %q", rt.as)
	}
	apptest.CheckAnswer(t, rt.method+" "+path+" "+rt.as+" "+strconv.Quote(body), resp, out)
	return resp, out
}

// rawQuery keeps a query string as typed but escapes what cannot stand in
// a request line (controls, spaces, non-ASCII, '#'): a browser does so too.
func rawQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c < 0x7f && !strings.ContainsRune("#\"<>\\^`{|}", rune(c)) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// fuzzConsoleArea fuzzes the routes of one console area.
func fuzzConsoleArea(f *testing.F, routes []fuzzRoute, seeds []string) {
	for i := range routes {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	fc := newFuzzConsole(f)
	b := fc.signIn(f)
	f.Fuzz(func(t *testing.T, route uint8, input string) {
		send(t, b, routes[int(route)%len(routes)], fc.fresh(t), input, nil)
	})
}

func FuzzAdminUsers(f *testing.F) {
	fuzzConsoleArea(f, []fuzzRoute{
		{"POST", "/admin/users", "form"},
		{"POST", "/admin/users/{uid}", "form"},
		{"POST", "/admin/users/{uid}/assign", "form"},
		{"POST", "/admin/users/{uid}/unassign", "form"},
		{"POST", "/admin/users/{uid}/unlock", "form"},
		{"POST", "/admin/users/{uid}/reset-2fa", "form"},
		{"POST", "/admin/users/{uid}/delete", "form"},
		{"GET", "/admin/users", "query"},
		{"GET", "/admin/users/", "segment"},
	}, []string{
		"login=new.user&first_name=Ann&last_name=Lee&email=ann%40example.com&phone=%2B31612345678&password=plum-orbit-canvas-71&language=en",
		"login={login}&valid_until=2030-01-31&temporary_until=2030-01-31T10:00&password_never_expires=1&disabled=1&clear_password=1",
		"form=contact&first_name=A&email=x&phone=0031612345678&language=nl",
		"resource_id={rid}", "resource_id=-1", "resource_id=99999999999999999999", "confirm=1",
		"q=fz&resource_id={rid}&after=fz", "q=%25_&after=%FF", "{uid}", "0", "-1", "9223372036854775808",
	})
}

func FuzzAdminResources(f *testing.F) {
	fuzzConsoleArea(f, []fuzzRoute{
		{"POST", "/admin/resources", "form"},
		{"POST", "/admin/resources/{rid}", "form"},
		{"POST", "/admin/resources/{rid}/delete", "form"},
		{"POST", "/admin/resources/{rid}/users", "form"},
		{"POST", "/admin/resources/{rid}/users/{uid}/remove", "form"},
		{"POST", "/admin/resources/{rid}/portal", "form"},
		{"GET", "/admin/resources", "query"},
		{"GET", "/admin/resources/{rid}", "query"},
		{"GET", "/admin/resources/", "segment"},
	}, []string{
		"name=Fuzz+VPN+2&description=the+VPN", "name=+&description=" + strings.Repeat("d", 1100), "login={login}", "confirm=1",
		"form=enable&alias=fz-{rid}",
		"alias=fz-{rid}&enabled=1&actions=register-token&actions=set-pin&token_types=totp&token_types=hotp&trusted_networks=10.0.0.0%2F8%0A2001%3Adb8%3A%3A%2F32" +
			"&otp_outside_trusted=1&remember_device_days=30&max_tokens_per_user=2&pin_length=6&order=set-pin&order=register-token&move=up:set-pin",
		"alias=x&remember_device_days=9999999999999&max_tokens_per_user=-1&pin_length=abc&trusted_networks=%3A%3Affff%3A1.2.3.4%2F120",
		"tab=portal", "tab=users&after=a&q=fz", "{rid}", "0", "x",
	})
}

func FuzzAdminTokens(f *testing.F) {
	fuzzConsoleArea(f, []fuzzRoute{
		{"POST", "/admin/tokens/import", "form"},
		{"POST", "/admin/tokens/import", "file"},
		{"POST", "/admin/tokens/{serial}/check", "form"},
		{"POST", "/admin/tokens/{serial}/enable", "form"},
		{"POST", "/admin/tokens/{serial}/disable", "form"},
		{"POST", "/admin/tokens/{serial}/reset", "form"},
		{"POST", "/admin/tokens/{serial}/assign", "form"},
		{"POST", "/admin/tokens/{serial}/delete", "form"},
		{"GET", "/admin/tokens", "query"},
		{"GET", "/admin/tokens/", "segment"},
	}, []string{
		"otp=755224", "otp=287082", "otp=12", "resource_id={rid}&login={login}", "resource_id=&login=", "login=nobody&resource_id=0",
		"psk_hex=12345678901234567890123456789012&resource_id={rid}", "psk_hex=zz",
		"{serial}-2," + rfc4226Seed + ",hotp,6,0\n", "serial,seed,type\nT1,31,totp,8,60\n",
		"q={login}&with_user=1&resource_id={rid}&after=FZ", "{serial}", "..", "a/b",
	})
}

func FuzzAdminIssues(f *testing.F) {
	fuzzConsoleArea(f, []fuzzRoute{
		{"POST", "/admin/issues/{iid}/verify", "form"},
		{"POST", "/admin/issues/{iid}/delete", "form"},
		{"GET", "/admin/issues", "query"},
		{"GET", "/admin/issues/", "segment"},
		{"POST", "/admin/notifications", "form"},
	}, []string{
		"confirm=1", "", "status=all&resource_id={rid}&before={iid}", "status=verified&before=-1&resource_id=x", "{iid}",
		"email=admin%40example.com&subscribe=some&resource_id={rid}&resource_id={rid}", "subscribe=all", "subscribe=none&email=x",
		"subscribe=some&resource_id=abc",
	})
}

// FuzzAdminSignIn fills the three forms of the console's sign-in: login and
// password, the TOTP code of an enrolled admin, and the code confirming an
// enrolment.
func FuzzAdminSignIn(f *testing.F) {
	for step := range uint8(3) {
		for _, s := range []string{"login={login}&password=plum-orbit-canvas-71", "login={login}&password=wrong", "code=123456",
			"code=", "code=%C2%A0123456", "login=&password=", "%zz"} {
			f.Add(step, s)
		}
	}
	fc := newFuzzConsole(f)
	enrolledLogin, newLogin := fc.admin(f), fc.admin(f)
	fc.enrolled(f, enrolledLogin)
	f.Fuzz(func(t *testing.T, step uint8, input string) {
		b := fc.env.Raw()
		path := "/admin/login"
		switch step % 3 {
		case 1: // the TOTP step of an admin who has enrolled
			b.PostForm(t, path, url.Values{"login": {enrolledLogin}, "password": {adminPassword}}.Encode())
			path = "/admin/login/totp"
		case 2: // the enrolment of one who has not
			b.PostForm(t, path, url.Values{"login": {newLogin}, "password": {adminPassword}}.Encode())
			path = "/admin/login/enrol"
		}
		send(t, b, fuzzRoute{"POST", path, "form"}, fuzzObjects{login: enrolledLogin}, input, nil)
	})
}

// fuzzAPI is a fuzz target of the JSON API with a key of role.
func fuzzAPI(f *testing.F, role workflow.Role, routes []fuzzRoute, seeds []string, check func(t *testing.T, b *apptest.Raw, o fuzzObjects, key string, rt fuzzRoute, resp *http.Response, body []byte)) {
	for i := range routes {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	fc := newFuzzConsole(f)
	key, _, err := fc.env.Svc.CreateAPIKey(context.Background(), workflow.NewAPIKey{Name: "fuzz " + string(role), Role: role}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		f.Fatal(err)
	}
	b := fc.env.Raw()
	header := map[string]string{"Authorization": "Bearer " + key}
	f.Fuzz(func(t *testing.T, route uint8, input string) {
		o := fc.fresh(t)
		rt := routes[int(route)%len(routes)]
		resp, body := send(t, b, rt, o, input, header)
		if check != nil {
			check(t, b, o, key, rt, resp, body)
		}
	})
}

func FuzzAPIUsers(f *testing.F) {
	fuzzAPI(f, workflow.RoleSuperadmin, []fuzzRoute{
		{"POST", "/api/v1/users", "json"},
		{"PATCH", "/api/v1/users/{uid}", "json"},
		{"GET", "/api/v1/users", "query"},
		{"GET", "/api/v1/users/", "segment"},
	}, []string{
		`{"login": "api.user", "first_name": "A", "last_name": "B", "email": "a@example.com", "phone": "+31 6 12345678", "password": "plum-orbit-canvas-71", "language": "de", "password_never_expires": true, "valid_until": "2030-12-31", "disabled": false}`,
		`{"login": "{login}"}`, `{"email": null, "phone": "", "valid_until": null, "disabled": true}`, `{"first_name": 5}`, `{"nope": 1}`,
		`{"login": "x"} {}`, `[]`, `null`, `{"valid_until": "2030-02-30"}`, `{"login": "\ud800"}`,
		"q={login}&resource_id={rid}&after=a&limit=5", "limit=-1&after=%FF", "{uid}", "x",
	}, nil)
}

func FuzzAPIPortal(f *testing.F) {
	fuzzAPI(f, workflow.RoleSuperadmin, []fuzzRoute{
		{"PUT", "/api/v1/resources/{rid}/portal", "json"},
	}, []string{
		`{"alias": "fz-{rid}", "enabled": true, "actions": ["register-token", "set-pin"], "token_types": ["hotp", "totp"], "trusted_networks": ["10.1.2.3/8", "192.0.2.1", "::ffff:10.0.0.0/104"], "otp_outside_trusted": true, "deny_without_token_outside_trusted": false, "require_token": true, "remember_device_days": 30, "max_tokens_per_user": 2, "pin_length": 6}`,
		`{"alias": "fz-{rid}", "token_types": ["totp"], "max_tokens_per_user": 1, "pin_length": 4}`,
		`{"alias": "", "actions": ["nope", "nope"], "token_types": [], "trusted_networks": ["x"], "remember_device_days": -1}`,
		`{"alias": "fz-{rid}", "token_types": ["totp"], "max_tokens_per_user": 1, "pin_length": 4, "trusted_networks": ["fe80::1%eth0", "1.2.3.4/33"]}`,
		`{"pin_length": 1e400}`, `{}`,
	}, func(t *testing.T, b *apptest.Raw, o fuzzObjects, key string, rt fuzzRoute, resp *http.Response, body []byte) {
		if resp.StatusCode != http.StatusOK {
			return
		}
		// What was accepted reads back the same (networks and all).
		_, again := b.Send(t, "GET", o.fill("/api/v1/resources/{rid}/portal"), "", nil, map[string]string{"Authorization": "Bearer " + key})
		var put, got map[string]any
		if json.Unmarshal(body, &put) != nil || json.Unmarshal(again, &got) != nil {
			t.Fatalf("portal answers are not JSON objects: %s / %s", body, again)
		}
		delete(put, "updated_at")
		delete(got, "updated_at")
		if !maps.EqualFunc(put, got, func(a, b any) bool { x, _ := json.Marshal(a); y, _ := json.Marshal(b); return bytes.Equal(x, y) }) {
			t.Fatalf("PUT answered %s but GET reads %s", body, again)
		}
	})
}

func FuzzAPIValidate(f *testing.F) {
	fuzzAPI(f, workflow.RoleValidate, []fuzzRoute{
		{"POST", "/api/v1/validate", "json"},
	}, []string{
		`{"resource_id": {rid}, "login": "{login}", "pass": "755224"}`, `{"resource_id": {rid}, "login": "{login}", "pass": "287082"}`,
		`{"resource_id": {rid}, "login": "{login}", "pass": ""}`, `{"resource_id": {rid}, "login": "{login}", "pass": "1234755224"}`,
		`{"resource_id": 0, "login": "nobody", "pass": "000000"}`, `{"resource_id": "1", "login": 2, "pass": null}`,
		`{"resource_id": 9223372036854775808, "login": "{login}", "pass": "755224"}`, `{"login": "{login}"}`, `{}`, ``,
	}, func(t *testing.T, _ *apptest.Raw, _ fuzzObjects, _ string, _ fuzzRoute, resp *http.Response, body []byte) {
		if resp.StatusCode != http.StatusOK {
			return
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil || len(out) != 1 {
			t.Fatalf("validate answered %s", body)
		}
		if _, ok := out["result"].(bool); !ok {
			t.Fatalf("validate answered %s", body)
		}
	})
}
