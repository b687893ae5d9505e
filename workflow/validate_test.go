package workflow_test

import (
	"context"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store/storetest"
)

func validate(t *testing.T, f *fixture, resourceID int64, login, pass string) bool {
	t.Helper()
	ok, err := f.svc.Validate(context.Background(), resourceID, login, pass, workflow.SystemActor, workflow.Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestValidateRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.token(t, "hotp", nil)
	c0, c1 := otp.Code(rfcSecret, 0, sixDigits), otp.Code(rfcSecret, 1, sixDigits)

	if !validate(t, f, f.resource.ID, f.user.Login, c0) {
		t.Fatal("right code refused")
	}
	if validate(t, f, f.resource.ID, f.user.Login, c0) {
		t.Fatal("replayed code accepted")
	}
	if validate(t, f, f.resource.ID, "nobody-at-all", c1) || validate(t, f, 999999999, f.user.Login, c1) {
		t.Fatal("unknown login or resource accepted")
	}
	// Login is matched ignoring case.
	if !validate(t, f, f.resource.ID, "  "+upper(f.user.Login)+" ", c1) {
		t.Fatal("login in another case refused")
	}
	// A user not assigned to the resource is refused even with a right code.
	other, err := f.svc.CreateResource(ctx, workflow.ResourceInput{Name: unique("Citrix")}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if validate(t, f, other.ID, f.user.Login, otp.Code(rfcSecret, 2, sixDigits)) {
		t.Fatal("accepted on a resource the user is not assigned to")
	}
	// Disabled users are refused.
	in := workflow.UserInput{Login: f.user.Login, Email: f.user.Email, Phone: f.user.Phone, Disabled: true}
	if _, err := f.svc.UpdateUser(ctx, f.user.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if validate(t, f, f.resource.ID, f.user.Login, otp.Code(rfcSecret, 2, sixDigits)) {
		t.Fatal("disabled user accepted")
	}
	in.Disabled = false
	in.ValidUntil = f.clock.Now().AddDate(0, 0, -1).Format("2006-01-02")
	if _, err := f.svc.UpdateUser(ctx, f.user.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if validate(t, f, f.resource.ID, f.user.Login, otp.Code(rfcSecret, 3, sixDigits)) {
		t.Fatal("expired account accepted")
	}
	_ = tok
	// Every validation is in the activity log.
	var n int
	if err := storetest.Pool(t).QueryRow(ctx, "SELECT count(*) FROM activities WHERE event = 'Validate' AND user_id = $1", f.user.ID).Scan(&n); err != nil || n < 5 {
		t.Fatalf("%d Validate activities (%v)", n, err)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func TestValidateSeveralTokens(t *testing.T) {
	f := newFixture(t)
	a := f.token(t, "hotp", nil)
	b := f.token(t, "totp", nil)
	// The TOTP code is accepted without counting a failure on the HOTP token.
	if !validate(t, f, f.resource.ID, f.user.Login, otp.TOTPCode(rfcSecret, f.clock.Now(), sixDigits)) {
		t.Fatal("code of the second token refused")
	}
	if got := f.reload(t, a); got.Failcount != 0 {
		t.Fatalf("the other token's failcount is %d", got.Failcount)
	}
	// A wrong code counts against both.
	if validate(t, f, f.resource.ID, f.user.Login, "999999") {
		t.Fatal("wrong code accepted")
	}
	if f.reload(t, a).Failcount != 1 || f.reload(t, b).Failcount != 1 {
		t.Fatal("a wrong code did not count on every token")
	}
	// A disabled token does not validate.
	if _, err := f.svc.SetTokenEnabled(context.Background(), a.Serial, false, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if validate(t, f, f.resource.ID, f.user.Login, otp.Code(rfcSecret, 0, sixDigits)) {
		t.Fatal("disabled token validated")
	}
}

func TestValidateEmailToken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.token(t, "email", nil)
	pool := storetest.Pool(t)
	// An empty pass sends a code and answers false.
	if validate(t, f, f.resource.ID, f.user.Login, "") {
		t.Fatal("empty pass accepted")
	}
	var codes int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM one_time_codes WHERE token_id = $1 AND purpose = 'token'", tok.ID).Scan(&codes); err != nil || codes != 1 {
		t.Fatalf("%d codes stored (%v)", codes, err)
	}
	code := queuedMessage(t, f.svc, f.user.Email).Data["code"]
	// Five attempts: four wrong ones, then the right one still works.
	for range 4 {
		if validate(t, f, f.resource.ID, f.user.Login, "000000") && code != "000000" {
			t.Fatal("wrong code accepted")
		}
	}
	if _, err := f.svc.ResetTokenFailcount(ctx, tok.Serial, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if !validate(t, f, f.resource.ID, f.user.Login, code) {
		t.Fatal("right code refused on the fifth attempt")
	}
	if validate(t, f, f.resource.ID, f.user.Login, code) {
		t.Fatal("code used twice")
	}
	// Codes expire after ten minutes.
	validate(t, f, f.resource.ID, f.user.Login, "")
	code = queuedMessage(t, f.svc, f.user.Email).Data["code"]
	f.clock.Advance(11 * time.Minute)
	if validate(t, f, f.resource.ID, f.user.Login, code) {
		t.Fatal("expired code accepted")
	}
	// Only the hash is stored.
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM one_time_codes WHERE code_hash = convert_to($1, 'UTF8')", code).Scan(&n); err != nil || n != 0 {
		t.Fatalf("plain code stored (%d, %v)", n, err)
	}
}

func TestCodeAttemptsAreLimited(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "email", nil)
	validate(t, f, f.resource.ID, f.user.Login, "")
	code := queuedMessage(t, f.svc, f.user.Email).Data["code"]
	for range 5 {
		validate(t, f, f.resource.ID, f.user.Login, wrongOf(code))
	}
	if _, err := f.svc.ResetTokenFailcount(context.Background(), tok.Serial, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if validate(t, f, f.resource.ID, f.user.Login, code) {
		t.Fatal("code accepted after five wrong attempts")
	}
}

func wrongOf(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
