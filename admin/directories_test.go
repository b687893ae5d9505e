package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// What is tested here is the console around the directories; the tests
// against a real slapd are admin/api_directories_ldap_test.go and those of
// workflow and workflow/ldap. Test and sync meet a closed port here.

const dirBindPassword = "bind-Secret-4711"

// newDirectory connects a directory through the service.
func newDirectory(t *testing.T, env *apptest.Env, name string) workflow.Directory {
	t.Helper()
	d, err := env.Svc.CreateDirectory(context.Background(), workflow.DirectoryInput{Name: name, URL: "ldap://127.0.0.1:1",
		BindDN: "cn=x,dc=example,dc=org", BindPassword: dirBindPassword, BaseDN: "dc=example,dc=org"},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// linkUser makes u a user of directory d, as a sync would have.
func linkUser(t *testing.T, env *apptest.Env, d workflow.Directory, u workflow.User) {
	t.Helper()
	if _, err := env.App.Pool.Exec(context.Background(), "UPDATE users SET directory_id = $1, external_id = $2 WHERE id = $3",
		d.ID, "ext-"+u.Login, u.ID); err != nil {
		t.Fatal(err)
	}
}

// rowNamed is the text of the first table's row whose heading is name.
func rowNamed(p *apptest.Page, name string) string {
	return p.Doc.Find("table tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("th").Text()) == name
	}).Text()
}

func directoryForm(name string) url.Values {
	return url.Values{"name": {name}, "kind": {"ldap"}, "url": {"ldap://ldap.example.org:389"},
		"bind_dn": {"cn=tokenportal,dc=example,dc=org"}, "bind_password": {dirBindPassword},
		"base_dn": {"ou=people,dc=example,dc=org"}, "sync_interval": {"1h"}}
}

func TestDirectoriesCreateEditDelete(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	r := newResource(t, env, tag+" Dir VPN")
	b := signIn(t, env, workflow.RoleSuperadmin)

	p := b.Get("/admin/")
	if p.Doc.Find(`nav.admin-nav a[href="/admin/directories"]`).Length() != 1 {
		t.Fatal("no Directories entry in the navigation")
	}
	p = b.Get("/admin/directories/new")
	wantStatus(t, "new", p, 200, "/admin/directories/new")
	pw := p.Doc.Find(`input[name="bind_password"]`)
	if pw.AttrOr("type", "") != "password" || pw.AttrOr("autocomplete", "") != "new-password" {
		t.Fatalf("bind password input: %v", pw.Nodes)
	}
	for _, name := range []string{"name", "kind", "url", "start_tls", "ca_pem", "bind_dn", "bind_password", "base_dn",
		"user_filter", "attributes.login", "attributes.email", "attributes.phone", "attributes.first_name",
		"attributes.last_name", "attributes.id", "disabled_filter", "nested_groups", "sync_interval",
		"groups.0.group_dn", "groups.0.resource_id", "groups.2.group_dn"} {
		if p.Doc.Find(`label[for="`+name+`"]`).Length() != 1 || p.Doc.Find(`[name="`+name+`"]`).Length() != 1 {
			t.Errorf("the %s input is missing or has no label", name)
		}
	}
	if p.Doc.Find(`[name="groups.3.group_dn"]`).Length() != 0 {
		t.Error("a new directory shows more than 3 group rows")
	}

	// Invalid: the form comes back with the field errors and what was
	// typed, without the password.
	form := directoryForm("")
	form.Set("sync_interval", "soon")
	form.Set("groups.0.group_dn", "cn=vpn,dc=example,dc=org")
	form.Set("groups.0.resource_id", "")
	p = b.Post("/admin/directories", form)
	wantStatus(t, "invalid", p, 422, "/admin/directories")
	if !pageHas(p, `[id="name-error"]`, "name") || !pageHas(p, `[id="sync_interval-error"]`, "duration") ||
		!pageHas(p, `[id="groups.0.resource_id-error"]`, "resource") {
		t.Fatalf("field errors not shown: %s", mainText(p))
	}
	if attrValue(p, `input[name="sync_interval"]`) != "soon" || attrValue(p, `input[name="url"]`) != "ldap://ldap.example.org:389" ||
		attrValue(p, `input[name="groups.0.group_dn"]`) != "cn=vpn,dc=example,dc=org" {
		t.Fatal("the typed values were not kept")
	}
	if strings.Contains(p.Body, dirBindPassword) {
		t.Fatal("the form shows the bind password back")
	}
	if p.Doc.Find(`input[name="sync_interval"]`).AttrOr("aria-describedby", "") != "sync_interval-hint sync_interval-error" {
		t.Error("the sync interval's hint and error are not linked")
	}

	// Valid, with a group.
	name := "Corp " + tag
	form = directoryForm(name)
	form.Set("groups.0.group_dn", "cn=vpn,dc=example,dc=org")
	form.Set("groups.0.resource_id", fmt.Sprint(r.ID))
	p = b.Post("/admin/directories", form)
	wantStatus(t, "create", p, 200, "/admin/directories")
	if !strings.Contains(flashOf(p), name) || !pageHas(p, "table tbody", name) || strings.Contains(p.Body, dirBindPassword) {
		t.Fatalf("after create: %q %s", flashOf(p), mainText(p))
	}
	row := rowNamed(p, name)
	if !strings.Contains(row, "passwords travel unencrypted") || !strings.Contains(row, "every 1h") ||
		!strings.Contains(row, "Never") {
		t.Fatalf("row: %q", row)
	}
	var d workflow.Directory
	list, err := env.Svc.Store.Directories(ctx)
	for _, x := range list {
		if x.Name == name {
			d = x
		}
	}
	if err != nil || d.ID == 0 || len(d.Groups) != 1 || d.Groups[0].ResourceID != r.ID || d.Attributes.Login != "uid" {
		t.Fatalf("stored: %+v %v", d, err)
	}
	var sealed []byte
	if err := env.App.Pool.QueryRow(ctx, "SELECT bind_password FROM directories WHERE id = $1", d.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || bytes.Contains(sealed, []byte(dirBindPassword)) {
		t.Fatal("the bind password is stored in clear")
	}

	// Edit: filled from the stored directory, never the password; an empty
	// password keeps the stored one.
	p = b.Get(views.DirectoryHref(d.ID))
	wantStatus(t, "edit", p, 200, views.DirectoryHref(d.ID))
	if attrValue(p, `input[name="bind_password"]`) != "" || strings.Contains(p.Body, dirBindPassword) ||
		!pageHas(p, `[id="bind_password-hint"]`, "Leave empty to keep the stored password") {
		t.Fatalf("edit form password: %s", mainText(p))
	}
	if attrValue(p, `input[name="groups.0.group_dn"]`) != "cn=vpn,dc=example,dc=org" ||
		p.Doc.Find(`[name="groups.3.group_dn"]`).Length() != 1 || attrValue(p, `input[name="attributes.email"]`) != "mail" ||
		attrValue(p, `input[name="sync_interval"]`) != "1h" {
		t.Fatal("the edit form is not filled from the directory")
	}
	form = formValues(p, "main form")
	form.Set("url", "ldaps://ldap.example.org:636")
	form.Set("groups.0.group_dn", "") // the row removed
	form.Set("groups.0.resource_id", "")
	p = b.Post(views.DirectoryHref(d.ID), form)
	wantStatus(t, "update", p, 200, "/admin/directories")
	if row := rowNamed(p, name); row == "" || strings.Contains(row, "passwords travel unencrypted") {
		t.Fatal("ldaps:// is still shown as unencrypted")
	}
	opened, err := env.Svc.Store.DirectoryByID(ctx, d.ID)
	if err != nil || opened.URL != "ldaps://ldap.example.org:636" || len(opened.Groups) != 0 {
		t.Fatalf("updated: %+v %v", opened, err)
	}
	pwOf := func() string {
		got, err := env.Svc.Sealer.Open(opened.SealedPassword, opened.KeyID, "directory bind password")
		if err != nil {
			t.Fatal(err)
		}
		return string(got)
	}
	if pwOf() != dirBindPassword {
		t.Fatal("an empty password field changed the stored password")
	}

	// Test and sync of a directory that does not answer: the list says why.
	form.Set("url", "ldap://127.0.0.1:1")
	p = b.Post(views.DirectoryHref(d.ID), form)
	wantStatus(t, "update", p, 200, "/admin/directories")
	p = b.Post(views.DirectoryHref(d.ID)+"/test", nil)
	wantStatus(t, "test", p, 200, "/admin/directories")
	if !pageHas(p, ".notice.error", "cannot connect to ldap://127.0.0.1:1") {
		t.Fatalf("test flash: %s", mainText(p))
	}
	p = b.Post(views.DirectoryHref(d.ID)+"/sync", nil)
	wantStatus(t, "sync", p, 200, "/admin/directories")
	if !pageHas(p, ".notice.error", "The sync failed; nothing was changed") {
		t.Fatalf("sync flash: %s", mainText(p))
	}

	// Delete: its users stay, detached and disabled.
	u := newUser(t, env, "dir-user-"+tag)
	linkUser(t, env, d, u)
	del := views.DirectoryHref(d.ID) + "/delete"
	p = b.Get(del)
	wantStatus(t, "confirm", p, 200, del)
	if !pageHas(p, ".effects", "1 user of "+name) || !pageHas(p, ".effects", "detached") || !pageHas(p, ".effects", "disabled") ||
		!pageHas(p, ".effects", "ordinary") {
		t.Fatalf("confirmation: %s", mainText(p))
	}
	p = b.Post(del, nil)
	wantStatus(t, "delete", p, 200, "/admin/directories")
	if !strings.Contains(flashOf(p), "1 user was detached and disabled") || rowNamed(p, name) != "" {
		t.Fatalf("after delete: %q", flashOf(p))
	}
	after, err := env.Svc.Store.UserByID(ctx, u.ID)
	if err != nil || after.FromDirectory() || !after.Disabled {
		t.Fatalf("the user after the delete: %+v %v", after, err)
	}
	if got := activityEvents(t, env); got[workflow.EventDirectoryCreated] < 1 || got[workflow.EventDirectoryUpdated] < 1 ||
		got[workflow.EventDirectoryDeleted] < 1 {
		t.Fatalf("activities: %v", got)
	}
}

func TestDirectoriesOnlyForSuperadmins(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleHelpdesk)
	if p := b.Get("/admin/directories"); p.Status != 403 {
		t.Fatalf("helpdesk: %d", p.Status)
	}
	if p := b.Get("/admin/"); p.Doc.Find(`a[href="/admin/directories"]`).Length() != 0 {
		t.Fatal("the helpdesk sees the Directories entry")
	}
}

func TestUsersSourceColumnAndFilter(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	tag := apiTag(t)
	d := newDirectory(t, env, "Source "+tag)
	local := newUser(t, env, "src-local-"+tag)
	linked := newUser(t, env, "src-dir-"+tag)
	linkUser(t, env, d, linked)
	b := signIn(t, env, workflow.RoleHelpdesk)

	rowOf := rowNamed
	p := b.Get("/admin/users?q=src-")
	if !pageHas(p, "table thead", "Source") || !strings.Contains(rowOf(p, local.Login), "tokenportal") ||
		!strings.Contains(rowOf(p, linked.Login), d.Name) {
		t.Fatalf("source column: %s", p.Text("table"))
	}
	if p.Doc.Find(`select[name="source"] option[value="local"]`).Length() != 1 ||
		p.Doc.Find(fmt.Sprintf(`select[name="source"] option[value="%d"]`, d.ID)).Length() != 1 {
		t.Fatal("the source filter lacks its choices")
	}
	p = b.Get(fmt.Sprintf("/admin/users?q=src-&source=%d", d.ID))
	if rowOf(p, linked.Login) == "" || rowOf(p, local.Login) != "" {
		t.Fatalf("directory filter: %s", p.Text("table"))
	}
	if p.Doc.Find(fmt.Sprintf(`select[name="source"] option[value="%d"][selected]`, d.ID)).Length() != 1 {
		t.Fatal("the chosen source is not kept")
	}
	p = b.Get("/admin/users?q=src-&source=local")
	if rowOf(p, linked.Login) != "" || rowOf(p, local.Login) == "" {
		t.Fatalf("local filter: %s", p.Text("table"))
	}
}

// The source filter is kept across pages.
func TestUsersSourceFilterPages(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	tag := apiTag(t)
	d := newDirectory(t, env, "Pages "+tag)
	for i := range 55 {
		linkUser(t, env, d, newUser(t, env, fmt.Sprintf("pg-%s-%02d", tag, i)))
	}
	b := signIn(t, env, workflow.RoleSuperadmin)
	p := b.Get(fmt.Sprintf("/admin/users?q=pg-%s&source=%d", tag, d.ID))
	next := p.Doc.Find(`.pager a[rel="next"]`).AttrOr("href", "")
	if !strings.Contains(next, fmt.Sprintf("source=%d", d.ID)) {
		t.Fatalf("next page link %q does not keep the source", next)
	}
}

func TestDirectoryUserPage(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	d := newDirectory(t, env, "People "+tag)
	u := newUser(t, env, "dpage-"+tag)
	linkUser(t, env, d, u)
	if _, err := env.App.Pool.Exec(ctx, `UPDATE users SET password_never_expires = true WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}

	for _, role := range []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk} {
		b := signIn(t, env, role)
		p := b.Get(userPath(u))
		wantStatus(t, string(role), p, 200, userPath(u))
		if !pageHas(p, "main", "Directory "+d.Name) || !pageHas(p, "main", "Checked by "+d.Name) {
			t.Fatalf("%s: source not shown: %s", role, mainText(p))
		}
		for _, name := range []string{"email", "phone", "first_name", "last_name"} {
			in := p.Doc.Find(`form input[name="` + name + `"]`)
			if _, ro := in.Attr("readonly"); in.Length() != 1 || !ro {
				t.Errorf("%s: %s is not read-only", role, name)
			}
			if !pageHas(p, "#"+name+"-hint", "Managed by "+d.Name) {
				t.Errorf("%s: %s has no managed-by note", role, name)
			}
		}
		if p.Doc.Find(`input[name="password"], input[name="clear_password"]`).Length() != 0 {
			t.Errorf("%s: the page offers password fields", role)
		}
		if role == workflow.RoleSuperadmin {
			if _, ro := p.Doc.Find(`input[name="login"]`).Attr("readonly"); !ro {
				t.Error("the login is not read-only")
			}
			// Saving the form as it is works: the managed fields are sent
			// unchanged.
			saved := b.Post(userPath(u), formValues(p, "main form[action=\""+userPath(u)+"\"]"))
			wantStatus(t, "save as is", saved, 200, userPath(u))
			// The product's password settings mean nothing for a directory's
			// password: not offered, and kept as they are.
			if p.Doc.Find(`input[type=checkbox][name="password_never_expires"], input[type=datetime-local][name="temporary_until"]`).Length() != 0 {
				t.Error("the page offers the product's password settings for a directory user")
			}
			if kept, err := env.Svc.Store.UserByID(ctx, u.ID); err != nil || !kept.PasswordNeverExpires {
				t.Fatalf("saving the page changed the password settings: %+v %v", kept, err)
			}
		}

		form := formValues(p, "main form[action=\""+userPath(u)+"\"]")
		form.Set("email", "changed-"+tag+"@example.com")
		p = b.Post(userPath(u), form)
		wantStatus(t, string(role)+" change email", p, 422, userPath(u))
		if !pageHas(p, "#email-error", "Managed by "+d.Name+"; change it there.") {
			t.Fatalf("%s: no field error: %s", role, mainText(p))
		}
		after, err := env.Svc.Store.UserByID(ctx, u.ID)
		if err != nil || after.Email != u.Email {
			t.Fatalf("%s: the email changed: %q %v", role, after.Email, err)
		}
	}

	// A user made in tokenportal keeps editable fields and password fields.
	local := newUser(t, env, "dpage-local-"+tag)
	p := signIn(t, env, workflow.RoleSuperadmin).Get(userPath(local))
	if _, ro := p.Doc.Find(`input[name="email"]`).Attr("readonly"); ro || p.Doc.Find(`input[name="password"]`).Length() != 1 ||
		!pageHas(p, "main", "Made in tokenportal") {
		t.Fatalf("local user page: %s", mainText(p))
	}
}

// The list shows the last sync: its time, outcome, counts and the first
// problems.
func TestDirectoriesLastSync(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	ok, failed := newDirectory(t, env, "Synced "+tag), newDirectory(t, env, "Broken "+tag)
	run := workflow.DirectorySyncRun{At: env.Clock.Now(), OK: true,
		Counts: workflow.DirectorySyncCounts{Created: 3, Updated: 2, Disabled: 1, Assigned: 4, Skipped: 25}}
	for i := range 25 {
		run.Problems = append(run.Problems, fmt.Sprintf("problem-%02d", i))
	}
	if err := env.Svc.Store.FinishDirectorySync(ctx, ok.ID, run); err != nil {
		t.Fatal(err)
	}
	if err := env.Svc.Store.FinishDirectorySync(ctx, failed.ID, workflow.DirectorySyncRun{At: env.Clock.Now(),
		Error: "the bind was refused"}); err != nil {
		t.Fatal(err)
	}
	p := signIn(t, env, workflow.RoleSuperadmin).Get("/admin/directories")
	row := rowNamed(p, ok.Name)
	for _, want := range []string{i18n.DateTimeIn("en", run.At), "OK", "3 created, 2 updated, 1 disabled, 0 enabled, 4 assigned, 0 unassigned, 25 skipped",
		"25 problems", "problem-19", "And 5 more"} {
		if !strings.Contains(row, want) {
			t.Errorf("the row lacks %q: %s", want, row)
		}
	}
	if strings.Contains(row, "problem-20") {
		t.Error("more than 20 problems shown")
	}
	if row := rowNamed(p, failed.Name); !strings.Contains(row, "failed") || !strings.Contains(row, "the bind was refused") {
		t.Errorf("failed row: %s", row)
	}
}
