package portal_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// The portal's forms are read with gin's PostForm in the handlers; these
// fuzz targets post arbitrary bodies to them through the real router and
// require an answer that is no server error and a whole HTML page. The app
// is built once per target; each input gets a fresh browser or, for the
// actions, a signed-in one.

// fuzzPortal is an app with one portal (every action, every token type on)
// and no throttling, so that fuzzing never locks itself out.
type fuzzPortal struct {
	env      *apptest.Env
	resource workflow.Resource
	portal   workflow.Portal
	users    atomic.Int64
}

func newFuzzPortal(f *testing.F) *fuzzPortal {
	env := apptest.New(f, nil)
	env.Svc.Limits = workflow.Limits{LockAfter: 1 << 30, LockFor: time.Minute, IPFailures: 1 << 30, IPWindow: time.Minute,
		RestorePerLogin: 1 << 30, RestorePerIP: 1 << 30}
	ctx := context.Background()
	r, err := env.Svc.CreateResource(ctx, workflow.ResourceInput{Name: tag("Fuzz VPN ")}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		f.Fatal(err)
	}
	in := workflow.DefaultPortalInput(tag("fz"))
	in.Enabled, in.Actions, in.TokenTypes, in.MaxTokensPerUser, in.RememberDeviceDays = true, workflow.Actions, workflow.TokenTypes, 3, 30
	p, err := env.Svc.SavePortal(ctx, r.ID, in, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzPortal{env: env, resource: r, portal: p}
}

func (fp *fuzzPortal) path(p string) string { return "/selfservice/" + fp.portal.Alias + p }

// user creates an assigned user with userPassword and a TOTP token of
// rfcSecret, whose code at the app's clock is still unused.
func (fp *fuzzPortal) user(t testing.TB) workflow.User {
	t.Helper()
	ctx, svc := context.Background(), fp.env.Svc
	login := fmt.Sprintf("fuzz%d-%d", time.Now().UnixNano()%1e9, fp.users.Add(1))
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: login, FirstName: "Fuzz", LastName: "User", Email: login + "@example.com",
		Phone: "+31612345678", Password: userPassword}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, fp.resource.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := workflow.Token{Serial: "F" + strings.ReplaceAll(login, "-", ""), Type: "totp", Enabled: true, UserID: &u.ID, ResourceID: &fp.resource.ID}
	if err := svc.StoreToken(ctx, svc.Store, &tok, rfcSecret); err != nil {
		t.Fatal(err)
	}
	return u
}

// post sends body to the portal path and checks the answer.
func (fp *fuzzPortal) post(t *testing.T, b *apptest.Raw, path, body string) string {
	t.Helper()
	resp, out := b.PostForm(t, fp.path(path), body)
	apptest.CheckAnswer(t, "POST "+path+" "+body, resp, out)
	return resp.Request.URL.Path
}

// signIn walks the sign-in with password and TOTP; false if it did not end
// at home.
func (fp *fuzzPortal) signIn(t *testing.T, b *apptest.Raw, u workflow.User) bool {
	t.Helper()
	fp.post(t, b, "/login", url.Values{"login": {u.Login}}.Encode())
	fp.post(t, b, "/login", url.Values{"password": {userPassword}}.Encode())
	end := fp.post(t, b, "/login", url.Values{"otp": {otp.TOTPCode(rfcSecret, fp.env.Clock.Now(), otp.Default)}}.Encode())
	return strings.HasSuffix(end, "/home")
}

func FuzzPortalLogin(f *testing.F) {
	for _, s := range []string{"login=jane", "password=violet-tractor-sunbeam-42", "otp=123456", "otp=123456&remember=1", "email_code=123456",
		"new_password=a-new-long-passphrase-9", "login=%00", "login=" + strings.Repeat("x", 300), "login=a&login=b", "%zz=1", "login=j%C3%A9"} {
		for step := range uint8(3) {
			f.Add(step, s)
		}
	}
	fp := newFuzzPortal(f)
	u := fp.user(f)
	f.Fuzz(func(t *testing.T, step uint8, body string) {
		b := fp.env.Raw()
		// Reach the step whose form the body fills: the first, the
		// password or the OTP step.
		if step%3 >= 1 {
			fp.post(t, b, "/login", url.Values{"login": {u.Login}}.Encode())
		}
		if step%3 == 2 {
			fp.post(t, b, "/login", url.Values{"password": {userPassword}}.Encode())
		}
		fp.post(t, b, "/login", body)
	})
}

func FuzzPortalRestore(f *testing.F) {
	for _, s := range []string{"login=jane&lost_token=1", "login=jane&forgot_password=1&lost_email=1", "password=violet-tractor-sunbeam-42",
		"otp=123456&email_code=654321", "new_password=a-new-long-passphrase-9&new_email=jane%40example.org", "new_email=not-an-address",
		"lost_token=1", "login=&lost_token=2", "%zz"} {
		for step := range uint8(3) {
			f.Add(step, s)
		}
	}
	fp := newFuzzPortal(f)
	u := fp.user(f)
	f.Fuzz(func(t *testing.T, step uint8, body string) {
		b := fp.env.Raw()
		// The first step, proving (what is lost: the token), or choosing
		// the new password.
		if step%3 >= 1 {
			fp.post(t, b, "/restore", url.Values{"login": {u.Login}, "lost_token": {"1"}, "forgot_password": {"1"}}.Encode())
		}
		if step%3 == 2 {
			fp.post(t, b, "/restore", url.Values{"email_code": {"000000"}}.Encode())
		}
		fp.post(t, b, "/restore", body)
	})
}

func FuzzPortalActions(f *testing.F) {
	seeds := map[string][]string{
		"register-token":          {"type=totp", "type=hotp&description=phone", "type=sms&phone=%2B31612345678", "type=email", "otp=123456&confirm=1"},
		"register-existing-token": {"serial=ABC123&otp=123456", "serial=&otp="},
		"reassign-token":          {"serial=ABC123&otp=123456&confirm=1"},
		"unassign-token":          {"serial=ABC123&confirm=1"},
		"sync-token":              {"serial=ABC123&otp1=123456&otp2=654321"},
		"set-pin":                 {"serial=ABC123&pin=1234&pin_confirm=1234&pin_position=before&otp=123456", "send=1"},
		"remove-pin":              {"serial=ABC123&otp=1234123456", "send=1"},
		"create-password":         {"new_password=a-new-long-passphrase-9&confirm_password=a-new-long-passphrase-9"},
		"change-password":         {"current_password=violet-tractor-sunbeam-42&new_password=x&confirm_password=x"},
		"change-email":            {"email=new%40example.com", "code=123456"},
		"change-phone":            {"phone=%2B31 6 1234 5678", "phone=abc"},
		"change-login":            {"login=new.login", "login=%20"},
		"change-name":             {"first_name=J&last_name=D", "first_name=" + strings.Repeat("x", 200)},
		"manage-environment":      {"revoke=1", "device=abc&revoke=all"},
	}
	for i, id := range workflow.Actions {
		for _, s := range seeds[id] {
			f.Add(uint8(i), s)
		}
	}
	f.Add(uint8(len(workflow.Actions)), "password=violet-tractor-sunbeam-42&next=/actions/set-pin")
	f.Add(uint8(len(workflow.Actions)), "password=x&next=//evil.example/")
	fp := newFuzzPortal(f)
	var b *apptest.Raw
	f.Fuzz(func(t *testing.T, action uint8, body string) {
		if b == nil {
			b = fp.env.Raw()
			if !fp.signIn(t, b, fp.user(t)) {
				t.Fatal("the sign-in of a fresh user did not end at home")
			}
		}
		path := "/reauth"
		if i := int(action) % (len(workflow.Actions) + 1); i < len(workflow.Actions) {
			path = "/actions/" + workflow.Actions[i]
		}
		if end := fp.post(t, b, path, body); strings.HasSuffix(end, "/login") {
			b = nil // signed out (a changed password, say): sign in afresh next time
		}
	})
}
