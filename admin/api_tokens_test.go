package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// rfc4226Hex is the secret of the RFC 4226 test vectors, "12345678901234567890".
const rfc4226Hex = "3132333435363738393031323334353637383930"

type apiImported struct {
	Imported int      `json:"imported"`
	Serials  []string `json:"serials"`
}

func TestAPITokens(t *testing.T) {
	// Serial: it counts the AccessDenied activities of every API key.
	env := apptest.New(t, nil)
	ctx := context.Background()
	su := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	p, lp := strings.ToUpper(tag)+"-", tag+"-" // serial prefixes
	vpn := apiCreateResource(t, env, su, tag+" VPN")
	web := apiCreateResource(t, env, su, tag+" Web")
	u := apiCreateUser(t, env, su, tag+"-linus")

	// Import: CSV onto a resource, and into stock.
	csv := "serial,seed_hex,type,digits,step_or_counter\n" + p + "HW-0001," + rfc4226Hex + ",hotp,6,0\n" + p + "HW-0002," + rfc4226Hex + ",totp,8,30\n"
	var imp apiImported
	status, body := apiImport(t, env, fmt.Sprintf("/api/v1/tokens/import?resource=%d", vpn), su, csv, nil)
	apiWant(t, status, body, http.StatusCreated, &imp)
	if imp.Imported != 2 || strings.Join(imp.Serials, ",") != p+"HW-0001,"+p+"HW-0002" {
		t.Fatalf("import %s", body)
	}
	status, body = apiImport(t, env, "/api/v1/tokens/import", su, p+"STOCK-1,"+rfc4226Hex+",totp\n", nil)
	apiWant(t, status, body, http.StatusCreated, &imp)
	if strings.Contains(string(body), rfc4226Hex) {
		t.Fatal("the answer shows the seed")
	}

	// Refused imports store nothing.
	status, body = apiImport(t, env, "/api/v1/tokens/import", su, p+"NEW-1,"+rfc4226Hex+",hotp\n"+lp+"hw-0001,"+rfc4226Hex+",hotp\n", nil)
	apiWantError(t, status, body, http.StatusConflict, "conflict")
	if !strings.Contains(string(body), lp+"hw-0001") {
		t.Fatalf("the conflict does not name the serial: %s", body)
	}
	status, body = apiImport(t, env, "/api/v1/tokens/import", su, p+"NEW-2,"+rfc4226Hex+",hotp\n"+p+"NEW-3,zz,hotp\n", nil)
	if e := apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "file"); !strings.Contains(e.Error.Message, "line 2") {
		t.Fatalf("the message does not name the line: %s", body)
	}
	status, body = apiImport(t, env, "/api/v1/tokens/import", su, "<KeyContainer", nil)
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "file")
	status, body = apiImport(t, env, "/api/v1/tokens/import", su, p+"NEW-4,"+rfc4226Hex+",hotp\n", map[string]string{"X-PSKC-Key": "xyz"})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "X-PSKC-Key")
	status, body = apiImport(t, env, "/api/v1/tokens/import?resource=999999", su, p+"NEW-5,"+rfc4226Hex+",hotp\n", nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	status, body = apiImport(t, env, "/api/v1/tokens/import?resource=vpn", su, p+"NEW-6,"+rfc4226Hex+",hotp\n", nil)
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "resource")
	for _, s := range []string{p + "NEW-1", p + "NEW-2", p + "NEW-4", p + "NEW-5", p + "NEW-6"} {
		if _, err := env.Svc.Store.TokenBySerial(ctx, s); workflow.ErrorCode(err) != workflow.CodeNotFound {
			t.Fatalf("%s was stored: %v", s, err)
		}
	}

	// List and filters.
	var list struct {
		Items     []apiTestToken `json:"items"`
		NextAfter *string        `json:"next_after"`
		Total     int            `json:"total"`
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens?q="+tag, su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if list.Total != 3 || len(list.Items) != 3 || list.NextAfter != nil {
		t.Fatalf("list %s", body)
	}
	h := list.Items[0]
	if h.Serial != p+"HW-0001" || h.Type != "hotp" || !h.Enabled || h.UserID != nil || h.ResourceID == nil || *h.ResourceID != vpn ||
		h.Failcount != 0 || h.HasPIN || h.Locked || h.Algorithm != "SHA1" || h.Digits != 6 || h.Period != 0 {
		t.Fatalf("token %s", body)
	}
	if strings.Contains(strings.ToLower(string(body)), "secret") {
		t.Fatalf("the list shows secrets: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/tokens?resource_id=%d", vpn), su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 2 {
		t.Fatalf("by resource %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens?limit=2&q="+tag, su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 2 || list.NextAfter == nil || *list.NextAfter != lp+"hw-0002" {
		t.Fatalf("page 1 %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens?limit=2&q="+tag+"&after="+lp+"hw-0002", su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Serial != p+"STOCK-1" || list.NextAfter != nil {
		t.Fatalf("page 2 %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens?serial="+lp+"hw-0002", su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Period != 30 || list.Items[0].Digits != 8 {
		t.Fatalf("by serial %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens?user_id=x", su, nil)
	apiWantError(t, status, body, http.StatusBadRequest, "bad_request", "user_id")

	// Assign to a user on a resource; the user is assigned to it too.
	var tok apiTestToken
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/assign", su, map[string]any{"user_id": u.ID, "resource_id": vpn})
	apiWant(t, status, body, http.StatusOK, &tok)
	if tok.UserID == nil || *tok.UserID != u.ID || tok.ResourceID == nil || *tok.ResourceID != vpn {
		t.Fatalf("assigned %s", body)
	}
	if ok, _ := env.Svc.Store.IsAssigned(ctx, vpn, u.ID); !ok {
		t.Fatal("the user was not assigned to the resource")
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/tokens?user_id=%d", u.ID), su, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Serial != p+"HW-0001" {
		t.Fatalf("by user %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/assign", su, map[string]any{"user_id": 999999, "resource_id": vpn})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "user_id")

	// Enable, disable, reset, check, by a helpdesk key.
	helpdesk := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+lp+"hw-0001/disable", helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, &tok)
	if tok.Enabled {
		t.Fatalf("disable %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/enable", helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, &tok)
	if !tok.Enabled {
		t.Fatalf("enable %s", body)
	}
	if _, err := env.App.Pool.Exec(ctx, `UPDATE tokens SET failcount = 10 WHERE serial = $1`, p+"HW-0001"); err != nil {
		t.Fatal(err)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens/"+p+"HW-0001", helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, &tok)
	if !tok.Locked || tok.Failcount != 10 {
		t.Fatalf("locked %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/reset", helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, &tok)
	if tok.Locked || tok.Failcount != 0 {
		t.Fatalf("reset %s", body)
	}
	var check struct {
		Valid   bool   `json:"valid"`
		Outcome string `json:"outcome"`
		Hint    string `json:"hint"`
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/check", helpdesk, map[string]any{"otp": "755224"})
	apiWant(t, status, body, http.StatusOK, &check)
	if !check.Valid || check.Outcome != string(workflow.OutcomeAccepted) {
		t.Fatalf("check %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/check", helpdesk, map[string]any{"otp": "755224"})
	apiWant(t, status, body, http.StatusOK, &check)
	if check.Valid || check.Outcome != string(workflow.OutcomeReplayed) {
		t.Fatalf("replayed check %s", body)
	}
	// HOTP counter 50 of the RFC secret is far ahead: the hint says resync.
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/check", helpdesk, map[string]any{"otp": hotpAt(t, 50)})
	apiWant(t, status, body, http.StatusOK, &check)
	if check.Valid || check.Hint == "" {
		t.Fatalf("far-ahead check %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens/"+p+"HW-0001", helpdesk, nil)
	apiWant(t, status, body, http.StatusOK, &tok)
	if tok.Failcount != 0 {
		t.Fatalf("check counted a failure: %s", body)
	}
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+p+"HW-0001/check", helpdesk, map[string]any{})
	apiWantError(t, status, body, http.StatusUnprocessableEntity, "invalid", "otp")

	// Unknown serials.
	for _, action := range []string{"enable", "disable", "reset", "check"} {
		status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/NOPE/"+action, helpdesk, map[string]any{"otp": "123456"})
		apiWantError(t, status, body, http.StatusNotFound, "not_found")
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens/NOPE", helpdesk, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/NOPE/assign", su, map[string]any{"user_id": nil, "resource_id": nil})
	apiWantError(t, status, body, http.StatusNotFound, "not_found")

	// Roles.
	owner := apiNewKey(t, env, workflow.RoleOwner, web)
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens", owner, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("the owner of Web sees %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens/"+p+"HW-0002", owner, nil)
	apiWantError(t, status, body, http.StatusNotFound, "not_found")
	vpnOwner := apiNewKey(t, env, workflow.RoleOwner, vpn)
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/tokens", vpnOwner, nil)
	apiWant(t, status, body, http.StatusOK, &list)
	if len(list.Items) != 2 {
		t.Fatalf("the owner of VPN sees %s", body)
	}
	denials := apiDenials(t, env)
	forbidden := []struct {
		name, key, method, path string
		body                    any
	}{
		{"owner disables a token", vpnOwner, http.MethodPost, "/api/v1/tokens/" + p + "HW-0001/disable", nil},
		{"owner imports", vpnOwner, http.MethodPost, fmt.Sprintf("/api/v1/tokens/import?resource=%d", vpn), p + "X-1," + rfc4226Hex + ",hotp\n"},
		{"helpdesk imports", helpdesk, http.MethodPost, "/api/v1/tokens/import", p + "X-2," + rfc4226Hex + ",hotp\n"},
		{"helpdesk assigns", helpdesk, http.MethodPost, "/api/v1/tokens/" + p + "HW-0002/assign", map[string]any{"user_id": u.ID}},
		{"owner lists another resource's tokens", owner, http.MethodGet, fmt.Sprintf("/api/v1/tokens?resource_id=%d", vpn), nil},
	}
	for _, tc := range forbidden {
		t.Run(tc.name, func(t *testing.T) {
			status, body := apiDo(t, env, tc.method, tc.path, tc.key, tc.body)
			apiWantError(t, status, body, http.StatusForbidden, "forbidden")
		})
	}
	if n := apiDenials(t, env); n != denials+len(forbidden) {
		t.Fatalf("%d AccessDenied activities, want %d", n-denials, len(forbidden))
	}

	// PSKC (RFC 6030) with a plain seed, sent as what it is.
	pskc := `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
<KeyPackage><DeviceInfo><SerialNo>` + p + `PSKC-1</SerialNo></DeviceInfo>
<Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
<AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
<Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret><Counter><PlainValue>0</PlainValue></Counter></Data>
</Key></KeyPackage>
</KeyContainer>
`
	status, body = apiImport(t, env, "/api/v1/tokens/import", su, pskc, nil)
	apiWant(t, status, body, http.StatusCreated, &imp)
	if imp.Imported != 1 || len(imp.Serials) != 1 || !strings.EqualFold(imp.Serials[0], p+"PSKC-1") {
		t.Fatalf("PSKC import %s", body)
	}
}
