package admin_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

func TestUserCreate(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)

	p := b.Get("/admin/users/new")
	wantStatus(t, "new user page", p, 200, "/admin/users/new")
	if p.Doc.Find(`label[for=login]`).Length() != 1 || p.Doc.Find("fieldset legend").Length() < 2 {
		t.Fatal("the form lacks labels or fieldsets")
	}

	// Every problem is shown next to its field, and the input is kept.
	p = b.Post("/admin/users", apptest.Form("login", "-bad login", "first_name", "Jane", "email", "not-an-email",
		"phone", "12ab", "password", "short", "language", "de"))
	wantStatus(t, "invalid user", p, 422, "/admin/users")
	for _, f := range []string{"login", "email", "phone", "password"} {
		if p.Text("#"+f+"-error") == "" {
			t.Errorf("no error next to %s", f)
		}
		if d, _ := p.Doc.Find("#" + f).Attr("aria-describedby"); !strings.Contains(d, f+"-error") {
			t.Errorf("%s is not described by its error: %q", f, d)
		}
	}
	if attrValue(p, "#email") != "not-an-email" || attrValue(p, "#first_name") != "Jane" || attrValue(p, "#login") != "-bad login" {
		t.Error("the input was not kept")
	}
	if attrValue(p, "#password") != "" {
		t.Error("the password was sent back")
	}
	if v, _ := p.Doc.Find("#language option[selected]").Attr("value"); v != "de" {
		t.Errorf("language not kept: %q", v)
	}

	p = b.Post("/admin/users", apptest.Form("login", "jane.doe", "first_name", "Jane", "last_name", "Doe",
		"email", "jane@example.com", "phone", "+31 6 1234-5678", "password", adminPassword, "language", "nl"))
	if p.Status != 200 || !strings.HasPrefix(p.URL.Path, "/admin/users/") || !strings.Contains(flashOf(p), "jane.doe was created") {
		t.Fatalf("create: %d %s %q", p.Status, p.URL.Path, flashOf(p))
	}
	u, err := env.Svc.Store.UserByLogin(context.Background(), "jane.doe")
	if err != nil {
		t.Fatal(err)
	}
	if u.Phone != "+31612345678" || u.Language != "nl" || u.PasswordHash == "" || u.LastName != "Doe" {
		t.Fatalf("stored user: %+v", u)
	}
	if p.Text("h1") != "User jane.doe" {
		t.Fatalf("detail page h1 %q", p.Text("h1"))
	}

	// Logins are unique without regard to case.
	p = b.Post("/admin/users", apptest.Form("login", "JANE.DOE", "language", "en"))
	if p.Status != 409 || !strings.Contains(p.Text("#login-error"), "already exists") {
		t.Fatalf("duplicate login: %d %q", p.Status, p.Text("#login-error"))
	}
	// No password is fine.
	p = b.Post("/admin/users", apptest.Form("login", "no.password", "language", "en"))
	wantStatus(t, "user without password", p, 200, "")
}

func TestUserSearchAndPaging(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	b := signIn(t, env, workflow.RoleHelpdesk)
	for i := 1; i <= 60; i++ {
		u := workflow.User{Login: fmt.Sprintf("page-%03d", i), LastName: "Pager", Language: "en"}
		if err := env.Svc.Store.CreateUser(context.Background(), &u); err != nil {
			t.Fatal(err)
		}
	}
	newUser(t, env, "zz-other")

	p := b.Get("/admin/users?q=page-")
	wantStatus(t, "first page", p, 200, "/admin/users")
	if n := tableRows(p); n != 50 {
		t.Fatalf("first page has %d rows", n)
	}
	if !pageHas(p, ".pager", "60 users") || p.Doc.Find(`.pager a:contains("First page")`).Length() != 0 {
		t.Fatalf("pager: %q", p.Text(".pager"))
	}
	if first := p.Text("tbody tr:first-child th"); first != "page-001" {
		t.Fatalf("first row %q", first)
	}
	next, ok := p.Doc.Find(`.pager a[rel=next]`).Attr("href")
	if !ok {
		t.Fatal("no Next page link")
	}
	p = b.Get(next)
	if n := tableRows(p); n != 10 || p.Text("tbody tr:first-child th") != "page-051" {
		t.Fatalf("second page: %d rows from %q", n, p.Text("tbody tr:first-child th"))
	}
	if p.Doc.Find(`.pager a[rel=next]`).Length() != 0 || p.Doc.Find(`.pager a:contains("First page")`).Length() != 1 {
		t.Fatalf("second page pager: %q", p.Text(".pager"))
	}
	if v := attrValue(p, "#q"); v != "page-" {
		t.Fatalf("the search was not kept on page 2: %q", v)
	}

	// Prefix of login, of last name, of email; case does not matter.
	for q, want := range map[string]int{"PAGE-05": 10, "pager": 60, "zz-other@": 1, "nobody": 0} {
		p := b.Get("/admin/users?q=" + url.QueryEscape(q))
		if n := tableRows(p); n != min(want, 50) || !pageHas(p, ".pager", fmt.Sprintf("%d user", want)) {
			t.Errorf("q=%s: %d rows, pager %q", q, n, p.Text(".pager"))
		}
	}

	// The resource filter.
	r := newResource(t, env, "Paging VPN")
	for _, login := range []string{"page-007", "page-042"} {
		u, _ := env.Svc.Store.UserByLogin(context.Background(), login)
		if err := env.Svc.AssignUser(context.Background(), r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	p = b.Get(fmt.Sprintf("/admin/users?resource_id=%d", r.ID))
	if tableRows(p) != 2 || p.Text("tbody tr:first-child th") != "page-007" {
		t.Fatalf("resource filter: %d rows", tableRows(p))
	}
	if v, _ := p.Doc.Find("#filter-resource option[selected]").Attr("value"); v != fmt.Sprint(r.ID) {
		t.Fatalf("selected resource %q", v)
	}
	// The helpdesk may not create users: no button.
	if p.Doc.Find(`a[href="/admin/users/new"]`).Length() != 0 {
		t.Error("helpdesk sees New user")
	}
}

func TestUserEdit(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	u := newUser(t, env, "edit.me")

	p := b.Get(userPath(u))
	wantStatus(t, "user page", p, 200, userPath(u))
	if attrValue(p, "#email") != "edit.me@example.com" || attrValue(p, "#login") != "edit.me" {
		t.Fatal("the form does not show the user")
	}

	form := apptest.Form("login", "edited", "first_name", "Eddie", "last_name", "Ted", "email", "eddie@example.com",
		"phone", "0031 (6) 1234 5678", "valid_until", "2030-12-31", "temporary_until", "2030-01-02T03:04",
		"password_never_expires", "1", "disabled", "1", "language", "de")
	p = b.Post(userPath(u), form)
	wantStatus(t, "save", p, 200, userPath(u))
	if !strings.Contains(flashOf(p), "saved") || !pageHas(p, ".page-head", "disabled") {
		t.Fatalf("after save: %q / %q", flashOf(p), p.Text(".page-head"))
	}
	got, _ := env.Svc.Store.UserByID(context.Background(), u.ID)
	if got.Login != "edited" || got.Phone != "+31612345678" || got.Language != "de" || !got.Disabled || !got.PasswordNeverExpires ||
		got.ValidUntil == nil || got.ValidUntil.Format("2006-01-02") != "2030-12-31" ||
		got.TemporaryUntil == nil || !got.TemporaryUntil.Equal(time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)) {
		t.Fatalf("stored: %+v", got)
	}
	if attrValue(p, "#phone") != "+31612345678" || attrValue(p, "#temporary_until") != "2030-01-02T03:04" || attrValue(p, "#valid_until") != "2030-12-31" {
		t.Fatalf("form after save: phone %q temporary %q", attrValue(p, "#phone"), attrValue(p, "#temporary_until"))
	}

	// A wrong field: 422, the message next to it, nothing stored.
	form.Set("email", "eddie@")
	form.Set("first_name", "Changed")
	p = b.Post(userPath(u), form)
	if p.Status != 422 || p.Text("#email-error") == "" || attrValue(p, "#first_name") != "Changed" {
		t.Fatalf("invalid edit: %d %q", p.Status, p.Text("#email-error"))
	}
	if got, _ := env.Svc.Store.UserByID(context.Background(), u.ID); got.FirstName != "Eddie" {
		t.Fatal("an invalid edit was stored")
	}

	// Setting and removing a password.
	form.Set("email", "eddie@example.com")
	form.Set("password", adminPassword)
	b.Post(userPath(u), form)
	if got, _ := env.Svc.Store.UserByID(context.Background(), u.ID); got.PasswordHash == "" {
		t.Fatal("password not set")
	}
	form.Del("password")
	form.Set("clear_password", "1")
	b.Post(userPath(u), form)
	if got, _ := env.Svc.Store.UserByID(context.Background(), u.ID); got.PasswordHash != "" {
		t.Fatal("password not removed")
	}
}

func TestUserResources(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	u := newUser(t, env, "assign.me")
	r := newResource(t, env, "Assign VPN")
	newResource(t, env, "Assign Citrix")

	p := b.Get(userPath(u))
	if p.Doc.Find(fmt.Sprintf(`#assign-resource option[value="%d"]`, r.ID)).Length() != 1 {
		t.Fatal("the resource is not offered")
	}
	p = b.Post(userPath(u)+"/assign", apptest.Form("resource_id", fmt.Sprint(r.ID)))
	wantStatus(t, "assign", p, 200, userPath(u))
	if !strings.Contains(flashOf(p), "now assigned to Assign VPN") || !pageHas(p, ".item-list", "Assign VPN") {
		t.Fatalf("after assign: %q", flashOf(p))
	}
	if p.Doc.Find(fmt.Sprintf(`#assign-resource option[value="%d"]`, r.ID)).Length() != 0 {
		t.Fatal("an assigned resource is offered again")
	}
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, u.ID); !ok {
		t.Fatal("not assigned")
	}
	p = b.Post(userPath(u)+"/assign", apptest.Form("resource_id", ""))
	if p.Status != 422 || p.Text("#assign-resource-error") == "" {
		t.Fatalf("assign without resource: %d", p.Status)
	}

	// Removing asks first, saying what happens.
	serial := "UIRES01"
	importHOTP(t, env, serial)
	giveToken(t, env, serial, u, r)
	p = b.Get(fmt.Sprintf("%s/unassign?resource_id=%d", userPath(u), r.ID))
	wantStatus(t, "unassign confirmation", p, 200, "")
	if !strings.Contains(p.Text("h1"), "Remove assign.me from Assign VPN") || !pageHas(p, ".effects", "assign.me's 1 token on Assign VPN leaves") {
		t.Fatalf("confirmation: %q %q", p.Text("h1"), p.Text(".effects"))
	}
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, u.ID); !ok {
		t.Fatal("the confirmation page changed something")
	}
	p = b.Post(userPath(u)+"/unassign", apptest.Form("resource_id", fmt.Sprint(r.ID)))
	wantStatus(t, "unassign", p, 200, userPath(u))
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, u.ID); ok {
		t.Fatal("still assigned")
	}
	tok, _ := env.Svc.Store.TokenBySerial(context.Background(), serial)
	if tok.ResourceID != nil || tok.UserID == nil {
		t.Fatalf("token after unassign: resource %v user %v", tok.ResourceID, tok.UserID)
	}
	// Not assigned any more: nothing to confirm.
	if p := b.Get(fmt.Sprintf("%s/unassign?resource_id=%d", userPath(u), r.ID)); p.Status != 404 {
		t.Fatalf("confirmation of a missing assignment: %d", p.Status)
	}
}

func TestUserUnlock(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleHelpdesk)
	u := newUser(t, env, "locked.out")
	if _, err := env.App.Pool.Exec(context.Background(), `UPDATE users SET failed_logins = 10, locked_until = $2 WHERE id = $1`,
		u.ID, env.Clock.Now().Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	p := b.Get("/admin/users?q=locked.out")
	if !pageHas(p, "tbody", "locked") {
		t.Fatalf("list status: %q", p.Text("tbody"))
	}
	p = b.Get(userPath(u))
	if p.Doc.Find(`form[action$="/unlock"] button`).Length() != 1 || !pageHas(p, ".facts", "Yes, until") {
		t.Fatal("no Unlock button for a locked user")
	}
	p = b.Post(userPath(u)+"/unlock", nil)
	wantStatus(t, "unlock", p, 200, userPath(u))
	if !strings.Contains(flashOf(p), "unlocked") || p.Doc.Find(`form[action$="/unlock"]`).Length() != 0 {
		t.Fatalf("after unlock: %q", flashOf(p))
	}
	got, _ := env.Svc.Store.UserByID(context.Background(), u.ID)
	if got.FailedLogins != 0 || got.LockedUntil != nil {
		t.Fatalf("still locked: %+v", got)
	}
}

func TestUserReset2FA(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleHelpdesk)
	u := newUser(t, env, "reset.me")
	r := newResource(t, env, "Reset VPN")
	for _, s := range []string{"UIRST01", "UIRST02"} {
		importHOTP(t, env, s)
		giveToken(t, env, s, u, r)
	}

	p := b.Get(userPath(u) + "/reset-2fa")
	wantStatus(t, "reset confirmation", p, 200, "")
	for _, want := range []string{"UIRST01", "UIRST02", "recovery codes", "remembered devices"} {
		if !pageHas(p, ".effects", want) {
			t.Errorf("confirmation does not mention %s: %q", want, p.Text(".effects"))
		}
	}
	p = b.Post(userPath(u)+"/reset-2fa", nil)
	wantStatus(t, "reset", p, 200, userPath(u))
	if !strings.Contains(flashOf(p), "2 tokens were disabled") {
		t.Fatalf("flash %q", flashOf(p))
	}
	for _, s := range []string{"UIRST01", "UIRST02"} {
		tok, _ := env.Svc.Store.TokenBySerial(context.Background(), s)
		if tok.Enabled || tok.UserID != nil || tok.ResourceID != nil {
			t.Fatalf("%s after reset: enabled %v user %v resource %v", s, tok.Enabled, tok.UserID, tok.ResourceID)
		}
	}
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, u.ID); !ok {
		t.Fatal("reset 2FA removed the assignment")
	}
	// The same events as the same change anywhere else, in its transaction.
	var disabled, unassigned, reset int
	if err := env.App.Pool.QueryRow(context.Background(), `SELECT
		count(*) FILTER (WHERE event = 'TokenDisabled' AND details->>'serial' IN ('UIRST01', 'UIRST02')),
		count(*) FILTER (WHERE event = 'TokenUnassigned' AND details->>'serial' IN ('UIRST01', 'UIRST02')),
		count(*) FILTER (WHERE event = 'UserTwoFactorReset')
		FROM activities WHERE user_id = $1`, u.ID).Scan(&disabled, &unassigned, &reset); err != nil {
		t.Fatal(err)
	}
	if disabled != 2 || unassigned != 2 || reset != 1 {
		t.Fatalf("events: %d TokenDisabled, %d TokenUnassigned, %d UserTwoFactorReset", disabled, unassigned, reset)
	}
}

func TestUserDelete(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	u := newUser(t, env, "delete.me")
	importHOTP(t, env, "UIDEL01")
	giveToken(t, env, "UIDEL01", u, newResource(t, env, "Delete VPN"))

	p := b.Get(userPath(u) + "/delete")
	if p.Status != 200 || !pageHas(p, ".effects", "Its 1 token goes back to stock") {
		t.Fatalf("confirmation: %d %q", p.Status, p.Text(".effects"))
	}
	p = b.Post(userPath(u)+"/delete", nil)
	wantStatus(t, "delete", p, 200, "/admin/users")
	if !strings.Contains(flashOf(p), "delete.me was deleted") {
		t.Fatalf("flash %q", flashOf(p))
	}
	if _, err := env.Svc.Store.UserByID(context.Background(), u.ID); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("user still there: %v", err)
	}
	if tok, _ := env.Svc.Store.TokenBySerial(context.Background(), "UIDEL01"); tok.Enabled || tok.UserID != nil {
		t.Fatal("the token did not go back to stock, disabled")
	}
	if p := b.Get(userPath(u)); p.Status != 404 {
		t.Fatalf("deleted user's page: %d", p.Status)
	}
}

func TestUserRoles(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	u := newUser(t, env, "role.target")

	help := signIn(t, env, workflow.RoleHelpdesk)
	if p := help.Post("/admin/users", apptest.Form("login", "by.helpdesk")); p.Status != 403 {
		t.Fatalf("helpdesk create: %d", p.Status)
	}
	if p := help.Get("/admin/users/new"); p.Status != 403 {
		t.Fatalf("helpdesk new user page: %d", p.Status)
	}
	// The helpdesk edits contact data; other fields are not theirs to change.
	p := help.Get(userPath(u))
	if p.Doc.Find("#login").Length() != 0 || p.Doc.Find("#phone").Length() != 1 || p.Doc.Find(`a[href$="/delete"]`).Length() != 0 {
		t.Fatal("helpdesk form shows account fields or Delete")
	}
	// A form with account fields is refused whole, as the API refuses it.
	p = help.Post(userPath(u), apptest.Form("login", "hijacked", "disabled", "1", "first_name", "Rolf", "last_name", "Target",
		"email", "rolf@example.com", "phone", "+49 30 1234567", "language", "de"))
	if got, _ := env.Svc.Store.UserByID(context.Background(), u.ID); p.Status != 403 || got.Login != "role.target" || got.FirstName == "Rolf" {
		t.Fatalf("helpdesk edit of account fields: %d, user %+v", p.Status, got)
	}
	p = help.Post(userPath(u), apptest.Form("first_name", "Rolf", "last_name", "Target",
		"email", "rolf@example.com", "phone", "+49 30 1234567", "language", "de"))
	wantStatus(t, "helpdesk edit", p, 200, userPath(u))
	got, _ := env.Svc.Store.UserByID(context.Background(), u.ID)
	if got.Login != "role.target" || got.Disabled || got.FirstName != "Rolf" || got.Phone != "+49301234567" || got.Language != "de" {
		t.Fatalf("after helpdesk edit: %+v", got)
	}
	if p := help.Post(userPath(u)+"/delete", nil); p.Status != 403 {
		t.Fatalf("helpdesk delete: %d", p.Status)
	}

	// An owner reads the users of the resources they own.
	owner := signIn(t, env, workflow.RoleOwner)
	owned := newResource(t, env, "Role VPN")
	if err := env.Svc.AssignUser(context.Background(), owned.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	ownResource(t, env, owner, owned)
	if p := owner.Get(userPath(u)); p.Status != 200 || p.Doc.Find("form[action=\""+userPath(u)+"\"]").Length() != 0 {
		t.Fatalf("owner reads the user: %d, without a form", p.Status)
	}
	if p := owner.Post(userPath(u), apptest.Form("first_name", "Owned")); p.Status != 403 {
		t.Fatalf("owner edit: %d", p.Status)
	}
	for _, path := range []string{"/unlock", "/reset-2fa"} {
		if p := owner.Post(userPath(u)+path, nil); p.Status != 403 {
			t.Errorf("owner POST %s: %d", path, p.Status)
		}
	}
	if got, _ := env.Svc.Store.UserByID(context.Background(), u.ID); got.FirstName != "Rolf" {
		t.Fatal("the owner changed the user")
	}
	if activityEvents(t, env)[workflow.EventAccessDenied] == 0 {
		t.Fatal("no AccessDenied activity")
	}
}
