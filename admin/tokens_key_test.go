package admin_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
)

// The console shows a security key (SPEC §14) as such: its type, the name
// its user gave it, the make of its authenticator when the AAGUID is a
// known one; Check OTP explains that a key has no codes.
func TestConsoleShowsSecurityKey(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	n := strconv.FormatInt(admins.Add(1), 10)
	u, err := env.Svc.CreateUser(ctx, workflow.UserInput{Login: "key-owner-" + n}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	serial := "KEY-CONSOLE-" + n
	tok := workflow.Token{Serial: serial, Type: workflow.TokenWebAuthn, Enabled: true, UserID: &u.ID, Description: "Blue key"}
	if err := env.Svc.StoreToken(ctx, env.Svc.Store, &tok, nil); err != nil {
		t.Fatal(err)
	}
	aaguid, _ := hex.DecodeString("cb69481e8ff7403993ec0a2729a154a8")
	if err := env.Svc.Store.CreateKeyCredential(ctx, workflow.KeyCredential{TokenID: tok.ID, CredentialID: []byte(serial),
		PublicKey: []byte{1}, SignCount: 7, AAGUID: aaguid, Name: "Blue key"}); err != nil {
		t.Fatal(err)
	}
	b := signIn(t, env, workflow.RoleHelpdesk)

	p := b.Get("/admin/tokens?q=" + serial)
	if got := p.Text("table"); !strings.Contains(got, "Security key: Blue key (YubiKey 5 Series)") {
		t.Fatalf("the token list shows %q", got)
	}
	p = b.Get(views.TokenHref(serial))
	if p.Status != http.StatusOK || !strings.Contains(p.Text("dl.facts"), "cb69481e-8ff7-4039-93ec-0a2729a154a8") ||
		p.Doc.Find(".check-key").Length() != 1 || p.Doc.Find(`form[action$="/check"]`).Length() != 0 {
		t.Fatalf("the key's page: %d %s", p.Status, p.Text("main"))
	}
	// A check posted anyway is refused with the reason.
	if p := b.Post(views.TokenHref(serial)+"/check", apptest.Form("otp", "123456")); p.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.Text("main"), "no codes") {
		t.Fatalf("Check OTP on a key: %d %s", p.Status, p.Text("main"))
	}
}
