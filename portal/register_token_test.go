package portal_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

var recoveryCodeFormat = regexp.MustCompile(`^[a-z2-9]{5}-[a-z2-9]{5}$`)

// The whole enrolment of an authenticator app as a phone sees it: the QR
// code decoded, the otpauth URI parsed, the code computed from its secret.
// The first token brings 8 recovery codes, shown once; the second none.
func TestRegisterTOTPFromQRCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")

	p := b.Get(f.act("register-token"))
	wantPage(t, p, http.StatusOK, "/actions/register-token")
	if n := p.Doc.Find(`fieldset input[type="radio"][name="type"]`).Length(); n != len(workflow.TokenTypes) || p.Doc.Find("fieldset legend").Length() == 0 {
		t.Fatalf("%d type choices in a fieldset, want 5 (every type)", n)
	}
	p = b.Post(f.act("register-token"), apptest.Form("type", "totp"))
	wantPage(t, p, http.StatusOK, "/actions/register-token")
	uri := apptest.ReadQR(t, p.Doc.Find("img.qr").AttrOr("src", ""))
	u, secret := apptest.OTPAuth(t, uri)
	if u.Host != "totp" || u.Query().Get("issuer") != f.resource.Name || !strings.HasSuffix(u.Path, ":"+f.user.Login) {
		t.Fatalf("otpauth URI %q: want issuer %q and account %q", uri, f.resource.Name, f.user.Login)
	}
	if got := pageSecret(t, p); string(got) != string(secret) {
		t.Fatal("the secret as text differs from the QR code's")
	}
	if href, _ := p.Doc.Find(`a[href^="otpauth://"]`).Attr("href"); href != uri {
		t.Fatalf("otpauth link %q, want %q", href, uri)
	}
	if p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("enrolment page may be cached: %q", p.Header.Get("Cache-Control"))
	}

	// A wrong code: 422, the same secret again, nothing stored.
	wrong := otp.TOTPCode(secret, f.env.Clock.Now().Add(10*time.Minute), otp.Default)
	p = b.Post(f.act("register-token"), apptest.Form("otp", wrong))
	if p.Status != http.StatusUnprocessableEntity || p.Text("#otp-error") == "" {
		t.Fatalf("wrong code: %d %s", p.Status, p.Text("main"))
	}
	if string(pageSecret(t, p)) != string(secret) {
		t.Fatal("a wrong code changed the secret")
	}
	if n := len(f.userTokens(t)); n != 0 {
		t.Fatalf("a wrong code stored %d tokens", n)
	}

	now := f.env.Clock.Now()
	p = b.Post(f.act("register-token"), apptest.Form("otp", otp.TOTPCode(secret, now, otp.Default)))
	wantPage(t, p, http.StatusOK, "/actions/register-token")
	codes := recoveryCodes(p)
	if len(codes) != workflow.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want 8: %s", len(codes), p.Text("main"))
	}
	for _, c := range codes {
		if !recoveryCodeFormat.MatchString(c) {
			t.Fatalf("recovery code %q is not xxxxx-xxxxx", c)
		}
	}
	tokens := f.userTokens(t)
	if len(tokens) != 1 {
		t.Fatalf("%d tokens", len(tokens))
	}
	tok := tokens[0]
	if tok.Type != "totp" || !tok.Enabled || *tok.UserID != f.user.ID || *tok.ResourceID != f.resource.ID || tok.LastStep != otp.Step(now, 30) {
		t.Fatalf("token %+v", tok)
	}
	if !strings.Contains(p.Text("main"), tok.Serial) {
		t.Fatalf("success page does not name %s", tok.Serial)
	}

	// The codes are shown once: not on the start page, not again here.
	for _, path := range []string{"/home", "/actions/register-token"} {
		if again := b.Get(f.path(path)); again.Doc.Find(".recovery-codes").Length() != 0 {
			t.Fatalf("recovery codes shown again on %s", path)
		}
	}
	// The confirming code was used up; a recovery code works once at sign-in.
	c := f.env.Browser()
	c.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	c.Post(f.path("/login"), apptest.Form("password", f.password))
	wantReplayed(t, c.Post(f.path("/login"), apptest.Form("otp", otp.TOTPCode(secret, now, otp.Default))))
	f.signIn(t, strings.ToUpper(codes[3]))

	// The second token (an HOTP app) comes without recovery codes.
	p = b.Post(f.act("register-token"), apptest.Form("type", "hotp"))
	u, hsecret := apptest.OTPAuth(t, apptest.ReadQR(t, p.Doc.Find("img.qr").AttrOr("src", "")))
	if u.Host != "hotp" || u.Query().Get("counter") != "0" {
		t.Fatalf("HOTP URI %s", u)
	}
	p = b.Post(f.act("register-token"), apptest.Form("otp", otp.Code(hsecret, 0, otp.Default)))
	wantHome(t, p, "is registered")
	if p.Doc.Find(".recovery-codes").Length() != 0 {
		t.Fatal("recovery codes with the second token")
	}
	tokens = f.userTokens(t)
	if len(tokens) != 2 || tokens[1].Type != "hotp" || tokens[1].Counter != 1 || tokens[1].LastStep != 0 {
		t.Fatalf("tokens %+v", tokens)
	}
	// At max_tokens_per_user (2) the action is gone.
	if f.hasAction(p, "register-token") {
		t.Fatal("register-token offered at the maximum")
	}
	if p := b.Get(f.act("register-token")); p.Status != http.StatusNotFound {
		t.Fatalf("register-token at the maximum: %d", p.Status)
	}
	if ev := f.events(t); ev[workflow.EventTokenRegistered] != 2 || ev[workflow.EventRecoveryCodesCreated] != 1 {
		t.Fatalf("events %v", ev)
	}

	// The new tokens sign in.
	f.env.Clock.Advance(30 * time.Second)
	f.signIn(t, otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default))
	f.signIn(t, otp.Code(hsecret, 1, otp.Default))
}

// Email and SMS tokens are confirmed with a code sent to the address or
// phone on record; without one there, nothing happens.
func TestRegisterSentTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	ctx := context.Background()

	p := b.Post(f.act("register-token"), apptest.Form("type", "email"))
	wantPage(t, p, http.StatusOK, "/actions/register-token")
	if !strings.Contains(p.Text("main"), "We sent") || p.Doc.Find("img.qr").Length() != 0 {
		t.Fatalf("email enrolment page: %s", p.Text("main"))
	}
	code := queuedCode(t, f, f.user.Email)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if p := b.Post(f.act("register-token"), apptest.Form("otp", wrong)); p.Status != http.StatusUnprocessableEntity || len(f.userTokens(t)) != 0 {
		t.Fatalf("wrong emailed code: %d", p.Status)
	}
	p = b.Post(f.act("register-token"), apptest.Form("otp", code))
	if len(recoveryCodes(p)) != 8 {
		t.Fatalf("first token without recovery codes: %d %s", p.Status, p.Text("main"))
	}
	tokens := f.userTokens(t)
	if len(tokens) != 1 || tokens[0].Type != "email" || tokens[0].Secret != nil {
		t.Fatalf("tokens %+v", tokens)
	}

	// Without a phone number, an SMS token cannot be registered.
	if _, err := f.env.App.Pool.Exec(ctx, `UPDATE users SET phone = '' WHERE id = $1`, f.user.ID); err != nil {
		t.Fatal(err)
	}
	p = b.Post(f.act("register-token"), apptest.Form("type", "sms"))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#type-error"), "no phone number") || checked(p, "type") != "sms" {
		t.Fatalf("SMS without phone: %d %q", p.Status, p.Text("main"))
	}
	if len(f.userTokens(t)) != 1 {
		t.Fatal("something was stored")
	}
}

// The limit is checked again, under a lock, when a token is confirmed:
// two browsers confirming at once get one token between them, and a token
// that arrived meanwhile (the helpdesk) wins.
func TestRegisterTokenLimitAtConfirmation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) { in.MaxTokensPerUser = 1; in.TokenTypes = []string{"totp"} })
	browsers := []*apptest.Browser{f.signIn(t, ""), f.signIn(t, "")}
	if p := browsers[0].Get(f.act("register-token")); checked(p, "type") != "totp" {
		t.Fatal("the only type is not preselected")
	}
	codes := make([]string, len(browsers))
	for i, b := range browsers {
		secret := pageSecret(t, b.Post(f.act("register-token"), apptest.Form("type", "totp")))
		codes[i] = otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)
	}
	statuses := make([]int, len(browsers))
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() { statuses[i] = b.Post(f.act("register-token"), apptest.Form("otp", codes[i])).Status })
	}
	wg.Wait()
	slices.Sort(statuses)
	if n := len(f.userTokens(t)); n != 1 || statuses[0] != http.StatusOK || (statuses[1] != http.StatusNotFound && statuses[1] != http.StatusConflict) {
		t.Fatalf("two confirmations at max 1: %d tokens, statuses %v", n, statuses)
	}

	// Behind the pages: an enrolment confirmed after a token arrived.
	ctx := context.Background()
	g := newFixture(t, func(in *workflow.PortalInput) { in.MaxTokensPerUser = 1; in.TokenTypes = []string{"totp"} })
	e, err := g.env.Svc.StartEnrolment(ctx, g.portal, g.user, "totp")
	if err != nil {
		t.Fatal(err)
	}
	g.giveToken(t, "hotp", nil)
	_, err = g.env.Svc.ConfirmEnrolment(ctx, g.portal, g.user, e, otp.TOTPCode(e.Secret, g.env.Clock.Now(), otp.Default), workflow.Meta{})
	if err != workflow.ErrTooManyTokens || len(g.userTokens(t)) != 1 {
		t.Fatalf("confirmed over the limit: %v", err)
	}
}

// A stock token of the resource becomes the user's with its serial and a
// code; an unknown serial and a wrong code get the same answer.
func TestClaimStockToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	serial := f.importStock(t, f.resource.ID)
	other, err := f.env.Svc.CreateResource(ctx, workflow.ResourceInput{Name: tag("Other ")}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := f.importStock(t, other.ID)
	b := f.signIn(t, "")
	wantPage(t, b.Get(f.act("register-existing-token")), http.StatusOK, "/actions/register-existing-token")

	answer := func(serial, code string) string {
		t.Helper()
		p := b.Post(f.act("register-existing-token"), apptest.Form("serial", serial, "otp", code))
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s/%s: %d %s", serial, code, p.Status, p.Text("main"))
		}
		return p.Text(".notice.error")
	}
	unknown := answer("NOPE"+tag(""), "755224")
	wrongCode := answer(serial, "000000")
	otherResource := answer(elsewhere, "755224")
	if unknown != "The serial or the code is not right." || wrongCode != unknown || otherResource != unknown {
		t.Fatalf("answers differ: %q / %q / %q", unknown, wrongCode, otherResource)
	}
	stock, err := f.env.Svc.Store.TokenBySerial(ctx, serial)
	if err != nil {
		t.Fatal(err)
	}
	if stock.Failcount != 1 || stock.UserID != nil {
		t.Fatalf("after a wrong code: failcount %d, owner %v", stock.Failcount, stock.UserID)
	}

	p := b.Post(f.act("register-existing-token"), apptest.Form("serial", strings.ToLower(serial), "otp", "755224"))
	if p.Status != http.StatusOK || len(recoveryCodes(p)) != 8 {
		t.Fatalf("claim: %d %s", p.Status, p.Text("main"))
	}
	stock = f.reload(t, stock)
	if stock.UserID == nil || *stock.UserID != f.user.ID || *stock.ResourceID != f.resource.ID || stock.Counter != 1 || stock.Failcount != 0 {
		t.Fatalf("claimed token %+v", stock)
	}
	if ev := f.events(t); ev[workflow.EventTokenClaimed] != 1 || ev[workflow.EventRecoveryCodesCreated] != 1 {
		t.Fatalf("events %v", ev)
	}
	// A claimed token is no longer stock.
	if answer(serial, "287082") != unknown {
		t.Fatal("a claimed token answered differently")
	}
	// The claimed token signs in with its next code.
	f.signIn(t, "359152")

	// Guessing serials runs into the limit (10 tries per 15 minutes).
	var last *apptest.Page
	for range 10 {
		last = b.Post(f.act("register-existing-token"), apptest.Form("serial", "GUESS"+tag(""), "otp", "123456"))
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("after many tries: %d %s", last.Status, last.Text("main"))
	}
}

// Exchanging a token: the new one is enrolled like any other; once it is
// confirmed the old one is disabled and off the resource, in one step, even
// at max_tokens_per_user.
func TestReassignToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) { in.MaxTokensPerUser = 1 })
	old := f.giveToken(t, "totp", nil)
	b := f.signIn(t, f.totp(0))

	p := b.Get(f.act("reassign-token"))
	wantPage(t, p, http.StatusOK, "/actions/reassign-token")
	if checked(p, "serial") != old.Serial {
		t.Fatal("the only token is not preselected")
	}
	if p := b.Post(f.act("reassign-token"), apptest.Form("type", "hotp")); p.Status != http.StatusUnprocessableEntity || p.Text("#serial-error") == "" {
		t.Fatalf("without a token to replace: %d", p.Status)
	}
	p = b.Post(f.act("reassign-token"), apptest.Form("serial", old.Serial, "type", "hotp"))
	secret := pageSecret(t, p)
	if !strings.Contains(p.Text("main"), old.Serial) {
		t.Fatal("the page does not say which token is replaced")
	}
	p = b.Post(f.act("reassign-token"), apptest.Form("otp", otp.Code(secret, 0, otp.Default)))
	wantHome(t, p, "replaces "+old.Serial)

	gone := f.reload(t, old)
	if gone.Enabled || gone.DisabledReason != workflow.DisabledReassigned || gone.ResourceID != nil || gone.UserID == nil || *gone.UserID != f.user.ID {
		t.Fatalf("old token %+v", gone)
	}
	tokens := f.userTokens(t)
	if len(tokens) != 1 || tokens[0].Type != "hotp" || !tokens[0].Enabled {
		t.Fatalf("tokens %+v", tokens)
	}
	if ev := f.events(t); ev[workflow.EventTokenReassigned] != 1 || ev[workflow.EventTokenRegistered] != 0 || ev[workflow.EventRecoveryCodesCreated] != 0 {
		t.Fatalf("events %v", ev)
	}
	if f.eventDetail(t, workflow.EventTokenReassigned, "old_serial") != old.Serial || f.eventDetail(t, workflow.EventTokenReassigned, "serial") != tokens[0].Serial {
		t.Fatal("TokenReassigned lacks the serials")
	}
	// The new token works, the old one does not.
	f.env.Clock.Advance(30 * time.Second)
	c := f.env.Browser()
	c.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	c.Post(f.path("/login"), apptest.Form("password", f.password))
	failedLogin(t, c.Post(f.path("/login"), apptest.Form("otp", f.totp(0))))
	f.signIn(t, otp.Code(secret, 1, otp.Default))
}
