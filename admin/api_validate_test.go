package admin_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

var rfcParams = otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30}

// hotpAt is the RFC 4226 test secret's code at counter.
func hotpAt(t *testing.T, counter uint64) string {
	t.Helper()
	secret, err := hex.DecodeString(rfc4226Hex)
	if err != nil {
		t.Fatal(err)
	}
	return otp.Code(secret, counter, rfcParams)
}

// apiValidate calls /validate and returns the result.
func apiValidate(t *testing.T, env *apptest.Env, key string, resourceID int64, login, pass string) bool {
	t.Helper()
	var r struct {
		Result *bool `json:"result"`
	}
	status, body := apiDo(t, env, http.MethodPost, "/api/v1/validate", key, map[string]any{"resource_id": resourceID, "login": login, "pass": pass})
	apiWant(t, status, body, http.StatusOK, &r)
	if r.Result == nil {
		t.Fatalf("no result: %s", body)
	}
	return *r.Result
}

// apiSetup creates a resource and an assigned user and imports csv onto the
// resource, assigning its first token to the user, all through the API.
func apiSetup(t *testing.T, env *apptest.Env, su, tag, csv string) (resourceID int64, user apiTestUser, serial string) {
	t.Helper()
	resourceID = apiCreateResource(t, env, su, tag+" RADIUS")
	user = apiCreateUser(t, env, su, tag+"-tester")
	status, body := apiDo(t, env, http.MethodPut, fmt.Sprintf("/api/v1/resources/%d/users/%d", resourceID, user.ID), su, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	var imp apiImported
	status, body = apiImport(t, env, fmt.Sprintf("/api/v1/tokens/import?resource=%d", resourceID), su, csv, nil)
	apiWant(t, status, body, http.StatusCreated, &imp)
	serial = imp.Serials[0]
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+serial+"/assign", su, map[string]any{"user_id": user.ID, "resource_id": resourceID})
	apiWant(t, status, body, http.StatusOK, nil)
	return resourceID, user, serial
}

func TestAPIValidateHOTP(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	vpn, u, serial := apiSetup(t, env, su, tag, tag+"-OATH0001,"+rfc4226Hex+",hotp,6,0\n")
	validate := apiNewKey(t, env, workflow.RoleValidate, 0)

	if hotpAt(t, 0) != "755224" || hotpAt(t, 1) != "287082" {
		t.Fatal("the OTP engine disagrees with RFC 4226")
	}
	if !apiValidate(t, env, validate, vpn, u.Login, "755224") {
		t.Fatal("the first code was refused")
	}
	if apiValidate(t, env, validate, vpn, u.Login, "755224") {
		t.Fatal("a replayed code was accepted")
	}
	wrong := "000000"
	for c := range uint64(30) {
		if hotpAt(t, c) == wrong {
			t.Fatalf("%s is a real code", wrong)
		}
	}
	if apiValidate(t, env, validate, vpn, u.Login, wrong) {
		t.Fatal("a wrong code was accepted")
	}
	var tok apiTestToken
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/tokens/"+serial, su, nil)
	apiWant(t, status, body, http.StatusOK, &tok)
	if tok.Failcount != 1 {
		t.Fatalf("failcount after a replay and a wrong code: %d", tok.Failcount)
	}

	// Unknown login, user not assigned, unknown resource: false alike.
	other := apiCreateResource(t, env, su, tag+" Elsewhere")
	for _, c := range []struct {
		resource int64
		login    string
	}{{vpn, "nobody"}, {999999, u.Login}, {other, u.Login}} {
		if apiValidate(t, env, validate, c.resource, c.login, "287082") {
			t.Fatalf("%+v accepted", c)
		}
	}

	// With a PIN before the code.
	pinHash, err := env.Svc.Hasher.Hash("1234")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Pool.Exec(ctx, `UPDATE tokens SET pin_hash = $1, pin_position = 'before' WHERE serial = $2`, pinHash, serial); err != nil {
		t.Fatal(err)
	}
	if apiValidate(t, env, validate, vpn, u.Login, "287082") {
		t.Fatal("the code without its PIN was accepted")
	}
	if apiValidate(t, env, validate, vpn, u.Login, "9999"+"287082") {
		t.Fatal("a wrong PIN was accepted")
	}
	if !apiValidate(t, env, validate, vpn, strings.ToUpper(u.Login), "1234"+"287082") {
		t.Fatal("PIN + code (counter 1) was refused")
	}

	// A disabled token validates nothing.
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+serial+"/disable", su, nil)
	apiWant(t, status, body, http.StatusOK, nil)
	if apiValidate(t, env, validate, vpn, u.Login, "1234"+hotpAt(t, 2)) {
		t.Fatal("a disabled token was accepted")
	}

	var events []string
	rows, err := env.App.Pool.Query(ctx, `SELECT details->>'result' FROM activities WHERE event = 'Validate' AND user_id = $1 ORDER BY id`, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r *string
		_ = rows.Scan(&r)
		if r != nil {
			events = append(events, *r)
		}
	}
	if !slices.Contains(events, "true") || !slices.Contains(events, "false") {
		t.Fatalf("Validate activities %v", events)
	}
}

func TestAPIValidateTOTP(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	seed := "3132333435363738393031323334353637383930313233343536373839303132" // RFC 6238's SHA256 seed, used with SHA1 here
	tag := apiTag(t)
	vpn, u, _ := apiSetup(t, env, su, tag, tag+"-TOTP-7,"+seed+",totp,6,30\n")
	validate := apiNewKey(t, env, workflow.RoleValidate, vpn)
	secret, _ := hex.DecodeString(seed)

	code := otp.TOTPCode(secret, env.Clock.Now(), rfcParams)
	if !apiValidate(t, env, validate, vpn, u.Login, code) {
		t.Fatal("the current TOTP code was refused")
	}
	if apiValidate(t, env, validate, vpn, u.Login, code) {
		t.Fatal("a replayed TOTP code was accepted")
	}
	env.Clock.Advance(30 * time.Second)
	if !apiValidate(t, env, validate, vpn, u.Login, otp.TOTPCode(secret, env.Clock.Now(), rfcParams)) {
		t.Fatal("the next step's code was refused")
	}
	env.Clock.Advance(10 * time.Minute)
	if apiValidate(t, env, validate, vpn, u.Login, code) {
		t.Fatal("an old code was accepted")
	}
}

func TestAPIValidateRequests(t *testing.T) {
	// Serial: it counts the AccessDenied activities of every API key.
	env := apptest.New(t, nil)
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	vpn, u, _ := apiSetup(t, env, su, tag, tag+"-OATH0001,"+rfc4226Hex+",hotp,6,0\n")
	other := apiCreateResource(t, env, su, tag+" Other")
	bound := apiNewKey(t, env, workflow.RoleValidate, other)
	free := apiNewKey(t, env, workflow.RoleValidate, 0)

	// A key bound to another resource learns nothing, not even that it may
	// not ask: false, like a wrong code (and the right code stays unused).
	denials := apiDenials(t, env)
	if apiValidate(t, env, bound, vpn, u.Login, "755224") {
		t.Fatal("a key bound to another resource validated")
	}
	if apiDenials(t, env) != denials+1 {
		t.Fatal("the attempt was not recorded")
	}
	if !apiValidate(t, env, su, vpn, u.Login, "755224") {
		t.Fatal("a superadmin key cannot validate")
	}

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"malformed JSON", `{"resource_id": 1, "login": "x", "pass": }`, 400, "bad_request", nil},
		{"unknown field", map[string]any{"resource_id": vpn, "login": u.Login, "pass": "1", "otp": "1"}, 400, "bad_request", []string{"otp"}},
		{"resource_id as string", map[string]any{"resource_id": "1", "login": u.Login, "pass": "1"}, 400, "bad_request", []string{"resource_id"}},
		{"pass as number", map[string]any{"resource_id": vpn, "login": u.Login, "pass": 755224}, 400, "bad_request", []string{"pass"}},
		{"missing fields", map[string]any{}, 422, "invalid", []string{"resource_id", "login", "pass"}},
		{"empty login", map[string]any{"resource_id": vpn, "login": "", "pass": "1"}, 422, "invalid", []string{"login"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := apiDo(t, env, http.MethodPost, "/api/v1/validate", free, tc.body)
			apiWantError(t, status, body, tc.status, tc.code, tc.fields...)
		})
	}

	status, body := apiDo(t, env, http.MethodPost, "/api/v1/validate", "", map[string]any{"resource_id": vpn, "login": u.Login, "pass": "1"})
	apiWantError(t, status, body, http.StatusUnauthorized, "unauthenticated")
	for _, role := range []workflow.Role{workflow.RoleHelpdesk, workflow.RoleOwner} {
		key := apiNewKey(t, env, role, vpn)
		status, body := apiDo(t, env, http.MethodPost, "/api/v1/validate", key, map[string]any{"resource_id": vpn, "login": u.Login, "pass": "1"})
		apiWantError(t, status, body, http.StatusForbidden, "forbidden")
	}
	// A validate key may call nothing else.
	for _, p := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/users"}, {http.MethodGet, "/api/v1/tokens"}, {http.MethodGet, "/api/v1/resources"},
		{http.MethodPost, "/api/v1/tokens/OATH0001/check"},
	} {
		status, body := apiDo(t, env, p.method, p.path, free, nil)
		apiWantError(t, status, body, http.StatusForbidden, "forbidden")
	}
}
