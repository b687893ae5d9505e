package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// radiusTab loads the RADIUS tab of r and fails unless it shows.
func radiusTab(t *testing.T, b *apptest.Browser, r workflow.Resource) *apptest.Page {
	t.Helper()
	p := b.Get(resourcePath(r) + "?tab=radius")
	if p.Status != 200 || !pageHas(p, "main h2", "RADIUS") {
		t.Fatalf("RADIUS tab: %d\n%s", p.Status, mainText(p))
	}
	return p
}

func TestRadiusTabAddAndDelete(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	tag := apiTag(t)
	r := newResource(t, env, tag+" Radius VPN")
	b := signIn(t, env, workflow.RoleSuperadmin)

	p := radiusTab(t, b, r)
	if p.Doc.Find(`nav.tabs a[aria-current="page"]`).Text() != "RADIUS" {
		t.Fatalf("the RADIUS tab is not the current one: %s", p.Text("nav.tabs"))
	}
	if !pageHas(p, "main", "no RADIUS client yet") {
		t.Fatalf("empty tab: %s", mainText(p))
	}
	// new-password: a browser fills in no saved password (it ignores "off" on a password field).
	secret := p.Doc.Find(`input[name="secret"]`)
	if typ, _ := secret.Attr("type"); typ != "password" || secret.AttrOr("autocomplete", "") != "new-password" {
		t.Fatalf("secret input: type %q autocomplete %q", typ, secret.AttrOr("autocomplete", ""))
	}
	if p.Doc.Find(`input[name="require_message_authenticator"][checked]`).Length() != 1 {
		t.Fatal("Require Message-Authenticator is not ticked by default")
	}
	for _, name := range []string{"name", "address", "secret", "require_message_authenticator"} {
		if p.Doc.Find(`label[for="`+name+`"]`).Length() != 1 {
			t.Errorf("the %s input has no label", name)
		}
	}
	if !pageHas(p, "main", "Blast-RADIUS") {
		t.Error("no hint about Blast-RADIUS")
	}

	// Invalid: the form comes back with the errors, without the secret.
	form := formValues(p, "main form")
	form.Set("name", "VPN gateway")
	form.Set("address", "not an address")
	form.Set("secret", "short-secret")
	p = b.Post(resourcePath(r)+"/radius-clients", form)
	wantStatus(t, "invalid add", p, 422, "")
	if !pageHas(p, "#address-error", "CIDR") || !pageHas(p, "#secret-error", "16 to 128") {
		t.Fatalf("errors not shown: %s", mainText(p))
	}
	if strings.Contains(p.Body, "short-secret") || attrValue(p, `input[name="name"]`) != "VPN gateway" {
		t.Fatalf("the form came back wrong (secret shown or name lost)")
	}

	addr := radiusAddr()
	form.Set("address", addr)
	form.Set("secret", radiusSecret)
	p = b.Post(resourcePath(r)+"/radius-clients", form)
	wantStatus(t, "add", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "VPN gateway") || !strings.Contains(flashOf(p), "not be shown again") {
		t.Fatalf("flash: %q", flashOf(p))
	}
	if strings.Contains(p.Body, radiusSecret) {
		t.Fatal("the page shows the secret")
	}
	row := p.Doc.Find("table tbody tr")
	if row.Length() != 1 || !strings.Contains(row.Text(), addr) || !strings.Contains(row.Find("td").Eq(1).Text(), "yes") {
		t.Fatalf("client row: %q", row.Text())
	}
	list, err := env.Svc.RadiusClients(context.Background(), r.ID)
	if err != nil || len(list) != 1 || !list[0].RequireMessageAuthenticator {
		t.Fatalf("stored: %+v, %v", list, err)
	}

	// Unticked Message-Authenticator is kept as no.
	form.Set("name", "Old firewall")
	form.Set("address", radiusAddr())
	form.Del("require_message_authenticator")
	p = b.Post(resourcePath(r)+"/radius-clients", form)
	wantStatus(t, "add without MA", p, 200, resourcePath(r))
	if !pageHas(p, "table tbody", "no") || tableRows(p) != 2 {
		t.Fatalf("second client: %s", p.Text("table"))
	}

	// Delete, through its confirmation page.
	del := fmt.Sprintf("%s/radius-clients/%d/delete", resourcePath(r), list[0].ID)
	p = b.Get(del)
	wantStatus(t, "confirm", p, 200, del)
	if !pageHas(p, "h1", "VPN gateway") || !pageHas(p, ".effects", addr) {
		t.Fatalf("confirmation: %s", mainText(p))
	}
	p = b.Post(del, nil)
	wantStatus(t, "delete", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "deleted") || pageHas(p, "table tbody", "VPN gateway") {
		t.Fatalf("after delete: %q %s", flashOf(p), p.Text("table"))
	}
	if got := activityEvents(t, env); got[workflow.EventRadiusClientCreated] < 2 || got[workflow.EventRadiusClientDeleted] < 1 {
		t.Fatalf("activities: %v", got)
	}
}

// An owner sees and manages the RADIUS clients of their resources only; the
// helpdesk none.
func TestRadiusTabRoles(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	mine := newResource(t, env, tag+" Radius owned")
	theirs := newResource(t, env, tag+" Radius foreign")
	foreign, err := env.Svc.CreateRadiusClient(ctx, theirs.ID, workflow.RadiusClientInput{Name: "Theirs", Address: radiusAddr(),
		Secret: radiusSecret, RequireMessageAuthenticator: true}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	owner := signIn(t, env, workflow.RoleOwner)
	ownResource(t, env, owner, mine)

	if p := owner.Get(resourcePath(mine)); !pageHas(p, "nav.tabs", "RADIUS") {
		t.Fatalf("the owner has no RADIUS tab: %s", p.Text("nav.tabs"))
	}
	p := radiusTab(t, owner, mine)
	form := formValues(p, "main form")
	form.Set("name", "Mine")
	form.Set("address", radiusAddr())
	form.Set("secret", radiusSecret)
	wantStatus(t, "owner adds", owner.Post(resourcePath(mine)+"/radius-clients", form), 200, resourcePath(mine))

	denials := activityEvents(t, env)[workflow.EventAccessDenied]
	if p := owner.Get(resourcePath(theirs) + "?tab=radius"); p.Status != 404 || strings.Contains(p.Body, "Theirs") {
		t.Fatalf("owner reads a foreign tab: %d", p.Status)
	}
	form.Set("address", radiusAddr())
	if p := owner.Post(resourcePath(theirs)+"/radius-clients", form); p.Status != 404 {
		t.Fatalf("owner adds to a foreign resource: %d", p.Status)
	}
	foreignDel := fmt.Sprintf("%s/radius-clients/%d/delete", resourcePath(theirs), foreign.ID)
	if p := owner.Post(foreignDel, nil); p.Status != 404 {
		t.Fatalf("owner deletes a foreign client: %d", p.Status)
	}
	// Through their own resource's address, another resource's client is not found.
	if p := owner.Post(fmt.Sprintf("%s/radius-clients/%d/delete", resourcePath(mine), foreign.ID), nil); p.Status != 404 {
		t.Fatalf("owner deletes a foreign client through their resource: %d", p.Status)
	}
	if got := activityEvents(t, env)[workflow.EventAccessDenied]; got < denials+4 {
		t.Fatalf("AccessDenied activities: %d, want at least %d", got, denials+4)
	}
	if list, err := env.Svc.RadiusClients(ctx, theirs.ID); err != nil || len(list) != 1 {
		t.Fatalf("foreign clients changed: %+v, %v", list, err)
	}

	help := signIn(t, env, workflow.RoleHelpdesk)
	if p := help.Get(resourcePath(mine)); pageHas(p, "nav.tabs", "RADIUS") {
		t.Fatal("the helpdesk sees the RADIUS tab")
	}
	if p := help.Get(resourcePath(mine) + "?tab=radius"); p.Status != 403 || strings.Contains(p.Body, "Mine") {
		t.Fatalf("helpdesk reads the RADIUS tab: %d", p.Status)
	}
}

// The RADIUS settings are edited on the Self-Service form and shown on the
// RADIUS tab; saving the Self-Service form keeps them.
func TestRadiusSettingsOnSelfServiceForm(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	tag := apiTag(t)
	r := newResource(t, env, tag+" Radius settings")
	b := signIn(t, env, workflow.RoleSuperadmin)

	if p := radiusTab(t, b, r); !pageHas(p, ".facts", "Password and OTP") || !pageHas(p, "main", "enable the portal") {
		t.Fatalf("defaults without a portal: %s", mainText(p))
	}
	newPortal(t, env, r, tag+"-radius")

	p := settingsPage(t, b, r)
	v := formValues(p, settingsForm)
	if v.Get("radius_first_factor") != "password" || v.Get("radius_allow_without_token") != "" {
		t.Fatalf("form defaults: %v", v)
	}
	v.Set("radius_first_factor", "otp")
	v.Set("radius_allow_without_token", "1")
	wantStatus(t, "save", b.Post(resourcePath(r)+"/portal", v), 200, resourcePath(r))
	if got := storedPortal(t, env, r); got.RadiusFirstFactor != workflow.RadiusOTP || !got.RadiusAllowWithoutToken {
		t.Fatalf("stored: %q %v", got.RadiusFirstFactor, got.RadiusAllowWithoutToken)
	}

	// Saved again unchanged, the form keeps them.
	v = formValues(settingsPage(t, b, r), settingsForm)
	tick(v, "actions", "register-token")
	wantStatus(t, "save again", b.Post(resourcePath(r)+"/portal", v), 200, resourcePath(r))
	if got := storedPortal(t, env, r); got.RadiusFirstFactor != workflow.RadiusOTP || !got.RadiusAllowWithoutToken {
		t.Fatalf("lost on a second save: %q %v", got.RadiusFirstFactor, got.RadiusAllowWithoutToken)
	}
	if p := radiusTab(t, b, r); !pageHas(p, ".facts", "OTP only") || !pageHas(p, ".facts", "Let in") {
		t.Fatalf("tab shows: %s", p.Text(".facts"))
	}

	v.Set("radius_first_factor", "pap")
	p = b.Post(resourcePath(r)+"/portal", v)
	wantStatus(t, "invalid mode", p, 422, "")
	if !pageHas(p, "#radius_first_factor-error", "otp") {
		t.Fatalf("no error for the mode: %s", mainText(p))
	}
}
