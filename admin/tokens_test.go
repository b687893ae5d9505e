package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

func TestTokenImport(t *testing.T) {
	// Serial: it counts rows that other tests write.
	env := apptest.New(t, nil)
	b := signIn(t, env, workflow.RoleSuperadmin)
	r := newResource(t, env, "Import VPN")

	p := b.Get("/admin/tokens")
	if enc, _ := p.Doc.Find(`form[action="/admin/tokens/import"]`).Attr("enctype"); enc != "multipart/form-data" {
		t.Fatalf("import form enctype %q", enc)
	}

	csv := "serial,seed_hex,type,digits,step_or_counter\n" +
		"UIIMP01," + rfc4226Seed + ",hotp,6,0\n" +
		"UIIMP02," + rfc4226Seed + ",totp,8,30\n"
	p = postFile(t, env, b, "/admin/tokens/import", map[string]string{"resource_id": fmt.Sprint(r.ID)}, "file", "tokens.csv", []byte(csv))
	wantStatus(t, "import", p, 200, "/admin/tokens")
	if !strings.Contains(flashOf(p), "Imported 2 tokens: UIIMP01, UIIMP02") {
		t.Fatalf("flash %q", flashOf(p))
	}
	p = b.Get("/admin/tokens?q=uiimp")
	if tableRows(p) != 2 || !pageHas(p, "tbody", "Import VPN") || !pageHas(p, ".pager", "2 tokens") {
		t.Fatalf("list: %q", p.Text("tbody"))
	}
	tok, _ := env.Svc.Store.TokenBySerial(context.Background(), "UIIMP02")
	if tok.Type != "totp" || tok.Digits != 8 || tok.ResourceID == nil || *tok.ResourceID != r.ID {
		t.Fatalf("stored: %+v", tok)
	}

	// A malformed file: 422, the error names the line, nothing is stored.
	count := func() int {
		var n int
		if err := env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	bad := "UIIMP03," + rfc4226Seed + ",hotp,6,0\nUIIMP04,not-hex,hotp,6,0\n"
	p = postFile(t, env, b, "/admin/tokens/import", nil, "file", "bad.csv", []byte(bad))
	if p.Status != 422 || !strings.Contains(p.Text("#file-error"), "line 2") || !pageHas(p, ".notice.error", "not imported") {
		t.Fatalf("malformed: %d %q / %q", p.Status, p.Text("#file-error"), p.Text(".notice.error"))
	}
	if count() != before {
		t.Fatal("a malformed file stored tokens")
	}
	// A serial that exists already refuses the whole file.
	p = postFile(t, env, b, "/admin/tokens/import", nil, "file", "dup.csv", []byte("UIIMP05,"+rfc4226Seed+",hotp\nuiimp01,"+rfc4226Seed+",hotp\n"))
	if p.Status != 409 || !strings.Contains(p.Text("#file-error"), "UIIMP01") && !strings.Contains(p.Text("#file-error"), "uiimp01") {
		t.Fatalf("duplicate serial: %d %q", p.Status, p.Text("#file-error"))
	}
	if count() != before {
		t.Fatal("a refused file stored tokens")
	}
	// No file, a bad key.
	if p = postFile(t, env, b, "/admin/tokens/import", nil, "", "", nil); p.Status != 422 || p.Text("#file-error") == "" {
		t.Fatalf("no file: %d", p.Status)
	}
	p = postFile(t, env, b, "/admin/tokens/import", map[string]string{"psk_hex": "xyz"}, "file", "t.csv", []byte(csv))
	if p.Status != 422 || p.Text("#psk_hex-error") == "" {
		t.Fatalf("bad key: %d", p.Status)
	}
	// A file far over the form limit but within the upload limit.
	big := strings.Repeat("# padding line to make the file larger than a form may be\n", 2000) + "UIIMP06," + rfc4226Seed + ",hotp,6,0\n"
	p = postFile(t, env, b, "/admin/tokens/import", nil, "file", "big.csv", []byte(big))
	if p.Status != 200 || !strings.Contains(flashOf(p), "Imported 1 token: UIIMP06") {
		t.Fatalf("large file (%d KiB): %d %q", len(big)>>10, p.Status, mainText(p))
	}
}

func TestTokenDetailAndCheck(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleHelpdesk)
	importHOTP(t, env, "UICHK01")
	path := views.TokenHref("UICHK01")

	p := b.Get(path)
	wantStatus(t, "detail", p, 200, path)
	for _, want := range []string{"hotp", "SHA1", "next expected 0", "None (in stock)", "UTC", "never"} {
		if !pageHas(p, ".facts", want) {
			t.Errorf("detail lacks %q: %q", want, p.Text(".facts"))
		}
	}
	if p.Doc.Find(`label[for=otp]`).Length() != 1 {
		t.Fatal("Check OTP has no labelled code field")
	}
	// The helpdesk does not assign or delete.
	if p.Doc.Find(`form[action$="/assign"]`).Length() != 0 || p.Doc.Find(`a[href$="/delete"]`).Length() != 0 {
		t.Fatal("helpdesk sees Assign or Delete")
	}

	check := func(code string) *apptest.Page {
		t.Helper()
		p := b.Post(path+"/check", apptest.Form("otp", code))
		if p.Status != 200 || p.Doc.Find(`#check-result[role=status]`).Length() != 1 {
			t.Fatalf("check %s: %d %q", code, p.Status, mainText(p))
		}
		return p
	}
	if p = check("755224"); p.Text("#check-result") != "Valid" {
		t.Fatalf("right code: %q", p.Text("#check-result"))
	}
	if p = check("755224"); p.Text("#check-result") != "Not valid: code already used" {
		t.Fatalf("replayed code: %q", p.Text("#check-result"))
	}
	if p = check("000000"); !strings.HasPrefix(p.Text("#check-result"), "Not valid: wrong code") {
		t.Fatalf("wrong code: %q", p.Text("#check-result"))
	}
	tok, _ := env.Svc.Store.TokenBySerial(context.Background(), "UICHK01")
	if tok.Failcount != 0 {
		t.Fatalf("Check OTP counted a failure: %d", tok.Failcount)
	}
	// The next code of the token is still good.
	if p = check("287082"); p.Text("#check-result") != "Valid" {
		t.Fatalf("counter 1: %q", p.Text("#check-result"))
	}
	if p = b.Post(path+"/check", apptest.Form("otp", "")); p.Status != 422 || p.Text("#otp-error") == "" {
		t.Fatalf("empty code: %d", p.Status)
	}
	if p := b.Get(views.TokenHref("NO-SUCH-TOKEN")); p.Status != 404 {
		t.Fatalf("unknown serial: %d", p.Status)
	}
}

func TestTokenStateChanges(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleHelpdesk)
	importHOTP(t, env, "UISTA01")
	path := views.TokenHref("UISTA01")
	token := func() workflow.Token {
		tok, err := env.Svc.Store.TokenBySerial(context.Background(), "UISTA01")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	p := b.Post(path+"/disable", nil)
	wantStatus(t, "disable", p, 200, path)
	if token().Enabled || !strings.Contains(flashOf(p), "now disabled") || !pageHas(p, ".facts", "disabled by an administrator") {
		t.Fatalf("after disable: %q", flashOf(p))
	}
	if p.Doc.Find(`form[action$="/enable"]`).Length() != 1 {
		t.Fatal("no Enable button for a disabled token")
	}
	b.Post(path+"/enable", nil)
	if !token().Enabled {
		t.Fatal("not enabled")
	}

	if _, err := env.App.Pool.Exec(context.Background(), `UPDATE tokens SET failcount = 10 WHERE serial = 'UISTA01'`); err != nil {
		t.Fatal(err)
	}
	if p = b.Get("/admin/tokens?q=UISTA"); !pageHas(p, "tbody", "locked") {
		t.Fatalf("list does not say locked: %q", p.Text("tbody"))
	}
	p = b.Post(path+"/reset", nil)
	if token().Failcount != 0 || !strings.Contains(flashOf(p), "reset to 0") {
		t.Fatalf("after reset: %d %q", token().Failcount, flashOf(p))
	}
}

func TestTokenAssignAndDelete(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	u := newUser(t, env, "token.owner")
	r := newResource(t, env, "Token VPN")
	importHOTP(t, env, "UIASG01")
	path := views.TokenHref("UIASG01")

	p := b.Post(path+"/assign", apptest.Form("resource_id", fmt.Sprint(r.ID), "login", "nobody.at.all"))
	if p.Status != 422 || p.Text("#login-error") == "" || attrValue(p, "#login") != "nobody.at.all" {
		t.Fatalf("unknown login: %d %q", p.Status, p.Text("#login-error"))
	}
	p = b.Post(path+"/assign", apptest.Form("resource_id", fmt.Sprint(r.ID), "login", "Token.Owner"))
	wantStatus(t, "assign", p, 200, path)
	if !strings.Contains(flashOf(p), "token.owner's on Token VPN") || !pageHas(p, ".facts", "token.owner") {
		t.Fatalf("after assign: %q", flashOf(p))
	}
	tok, _ := env.Svc.Store.TokenBySerial(context.Background(), "UIASG01")
	if tok.UserID == nil || *tok.UserID != u.ID || tok.ResourceID == nil || *tok.ResourceID != r.ID {
		t.Fatalf("stored: user %v resource %v", tok.UserID, tok.ResourceID)
	}
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, u.ID); !ok {
		t.Fatal("the user was not assigned to the resource")
	}
	// The user's page lists it.
	if p := b.Get(userPath(u)); !pageHas(p, "tbody", "UIASG01") {
		t.Fatal("the user's page does not list the token")
	}
	// Both empty: back to stock.
	p = b.Post(path+"/assign", apptest.Form("resource_id", "", "login", ""))
	if !strings.Contains(flashOf(p), "back in stock") {
		t.Fatalf("to stock: %q", flashOf(p))
	}
	if tok, _ := env.Svc.Store.TokenBySerial(context.Background(), "UIASG01"); tok.UserID != nil || tok.ResourceID != nil {
		t.Fatal("not in stock")
	}

	p = b.Get(path + "/delete")
	if p.Status != 200 || !pageHas(p, ".effects", "deleted for good") {
		t.Fatalf("confirmation: %d", p.Status)
	}
	p = b.Post(path+"/delete", nil)
	wantStatus(t, "delete", p, 200, "/admin/tokens")
	if _, err := env.Svc.Store.TokenBySerial(context.Background(), "UIASG01"); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("still there: %v", err)
	}
}

func TestTokenRoles(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	importHOTP(t, env, "UIROL01")
	path := views.TokenHref("UIROL01")
	help := signIn(t, env, workflow.RoleHelpdesk)
	csv := []byte("UIROL02," + rfc4226Seed + ",hotp,6,0\n")
	if p := postFile(t, env, help, "/admin/tokens/import", nil, "file", "t.csv", csv); p.Status != 403 {
		t.Fatalf("helpdesk import: %d", p.Status)
	}
	if _, err := env.Svc.Store.TokenBySerial(context.Background(), "UIROL02"); err == nil {
		t.Fatal("the helpdesk imported a token")
	}
	for _, action := range []string{"/assign", "/delete"} {
		if p := help.Post(path+action, nil); p.Status != 403 {
			t.Errorf("helpdesk POST %s: %d", action, p.Status)
		}
	}
	if p := help.Get("/admin/tokens"); p.Doc.Find(`form[action="/admin/tokens/import"]`).Length() != 0 {
		t.Error("helpdesk sees the import form")
	}

	// An owner reads the tokens on the resources they own.
	owner := signIn(t, env, workflow.RoleOwner)
	owned := newResource(t, env, "Token role VPN")
	if _, err := env.Svc.AssignToken(context.Background(), "UIROL01", &owned.ID, nil, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	ownResource(t, env, owner, owned)
	if p := owner.Get(path); p.Status != 200 || p.Doc.Find("form:not(.lang-switch)").Length() != 1 { // only Sign out
		t.Fatalf("owner reads the token: %d with %d forms", p.Status, p.Doc.Find("form:not(.lang-switch)").Length())
	}
	for _, action := range []string{"/check", "/disable", "/reset"} {
		if p := owner.Post(path+action, apptest.Form("otp", "755224")); p.Status != 403 {
			t.Errorf("owner POST %s: %d", action, p.Status)
		}
	}
}
