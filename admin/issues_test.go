package admin_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

// issueWorld is a user with tokens on the resource of their requests and
// on another resource, and a bystander with a token on the same resource.
type issueWorld struct {
	r, other  workflow.Resource
	u, by     workflow.User
	onR       []string // the user's tokens on r: two enabled, one disabled by an admin
	elsewhere string   // the user's enabled token on other
}

// newIssueWorld builds an issueWorld; the tag keeps its names unique.
func newIssueWorld(t *testing.T, env *apptest.Env, tag string) issueWorld {
	t.Helper()
	ctx := context.Background()
	w := issueWorld{r: newResource(t, env, tag+" VPN"), other: newResource(t, env, tag+" Citrix")}
	w.u, w.by = newUser(t, env, tag+"-user"), newUser(t, env, tag+"-bystander")
	u := w.u
	u.Phone = "+31612345678"
	if err := env.Svc.Store.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	w.u = u
	for i, s := range []string{"A", "B", "C"} {
		serial := tag + "-" + s
		importHOTP(t, env, serial)
		giveToken(t, env, serial, w.u, w.r)
		w.onR = append(w.onR, serial)
		if i == 2 {
			tok, _ := env.Svc.Store.TokenBySerial(ctx, serial)
			if _, err := env.Svc.Store.SetTokenEnabled(ctx, tok.ID, false, workflow.DisabledByAdmin); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.elsewhere = tag + "-D"
	importHOTP(t, env, w.elsewhere)
	giveToken(t, env, w.elsewhere, w.u, w.other)
	importHOTP(t, env, tag+"-E")
	giveToken(t, env, tag+"-E", w.by, w.r)
	return w
}

// newPassword is what the requests of the tests ask for.
const newPassword = "velvet-canyon-ledger-58"

// fileIssue stores a request of u on r, filed at, declaring lost lost, with
// the evidence token, password, email.
func fileIssue(t *testing.T, env *apptest.Env, u workflow.User, r workflow.Resource, lost []string, token, password, email string, at time.Time) workflow.Issue {
	t.Helper()
	is := workflow.Issue{UserID: u.ID, ResourceID: r.ID, Lost: lost, Token: token, Password: password, Email: email,
		IP: "192.0.2.7", UserAgent: "Mozilla/5.0 (issue test) Firefox/140.0"}
	if slices.Contains(lost, workflow.LostPassword) {
		h, err := env.Svc.Hasher.Hash(newPassword)
		if err != nil {
			t.Fatal(err)
		}
		is.NewPasswordHash = h
	}
	if slices.Contains(lost, workflow.LostEmail) {
		is.NewEmail = "new-" + u.Login + "@example.org"
	}
	if _, err := env.Svc.Store.CreateIssue(context.Background(), &is, at); err != nil {
		t.Fatal(err)
	}
	return is
}

// snapshot is everything stored of a user and their tokens, by column
// (users.updated_at aside: every change touches it).
func snapshot(t *testing.T, env *apptest.Env, userID int64) map[string]any {
	t.Helper()
	var b []byte
	err := env.App.Pool.QueryRow(context.Background(), `SELECT jsonb_build_object(
		'user', (SELECT to_jsonb(u) - 'updated_at' FROM users u WHERE u.id = $1),
		'tokens', (SELECT coalesce(jsonb_object_agg(t.serial, to_jsonb(t)), '{}') FROM tokens t WHERE t.user_id = $1))`, userID).Scan(&b)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// copyJSON is a deep copy of a snapshot.
func copyJSON(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(m)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantSame(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

// issueEvents counts the activities of event about the request id.
func issueEvents(t *testing.T, env *apptest.Env, event string, id int64) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM activities WHERE event = $1 AND details->>'issue' = $2`, event, strconv.FormatInt(id, 10)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// outcomeMails counts the queued "issue_outcome" mails to an address.
func outcomeMails(t *testing.T, env *apptest.Env, to string) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job
		WHERE kind = 'message' AND args->>'template' = 'issue_outcome' AND args->>'to' = $1`, to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// adminOf is the account a browser from signIn is signed in as.
func adminOf(t *testing.T, env *apptest.Env, b *apptest.Browser) workflow.Admin {
	t.Helper()
	login := b.Get("/admin/").Text(".who strong")
	a, err := env.Svc.Store.AdminByLogin(context.Background(), login)
	if err != nil {
		t.Fatalf("admin %q: %v", login, err)
	}
	return a
}

func issuePath(id int64) string { return views.IssueHref(id) }

// rowOf is the selector of a request's row in the queue.
func rowOf(id int64) string { return "#issue-" + strconv.FormatInt(id, 10) }

func TestIssueList(t *testing.T) {
	// Serial: it counts every open request (the badge).
	env := apptest.New(t, nil)
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleHelpdesk)
	tag := apiTag(t) + "list"
	w := newIssueWorld(t, env, tag)
	now := env.Clock.Now()
	// Filed oldest first, as time goes.
	old := fileIssue(t, env, w.u, w.r, []string{workflow.LostToken}, workflow.EvidenceLost, workflow.EvidenceVerified, workflow.EvidenceAbsent, now.Add(-50*time.Hour))
	u2, u3 := newUser(t, env, tag+"-two"), newUser(t, env, tag+"-three")
	mid := fileIssue(t, env, u2, w.r, []string{workflow.LostPassword, workflow.LostEmail}, workflow.EvidenceAbsent, workflow.EvidenceLost, workflow.EvidenceLost, now.Add(-3*time.Hour))
	recent := fileIssue(t, env, u3, w.r, []string{workflow.LostToken, workflow.LostPassword}, workflow.EvidenceLost, workflow.EvidenceLost, workflow.EvidenceFailed, now.Add(-3*time.Minute))
	done := fileIssue(t, env, w.by, w.r, []string{workflow.LostToken}, workflow.EvidenceLost, workflow.EvidenceVerified, workflow.EvidenceVerified, now.Add(-time.Hour))
	if _, err := env.Svc.DeleteIssue(ctx, done.ID, workflow.SystemActor, "", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}

	counts, err := env.Svc.Store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := b.Get("/admin/issues?resource_id=" + strconv.FormatInt(w.r.ID, 10))
	wantStatus(t, "queue", p, 200, "/admin/issues")
	if p.Text("h1") != "User Issues" {
		t.Fatalf("h1 %q", p.Text("h1"))
	}
	if got := p.Text(".admin-nav .badge"); got != strconv.Itoa(counts.OpenIssues) || counts.OpenIssues < 3 {
		t.Errorf("badge %q, want %d open", got, counts.OpenIssues)
	}
	if v, _ := p.Doc.Find(`.admin-nav a[aria-current=page]`).Attr("href"); v != "/admin/issues" {
		t.Errorf("current nav entry %q", v)
	}
	// Open requests only, newest first.
	var order []string
	p.Doc.Find("table tbody tr").Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("id", "")) })
	want := []string{rowOf(recent.ID)[1:], rowOf(mid.ID)[1:], rowOf(old.ID)[1:]}
	if !slices.Equal(order, want) {
		t.Fatalf("rows %v, want %v", order, want)
	}
	if p.Text(".pager") != "3 requests" {
		t.Errorf("pager %q", p.Text(".pager"))
	}

	row := p.Doc.Find(rowOf(old.ID))
	cells := row.Find("th, td")
	text := func(i int) string { return strings.Join(strings.Fields(cells.Eq(i).Text()), " ") }
	if href, _ := cells.Eq(0).Find("a").Attr("href"); href != userPath(w.u) || text(0) != w.u.Login+" First Last "+w.u.Login {
		t.Errorf("login cell %q → %q", text(0), href)
	}
	// The actions come right after the login (issue 15: at 1280 px they
	// were off-screen at the end of a wide row); contact and address are on
	// the request's page.
	if !cells.Eq(1).HasClass("row-actions") || !strings.HasPrefix(text(1), "Verify identity") {
		t.Errorf("second cell %q is not the actions", text(1))
	}
	if text(2) != w.r.Name || !cells.Eq(3).HasClass("kind") || text(3) != "Restore access" || text(4) != "lost token" {
		t.Errorf("resource, kind, requested: %q, %q, %q", text(2), text(3), text(4))
	}
	if text(6) != "2 days ago" || text(7) != "open" || cells.Length() != 8 {
		t.Errorf("age %q, status %q, %d cells", text(6), text(7), cells.Length())
	}
	if strings.Contains(row.Text(), "192.0.2.7") || row.Find(`a[href^="mailto:"]`).Length() != 0 {
		t.Errorf("the row still shows contact data or the address: %q", row.Text())
	}
	// Each icon has its colour class and says the same in text.
	for _, c := range []struct{ sel, label string }{
		{".auth-token.ev-lost", "Token: lost"},
		{".auth-password.ev-verified", "Password: verified"},
		{".auth-email.ev-absent", "Email: absent"},
	} {
		icon := row.Find(".authenticators " + c.sel)
		if icon.Length() != 1 || strings.TrimSpace(icon.Find(".visually-hidden").Text()) != c.label {
			t.Errorf("%s: %d icons, text %q", c.sel, icon.Length(), icon.Find(".visually-hidden").Text())
		}
		if h, _ := icon.Find("svg").Attr("aria-hidden"); h != "true" {
			t.Errorf("%s: the svg is not hidden from screen readers", c.sel)
		}
	}
	if n := row.Find(".auth").Length(); n != 3 {
		t.Errorf("%d icons, want 3", n)
	}
	if got := p.Text(rowOf(recent.ID) + " .authenticators"); got != "Token: lost Password: lost Email: failed" {
		t.Errorf("icons of the recent request say %q", got)
	}
	if got := p.Text(rowOf(recent.ID) + " td:nth-of-type(6)"); got != "3 minutes ago" {
		t.Errorf("recent age %q", got)
	}
	if got := p.Text(rowOf(mid.ID) + " td:nth-of-type(4)"); got != "forgotten password, lost email" {
		t.Errorf("mid requested %q", got)
	}
	if href, _ := row.Find(`a:contains("Verify identity")`).Attr("href"); href != issuePath(old.ID) {
		t.Errorf("Verify identity → %q", href)
	}
	// The trash icon leads to the confirmation: no direct post from the list.
	del := row.Find("a.icon-button")
	if a, _ := del.Attr("href"); a != issuePath(old.ID)+"/delete" || strings.TrimSpace(del.Text()) != "Delete request of "+w.u.Login ||
		row.Find("form").Length() != 0 {
		t.Errorf("delete link %q, text %q", a, del.Text())
	}

	// Status filter: the deleted one, and everything.
	p = b.Get("/admin/issues?status=deleted&resource_id=" + strconv.FormatInt(w.r.ID, 10))
	if tableRows(p) != 1 || p.Doc.Find(rowOf(done.ID)).Length() != 1 || !strings.Contains(p.Text(rowOf(done.ID)), "deleted") {
		t.Fatalf("deleted filter: %d rows\n%s", tableRows(p), mainText(p))
	}
	if p.Doc.Find(rowOf(done.ID)+` a[href$="/delete"]`).Length() != 0 {
		t.Error("a handled request offers Delete")
	}
	if v, _ := p.Doc.Find("#filter-status option[selected]").Attr("value"); v != "deleted" {
		t.Errorf("status select shows %q", v)
	}
	p = b.Get("/admin/issues?status=all&resource_id=" + strconv.FormatInt(w.r.ID, 10))
	if tableRows(p) != 4 {
		t.Fatalf("all: %d rows", tableRows(p))
	}
	// Another resource has none of them.
	p = b.Get("/admin/issues?resource_id=" + strconv.FormatInt(w.other.ID, 10))
	if tableRows(p) != 0 || !pageHas(p, "main", "No requests match") {
		t.Fatalf("other resource: %d rows", tableRows(p))
	}
	// The dashboard and other pages carry the badge too.
	if got := b.Get("/admin/users").Text(".admin-nav .badge"); got != strconv.Itoa(counts.OpenIssues) {
		t.Errorf("badge on Users: %q", got)
	}
}

func TestIssuePaging(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t) + "page"
	r := newResource(t, env, tag)
	start := env.Clock.Now().Add(-time.Hour)
	var ids []int64
	for i := range 53 {
		u := workflow.User{Login: tag + "-" + strconv.Itoa(i), Language: "en"}
		if err := env.Svc.Store.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		is := fileIssue(t, env, u, r, []string{workflow.LostToken}, workflow.EvidenceLost, workflow.EvidenceAbsent, workflow.EvidenceAbsent, start.Add(time.Duration(i)*time.Second))
		ids = append(ids, is.ID)
	}
	slices.Reverse(ids)
	base := "/admin/issues?resource_id=" + strconv.FormatInt(r.ID, 10) + "&status=all"
	p := b.Get(base)
	if tableRows(p) != 50 || p.Text(".pager") != "53 requests Next page" {
		t.Fatalf("first page: %d rows, pager %q", tableRows(p), p.Text(".pager"))
	}
	if got, _ := p.Doc.Find("table tbody tr").First().Attr("id"); got != rowOf(ids[0])[1:] {
		t.Errorf("first row %q, want the newest", got)
	}
	next, _ := p.Doc.Find(`.pager a[rel=next]`).Attr("href")
	for _, want := range []string{"resource_id=" + strconv.FormatInt(r.ID, 10), "status=all", "before=" + strconv.FormatInt(ids[49], 10)} {
		if !strings.Contains(next, want) {
			t.Errorf("next link %q lacks %q", next, want)
		}
	}
	p = b.Get(next)
	if tableRows(p) != 3 || p.Doc.Find(rowOf(ids[50])).Length() != 1 || p.Doc.Find(`.pager a[rel=next]`).Length() != 0 {
		t.Fatalf("second page: %d rows\n%s", tableRows(p), p.Text(".pager"))
	}
	first, _ := p.Doc.Find(`.pager a:contains("First page")`).Attr("href")
	if strings.Contains(first, "before=") || !strings.Contains(first, "status=all") || !strings.Contains(first, "resource_id=") {
		t.Errorf("first page link %q", first)
	}
}

// TestIssueVerify verifies every combination of what can be lost through
// the console and checks that exactly its effects, and nothing else, were
// applied.
func TestIssueVerify(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleHelpdesk)
	me := adminOf(t, env, b)
	L, V, F, A := workflow.EvidenceLost, workflow.EvidenceVerified, workflow.EvidenceFailed, workflow.EvidenceAbsent
	cases := []struct {
		name                   string
		lost                   []string
		token, password, email string
	}{
		{"lost token", []string{"token"}, L, V, F},
		{"forgotten password", []string{"password"}, V, L, A},
		{"lost email", []string{"email"}, F, V, L},
		{"token and password", []string{"token", "password"}, L, L, V},
		{"token and email", []string{"token", "email"}, L, V, L},
		{"password and email", []string{"password", "email"}, A, L, L},
		{"everything", []string{"token", "password", "email"}, L, L, L},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newIssueWorld(t, env, apiTag(t)+"v")
			env.Clock.Advance(time.Minute)
			is := fileIssue(t, env, w.u, w.r, tc.lost, tc.token, tc.password, tc.email, env.Clock.Now().Add(-10*time.Minute))
			before, bystander := snapshot(t, env, w.u.ID), snapshot(t, env, w.by.ID)

			// The request's page leads to the confirmation, which lists the
			// effects, and only its button posts.
			p := b.Get(issuePath(is.ID))
			wantStatus(t, "request", p, 200, issuePath(is.ID))
			if p.Doc.Find(`a[href="`+issuePath(is.ID)+`/verify"]`).Length() != 1 || p.Doc.Find(`a[href="`+issuePath(is.ID)+`/delete"]`).Length() != 1 ||
				p.Doc.Find("main form").Length() != 0 {
				t.Fatalf("the request's page does not lead to the confirmations\n%s", mainText(p))
			}
			p = b.Get(issuePath(is.ID) + "/verify")
			wantStatus(t, "confirmation", p, 200, issuePath(is.ID)+"/verify")
			effects := p.Text(".effects")
			tokenOn := slices.Contains(tc.lost, "token")
			if strings.Contains(effects, w.onR[0]+", "+w.onR[1]) != tokenOn || strings.Contains(effects, w.onR[2]) || strings.Contains(effects, w.elsewhere) {
				t.Errorf("token effects: %q", effects)
			}
			if strings.Contains(effects, "Replace the user's password") != slices.Contains(tc.lost, "password") ||
				strings.Contains(effects, "to new-"+w.u.Login+"@example.org") != slices.Contains(tc.lost, "email") {
				t.Errorf("effects: %q", effects)
			}
			if p.Doc.Find(`form[action="`+issuePath(is.ID)+`/verify"] button`).Text() != "Verify identity and apply" {
				t.Fatalf("no verify button\n%s", mainText(p))
			}
			if got := p.Text(".admin-nav .badge"); got == "" {
				t.Error("no badge on the confirmation page")
			}

			env.Clock.Advance(time.Second)
			p = b.Post(issuePath(is.ID)+"/verify", nil)
			wantStatus(t, "verify", p, 200, "/admin/issues")
			if !strings.HasPrefix(flashOf(p), "Request of "+w.u.Login+" verified: ") {
				t.Fatalf("flash %q", flashOf(p))
			}

			// Exactly the requested changes.
			after := snapshot(t, env, w.u.ID)
			want := copyJSON(t, before)
			user := want["user"].(map[string]any)
			if slices.Contains(tc.lost, "token") {
				for serial, v := range want["tokens"].(map[string]any) {
					tok := v.(map[string]any)
					if tok["resource_id"] == float64(w.r.ID) && tok["enabled"] == true {
						tok["enabled"], tok["disabled_reason"] = false, "lost"
						if !slices.Contains(w.onR, serial) {
							t.Errorf("token %s is not on the resource?", serial)
						}
					}
				}
			}
			if slices.Contains(tc.lost, "password") {
				user["password_hash"] = is.NewPasswordHash
				user["password_changed_at"] = after["user"].(map[string]any)["password_changed_at"]
				user["temporary_until"] = nil
			}
			if slices.Contains(tc.lost, "email") {
				user["email"] = is.NewEmail
			}
			wantSame(t, "the user and their tokens", after, want)
			wantSame(t, "the bystander", snapshot(t, env, w.by.ID), bystander)

			u, err := env.Svc.Store.UserByID(ctx, w.u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(tc.lost, "password") {
				if !env.Svc.Hasher.Compare(u.PasswordHash, newPassword) || u.PasswordChangedAt == nil || !u.PasswordChangedAt.Equal(env.Clock.Now()) {
					t.Errorf("password: changed at %v", u.PasswordChangedAt)
				}
			}
			for _, serial := range w.onR[:2] {
				tok, _ := env.Svc.Store.TokenBySerial(ctx, serial)
				if tokenOn && (tok.Enabled || tok.DisabledReason != workflow.DisabledLost || tok.ResourceID == nil || *tok.ResourceID != w.r.ID || tok.UserID == nil || *tok.UserID != w.u.ID) {
					t.Errorf("token %s after a lost token: %+v", serial, tok)
				}
			}

			got, err := env.Svc.Store.IssueByID(ctx, is.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != workflow.IssueVerified || got.HandledBy == nil || *got.HandledBy != me.ID || got.HandledAt == nil || !got.HandledAt.Equal(env.Clock.Now()) {
				t.Fatalf("issue after verify: %+v", got)
			}
			if n := issueEvents(t, env, workflow.EventIssueVerified, is.ID); n != 1 {
				t.Errorf("%d IssueVerified activities", n)
			}
			if n := issueEvents(t, env, workflow.EventIssueDeleted, is.ID); n != 0 {
				t.Errorf("%d IssueDeleted activities", n)
			}
			// The person on record is told at the old address, and at the
			// new one when the address changed.
			if outcomeMails(t, env, w.u.Email) != 1 || (is.NewEmail != "" && outcomeMails(t, env, is.NewEmail) != 1) {
				t.Errorf("outcome mails: %d to %s, %d to %s", outcomeMails(t, env, w.u.Email), w.u.Email, outcomeMails(t, env, is.NewEmail), is.NewEmail)
			}

			// Handled: the page says by whom and when, and offers nothing.
			p = b.Get(issuePath(is.ID))
			if h := p.Text(".handled"); !strings.Contains(h, "verified by "+me.Login) || !strings.Contains(h, i18n.DateTimeIn("en", env.Clock.Now())) {
				t.Errorf("handled: %q", h)
			}
			if p.Doc.Find("main form").Length() != 0 || p.Doc.Find(`a[href$="/verify"]`).Length() != 0 {
				t.Error("a handled request still has buttons")
			}
			if p := b.Get(issuePath(is.ID) + "/verify"); p.Status != 409 {
				t.Errorf("confirmation of a handled request: %d", p.Status)
			}
			// A second verify or delete changes nothing.
			for _, action := range []string{"/verify", "/delete"} {
				p = b.Post(issuePath(is.ID)+action, nil)
				if p.Status != 409 || !pageHas(p, "main", "This request was already handled (verified).") {
					t.Fatalf("second %s: %d\n%s", action, p.Status, mainText(p))
				}
			}
			wantSame(t, "after the second attempts", snapshot(t, env, w.u.ID), after)
			if n := issueEvents(t, env, workflow.EventIssueVerified, is.ID); n != 1 {
				t.Errorf("%d IssueVerified activities after the second attempts", n)
			}
		})
	}
}

func TestIssueDelete(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleSuperadmin)
	me := adminOf(t, env, b)
	w := newIssueWorld(t, env, apiTag(t)+"del")
	is := fileIssue(t, env, w.u, w.r, []string{"token", "password", "email"}, "lost", "lost", "lost", env.Clock.Now())
	before := snapshot(t, env, w.u.ID)

	p := b.Post(issuePath(is.ID)+"/delete", nil)
	wantStatus(t, "delete", p, 200, "/admin/issues")
	if flashOf(p) != "Request of "+w.u.Login+" deleted; nothing else was changed; the user is told by mail at "+w.u.Email+" and by mail at "+is.NewEmail+" and by SMS to +31612345678." {
		t.Fatalf("flash %q", flashOf(p))
	}
	wantSame(t, "after delete", snapshot(t, env, w.u.ID), before)
	got, _ := env.Svc.Store.IssueByID(ctx, is.ID)
	if got.Status != workflow.IssueDeleted || got.HandledBy == nil || *got.HandledBy != me.ID {
		t.Fatalf("issue after delete: %+v", got)
	}
	if issueEvents(t, env, workflow.EventIssueDeleted, is.ID) != 1 || issueEvents(t, env, workflow.EventIssueVerified, is.ID) != 0 {
		t.Error("activities of the delete")
	}
	if outcomeMails(t, env, is.NewEmail) != 1 || outcomeMails(t, env, w.u.Email) != 1 {
		t.Error("the user was not told of the deleted request at both addresses")
	}
	p = b.Post(issuePath(is.ID)+"/verify", nil)
	if p.Status != 409 || !pageHas(p, "main", "This request was already handled (deleted).") {
		t.Fatalf("verify after delete: %d\n%s", p.Status, mainText(p))
	}
	wantSame(t, "after verify of a deleted request", snapshot(t, env, w.u.ID), before)

	// A request replaced by a newer one is withdrawn, and cannot be verified.
	first := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "verified", env.Clock.Now())
	fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "failed", env.Clock.Now())
	p = b.Post(issuePath(first.ID)+"/verify", nil)
	if p.Status != 409 || !pageHas(p, "main", "already handled (withdrawn)") {
		t.Fatalf("verify a withdrawn request: %d\n%s", p.Status, mainText(p))
	}
	p = b.Get(issuePath(first.ID))
	if !strings.Contains(p.Text(".handled"), "withdrawn by the user") {
		t.Errorf("withdrawn: %q", p.Text(".handled"))
	}
	// Unknown requests are not found.
	if p := b.Post(issuePath(1<<40)+"/verify", nil); p.Status != 404 {
		t.Errorf("verify an unknown request: %d", p.Status)
	}
	if p := b.Get(issuePath(1 << 40)); p.Status != 404 {
		t.Errorf("unknown request page: %d", p.Status)
	}
	if p := b.Get("/admin/issues/abc"); p.Status != 404 {
		t.Errorf("malformed id: %d", p.Status)
	}
}

func TestIssueOwner(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	tag := apiTag(t) + "own"
	mine, theirs := newResource(t, env, tag+" mine"), newResource(t, env, tag+" theirs")
	owner := signIn(t, env, workflow.RoleOwner)
	a := adminOf(t, env, owner)
	if _, err := env.App.Pool.Exec(ctx, `INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)`, mine.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	u := newUser(t, env, tag+"-u")
	ownIssue := fileIssue(t, env, u, mine, []string{"token"}, "lost", "verified", "verified", env.Clock.Now())
	foreign := fileIssue(t, env, u, theirs, []string{"token"}, "lost", "verified", "verified", env.Clock.Now())

	p := owner.Get("/admin/issues?status=all")
	wantStatus(t, "owner's queue", p, 200, "/admin/issues")
	if p.Doc.Find(rowOf(ownIssue.ID)).Length() != 1 || p.Doc.Find(rowOf(foreign.ID)).Length() != 0 {
		t.Fatalf("owner sees\n%s", mainText(p))
	}
	p.Doc.Find("table tbody tr td:nth-of-type(2)").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) != mine.Name {
			t.Errorf("owner sees a request of %q", s.Text())
		}
	})
	var opts []string
	p.Doc.Find("#filter-resource option").Each(func(_ int, s *goquery.Selection) { opts = append(opts, s.AttrOr("value", "")) })
	if !slices.Equal(opts, []string{"", strconv.FormatInt(mine.ID, 10)}) {
		t.Errorf("owner's resource choices %v", opts)
	}
	if p.Doc.Find("main table form").Length() != 0 || p.Doc.Find(`a:contains("Verify identity")`).Length() != 0 {
		t.Error("an owner is offered verify or delete")
	}
	// Asking for a foreign resource by filter shows nothing.
	if p := owner.Get("/admin/issues?status=all&resource_id=" + strconv.FormatInt(theirs.ID, 10)); tableRows(p) != 0 {
		t.Errorf("foreign filter: %d rows", tableRows(p))
	}

	p = owner.Get(issuePath(ownIssue.ID))
	wantStatus(t, "own request", p, 200, issuePath(ownIssue.ID))
	if p.Doc.Find("main form").Length() != 0 || p.Doc.Find(`a[href$="/verify"], a[href$="/delete"]`).Length() != 0 {
		t.Errorf("owner's view of a request:\n%s", mainText(p))
	}
	if p := owner.Get(issuePath(foreign.ID)); p.Status != 404 {
		t.Errorf("foreign request: %d", p.Status)
	}
	for _, action := range []string{"/verify", "/delete"} {
		if p := owner.Post(issuePath(ownIssue.ID)+action, nil); p.Status != 403 {
			t.Errorf("owner %s: %d", action, p.Status)
		}
		if p := owner.Get(issuePath(ownIssue.ID) + action); p.Status != 403 {
			t.Errorf("owner's confirmation %s: %d", action, p.Status)
		}
	}
	if got, _ := env.Svc.Store.IssueByID(ctx, ownIssue.ID); got.Status != workflow.IssueOpen {
		t.Fatalf("the owner changed the request: %s", got.Status)
	}
}

func TestNotificationSettings(t *testing.T) {
	// Serial: it subscribes to requests of every resource, which other tests file.
	env := apptest.New(t, nil)
	ctx := context.Background()
	tag := apiTag(t) + "note"
	r1, r2 := newResource(t, env, tag+" one"), newResource(t, env, tag+" two")
	b := signIn(t, env, workflow.RoleSuperadmin)
	me := adminOf(t, env, b)
	id1, id2 := strconv.FormatInt(r1.ID, 10), strconv.FormatInt(r2.ID, 10)

	p := b.Get("/admin/notifications")
	wantStatus(t, "notifications", p, 200, "/admin/notifications")
	if p.Doc.Find(`.admin-top a[href="/admin/notifications"]`).Text() != "Notifications" {
		t.Error("no Notifications link in the top bar")
	}
	if v, _ := p.Doc.Find(`input[name=subscribe][checked]`).Attr("value"); v != "none" {
		t.Errorf("subscribe prefilled %q", v)
	}
	if p.Doc.Find(`input[name=resource_id][value="`+id1+`"]`).Length() != 1 {
		t.Fatal("no checkbox for the resource")
	}

	for _, c := range []struct {
		name  string
		form  []string
		field string
	}{
		{"all without email", []string{"subscribe", "all", "email", ""}, "email"},
		{"some without email", []string{"subscribe", "some", "email", "", "resource_id", id1}, "email"},
		{"bad email", []string{"subscribe", "all", "email", "not-an-address"}, "email"},
		{"some without resources", []string{"subscribe", "some", "email", "me@example.com"}, "resource_id"},
		{"unknown resource", []string{"subscribe", "some", "email", "me@example.com", "resource_id", "999999999"}, "resource_id"},
		{"unknown choice", []string{"subscribe", "sometimes", "email", "me@example.com"}, "subscribe"},
	} {
		p := b.Post("/admin/notifications", apptest.Form(c.form...))
		if p.Status != 422 || p.Text("#"+c.field+"-error") == "" {
			t.Errorf("%s: %d, %s error %q", c.name, p.Status, c.field, p.Text("#"+c.field+"-error"))
		}
	}
	if all, res, _ := env.Svc.Store.Subscriptions(ctx, me.ID); all || len(res) != 0 {
		t.Fatalf("an invalid form saved: %v %v", all, res)
	}

	p = b.Post("/admin/notifications", apptest.Form("email", "helpdesk@example.com", "subscribe", "some", "resource_id", id1, "resource_id", id2))
	wantStatus(t, "save some", p, 200, "/admin/notifications")
	if flashOf(p) != "Your notification settings were saved." {
		t.Errorf("flash %q", flashOf(p))
	}
	all, res, err := env.Svc.Store.Subscriptions(ctx, me.ID)
	slices.Sort(res)
	if err != nil || all || !slices.Equal(res, []int64{r1.ID, r2.ID}) {
		t.Fatalf("subscriptions %v %v %v", all, res, err)
	}
	if attrValue(p, "#email") != "helpdesk@example.com" || p.Doc.Find(`input[name=subscribe][value=some][checked]`).Length() != 1 ||
		p.Doc.Find(`input[name=resource_id][checked]`).Length() != 2 {
		t.Errorf("not prefilled from what was saved:\n%s", mainText(p))
	}
	subs, _ := env.Svc.Store.IssueSubscribers(ctx, r1.ID)
	if !slices.ContainsFunc(subs, func(a workflow.Admin) bool { return a.ID == me.ID && a.Email == "helpdesk@example.com" }) {
		t.Error("not among the subscribers of the resource")
	}

	b.Post("/admin/notifications", apptest.Form("email", "helpdesk@example.com", "subscribe", "all"))
	if all, res, _ := env.Svc.Store.Subscriptions(ctx, me.ID); !all || len(res) != 0 {
		t.Fatalf("all: %v %v", all, res)
	}
	p = b.Post("/admin/notifications", apptest.Form("email", "", "subscribe", "none", "resource_id", id1))
	wantStatus(t, "none", p, 200, "/admin/notifications")
	if all, res, _ := env.Svc.Store.Subscriptions(ctx, me.ID); all || len(res) != 0 {
		t.Fatalf("none: %v %v", all, res)
	}
	var n int
	_ = env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM activities WHERE event = 'NotificationsChanged' AND actor_id = $1`, me.ID).Scan(&n)
	if n != 3 {
		t.Errorf("%d NotificationsChanged activities, want 3", n)
	}

	// An owner chooses among their resources only.
	owner := signIn(t, env, workflow.RoleOwner)
	oa := adminOf(t, env, owner)
	if _, err := env.App.Pool.Exec(ctx, `INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)`, r1.ID, oa.ID); err != nil {
		t.Fatal(err)
	}
	p = owner.Get("/admin/notifications")
	var boxes []string
	p.Doc.Find(`input[name=resource_id]`).Each(func(_ int, s *goquery.Selection) { boxes = append(boxes, s.AttrOr("value", "")) })
	if !slices.Equal(boxes, []string{id1}) {
		t.Errorf("owner's choices %v", boxes)
	}
	p = owner.Post("/admin/notifications", apptest.Form("email", "owner@example.com", "subscribe", "some", "resource_id", id2))
	if p.Status != 422 || p.Text("#resource_id-error") == "" {
		t.Errorf("owner subscribes to a foreign resource: %d", p.Status)
	}
	p = owner.Post("/admin/notifications", apptest.Form("email", "owner@example.com", "subscribe", "some", "resource_id", id1))
	wantStatus(t, "owner saves", p, 200, "/admin/notifications")
	if all, res, _ := env.Svc.Store.Subscriptions(ctx, oa.ID); all || !slices.Equal(res, []int64{r1.ID}) {
		t.Fatalf("owner's subscriptions %v %v", all, res)
	}
}

// TestIssueOutcomeMail verifies a lost-email request and receives the
// outcome mail, over SMTP, at the new address and at the old one.
func TestIssueOutcomeMail(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	srv := smtptest.Start(t)
	cfg := apptest.Config(t)
	cfg.SMTPURL = srv.URL()
	env := apptest.New(t, &cfg)
	env.StartQueue(t)
	b := signIn(t, env, workflow.RoleHelpdesk)
	w := newIssueWorld(t, env, apiTag(t)+"mail")
	is := fileIssue(t, env, w.u, w.r, []string{"token", "email"}, "lost", "verified", "lost", env.Clock.Now())

	p := b.Post(issuePath(is.ID)+"/verify", nil)
	wantStatus(t, "verify", p, 200, "/admin/issues")
	if !strings.Contains(flashOf(p), "by mail at "+w.u.Email+" and by mail at "+is.NewEmail) {
		t.Errorf("flash %q", flashOf(p))
	}
	m := srv.WaitFor(t, smtptest.To(is.NewEmail), 15*time.Second)
	if m.Subject != "Your access has been restored" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{w.u.Login, w.r.Name, "new email address is now on record", "tokens for " + w.r.Name + " have been disabled"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Body)
		}
	}
	// The old address learns of it too: it may be the only one the real
	// person still reads (issue #11).
	m = srv.WaitFor(t, smtptest.To(w.u.Email), 15*time.Second)
	if !strings.Contains(m.Body, "Your email address was changed to "+is.NewEmail+"; this is the last message sent to this address.") {
		t.Errorf("mail to the old address:\n%s", m.Body)
	}
}
