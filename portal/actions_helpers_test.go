package portal_test

import (
	"context"
	"encoding/base32"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// act is the path of portal action id.
func (f *fixture) act(id string) string { return f.path("/actions/" + id) }

// wantPage fails unless p has status and its URL ends with suffix.
func wantPage(t *testing.T, p *apptest.Page, status int, suffix string) {
	t.Helper()
	if p.Status != status || !strings.HasSuffix(p.URL.Path, suffix) {
		t.Fatalf("want %d at …%s, got %d at %s: %s", status, suffix, p.Status, p.URL.Path, p.Text("main"))
	}
}

// wantHome fails unless a POST ended on the start page with flash.
func wantHome(t *testing.T, p *apptest.Page, flash string) {
	t.Helper()
	wantPage(t, p, http.StatusOK, "/home")
	if got := p.Text(".notice.success"); !strings.Contains(got, flash) {
		t.Fatalf("flash %q, want it to contain %q", got, flash)
	}
}

// pageSecret reads the base32 secret shown for manual entry.
func pageSecret(t *testing.T, p *apptest.Page) []byte {
	t.Helper()
	s := p.Text("#token-secret")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(secret) == 0 {
		t.Fatalf("secret %q on the page: %v (%d %s)", s, err, p.Status, p.Text("main"))
	}
	return secret
}

// recoveryCodes are the codes shown in .recovery-codes.
func recoveryCodes(p *apptest.Page) []string {
	var codes []string
	p.Doc.Find(".recovery-codes li").Each(func(_ int, s *goquery.Selection) {
		codes = append(codes, strings.TrimSpace(s.Text()))
	})
	return codes
}

// userTokens are the user's tokens on the fixture's resource.
func (f *fixture) userTokens(t *testing.T) []workflow.Token {
	t.Helper()
	tokens, err := f.env.Svc.Store.UserTokens(context.Background(), f.user.ID, f.resource.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// importStock imports the RFC 4226 token as stock on resourceID and
// returns its serial; its first code is 755224.
func (f *fixture) importStock(t *testing.T, resourceID int64) string {
	t.Helper()
	serial := tag("RFC")
	csv := serial + ",3132333435363738393031323334353637383930,hotp,6,0\n"
	if _, err := f.env.Svc.ImportTokens(context.Background(), []byte(csv), nil, &resourceID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	return serial
}

// checked is the value of the checked radio button named name.
func checked(p *apptest.Page, name string) string {
	v, _ := p.Doc.Find(`input[type="radio"][name="` + name + `"][checked]`).Attr("value")
	return v
}

// hasAction reports whether the start page links to action id.
func (f *fixture) hasAction(p *apptest.Page, id string) bool {
	return p.Doc.Find(`a[href="`+f.act(id)+`"], a[href^="`+f.act(id)+`?"]`).Length() > 0
}

// eventDetail is a detail of the user's newest activity named event.
func (f *fixture) eventDetail(t *testing.T, event, key string) string {
	t.Helper()
	var v string
	err := f.env.App.Pool.QueryRow(context.Background(), `SELECT coalesce(details->>$3, '') FROM activities
		WHERE user_id = $1 AND event = $2 ORDER BY id DESC LIMIT 1`, f.user.ID, event, key).Scan(&v)
	if err != nil {
		t.Fatalf("%s: %v", event, err)
	}
	return v
}
