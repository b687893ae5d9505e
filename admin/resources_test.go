package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

func TestResourceCreateAndEdit(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	b := signIn(t, env, workflow.RoleSuperadmin)

	p := b.Post("/admin/resources", apptest.Form("name", "UI VPN", "description", "The VPN of the UI tests"))
	if p.Status != 200 || !strings.HasPrefix(p.URL.Path, "/admin/resources/") || !strings.Contains(flashOf(p), "UI VPN was created") {
		t.Fatalf("create: %d %s %q", p.Status, p.URL.Path, flashOf(p))
	}
	r, err := env.Svc.Store.ResourceByName(context.Background(), "UI VPN")
	if err != nil || r.Description != "The VPN of the UI tests" {
		t.Fatalf("stored: %+v %v", r, err)
	}
	if cur, _ := p.Doc.Find(`.tabs a[aria-current=page]`).Attr("href"); !strings.HasSuffix(cur, "tab=details") {
		t.Fatalf("current tab %q", cur)
	}

	// Names are unique without regard to case; the input is kept.
	p = b.Post("/admin/resources", apptest.Form("name", "ui vpn", "description", "again"))
	if p.Status != 409 || !strings.Contains(p.Text("#name-error"), "already exists") || attrValue(p, "#name") != "ui vpn" {
		t.Fatalf("duplicate: %d %q", p.Status, p.Text("#name-error"))
	}
	if p = b.Post("/admin/resources", apptest.Form("name", "  ")); p.Status != 422 || p.Text("#name-error") == "" {
		t.Fatalf("empty name: %d", p.Status)
	}

	p = b.Get("/admin/resources?q=ui")
	if !pageHas(p, "tbody", "UI VPN") || !pageHas(p, "tbody", "no portal") {
		t.Fatalf("list: %q", p.Text("tbody"))
	}

	// Edit.
	p = b.Post(resourcePath(r), apptest.Form("name", "UI VPN Amsterdam", "description", ""))
	wantStatus(t, "edit", p, 200, resourcePath(r))
	if got, _ := env.Svc.Store.ResourceByID(context.Background(), r.ID); got.Name != "UI VPN Amsterdam" || got.Description != "" {
		t.Fatalf("after edit: %+v", got)
	}
	other := newResource(t, env, "UI Citrix")
	p = b.Post(resourcePath(other), apptest.Form("name", "UI VPN AMSTERDAM"))
	if p.Status != 409 || p.Text("#name-error") == "" {
		t.Fatalf("rename to a taken name: %d", p.Status)
	}

	// Delete, after a confirmation.
	p = b.Get(resourcePath(other) + "/delete")
	if p.Status != 200 || !pageHas(p, ".effects", "deleted for good") {
		t.Fatalf("confirmation: %d %q", p.Status, p.Text(".effects"))
	}
	p = b.Post(resourcePath(other)+"/delete", nil)
	wantStatus(t, "delete", p, 200, "/admin/resources")
	if _, err := env.Svc.Store.ResourceByID(context.Background(), other.ID); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("still there: %v", err)
	}
}

func TestResourceTabs(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	r := newResource(t, env, "Tabs VPN")
	ann := newUser(t, env, "tabs.ann")
	bob := newUser(t, env, "tabs.bob")
	importHOTP(t, env, "UITAB01")
	importHOTP(t, env, "UITAB02")
	giveToken(t, env, "UITAB01", ann, r)
	// A stock token waiting on the resource is not a token with a user.
	if _, err := env.Svc.AssignToken(context.Background(), "UITAB02", &r.ID, nil, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}

	// Assign by login.
	users := resourcePath(r) + "?tab=users"
	p := b.Post(resourcePath(r)+"/users", apptest.Form("login", "TABS.BOB"))
	wantStatus(t, "assign", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "tabs.bob is now assigned to Tabs VPN") {
		t.Fatalf("flash %q", flashOf(p))
	}
	p = b.Post(resourcePath(r)+"/users", apptest.Form("login", "nobody.here"))
	if p.Status != 422 || p.Text("#login-error") == "" || attrValue(p, "#login") != "nobody.here" {
		t.Fatalf("unknown login: %d %q", p.Status, p.Text("#login-error"))
	}

	p = b.Get(users)
	if cur := p.Text(`.tabs a[aria-current=page]`); cur != "Users" {
		t.Fatalf("current tab %q", cur)
	}
	if tableRows(p) != 2 || !pageHas(p, "tbody", "tabs.ann") || !pageHas(p, "tbody", "tabs.bob") || !pageHas(p, ".pager", "2 users") {
		t.Fatalf("users tab: %q", p.Text("tbody"))
	}

	p = b.Get(resourcePath(r) + "?tab=tokens")
	if tableRows(p) != 1 || !pageHas(p, "tbody", "UITAB01") || !pageHas(p, "tbody", "tabs.ann") || pageHas(p, "tbody", "UITAB02") {
		t.Fatalf("tokens tab: %q", p.Text("tbody"))
	}

	p = b.Get(resourcePath(r) + "?tab=selfservice")
	if p.Doc.Find(`form[action="`+resourcePath(r)+`/portal"] input#alias`).Length() != 1 {
		t.Fatalf("self-service tab: %q", mainText(p))
	}

	// Remove, after a confirmation.
	remove := fmt.Sprintf("%s/users/%d/remove", resourcePath(r), ann.ID)
	p = b.Get(remove)
	if p.Status != 200 || !pageHas(p, "h1", "Remove tabs.ann from Tabs VPN") || !pageHas(p, ".effects", "1 token on Tabs VPN leaves") {
		t.Fatalf("confirmation: %d %q", p.Status, p.Text("main"))
	}
	p = b.Post(remove, nil)
	wantStatus(t, "remove", p, 200, resourcePath(r))
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, ann.ID); ok {
		t.Fatal("still assigned")
	}
	if ok, _ := env.Svc.Store.IsAssigned(context.Background(), r.ID, bob.ID); !ok {
		t.Fatal("the other user was removed too")
	}
	if p := b.Post(remove, nil); p.Status != 404 {
		t.Fatalf("removing again: %d", p.Status)
	}
}

func TestResourceRoles(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	r := newResource(t, env, "Roles VPN")
	help := signIn(t, env, workflow.RoleHelpdesk)
	if p := help.Get(resourcePath(r)); p.Status != 200 || p.Doc.Find("#name").Length() != 0 {
		t.Fatalf("helpdesk reads the resource: %d, without a form", p.Status)
	}
	for path, form := range map[string]string{"/admin/resources": "name", resourcePath(r): "name", resourcePath(r) + "/users": "login"} {
		if p := help.Post(path, apptest.Form(form, "x")); p.Status != 403 {
			t.Errorf("helpdesk POST %s: %d", path, p.Status)
		}
	}
}
