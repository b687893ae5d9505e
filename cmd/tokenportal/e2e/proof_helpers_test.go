package e2e

// Helpers of the multi-instance and fault tests (instances_test.go,
// faults_test.go): data made through the real API, and a cookie-keeping HTTP
// client that drives the forms as a browser does.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/workflow/otp"
)

// rfcSeedHex is the secret of the RFC 4226 test vectors.
const rfcSeedHex = "3132333435363738393031323334353637383930"

// proofPassword passes the password policy (§8).
const proofPassword = "Correct-Horse-Battery-41"

// uniqueName returns prefix with a random suffix: names stay unique in the
// package's database, which all its tests share.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// keyClient calls the JSON API of an instance with an API key.
type keyClient struct {
	base, key string
	http      *http.Client
}

func newKeyClient(inst *Instance, key string) *keyClient {
	return &keyClient{base: inst.URL, key: key, http: &http.Client{Timeout: 15 * time.Second}}
}

// call sends body as JSON and decodes a 2xx answer into out (when not nil).
func (k *keyClient) call(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	return k.raw(method, path, "application/json", rd, out)
}

func (k *keyClient) raw(method, path, contentType string, body io.Reader, out any) (int, error) {
	req, err := http.NewRequest(method, k.base+"/api/v1"+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+k.key)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := k.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, nil
}

// must is call that fails the test on any error.
func (k *keyClient) must(t testing.TB, method, path string, body, out any) {
	t.Helper()
	if _, err := k.call(method, path, body, out); err != nil {
		t.Fatal(err)
	}
}

// validate asks /api/v1/validate; it returns the result and the status.
func (k *keyClient) validate(resourceID int64, login, pass string) (bool, int, error) {
	var out struct {
		Result *bool `json:"result"`
	}
	status, err := k.call(http.MethodPost, "/validate", map[string]any{"resource_id": resourceID, "login": login, "pass": pass}, &out)
	if err != nil {
		return false, status, err
	}
	if out.Result == nil {
		return false, status, fmt.Errorf("validate answered without a result")
	}
	return *out.Result, status, nil
}

// proofPortal is a resource with an enabled portal, made through the API.
type proofPortal struct {
	ResourceID int64
	Alias      string
}

// proofUser is a user assigned to a proofPortal's resource.
type proofUser struct {
	ID              int64
	Login, Password string
	Email           string
	// Serial and Seed of the user's token, when it has one.
	Serial string
	Seed   []byte
}

// makePortal creates a resource and enables its portal (every action off).
func makePortal(t testing.TB, k *keyClient, prefix string) proofPortal {
	t.Helper()
	name := uniqueName(prefix)
	var r struct {
		ID int64 `json:"id"`
	}
	k.must(t, http.MethodPost, "/resources", map[string]any{"name": name, "description": "multi-instance and fault tests"}, &r)
	k.must(t, http.MethodPut, fmt.Sprintf("/resources/%d/portal", r.ID), map[string]any{"alias": name, "enabled": true, "actions": []string{"change-name"}}, nil)
	return proofPortal{ResourceID: r.ID, Alias: name}
}

// addUser creates a user assigned to the portal's resource; an empty
// password makes a user who signs in with a code sent by email.
func (p proofPortal) addUser(t testing.TB, k *keyClient, prefix, password string) proofUser {
	t.Helper()
	login := uniqueName(prefix)
	u := proofUser{Login: login, Password: password, Email: login + "@e2e.test"}
	var out struct {
		ID int64 `json:"id"`
	}
	k.must(t, http.MethodPost, "/users", map[string]any{"login": login, "first_name": "Proof", "last_name": "Tester", "email": u.Email, "password": password}, &out)
	u.ID = out.ID
	k.must(t, http.MethodPut, fmt.Sprintf("/resources/%d/users/%d", p.ResourceID, u.ID), nil, nil)
	return u
}

// giveToken imports a token of kind (hotp or totp) with the RFC 4226 seed
// by OATH CSV onto the portal's resource and assigns it to u.
func (p proofPortal) giveToken(t testing.TB, k *keyClient, u *proofUser, kind string) {
	t.Helper()
	serial := strings.ToUpper(uniqueName(kind))
	param := "0" // HOTP counter
	if kind == "totp" {
		param = "30"
	}
	csv := fmt.Sprintf("%s,%s,%s,6,%s\n", serial, rfcSeedHex, kind, param)
	var imp struct {
		Imported int `json:"imported"`
	}
	if _, err := k.raw(http.MethodPost, fmt.Sprintf("/tokens/import?resource=%d", p.ResourceID), "text/csv", strings.NewReader(csv), &imp); err != nil {
		t.Fatal(err)
	}
	if imp.Imported != 1 {
		t.Fatalf("imported %d tokens", imp.Imported)
	}
	k.must(t, http.MethodPost, "/tokens/"+serial+"/assign", map[string]any{"user_id": u.ID, "resource_id": p.ResourceID}, nil)
	u.Serial = serial
	u.Seed, _ = hex.DecodeString(rfcSeedHex)
}

// hotp is the code of counter c of u's token.
func (u proofUser) hotp(c uint64) string { return otp.Code(u.Seed, c, otp.Default) }

// webPage is a response read and parsed.
type webPage struct {
	Status int
	URL    *url.URL
	Body   string
	Doc    *goquery.Document
}

// text is the whitespace-collapsed text of what matches selector.
func (p *webPage) text(selector string) string {
	return strings.Join(strings.Fields(p.Doc.Find(selector).Text()), " ")
}

func (p *webPage) String() string {
	return fmt.Sprintf("%d %s: %.300q", p.Status, p.URL.Path, strings.Join(strings.Fields(p.Doc.Find("main").Text()), " "))
}

// webClient is a browser without JavaScript: cookies (kept per host, so
// instances on other ports of 127.0.0.1 get them too, as behind a load
// balancer), redirects, and the Origin / Sec-Fetch-Site of a form.
type webClient struct {
	http *http.Client
	// ip is sent as X-Forwarded-For (instances trust 127.0.0.1 as proxy),
	// so each test has throttling counters of its own.
	ip string
}

func newWebClient(ip string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{http: &http.Client{Jar: jar, Timeout: 15 * time.Second}, ip: ip}
}

func (w *webClient) do(req *http.Request) (*webPage, error) {
	req.Header.Set("User-Agent", "e2e-proof/1.0")
	if w.ip != "" {
		req.Header.Set("X-Forwarded-For", w.ip)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return &webPage{Status: resp.StatusCode, URL: resp.Request.URL, Body: string(body), Doc: doc}, nil
}

// get loads base+path.
func (w *webClient) get(base, path string) (*webPage, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return nil, err
	}
	return w.do(req)
}

// submit posts a form to base+path as a same-origin page of base would.
func (w *webClient) submit(base, path string, form url.Values) (*webPage, error) {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return w.do(req)
}

func (w *webClient) mustGet(t testing.TB, base, path string) *webPage {
	t.Helper()
	p, err := w.get(base, path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *webClient) mustSubmit(t testing.TB, base, path string, form url.Values) *webPage {
	t.Helper()
	p, err := w.submit(base, path, form)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// portalLogin goes through the sign-in of §4 on base: login, password and,
// when code is not empty, the OTP step. It returns the last page.
func portalLogin(t testing.TB, w *webClient, base, alias, login, password, code string) *webPage {
	t.Helper()
	p, err := tryPortalLogin(w, base, alias, login, password, code)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tryPortalLogin is portalLogin for other goroutines than the test's.
func tryPortalLogin(w *webClient, base, alias, login, password, code string) (*webPage, error) {
	path := "/selfservice/" + alias + "/login"
	p, err := w.submit(base, path, url.Values{"login": {login}})
	if err != nil {
		return nil, err
	}
	if p.Doc.Find(`input[name="password"]`).Length() != 1 {
		return nil, fmt.Errorf("no password step after the login on %s: %s", base, p)
	}
	if p, err = w.submit(base, path, url.Values{"password": {password}}); err != nil || code == "" || p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		return p, err
	}
	return w.submit(base, path, url.Values{"otp": {code}})
}

// loginFailure is the message of a refused sign-in, "" when there is none.
func loginFailure(p *webPage) string { return p.text(".notice.error") }

// atPortalHome reports whether p is the signed-in home page of the portal.
func atPortalHome(p *webPage, alias string) bool {
	return p.Status == http.StatusOK && p.URL.Path == "/selfservice/"+alias+"/home" && p.Doc.Find("#tokens-title").Length() == 1
}

// adminLogin signs in to /admin on base for the first time: password, then
// TOTP enrolment with the key shown as #totp-secret. It returns the page
// the console ends on.
func adminLogin(t testing.TB, w *webClient, base, login, password string) *webPage {
	t.Helper()
	p := w.mustSubmit(t, base, "/admin/login", url.Values{"login": {login}, "password": {password}})
	secret := strings.Join(strings.Fields(p.text("#totp-secret")), "")
	if secret == "" {
		t.Fatalf("no TOTP enrolment after the password: %s", p)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		t.Fatalf("TOTP key %q: %v", secret, err)
	}
	return w.mustSubmit(t, base, "/admin/login/enrol", url.Values{"code": {otp.TOTPCode(seed, time.Now(), otp.Default)}})
}

// atAdminConsole reports whether p is a signed-in page of the console.
func atAdminConsole(p *webPage) bool {
	return p.Status == http.StatusOK && p.URL.Path == "/admin/" && p.Doc.Find(`form[action="/admin/login"]`).Length() == 0 &&
		p.Doc.Find(`form[action="/admin/logout"]`).Length() > 0
}

// openDB is a pool on databaseURL for checks in SQL, closed with the test.
func openDB(t testing.TB, databaseURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// storeURL is the DATABASE_URL of an instance.
func storeURL(inst *Instance) string { return inst.Env["DATABASE_URL"] }

// formPairs is url.Values from pairs.
func formPairs(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}
