package admin_test

import (
	"context"
	"encoding/base32"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// forgiveFailedSignIn takes back one failed sign-in from the per-IP count
// of env's clients (127.0.0.1, which the serial tests share, unless
// env.ClientIP).
func forgiveFailedSignIn(t *testing.T, env *apptest.Env) {
	t.Helper()
	ip := env.ClientIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	if _, err := env.App.Pool.Exec(context.Background(),
		`UPDATE rate_limits SET count = count - 1 WHERE key = 'login-fail-ip:' || $1 AND count > 0`, ip); err != nil {
		t.Fatal(err)
	}
}

// enrolWith signs in an account without an authenticator, with password,
// and enrols one; it returns the browser and the TOTP secret.
func enrolWith(t *testing.T, env *apptest.Env, login, password string) (*apptest.Browser, []byte) {
	t.Helper()
	b := env.Browser()
	p := b.Post("/admin/login", apptest.Form("login", login, "password", password))
	wantStatus(t, "password step of "+login, p, 200, "/admin/login/enrol")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(p.Text("#totp-secret"))
	if err != nil {
		t.Fatal(err)
	}
	p = b.Post("/admin/login/enrol", apptest.Form("code", otp.TOTPCode(secret, env.Clock.Now(), otp.Default)))
	wantStatus(t, "enrolment of "+login, p, 200, "/admin/")
	return b, secret
}

// signInTOTP signs in an enrolled account; the clock moves on one step
// first, since each code is accepted once.
func signInTOTP(t *testing.T, env *apptest.Env, login, password string, secret []byte) *apptest.Browser {
	t.Helper()
	env.Clock.Advance(30 * time.Second)
	b := env.Browser()
	p := b.Post("/admin/login", apptest.Form("login", login, "password", password))
	wantStatus(t, "password step of "+login, p, 200, "/admin/login/totp")
	p = b.Post("/admin/login/totp", apptest.Form("code", otp.TOTPCode(secret, env.Clock.Now(), otp.Default)))
	wantStatus(t, "TOTP step of "+login, p, 200, "/admin/")
	return b
}

func adminPath(a workflow.Admin) string { return views.AdminHref(a.ID) }

// eventsAbout counts the activities of event whose details name the admin.
func eventsAbout(t *testing.T, env *apptest.Env, event string, adminID int64) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM activities WHERE event = $1 AND (details->>'admin_id')::bigint = $2`, event, adminID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAdminCreateOwnerWithGeneratedPassword(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	ctx := context.Background()
	tag := apiTag(t)
	vpn, wiki := newResource(t, env, tag+" VPN"), newResource(t, env, tag+" Wiki")
	super := signIn(t, env, workflow.RoleSuperadmin)

	p := super.Get("/admin/admins/new")
	if p.Status != 200 || p.Doc.Find("#login").Length() != 1 || p.Doc.Find("select#role").Length() != 1 ||
		p.Doc.Find(fmt.Sprintf(`input[name="resource_id"][value="%d"]`, vpn.ID)).Length() != 1 {
		t.Fatalf("new admin form: %d\n%s", p.Status, mainText(p))
	}

	// An owner must own a resource; a typed password follows the policy.
	login := tag + "-owner"
	p = super.Post("/admin/admins", apptest.Form("login", login, "role", "owner", "email", login+"@example.com"))
	if p.Status != 422 || p.Text("#resource_id-error") == "" || attrValue(p, "#login") != login {
		t.Fatalf("owner without resources: %d %q", p.Status, p.Text("#resource_id-error"))
	}
	p = super.Post("/admin/admins", apptest.Form("login", login, "role", "owner", "resource_id", fmt.Sprint(vpn.ID), "password", "password1"))
	if p.Status != 422 || p.Text("#password-error") == "" {
		t.Fatalf("weak password: %d %q", p.Status, p.Text("#password-error"))
	}
	if _, err := env.Svc.Store.AdminByLogin(ctx, login); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("a refused form created the admin: %v", err)
	}

	// Empty password: generated, shown once.
	p = super.Post("/admin/admins", url.Values{"login": {login}, "role": {"owner"}, "email": {login + "@example.com"},
		"resource_id": {fmt.Sprint(vpn.ID), fmt.Sprint(wiki.ID)}})
	password := p.Text("#new-password")
	if p.Status != 200 || len(password) < 20 || p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("result page: %d %q %q\n%s", p.Status, password, p.Header.Get("Cache-Control"), mainText(p))
	}
	a, err := env.Svc.Store.AdminByLogin(ctx, login)
	if err != nil || a.Role != workflow.RoleOwner || !slices.Equal(a.OwnedResource, []int64{vpn.ID, wiki.ID}) || a.HasTOTP() {
		t.Fatalf("stored: %+v %v", a, err)
	}
	if eventsAbout(t, env, workflow.EventAdminCreated, a.ID) != 1 {
		t.Fatal("no AdminCreated activity")
	}
	// Never again.
	for _, path := range []string{adminPath(a), "/admin/admins"} {
		if p := super.Get(path); strings.Contains(p.Body, password) {
			t.Fatalf("%s shows the password again", path)
		}
	}
	p = super.Get("/admin/admins")
	row := p.Doc.Find("tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), login) })
	if text := strings.Join(strings.Fields(row.Text()), " "); !strings.Contains(text, "owner") || !strings.Contains(text, vpn.Name) ||
		!strings.Contains(text, wiki.Name) || !strings.Contains(text, "never") {
		t.Fatalf("list row: %q", text)
	}

	// The password works; the new admin enrols TOTP and sees their resources.
	owner, _ := enrolWith(t, env, login, password)
	if p := owner.Get("/admin/resources"); !pageHas(p, "tbody", vpn.Name) || !pageHas(p, "tbody", wiki.Name) {
		t.Fatalf("the new owner's resources: %q", p.Text("tbody"))
	}
	if p := owner.Get("/admin/admins"); p.Status != 403 {
		t.Fatalf("an owner opens admin accounts: %d", p.Status)
	}
	p = super.Get("/admin/admins")
	row = p.Doc.Find("tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), login) })
	if text := strings.Join(strings.Fields(row.Text()), " "); strings.Contains(text, "never") {
		t.Fatalf("list row after the first sign-in: %q", text)
	}
}

func TestAdminCreateTypedPassword(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	super := signIn(t, env, workflow.RoleSuperadmin)
	login := apiTag(t) + "-help"
	p := super.Post("/admin/admins", apptest.Form("login", login, "role", "helpdesk", "password", adminPassword))
	a, err := env.Svc.Store.AdminByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "typed password", p, 200, adminPath(a))
	if strings.Contains(p.Body, adminPassword) || !strings.Contains(flashOf(p), "the password you typed") {
		t.Fatalf("typed password: %q", flashOf(p))
	}
	enrolWith(t, env, login, adminPassword)
	if p := super.Post("/admin/admins", apptest.Form("login", strings.ToUpper(login), "role", "helpdesk")); p.Status != 409 || p.Text("#login-error") == "" {
		t.Fatalf("taken login: %d %q", p.Status, p.Text("#login-error"))
	}
}

func TestAdminRoleChange(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	vpn := newResource(t, env, tag+" VPN")
	u := newUser(t, env, tag+"-user")
	super := signIn(t, env, workflow.RoleSuperadmin)
	help := signIn(t, env, workflow.RoleHelpdesk)
	target := adminOf(t, env, help)
	if p := help.Get(userPath(u) + "/reset-2fa"); p.Status != 200 {
		t.Fatalf("helpdesk before: %d", p.Status)
	}

	p := super.Get(adminPath(target))
	if p.Status != 200 || attrValue(p, `#role option[selected]`) != "helpdesk" {
		t.Fatalf("admin page: %d\n%s", p.Status, mainText(p))
	}
	p = super.Post(adminPath(target), apptest.Form("role", "owner", "email", "x@example.com"))
	if p.Status != 422 || p.Text("#resource_id-error") == "" {
		t.Fatalf("owner without resources: %d", p.Status)
	}
	p = super.Post(adminPath(target), apptest.Form("role", "owner", "email", "x@example.com", "resource_id", fmt.Sprint(vpn.ID)))
	wantStatus(t, "role change", p, 200, adminPath(target))
	if !strings.Contains(flashOf(p), "saved") || p.Doc.Find(fmt.Sprintf(`input[name="resource_id"][value="%d"][checked]`, vpn.ID)).Length() != 1 {
		t.Fatalf("after the change: %q", flashOf(p))
	}
	a, _ := env.Svc.Store.AdminByID(ctx, target.ID)
	if a.Role != workflow.RoleOwner || a.Email != "x@example.com" || !slices.Equal(a.OwnedResource, []int64{vpn.ID}) {
		t.Fatalf("stored: %+v", a)
	}
	if eventsAbout(t, env, workflow.EventAdminUpdated, target.ID) != 1 {
		t.Fatal("no AdminUpdated activity")
	}
	// The new role applies to the signed-in session's next request.
	if p := help.Get(userPath(u) + "/reset-2fa"); p.Status != 403 {
		t.Fatalf("former helpdesk after becoming an owner: %d", p.Status)
	}
	// Back to helpdesk: the owned resources go.
	p = super.Post(adminPath(target), apptest.Form("role", "helpdesk", "email", "x@example.com", "resource_id", fmt.Sprint(vpn.ID)))
	wantStatus(t, "back to helpdesk", p, 200, adminPath(target))
	if a, _ := env.Svc.Store.AdminByID(ctx, target.ID); a.Role != workflow.RoleHelpdesk || len(a.OwnedResource) != 0 {
		t.Fatalf("stored: %+v", a)
	}
}

func TestAdminDisableEndsSessions(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	super := signIn(t, env, workflow.RoleSuperadmin)
	login := apiTag(t) + "-dis"
	target := newAdmin(t, env, login, workflow.RoleHelpdesk)
	b, secret := enrolWith(t, env, login, adminPassword)

	p := super.Post(adminPath(target)+"/disable", nil)
	wantStatus(t, "disable", p, 200, adminPath(target))
	if !pageHas(p, ".page-head", "disabled") || p.Doc.Find(`form[action$="/enable"]`).Length() != 1 {
		t.Fatalf("after disabling:\n%s", mainText(p))
	}
	if eventsAbout(t, env, workflow.EventAdminDisabled, target.ID) != 1 {
		t.Fatal("no AdminDisabled activity")
	}
	// The signed-in session ends at its next request.
	if p := b.Get("/admin/users"); p.URL.Path != "/admin/login" {
		t.Fatalf("disabled admin's session: %d %s", p.Status, p.URL.Path)
	}
	if p := b.Post("/admin/login", apptest.Form("login", login, "password", adminPassword)); p.URL.Path != "/admin/login" || p.Status != 401 {
		t.Fatalf("disabled admin signs in: %d %s", p.Status, p.URL.Path)
	}
	forgiveFailedSignIn(t, env)

	p = super.Post(adminPath(target)+"/enable", nil)
	wantStatus(t, "enable", p, 200, adminPath(target))
	if eventsAbout(t, env, workflow.EventAdminEnabled, target.ID) != 1 {
		t.Fatal("no AdminEnabled activity")
	}
	signInTOTP(t, env, login, adminPassword, secret)
}

func TestAdminResetTOTP(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	super := signIn(t, env, workflow.RoleSuperadmin)
	login := apiTag(t) + "-totp"
	target := newAdmin(t, env, login, workflow.RoleHelpdesk)
	b, _ := enrolWith(t, env, login, adminPassword)

	p := super.Get(adminPath(target) + "/reset-totp")
	if p.Status != 200 || !pageHas(p, ".effects", "Every session of "+login+" ends now") {
		t.Fatalf("confirmation: %d %q", p.Status, p.Text(".effects"))
	}
	p = super.Post(adminPath(target)+"/reset-totp", nil)
	wantStatus(t, "reset TOTP", p, 200, adminPath(target))
	if a, _ := env.Svc.Store.AdminByID(ctx, target.ID); a.HasTOTP() || a.TOTPKeyID != "" || a.TOTPLastStep != 0 {
		t.Fatalf("stored: %+v", a)
	}
	if eventsAbout(t, env, workflow.EventAdminTOTPReset, target.ID) != 1 {
		t.Fatal("no AdminTOTPReset activity")
	}
	if p := b.Get("/admin/"); p.URL.Path != "/admin/login" {
		t.Fatalf("session after the reset: %d %s", p.Status, p.URL.Path)
	}
	// The next sign-in enrols a new authenticator.
	b, secret := enrolWith(t, env, login, adminPassword)
	if p := b.Get("/admin/users"); p.Status != 200 {
		t.Fatalf("after enrolling again: %d", p.Status)
	}
	signInTOTP(t, env, login, adminPassword, secret)
}

func TestAdminResetPassword(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	super := signIn(t, env, workflow.RoleSuperadmin)
	login := apiTag(t) + "-pw"
	target := newAdmin(t, env, login, workflow.RoleHelpdesk)
	b, secret := enrolWith(t, env, login, adminPassword)

	if p := super.Get(adminPath(target) + "/reset-password"); p.Status != 200 || p.Doc.Find(`form[action$="/reset-password"] button`).Length() != 1 {
		t.Fatalf("confirmation: %d", p.Status)
	}
	p := super.Post(adminPath(target)+"/reset-password", nil)
	password := p.Text("#new-password")
	if p.Status != 200 || len(password) < 20 || password == adminPassword {
		t.Fatalf("result: %d %q", p.Status, password)
	}
	if eventsAbout(t, env, workflow.EventAdminPasswordReset, target.ID) != 1 {
		t.Fatal("no AdminPasswordReset activity")
	}
	if p := b.Get("/admin/"); p.URL.Path != "/admin/login" {
		t.Fatalf("session after the reset: %s", p.URL.Path)
	}
	if p := env.Browser().Post("/admin/login", apptest.Form("login", login, "password", adminPassword)); p.URL.Path != "/admin/login" {
		t.Fatalf("old password: %s", p.URL.Path)
	}
	forgiveFailedSignIn(t, env)
	signInTOTP(t, env, login, password, secret)

	// A superadmin resetting their own password stays signed in here.
	me := adminOf(t, env, super)
	p = super.Post(adminPath(me)+"/reset-password", nil)
	if p.Status != 200 || p.Text("#new-password") == "" {
		t.Fatalf("own reset: %d", p.Status)
	}
	if p := super.Get("/admin/admins"); p.Status != 200 || p.URL.Path != "/admin/admins" {
		t.Fatalf("after the own reset: %d %s", p.Status, p.URL.Path)
	}
}

// onlySuperadmin disables every enabled superadmin but keep for the test,
// and enables them again afterwards. The tests of the package run one
// after the other, so none is hurt.
func onlySuperadmin(t *testing.T, env *apptest.Env, keep workflow.Admin) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	if err := env.App.Pool.QueryRow(ctx, `WITH d AS (UPDATE admins SET disabled = true
		WHERE role = 'superadmin' AND NOT disabled AND id <> $1 RETURNING id) SELECT coalesce(array_agg(id), '{}') FROM d`,
		keep.ID).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := env.App.Pool.Exec(ctx, `UPDATE admins SET disabled = false WHERE id = ANY($1)`, ids); err != nil {
			t.Error(err)
		}
	})
}

func TestLastSuperadminStays(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	ctx := context.Background()
	super := signIn(t, env, workflow.RoleSuperadmin)
	me := adminOf(t, env, super)
	onlySuperadmin(t, env, me)

	p := super.Post(adminPath(me)+"/disable", nil)
	if p.Status != 409 || !pageHas(p, ".notice.error", "last enabled superadmin") {
		t.Fatalf("disable the last superadmin: %d\n%s", p.Status, mainText(p))
	}
	p = super.Post(adminPath(me), apptest.Form("role", "helpdesk"))
	if p.Status != 409 || !pageHas(p, ".notice.error", "last enabled superadmin") {
		t.Fatalf("demote the last superadmin: %d\n%s", p.Status, mainText(p))
	}
	if a, _ := env.Svc.Store.AdminByID(ctx, me.ID); a.Disabled || a.Role != workflow.RoleSuperadmin {
		t.Fatalf("stored: %+v", a)
	}
	// A disabled superadmin does not count; an enabled one does.
	other := newAdmin(t, env, apiTag(t)+"-super", workflow.RoleSuperadmin)
	if _, err := env.Svc.SetAdminDisabled(ctx, other.ID, true, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if p := super.Post(adminPath(me), apptest.Form("role", "helpdesk")); p.Status != 409 {
		t.Fatalf("with a disabled second superadmin: %d", p.Status)
	}
	if p := super.Post(adminPath(other)+"/enable", nil); p.Status != 200 {
		t.Fatalf("enable: %d", p.Status)
	}
	p = super.Post(adminPath(me), apptest.Form("role", "helpdesk"))
	wantStatus(t, "demote self", p, 200, "/admin/")
	if !strings.Contains(flashOf(p), "Your role is now helpdesk") {
		t.Fatalf("flash %q", flashOf(p))
	}
	if p := super.Get("/admin/admins"); p.Status != 403 {
		t.Fatalf("after demoting self: %d", p.Status)
	}
}

func TestLastSuperadminConcurrent(t *testing.T) {
	// Serial: it disables every other superadmin for a moment.
	env := apptest.New(t, nil)
	ctx := context.Background()
	tag := apiTag(t)
	a := newAdmin(t, env, tag+"-a", workflow.RoleSuperadmin)
	b := newAdmin(t, env, tag+"-b", workflow.RoleSuperadmin)
	onlySuperadmin(t, env, a)
	if _, err := env.App.Pool.Exec(ctx, `UPDATE admins SET disabled = false WHERE id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	// Each demotes the other at the same time: one of them must stay.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pair := range [][2]workflow.Admin{{a, b}, {b, a}} {
		wg.Go(func() {
			_, errs[i] = env.Svc.UpdateAdminAccount(ctx, pair[1].ID, workflow.AdminAccount{Role: workflow.RoleHelpdesk},
				workflow.Actor{Type: workflow.ActorAdmin, ID: pair[0].ID, Name: pair[0].Login}, workflow.Meta{})
		})
	}
	wg.Wait()
	var supers int
	if err := env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM admins WHERE role = 'superadmin' AND NOT disabled`).Scan(&supers); err != nil {
		t.Fatal(err)
	}
	if supers != 1 || (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("enabled superadmins %d, errors %v", supers, errs)
	}
}
