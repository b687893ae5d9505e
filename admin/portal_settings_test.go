package admin_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// settingsForm is the selector of the Self-Service tab's settings form.
const settingsForm = "form#portal-settings"

// formValues is what a browser submits for the form matching selector when
// no submit button is pressed.
func formValues(p *apptest.Page, selector string) url.Values {
	v := url.Values{}
	p.Doc.Find(selector).Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok || s.Is("[disabled]") {
			return
		}
		value, _ := s.Attr("value")
		switch {
		case s.Is("textarea"):
			v.Add(name, s.Text())
		case s.Is("input[type=checkbox], input[type=radio]"):
			if s.Is("[checked]") {
				v.Add(name, value)
			}
		case s.Is("select"):
			v.Add(name, s.Find("option[selected]").AttrOr("value", ""))
		default:
			v.Add(name, value)
		}
	})
	return v
}

// tick adds value to the ticked checkboxes of name; untick removes it.
func tick(v url.Values, name, value string) {
	if !slices.Contains(v[name], value) {
		v.Add(name, value)
	}
}

func untick(v url.Values, name, value string) {
	v[name] = slices.DeleteFunc(v[name], func(s string) bool { return s == value })
}

// settingsPage loads the Self-Service tab and fails unless it holds the
// settings form.
func settingsPage(t *testing.T, b *apptest.Browser, r workflow.Resource) *apptest.Page {
	t.Helper()
	p := b.Get(resourcePath(r) + "?tab=selfservice")
	if p.Status != 200 || p.Doc.Find(settingsForm).Length() != 1 {
		t.Fatalf("self-service tab: %d without the settings form\n%s", p.Status, mainText(p))
	}
	return p
}

// storedPortal is the portal of r as stored.
func storedPortal(t *testing.T, env *apptest.Env, r workflow.Resource) workflow.Portal {
	t.Helper()
	p, err := env.Svc.Store.PortalByResource(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newPortal gives r a portal with the defaults, enabled.
func newPortal(t *testing.T, env *apptest.Env, r workflow.Resource, alias string) {
	t.Helper()
	in := workflow.DefaultPortalInput(alias)
	in.Enabled = true
	if _, err := env.Svc.SavePortal(context.Background(), r.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
}

// actionIDs are the ids of the portal's actions in display order.
func actionIDs(p workflow.Portal) []string {
	ids := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		ids[i] = a.ID
	}
	return ids
}

func TestPortalSettingsEnable(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t)
	r := newResource(t, env, tag+" Portal VPN")
	other := newResource(t, env, tag+" Portal Web")
	alias := tag + "-vpn"
	action := resourcePath(r) + "/portal"

	p := b.Get(resourcePath(r) + "?tab=selfservice")
	if p.Status != 200 || p.Doc.Find(`form[action="`+action+`"] input#alias`).Length() != 1 ||
		!pageHas(p, "main", "Enable the self-service portal for this resource") {
		t.Fatalf("enable form: %d\n%s", p.Status, mainText(p))
	}
	if p := b.Get("/selfservice/" + alias); p.Status != 404 {
		t.Fatalf("portal before it exists: %d", p.Status)
	}

	for _, bad := range []string{"VPN", "v", "-vpn", "vpn amsterdam", strings.Repeat("a", 41)} {
		p = b.Post(action, apptest.Form("form", "enable", "alias", bad))
		if p.Status != 422 || p.Text("#alias-error") == "" || attrValue(p, "#alias") != bad {
			t.Fatalf("alias %q: %d %q", bad, p.Status, p.Text("#alias-error"))
		}
	}
	if _, err := env.Svc.Store.PortalByResource(context.Background(), r.ID); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("a bad alias created a portal: %v", err)
	}

	p = b.Post(action, apptest.Form("form", "enable", "alias", " "+alias+" "))
	wantStatus(t, "enable", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "/selfservice/"+alias) || p.Doc.Find(`a[href="/selfservice/`+alias+`"]`).Length() != 1 {
		t.Fatalf("after enabling: %q\n%s", flashOf(p), mainText(p))
	}
	got := storedPortal(t, env, r)
	if got.Alias != alias || !got.Enabled || len(got.EnabledActions()) != 0 || len(got.Actions) != 14 ||
		!slices.Equal(got.TokenTypes, []string{"totp"}) || got.MaxTokensPerUser != 1 || got.PINLength != 4 || got.RememberDeviceDays != 0 {
		t.Fatalf("stored: %+v", got)
	}
	if p.Doc.Find(settingsForm+` input[name=actions]:not([checked])`).Length() != 14 {
		t.Fatal("the settings form does not show 14 actions, all off")
	}
	if p := b.Get("/selfservice/" + alias); p.Status != 200 {
		t.Fatalf("portal once enabled: %d", p.Status)
	}

	// Another resource may not take the alias.
	p = b.Post(resourcePath(other)+"/portal", apptest.Form("form", "enable", "alias", alias))
	if p.Status != 422 || !strings.Contains(p.Text("#alias-error"), "already used") || attrValue(p, "#alias") != alias {
		t.Fatalf("taken alias: %d %q", p.Status, p.Text("#alias-error"))
	}
	if _, err := env.Svc.Store.PortalByResource(context.Background(), other.ID); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("a taken alias created a portal: %v", err)
	}
}

func TestPortalSettingsActions(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t)
	r := newResource(t, env, tag+" Actions VPN")
	newPortal(t, env, r, tag+"-actions")
	action := resourcePath(r) + "/portal"

	// The rows carry the labels, in the default order, with no Move up on
	// the first and no Move down on the last.
	p := settingsPage(t, b, r)
	rows := p.Doc.Find(settingsForm + " li[id^=action-]")
	if rows.Length() != 14 || !strings.Contains(rows.First().Text(), "Register new token") ||
		!strings.Contains(rows.Last().Text(), "Devices and sign-ins") {
		t.Fatalf("rows: %d %q", rows.Length(), p.Text(settingsForm+" .action-order"))
	}
	if rows.First().Find(`button[value^="up:"]`).Length() != 0 || rows.First().Find(`button[value^="down:"]`).Length() != 1 ||
		rows.Last().Find(`button[value^="down:"]`).Length() != 0 || rows.Last().Find(`button[value^="up:"]`).Length() != 1 {
		t.Fatal("Move buttons at the ends of the list")
	}

	// Toggle and save.
	v := formValues(p, settingsForm)
	for _, id := range []string{"change-password", "register-token", "sync-token"} {
		tick(v, "actions", id)
	}
	p = b.Post(action, v)
	wantStatus(t, "save", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "were saved") {
		t.Fatalf("flash %q", flashOf(p))
	}
	if got := storedPortal(t, env, r).EnabledActions(); !slices.Equal(got, []string{"register-token", "sync-token", "change-password"}) {
		t.Fatalf("enabled actions %v", got)
	}

	// Move up, with a box ticked and a field changed in the same POST.
	v = formValues(p, settingsForm)
	tick(v, "actions", "set-pin")
	v.Set("pin_length", "6")
	v.Set("move", "up:change-password")
	p = b.Post(action, v)
	wantStatus(t, "move up", p, 200, resourcePath(r))
	if p.URL.Fragment != "action-change-password" || !strings.Contains(flashOf(p), "moved up to place 2") {
		t.Fatalf("after moving up: #%s %q", p.URL.Fragment, flashOf(p))
	}
	got := storedPortal(t, env, r)
	if want := []string{"register-token", "change-password", "sync-token", "set-pin"}; !slices.Equal(got.EnabledActions(), want) ||
		got.PINLength != 6 || len(got.Actions) != 14 {
		t.Fatalf("after moving up: %v, PIN length %d", got.EnabledActions(), got.PINLength)
	}
	if ids := actionIDs(got); ids[0] != "register-token" || ids[1] != "change-password" {
		t.Fatalf("stored order %v", ids)
	}
	if p.Doc.Find(settingsForm+" li").Eq(1).AttrOr("id", "") != "action-change-password" {
		t.Fatal("the page does not show the new order")
	}

	// Move down, unticking another action in the same POST.
	v = formValues(p, settingsForm)
	untick(v, "actions", "sync-token")
	v.Set("move", "down:register-token")
	p = b.Post(action, v)
	wantStatus(t, "move down", p, 200, resourcePath(r))
	if got := storedPortal(t, env, r).EnabledActions(); !slices.Equal(got, []string{"change-password", "register-token", "set-pin"}) {
		t.Fatalf("after moving down: %v", got)
	}

	// A switched-off action keeps its default place; the page says why.
	before := actionIDs(storedPortal(t, env, r))
	v = formValues(p, settingsForm)
	v.Set("move", "up:manage-environment")
	p = b.Post(action, v)
	wantStatus(t, "move an action that is off", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "is switched off") || !slices.Equal(actionIDs(storedPortal(t, env, r)), before) {
		t.Fatalf("moving an action that is off: %q", flashOf(p))
	}

	// A form that is not ours: unknown actions are named, nothing is saved.
	v = formValues(p, settingsForm)
	tick(v, "actions", "fly-to-the-moon")
	if p = b.Post(action, v); p.Status != 422 || !strings.Contains(p.Text("#actions-error"), "fly-to-the-moon") {
		t.Fatalf("unknown action: %d %q", p.Status, p.Text("#actions-error"))
	}
}

func TestPortalSettingsValidation(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t)
	r := newResource(t, env, tag+" Rules VPN")
	other := newResource(t, env, tag+" Rules Web")
	alias := tag + "-rules"
	newPortal(t, env, r, alias)
	newPortal(t, env, other, tag+"-rules-web")
	action := resourcePath(r) + "/portal"
	saved := storedPortal(t, env, r)

	cases := []struct {
		name   string
		change func(url.Values)
		field  string
		says   string
	}{
		{"no token type", func(v url.Values) { v.Del("token_types") }, "token_types", "at least one"},
		{"unknown token type", func(v url.Values) { v.Set("token_types", "smoke-signal") }, "token_types", "smoke-signal"},
		{"bad network line", func(v url.Values) { v.Set("trusted_networks", "10.0.0.0/8\nnot-a-net\n192.168.1.7") }, "trusted_networks", "not-a-net"},
		{"bad prefix", func(v url.Values) { v.Set("trusted_networks", "10.0.0.0/33") }, "trusted_networks", "10.0.0.0/33"},
		{"bad alias", func(v url.Values) { v.Set("alias", "No Way") }, "alias", "lowercase"},
		{"taken alias", func(v url.Values) { v.Set("alias", tag+"-rules-web") }, "alias", "already used"},
		{"days out of range", func(v url.Values) { v.Set("remember_device_days", "366") }, "remember_device_days", "365"},
		{"days not a number", func(v url.Values) { v.Set("remember_device_days", "a week") }, "remember_device_days", "365"},
		{"no tokens per user", func(v url.Values) { v.Set("max_tokens_per_user", "0") }, "max_tokens_per_user", "1 to 10"},
		{"too many tokens per user", func(v url.Values) { v.Set("max_tokens_per_user", "11") }, "max_tokens_per_user", "1 to 10"},
		{"short PIN", func(v url.Values) { v.Set("pin_length", "3") }, "pin_length", "4 to 8"},
		{"long PIN", func(v url.Values) { v.Set("pin_length", "9") }, "pin_length", "4 to 8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := formValues(settingsPage(t, b, r), settingsForm)
			// Valid changes beside the wrong one are not saved either.
			v.Set("require_token", "1")
			tick(v, "actions", "sync-token")
			tc.change(v)
			p := b.Post(action, v)
			if p.Status != 422 || !strings.Contains(p.Text("#"+tc.field+"-error"), tc.says) {
				t.Fatalf("%d, %s error %q, want it to say %q", p.Status, tc.field, p.Text("#"+tc.field+"-error"), tc.says)
			}
			// The input is kept.
			if p.Doc.Find("#require_token[checked]").Length() != 1 || p.Doc.Find("#actions-sync-token[checked]").Length() != 1 {
				t.Fatal("the input was not kept")
			}
			if tc.field == "trusted_networks" && p.Text("#trusted_networks") != strings.Join(strings.Fields(v.Get("trusted_networks")), " ") {
				t.Fatalf("networks kept as %q", p.Text("#trusted_networks"))
			}
			if got := storedPortal(t, env, r); got.RequireToken || len(got.EnabledActions()) != 0 || !got.UpdatedAt.Equal(saved.UpdatedAt) {
				t.Fatalf("something was saved: %+v", got)
			}
		})
	}

	// Networks (a bare address becomes a /32, a prefix is masked) and the
	// policies.
	v := formValues(settingsPage(t, b, r), settingsForm)
	v.Set("trusted_networks", "192.168.1.7\r\n\r\n 10.1.2.3/8 \r\n2001:db8::1\r\n")
	v["token_types"] = []string{"sms", "totp"}
	for _, name := range []string{"otp_outside_trusted", "deny_without_token_outside_trusted", "require_token"} {
		v.Set(name, "1")
	}
	v.Set("remember_device_days", "30")
	v.Set("max_tokens_per_user", "3")
	v.Set("pin_length", "6")
	p := b.Post(action, v)
	wantStatus(t, "save policies", p, 200, resourcePath(r))
	got := storedPortal(t, env, r)
	if !slices.Equal(got.TrustedNetworks, []string{"192.168.1.7/32", "10.0.0.0/8", "2001:db8::1/128"}) ||
		!slices.Equal(got.TokenTypes, []string{"totp", "sms"}) || !got.OTPOutsideTrusted || !got.DenyWithoutTokenOutsideTrusted ||
		!got.RequireToken || got.RememberDeviceDays != 30 || got.MaxTokensPerUser != 3 || got.PINLength != 6 {
		t.Fatalf("stored: %+v", got)
	}
	if p.Text("#trusted_networks") != "192.168.1.7/32 10.0.0.0/8 2001:db8::1/128" {
		t.Fatalf("networks shown as %q", p.Text("#trusted_networks"))
	}

	// Policies off again.
	v = formValues(p, settingsForm)
	for _, name := range []string{"otp_outside_trusted", "deny_without_token_outside_trusted", "require_token"} {
		v.Del(name)
	}
	v.Set("trusted_networks", "")
	p = b.Post(action, v)
	wantStatus(t, "policies off", p, 200, resourcePath(r))
	if got := storedPortal(t, env, r); got.OTPOutsideTrusted || got.DenyWithoutTokenOutsideTrusted || got.RequireToken ||
		len(got.TrustedNetworks) != 0 || got.PINLength != 6 {
		t.Fatalf("stored: %+v", got)
	}

	// Disabling is unticking enabled; the portal answers at once.
	v = formValues(p, settingsForm)
	v.Del("enabled")
	p = b.Post(action, v)
	wantStatus(t, "disable", p, 200, resourcePath(r))
	if storedPortal(t, env, r).Enabled || !strings.Contains(flashOf(p), "disabled") {
		t.Fatalf("still enabled: %q", flashOf(p))
	}
	if p := b.Get("/selfservice/" + alias); p.Status != 404 {
		t.Fatalf("disabled portal: %d", p.Status)
	}
	v = formValues(p, settingsForm)
	v.Set("enabled", "1")
	wantStatus(t, "enable again", b.Post(action, v), 200, resourcePath(r))
	if p := b.Get("/selfservice/" + alias); p.Status != 200 {
		t.Fatalf("enabled portal: %d", p.Status)
	}

	// A new alias moves the portal.
	v = formValues(settingsPage(t, b, r), settingsForm)
	v.Set("alias", alias+"-new")
	p = b.Post(action, v)
	wantStatus(t, "new alias", p, 200, resourcePath(r))
	if !strings.Contains(flashOf(p), "no longer works") || b.Get("/selfservice/"+alias).Status != 404 || b.Get("/selfservice/"+alias+"-new").Status != 200 {
		t.Fatalf("after the alias changed: %q", flashOf(p))
	}
}

func TestPortalSettingsRoles(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t)
	mine := newResource(t, env, tag+" Owned VPN")
	theirs := newResource(t, env, tag+" Foreign VPN")
	bare := newResource(t, env, tag+" Bare VPN")
	newPortal(t, env, mine, tag+"-owned")
	newPortal(t, env, theirs, tag+"-foreign")

	owner := signIn(t, env, workflow.RoleOwner)
	login := owner.Get("/admin/").Text(".who strong")
	a, err := env.Svc.Store.AdminByLogin(ctx, login)
	if err != nil {
		t.Fatalf("owner %q: %v", login, err)
	}
	if _, err := env.App.Pool.Exec(ctx, `INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)`, mine.ID, a.ID); err != nil {
		t.Fatal(err)
	}

	// The owner edits their resource's portal.
	v := formValues(settingsPage(t, owner, mine), settingsForm)
	tick(v, "actions", "register-token")
	p := owner.Post(resourcePath(mine)+"/portal", v)
	wantStatus(t, "owner saves", p, 200, resourcePath(mine))
	if got := storedPortal(t, env, mine).EnabledActions(); !slices.Equal(got, []string{"register-token"}) {
		t.Fatalf("owner's save: %v", got)
	}

	// Another resource's portal they neither see nor change.
	denials := activityEvents(t, env)[workflow.EventAccessDenied]
	p = owner.Get(resourcePath(theirs) + "?tab=selfservice")
	if p.Status != 404 || p.Doc.Find(".action-order li").Length() != 0 {
		t.Fatalf("owner reads a foreign portal: %d\n%s", p.Status, mainText(p))
	}
	v = formValues(settingsPage(t, signIn(t, env, workflow.RoleSuperadmin), theirs), settingsForm)
	tick(v, "actions", "register-token")
	if p := owner.Post(resourcePath(theirs)+"/portal", v); p.Status != 403 {
		t.Fatalf("owner saves a foreign portal: %d", p.Status)
	}
	if p := owner.Post(resourcePath(bare)+"/portal", apptest.Form("form", "enable", "alias", tag+"-bare")); p.Status != 403 {
		t.Fatalf("owner enables a foreign portal: %d", p.Status)
	}
	if len(storedPortal(t, env, theirs).EnabledActions()) != 0 {
		t.Fatal("the owner changed a foreign portal")
	}
	if _, err := env.Svc.Store.PortalByResource(ctx, bare.ID); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("the owner enabled a foreign portal: %v", err)
	}
	if got := activityEvents(t, env)[workflow.EventAccessDenied]; got < denials+3 {
		t.Fatalf("AccessDenied activities: %d, want at least %d", got, denials+3)
	}

	// The helpdesk reads, and may not change.
	help := signIn(t, env, workflow.RoleHelpdesk)
	p = help.Get(resourcePath(mine) + "?tab=selfservice")
	if p.Status != 200 || p.Doc.Find("main form").Length() != 0 || !pageHas(p, ".action-order", "Register new token") {
		t.Fatalf("helpdesk reads the portal: %d\n%s", p.Status, mainText(p))
	}
	if p := help.Get(resourcePath(bare) + "?tab=selfservice"); p.Status != 200 || p.Doc.Find("main form").Length() != 0 {
		t.Fatalf("helpdesk reads a resource without portal: %d", p.Status)
	}
	if p := help.Post(resourcePath(mine)+"/portal", v); p.Status != 403 {
		t.Fatalf("helpdesk saves: %d", p.Status)
	}
	if p := help.Post(resourcePath(bare)+"/portal", apptest.Form("form", "enable", "alias", tag+"-bare")); p.Status != 403 {
		t.Fatalf("helpdesk enables: %d", p.Status)
	}
	if got := storedPortal(t, env, mine).EnabledActions(); !slices.Equal(got, []string{"register-token"}) {
		t.Fatalf("the helpdesk changed the portal: %v", got)
	}
}
