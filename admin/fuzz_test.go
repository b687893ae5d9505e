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
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
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
	uid, rid, iid, aid, kid, did int64
	login, serial                string
}

func (o fuzzObjects) fill(s string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return strings.NewReplacer("{uid}", id(o.uid), "{rid}", id(o.rid), "{iid}", id(o.iid), "{aid}", id(o.aid), "{kid}", id(o.kid), "{did}", id(o.did),
		"{serial}", o.serial, "{login}", o.login).Replace(s)
}

// objects makes a user assigned to a new resource, with an HOTP token
// (RFC 4226 seed) of theirs on it and an open request to restore access
// (lost token and email); an owner of the resource ({aid}) and a validate
// key bound to it ({kid}).
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
	a, err := svc.CreateAdmin(ctx, workflow.NewAdmin{Login: "owner-" + n, Email: "owner-" + n + "@example.com", Role: workflow.RoleOwner,
		Password: adminPassword, Resources: []int64{r.ID}}, by, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := svc.CreateAPIKey(ctx, workflow.NewAPIKey{Name: "key " + n, Role: workflow.RoleValidate, ResourceID: &r.ID}, by, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	// A directory on a closed port: its test and sync fail at once.
	d, err := svc.CreateDirectory(ctx, workflow.DirectoryInput{Name: "Directory " + n, URL: "ldap://127.0.0.1:1",
		BindDN: "cn=svc,dc=example,dc=org", BindPassword: "bind-" + n, BaseDN: "dc=example,dc=org",
		Groups: []workflow.DirectoryGroup{{GroupDN: "cn=vpn,dc=example,dc=org", ResourceID: r.ID}}}, by, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return fuzzObjects{uid: u.ID, rid: r.ID, iid: is.ID, aid: a.ID, kid: k.ID, did: d.ID, login: n, serial: serial}
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
	fuzzConsoleRefusals(f, routes, seeds, nil, nil)
}

// fuzzConsoleRefusals is fuzzConsoleArea that, given tables, also holds a
// refused request (4xx) to its promise: the page says what is wrong, and
// the rows of tables are as they were before it. prepare, when set, runs
// before each request.
func fuzzConsoleRefusals(f *testing.F, routes []fuzzRoute, seeds []string, tables []string,
	prepare func(t *testing.T, b *apptest.Raw, rt fuzzRoute)) {
	for i := range routes {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	fc := newFuzzConsole(f)
	b := fc.signIn(f)
	f.Fuzz(func(t *testing.T, route uint8, input string) {
		rt, o := routes[int(route)%len(routes)], fc.fresh(t)
		if prepare != nil {
			prepare(t, b, rt)
		}
		before := fc.rows(t, tables)
		resp, body := send(t, b, rt, o, input, nil)
		if tables == nil || resp.StatusCode < 400 {
			return
		}
		if !errorShown(t, body) {
			t.Fatalf("%s %s %q answered %d without saying what is wrong:\n%.2000s", rt.method, rt.path, input, resp.StatusCode, body)
		}
		if after := fc.rows(t, tables); after != before {
			t.Fatalf("%s %s %q answered %d but changed the stored rows:\nbefore %s\nafter  %s", rt.method, rt.path, input, resp.StatusCode, before, after)
		}
	})
}

// withUnusable adds to seeds the text no form should take, in each of
// fields: NUL, bytes that are not UTF-8, and strings far over any limit.
func withUnusable(seeds []string, fields ...string) []string {
	out := slices.Clone(seeds)
	for _, name := range fields {
		out = append(out, name+"=a%00b", name+"=%FF%FEx", name+"="+strings.Repeat("x", 20000), name+"="+strings.Repeat("%C3%A9", 3000))
	}
	return out
}

// rows is the text of every row of tables, in a stable order.
func (fc *fuzzConsole) rows(t *testing.T, tables []string) string {
	t.Helper()
	var b strings.Builder
	for _, table := range tables {
		var js string
		if err := fc.env.App.Pool.QueryRow(context.Background(),
			`SELECT coalesce(json_agg(r ORDER BY r::text), '[]')::text FROM `+table+` r`).Scan(&js); err != nil {
			t.Fatal(err)
		}
		b.WriteString(table + ": " + js + "\n")
	}
	return b.String()
}

// errorShown reports whether an error page, a form's error message or a
// field error with text is on the page.
func errorShown(t *testing.T, body []byte) bool {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(doc.Find(".notice.error, .field-error, main.narrow .card p").Text()) != ""
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

// FuzzAdminAccounts fills the forms of the Admin accounts area; {aid} is an
// owner of {rid}. A refused form changes no admin, ownership or
// subscription.
func FuzzAdminAccounts(f *testing.F) {
	fuzzConsoleRefusals(f, []fuzzRoute{
		{"POST", "/admin/admins", "form"},
		{"POST", "/admin/admins/{aid}", "form"},
		{"POST", "/admin/admins/{aid}/disable", "form"},
		{"POST", "/admin/admins/{aid}/enable", "form"},
		{"POST", "/admin/admins/{aid}/reset-totp", "form"},
		{"POST", "/admin/admins/{aid}/reset-password", "form"},
		{"GET", "/admin/admins/", "segment"},
	}, withUnusable([]string{
		"login=fz-new-{rid}&email=new%40example.com&role=owner&resource_id={rid}&password=plum-orbit-canvas-71",
		"login=fz-gen-{rid}&role=helpdesk", "login=owner-{login}&role=superadmin", "login=a+b&role=root", "login=&password=short",
		"login=fz-long-{rid}&role=helpdesk&password=" + strings.Repeat("plum-orbit-", 10),
		"email=owner%40example.com&role=owner&resource_id={rid}&resource_id={rid}", "email=x&role=owner&resource_id=-1&resource_id=99999999999999999999",
		"role=superadmin&email=", "role=owner", "role=validate", "email=a%40b%0D%0ABcc%3A+c%40d&role=helpdesk", "{aid}", "0", "x",
	}, "login", "email", "role", "password"), []string{"admins", "resource_owners", "issue_subscriptions"}, nil)
}

// FuzzAdminAPIKeys fills the forms of the API keys area; {kid} is a validate
// key bound to {rid}. A refused form creates or revokes no key.
func FuzzAdminAPIKeys(f *testing.F) {
	fuzzConsoleRefusals(f, []fuzzRoute{
		{"POST", "/admin/apikeys", "form"},
		{"POST", "/admin/apikeys/{kid}/revoke", "form"},
		{"GET", "/admin/apikeys/{kid}/revoke", "query"},
	}, withUnusable([]string{
		"name=VPN+gateway&role=validate&resource={rid}", "name=Owner+{rid}&role=owner&resource={rid}", "name=Owner&role=owner&resource=",
		"name=Sync&role=helpdesk&resource={rid}", "name=&role=superadmin", "name=+++&role=validate", "name=x&role=nope",
		"name=x&role=validate&resource=abc", "name=x&role=validate&resource=999999999", "confirm=1", "",
	}, "name", "role", "resource"), []string{"api_keys"}, nil)
}

// FuzzAdminDirectories fills the forms of the Directories area ({did} is a
// directory on a closed port). A refused form changes no directory or
// group mapping.
func FuzzAdminDirectories(f *testing.F) {
	fuzzConsoleRefusals(f, []fuzzRoute{
		{"POST", "/admin/directories", "form"},
		{"POST", "/admin/directories/{did}", "form"},
		{"POST", "/admin/directories/{did}/test", "form"},
		{"POST", "/admin/directories/{did}/sync", "form"},
		{"POST", "/admin/directories/{did}/delete", "form"},
		{"GET", "/admin/directories/", "segment"},
	}, withUnusable([]string{
		"name=Corp+{rid}&kind=ldap&url=ldaps%3A%2F%2Fldap.example.org&bind_dn=cn%3Dsvc%2Cdc%3Dexample%2Cdc%3Dorg&bind_password=pw" +
			"&base_dn=dc%3Dexample%2Cdc%3Dorg&sync_interval=1h&groups.0.group_dn=cn%3Dvpn%2Cdc%3Dexample%2Cdc%3Dorg&groups.0.resource_id={rid}",
		"name=AD+{rid}&kind=ad&url=ldap%3A%2F%2Fdc.example.org&start_tls=1&bind_dn=svc%40example&base_dn=dc%3Dexample&nested_groups=1",
		"name=x&url=http%3A%2F%2Fx&bind_dn=nonsense&base_dn=&user_filter=%28uid%3D&disabled_filter=%29%28&sync_interval=soon",
		"name=x&url=ldaps%3A%2F%2Fh&start_tls=1&ca_pem=-----BEGIN+CERTIFICATE-----%0Agarbage&attributes.login=&attributes.id=%3Bbad",
		"name=x&groups.0.group_dn=cn%3Dg&groups.0.resource_id=-1&groups.999999.group_dn=cn%3Dg&groups.1.resource_id=abc",
		"sync_interval=0", "sync_interval=9999999h", "sync_interval=-1m", "confirm=1", "{did}", "0", "x",
	}, "name", "url", "bind_dn", "base_dn", "user_filter", "ca_pem", "groups.0.group_dn"),
		[]string{"directories", "directory_groups"}, nil)
}

// FuzzAdminSettings fills the forms of the Settings area: mail, SMS gateway,
// a notification recipient ({aid}) and a mail template (save, preview,
// test). Test messages go to an SMTP server of the fuzz target: the mail
// settings are set to it before each, so a server an earlier input stored
// is never dialled. A refused form changes no setting or subscription.
func FuzzAdminSettings(f *testing.F) {
	smtpServer := url.Values{"smtp_url": {smtptest.Start(f).URL()}}.Encode()
	routes := []fuzzRoute{
		{"POST", "/admin/settings/mail", "form"},
		{"POST", "/admin/settings/mail/clear", "form"},
		{"POST", "/admin/settings/mail/test", "form"},
		{"POST", "/admin/settings/sms", "form"},
		{"POST", "/admin/settings/sms/clear", "form"},
		{"POST", "/admin/settings/recipients/{aid}", "form"},
		{"GET", "/admin/settings/recipients/", "segment"},
		{"POST", "/admin/settings/templates/code/en", "form"},
		{"POST", "/admin/settings/templates/issue-created/de/preview", "form"},
		{"POST", "/admin/settings/templates/code/nl/test", "form"},
		{"POST", "/admin/settings/templates/code/en/reset", "form"},
	}
	seeds := withUnusable([]string{
		"smtp_url=smtp%3A%2F%2Fuser%3Apa55%40mail.example.com%3A587%3Fstarttls%3Dalways&mail_from=tokenportal+%3Cnoreply%40example.com%3E",
		"smtp_url=http%3A%2F%2Fmail.example.com&mail_from=a%40example.com", "smtp_url=smtps%3A%2F%2Fmail.example.com%3Asmtp", "smtp_url=&mail_from=",
		"mail_from=a%40example.com%0D%0ABcc%3A+x%40example.com", "sms_gateway_url=https%3A%2F%2Fuser%3Apw%40sms.example.com%2Fsend%3Fto%3D",
		"sms_gateway_url=ftp%3A%2F%2Fsms.example.com", "to=me%40example.com", "to=nobody", "to=a%40b%2C+c%40d",
		"email=owner%40example.com&subscribe=some&resource_id={rid}", "email=&subscribe=all", "subscribe=some&resource_id=abc", "subscribe=x",
		"subject=Code+%7B%7B.code%7D%7D&body=Your+code+is+%7B%7B.code%7D%7D.", "subject=%7B%7B&body=x", "subject=x&body=%7B%7B.nope.deeper%7D%7D",
		"subject=x&body=%7B%7Btemplate+%22y%22%7D%7D", "{aid}",
	}, "smtp_url", "mail_from", "sms_gateway_url", "to", "email", "subject", "body")
	fuzzConsoleRefusals(f, routes, seeds, []string{"settings", "issue_subscriptions"}, func(t *testing.T, b *apptest.Raw, rt fuzzRoute) {
		if strings.HasSuffix(rt.path, "/test") {
			if resp, body := b.PostForm(t, "/admin/settings/mail", smtpServer); resp.Request.URL.Path != "/admin/settings" {
				t.Fatalf("mail settings not set: %d %.500s", resp.StatusCode, body)
			}
		}
	})
}

// FuzzAdminRetention fills the retention form and the filters of the
// Activities page. A refused retention changes no setting.
func FuzzAdminRetention(f *testing.F) {
	fuzzConsoleRefusals(f, []fuzzRoute{
		{"POST", "/admin/activities/retention", "form"},
		{"GET", "/admin/activities", "query"},
	}, withUnusable([]string{
		"retention_days=365", "retention_days=30", "retention_days=0", "retention_days=-1", "retention_days=99999999999999999999",
		"retention_days=1e3", "retention_days=+400", "retention_days=%EF%BC%93%EF%BC%96%EF%BC%95", "retention_days=",
		"user={login}&event=UserLogin&resource_id={rid}&from=2026-01-01&to=2026-12-31", "user={uid}&tab=grouped&after=3:{uid}",
		"user=nobody&before=2026-01-01T00:00:00Z_5", "event=nope&resource_id=-1&from=2026-02-30&to=yesterday", "tab=grouped&after=x",
	}, "retention_days", "user"), []string{"settings"}, nil)
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
		apiCheck(t, apiExchange{req: resp.Request, status: resp.StatusCode, header: resp.Header, body: body, answerOnly: true})
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
