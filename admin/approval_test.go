package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The console's side of the approval of new tokens (SPEC §15): the kind of
// a request, the confirmations with their effects and note, the history,
// owners, the portal setting and pending tokens.

func TestEnrolmentIssueConsole(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleHelpdesk)
	me := adminOf(t, env, b)
	w := newApprovalWorld(t, env, apiTag(t))
	is := w.enrol(t, env, workflow.FactorPassword) // no second factor proved
	restore := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "absent", env.Clock.Now())
	res := fmt.Sprint(w.r.ID)

	// Kind column and filter.
	p := b.Get("/admin/issues?kind=enrolment&resource_id=" + res)
	wantStatus(t, "enrolment filter", p, 200, "/admin/issues")
	if tableRows(p) != 1 || p.Text(rowOf(is.ID)+" td.kind") != "New token" ||
		!strings.Contains(p.Text(rowOf(is.ID)), "New token "+is.TokenSerial+" (TOTP)") {
		t.Fatalf("enrolment filter: %d rows\n%s", tableRows(p), mainText(p))
	}
	if v, _ := p.Doc.Find("#filter-kind option[selected]").Attr("value"); v != "enrolment" {
		t.Errorf("kind select shows %q", v)
	}
	if href, _ := p.Doc.Find(rowOf(is.ID) + ` a[href$="/delete"]`).Attr("href"); href != issuePath(is.ID)+"/delete" {
		t.Errorf("trash icon → %q", href)
	}
	p = b.Get("/admin/issues?kind=restore&resource_id=" + res)
	if tableRows(p) != 1 || p.Doc.Find(rowOf(restore.ID)).Length() != 1 || p.Text(rowOf(restore.ID)+" td.kind") != "Restore access" {
		t.Fatalf("restore filter: %d rows\n%s", tableRows(p), mainText(p))
	}
	if p = b.Get("/admin/issues?resource_id=" + res); tableRows(p) != 2 {
		t.Fatalf("both kinds: %d rows", tableRows(p))
	}

	// The request's page: what the token is judged by, its history, and
	// the ways to the confirmations.
	p = b.Get(issuePath(is.ID))
	wantStatus(t, "request", p, 200, issuePath(is.ID))
	if p.Text(".token") != is.TokenSerial+" (TOTP)" || !strings.Contains(p.Text(".how"), "Registered in the portal") ||
		!strings.Contains(p.Text(".sign-in"), "password — no second factor proved") ||
		p.Text(".address") != "203.0.113.9, not in a trusted network of the portal" || !pageHas(p, ".first-code", "right first code") {
		t.Fatalf("facts\n%s", mainText(p))
	}
	if p.Doc.Find("section#history h2").Text() != "History" || !strings.Contains(p.Text("#history"), "Filed on") ||
		!strings.Contains(p.Text("#history"), "203.0.113.9") {
		t.Fatalf("history: %q", p.Text("#history"))
	}
	if p.Doc.Find(`a[href="`+issuePath(is.ID)+`/verify"]`).Length() != 1 || p.Doc.Find(`a[href="`+issuePath(is.ID)+`/delete"]`).Length() != 1 {
		t.Fatal("no links to the confirmations")
	}
	if p.Doc.Find(`.no-proof[role=alert]`).Length() != 1 {
		t.Error("the review does not warn that no second factor was proved")
	}

	// The confirmation: facts, warning, effects, note, cancel.
	p = b.Get(issuePath(is.ID) + "/verify")
	wantStatus(t, "confirm verify", p, 200, issuePath(is.ID)+"/verify")
	if !strings.Contains(p.Text("ul.effects"), "Enable the new token "+is.TokenSerial+" (TOTP) on "+w.r.Name) ||
		!strings.Contains(p.Text("ul.effects"), "approved, by mail at "+w.u.Email) {
		t.Errorf("effects %q", p.Text("ul.effects"))
	}
	if p.Doc.Find(`div.notice.warning.no-proof[role=alert]`).Length() != 1 || !pageHas(p, ".no-proof", "No second factor was proved") {
		t.Error("no no-proof warning")
	}
	form := p.Doc.Find(`form[method=post][action="` + issuePath(is.ID) + `/verify"]`)
	if form.Find(`textarea#note[name=note]`).Length() != 1 || p.Doc.Find(`label[for=note]`).Length() != 1 ||
		form.Find(`button[type=submit]`).Length() != 1 || p.Doc.Find(`#note-hint`).Length() != 1 {
		t.Fatalf("confirmation form\n%s", mainText(p))
	}
	if href, _ := form.Find(`a:contains("Cancel")`).Attr("href"); href != issuePath(is.ID) {
		t.Errorf("cancel → %q", href)
	}
	// In German and Dutch too.
	for _, path := range []string{issuePath(is.ID), issuePath(is.ID) + "/verify", issuePath(is.ID) + "/delete"} {
		b.AcceptLanguage = "en"
		en := b.Get(path)
		for _, lang := range i18n.Langs[1:] {
			b.AcceptLanguage = lang
			if left := apptest.Untranslated(en, b.Get(path), lang, w.u.Login, w.u.Email, w.r.Name, is.TokenSerial, me.Login); len(left) > 0 {
				t.Errorf("%s in %s shows English: %q", path, lang, left)
			}
		}
	}
	b.AcceptLanguage = "en"

	// A note too long comes back with the confirmation, kept.
	long := strings.Repeat("n", 1001)
	p = b.Post(issuePath(is.ID)+"/verify", url.Values{"note": {long}})
	if p.Status != 422 || p.Text("#note-error") == "" || p.Text("textarea#note") != long || p.Doc.Find("ul.effects").Length() != 1 {
		t.Fatalf("long note: %d %q", p.Status, p.Text("#note-error"))
	}

	// Verify with a note: the token works, and the note is in the history.
	note := "called the user on +31 6 1234 5678, confirmed"
	p = b.Post(issuePath(is.ID)+"/verify", url.Values{"note": {note}})
	wantStatus(t, "verify", p, 200, "/admin/issues")
	if !strings.Contains(flashOf(p), "the token "+is.TokenSerial+" (TOTP) is enabled") {
		t.Errorf("flash %q", flashOf(p))
	}
	if tok, _ := env.Svc.Store.TokenBySerial(ctx, is.TokenSerial); !tok.Enabled {
		t.Fatalf("token after verify: %+v", tok)
	}
	p = b.Get(issuePath(is.ID))
	if !strings.Contains(p.Text("#history"), "Verified by "+me.Login) || !strings.HasSuffix(p.Text("#history .note"), note) {
		t.Fatalf("history after verify: %q", p.Text("#history"))
	}
	if p.Doc.Find(`a[href$="/verify"]`).Length() != 0 {
		t.Error("a handled request still leads to the confirmation")
	}

	// A second token, added with a second factor: no warning; delete
	// discards it.
	other := w.enrol(t, env, workflow.FactorPassword, workflow.FactorOTP)
	p = b.Get(issuePath(other.ID) + "/delete")
	wantStatus(t, "confirm delete", p, 200, issuePath(other.ID)+"/delete")
	if p.Doc.Find(".no-proof").Length() != 0 || !strings.Contains(p.Text("ul.effects"), "Delete the new token "+other.TokenSerial) ||
		p.Doc.Find(`form[method=post][action="`+issuePath(other.ID)+`/delete"] textarea#note`).Length() != 1 {
		t.Fatalf("delete confirmation\n%s", mainText(p))
	}
	// Meanwhile it waits: the token's page says so and offers no Enable.
	tp := b.Get("/admin/tokens/" + other.TokenSerial)
	if !pageHas(tp, "main", "Waiting for approval") || tp.Doc.Find(`form[action$="/enable"]`).Length() != 0 ||
		tp.Doc.Find(`a[href="`+issuePath(other.ID)+`"]`).Length() != 1 {
		t.Errorf("pending token's page\n%s", mainText(tp))
	}
	if p := b.Post("/admin/tokens/"+other.TokenSerial+"/enable", nil); p.Status != 409 || !pageHas(p, "main", "waits for approval") {
		t.Errorf("enable a pending token: %d\n%s", p.Status, mainText(p))
	}
	p = b.Post(issuePath(other.ID)+"/delete", url.Values{"note": {"not the user's phone"}})
	wantStatus(t, "delete", p, 200, "/admin/issues")
	if _, err := env.Svc.Store.TokenBySerial(ctx, other.TokenSerial); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("the declined token is still there: %v", err)
	}
	p = b.Get(issuePath(other.ID))
	if !strings.Contains(p.Text("#history"), "Deleted by "+me.Login) || !strings.HasSuffix(p.Text("#history .note"), "not the user's phone") {
		t.Fatalf("history after delete: %q", p.Text("#history"))
	}

	// A restore request's confirmation of delete says nothing changes.
	p = b.Get(issuePath(restore.ID) + "/delete")
	if !strings.Contains(p.Text("ul.effects"), "Nothing on the user's account changes.") {
		t.Errorf("restore delete effects %q", p.Text("ul.effects"))
	}
}

// TestReassignedTokenConsole: a token exchanged in the portal names the
// token it replaces, which keeps working until the request is verified.
func TestReassignedTokenConsole(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleHelpdesk)
	w := newApprovalWorld(t, env, apiTag(t))
	old := apiTag(t) + "-OLD"
	importHOTP(t, env, old)
	giveToken(t, env, old, w.u, w.r)
	is := w.reassign(t, env, old, workflow.FactorPassword, workflow.FactorOTP)

	p := b.Get("/admin/issues?kind=enrolment&resource_id=" + fmt.Sprint(w.r.ID))
	if got := p.Text(rowOf(is.ID) + " td:nth-of-type(4)"); got != "New token "+is.TokenSerial+" (TOTP), replaces "+old {
		t.Errorf("requested %q", got)
	}
	p = b.Get(issuePath(is.ID))
	if !strings.Contains(p.Text(".how"), "Exchanged for the token "+old) || p.Doc.Find(".no-proof").Length() != 0 {
		t.Errorf("facts\n%s", mainText(p))
	}
	p = b.Get(issuePath(is.ID) + "/delete")
	if !strings.Contains(p.Text("ul.effects"), "The token "+old+" it was to replace keeps working.") {
		t.Errorf("delete effects %q", p.Text("ul.effects"))
	}
	p = b.Get(issuePath(is.ID) + "/verify")
	if !strings.Contains(p.Text("ul.effects"), "Disable the token "+old+" it replaces and take it off "+w.r.Name) {
		t.Errorf("verify effects %q", p.Text("ul.effects"))
	}
	if tok, _ := env.Svc.Store.TokenBySerial(ctx, old); !tok.Enabled {
		t.Fatalf("the old token stopped working before the approval: %+v", tok)
	}
	p = b.Post(issuePath(is.ID)+"/verify", nil)
	wantStatus(t, "verify", p, 200, "/admin/issues")
	if tok, _ := env.Svc.Store.TokenBySerial(ctx, old); tok.Enabled {
		t.Fatalf("the old token still works: %+v", tok)
	}
	if tok, _ := env.Svc.Store.TokenBySerial(ctx, is.TokenSerial); !tok.Enabled {
		t.Fatalf("the new token does not work: %+v", tok)
	}
}

// TestIssueConsoleConcurrentHandling races a verify against a delete of
// the same request in the console: one wins (303), the other is told it
// was handled already (409).
func TestIssueConsoleConcurrentHandling(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b1, b2 := signIn(t, env, workflow.RoleHelpdesk), signIn(t, env, workflow.RoleSuperadmin)
	w := newApprovalWorld(t, env, apiTag(t))
	for round := range 4 {
		is := w.enrol(t, env, workflow.FactorPassword)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, b := range []*apptest.Browser{b1, b2} {
			action := "/verify"
			if (i+round)%2 == 1 {
				action = "/delete"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequest(http.MethodPost, env.Server.URL+issuePath(is.ID)+action, strings.NewReader("note=race"))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", env.Server.URL)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				client := *b.Client
				client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				<-start
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		won, lost := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusSeeOther:
				won++
			case http.StatusConflict:
				lost++
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("round %d: statuses %v", round, statuses)
		}
		got, _ := env.Svc.Store.IssueByID(context.Background(), is.ID)
		if got.Note != "race" || (got.Status != workflow.IssueVerified && got.Status != workflow.IssueDeleted) {
			t.Fatalf("round %d: %s with note %q", round, got.Status, got.Note)
		}
	}
}

// TestEnrolmentOwnersConsole: owners handle the new-token requests of their
// resources only when a superadmin allows it on the Settings page. Serial:
// the setting is the package's.
func TestEnrolmentOwnersConsole(t *testing.T) {
	env := apptest.New(t, nil)
	ctx := context.Background()
	super, owner := signIn(t, env, workflow.RoleSuperadmin), signIn(t, env, workflow.RoleOwner)
	w := newApprovalWorld(t, env, apiTag(t))
	if _, err := env.App.Pool.Exec(ctx, `INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)`, w.r.ID, adminOf(t, env, owner).ID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Svc.SetIssueHandling(ctx, workflow.IssueHandling{}, workflow.SystemActor, workflow.Meta{})
	})
	a, b := w.enrol(t, env, workflow.FactorPassword), w.enrol(t, env, workflow.FactorPassword)
	restore := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "absent", env.Clock.Now())
	list := "/admin/issues?resource_id=" + fmt.Sprint(w.r.ID)

	// Off by default: owners read, but handle nothing.
	p := owner.Get(list)
	if tableRows(p) != 3 || p.Doc.Find(`a[href$="/delete"]`).Length() != 0 {
		t.Fatalf("owner's list with the setting off\n%s", mainText(p))
	}
	if p := owner.Get(issuePath(a.ID) + "/verify"); p.Status != 403 {
		t.Fatalf("owner's confirmation with the setting off: %d", p.Status)
	}
	if p := owner.Post(issuePath(a.ID)+"/verify", nil); p.Status != 403 {
		t.Fatalf("owner's verify with the setting off: %d", p.Status)
	}

	// The superadmin turns it on.
	p = super.Get("/admin/settings")
	if p.Doc.Find(`#issue-handling input[name=owners_handle_enrolment]:not([checked])`).Length() != 1 {
		t.Fatalf("settings: no unticked owners checkbox\n%s", p.Text("#issue-handling"))
	}
	p = super.Post("/admin/settings/issue-handling", url.Values{"owners_handle_enrolment": {"1"}})
	wantStatus(t, "turn on", p, 200, "/admin/settings")
	if h, _ := env.Svc.IssueHandlingSettings(ctx); !h.OwnersHandleEnrolment {
		t.Fatal("the setting was not stored")
	}
	if p.Doc.Find(`#issue-handling input[name=owners_handle_enrolment][checked]`).Length() != 1 {
		t.Error("the checkbox does not show the setting")
	}

	// Now the owner handles the new tokens, not the restore request.
	p = owner.Get(list)
	if p.Doc.Find(rowOf(a.ID)+` a[href$="/delete"]`).Length() != 1 || p.Doc.Find(rowOf(restore.ID)+` a[href$="/delete"]`).Length() != 0 {
		t.Fatalf("owner's list with the setting on\n%s", mainText(p))
	}
	if p := owner.Get(issuePath(a.ID) + "/verify"); p.Status != 200 || p.Doc.Find("ul.effects").Length() != 1 {
		t.Fatalf("owner's confirmation: %d", p.Status)
	}
	p = owner.Post(issuePath(a.ID)+"/verify", url.Values{"note": {"owner checked"}})
	wantStatus(t, "owner verify", p, 200, "/admin/issues")
	p = owner.Post(issuePath(b.ID)+"/delete", nil)
	wantStatus(t, "owner delete", p, 200, "/admin/issues")
	if p := owner.Get(issuePath(restore.ID) + "/delete"); p.Status != 403 {
		t.Errorf("owner's delete of a restore request: %d", p.Status)
	}
	if got, _ := env.Svc.Store.IssueByID(ctx, restore.ID); got.Status != workflow.IssueOpen {
		t.Errorf("restore request: %s", got.Status)
	}

	// Off again.
	p = super.Post("/admin/settings/issue-handling", url.Values{})
	wantStatus(t, "turn off", p, 200, "/admin/settings")
	if h, _ := env.Svc.IssueHandlingSettings(ctx); h.OwnersHandleEnrolment {
		t.Fatal("the setting is still on")
	}
}

// TestPortalApproveNewTokens: the portal setting in the console and the API.
func TestPortalApproveNewTokens(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	b, help := signIn(t, env, workflow.RoleSuperadmin), signIn(t, env, workflow.RoleHelpdesk)
	key := apiNewKey(t, env, workflow.RoleSuperadmin, 0)
	tag := apiTag(t)
	r := newResource(t, env, tag+" Approve VPN")
	newPortal(t, env, r, tag+"-approve")
	action := resourcePath(r) + "/portal"

	p := settingsPage(t, b, r)
	if p.Doc.Find(settingsForm+` input#approve_new_tokens:not([checked])`).Length() != 1 || !pageHas(p, "#approve_new_tokens-hint", "User Issues") {
		t.Fatalf("no unticked approve_new_tokens\n%s", mainText(p))
	}
	v := formValues(p, settingsForm)
	v.Set("approve_new_tokens", "1")
	p = b.Post(action, v)
	wantStatus(t, "save", p, 200, resourcePath(r))
	if !storedPortal(t, env, r).ApproveNewTokens {
		t.Fatal("not stored")
	}
	if p := help.Get(resourcePath(r) + "?tab=selfservice"); p.Text(".approve-new-tokens") != "Yes" {
		t.Errorf("summary says %q", p.Text(".approve-new-tokens"))
	}

	var got struct {
		Alias            string `json:"alias"`
		ApproveNewTokens bool   `json:"approve_new_tokens"`
	}
	path := fmt.Sprintf("/api/v1/resources/%d/portal", r.ID)
	status, body := apiDo(t, env, http.MethodGet, path, key, nil)
	apiWant(t, status, body, 200, &got)
	if !got.ApproveNewTokens {
		t.Fatalf("API: %s", body)
	}
	// PUT replaces the whole: left out, it is off.
	status, body = apiDo(t, env, http.MethodPut, path, key, map[string]any{"alias": got.Alias})
	apiWant(t, status, body, 200, &got)
	if got.ApproveNewTokens || storedPortal(t, env, r).ApproveNewTokens {
		t.Fatalf("PUT without the field: %s", body)
	}
	status, body = apiDo(t, env, http.MethodPut, path, key, map[string]any{"alias": got.Alias, "approve_new_tokens": true})
	apiWant(t, status, body, 200, &got)
	if !got.ApproveNewTokens || !storedPortal(t, env, r).ApproveNewTokens {
		t.Fatalf("PUT with the field: %s", body)
	}
	if p := settingsPage(t, b, r); p.Doc.Find(settingsForm+` input#approve_new_tokens[checked]`).Length() != 1 {
		t.Error("the console does not show the API's change")
	}
}
