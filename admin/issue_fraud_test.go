package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

// Issue #11: a stranger who knows a login files a restore-access request
// with everything "lost" and a new email address of their own. These tests
// carry out that attack and check that the person on record hears of it at
// every step, that the helpdesk sees the warning signs, and that the audit
// trail records every change.

// attackerBrowser is how attackerUA is shown.
const attackerBrowser = "Chrome on Windows"

// openPortal opens a self-service portal on w.r, with w.u assigned to it,
// and returns its alias.
func openPortal(t *testing.T, env *apptest.Env, w issueWorld, tag string) string {
	t.Helper()
	ctx := context.Background()
	in := workflow.DefaultPortalInput(strings.ToLower(tag) + "-portal")
	in.Enabled = true
	if _, err := env.Svc.SavePortal(ctx, w.r.ID, in, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Svc.AssignUser(ctx, w.r.ID, w.u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	return in.Alias
}

// fileAsStranger walks the portal's restore pages as the attacker: the
// victim's login, everything lost, a password and an address of their own.
// It returns the open request.
func fileAsStranger(t *testing.T, env *apptest.Env, alias string, w issueWorld, newEmail string) workflow.Issue {
	t.Helper()
	b := env.Browser()
	b.UserAgent = attackerUA
	base := "/selfservice/" + alias + "/restore"
	b.Post(base, apptest.Form("login", w.u.Login, "lost_token", "1", "forgot_password", "1", "lost_email", "1"))
	p := b.Post(base, apptest.Form("new_password", "quartz-meadow-lantern-84", "new_email", newEmail))
	if !strings.Contains(p.Text(".notice.success"), "Your request has been sent") {
		t.Fatalf("filing: %d %s", p.Status, mainText(p))
	}
	list, _, err := env.Svc.Store.ListIssues(context.Background(), workflow.IssueFilter{Status: workflow.IssueOpen, UserID: w.u.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("open requests of the victim: %v %v", list, err)
	}
	return list[0]
}

// takeover is the attack in progress: a victim (w.u, with the language
// given and a phone of their own) on a portal, a helpdesk admin, and the
// request the stranger filed with their address evil.
type takeover struct {
	env      *apptest.Env
	srv      *smtptest.Server
	helpdesk *apptest.Browser
	w        issueWorld
	alias    string
	evil     string
	is       workflow.Issue
}

func newTakeover(t *testing.T, tag, lang string) takeover {
	t.Helper()
	env, srv := newMailEnv(t, true)
	a := takeover{env: env, srv: srv, helpdesk: signIn(t, env, workflow.RoleHelpdesk)}
	tag = apiTag(t) + tag
	a.w = newIssueWorld(t, env, tag)
	setContact(t, env, &a.w.u, lang)
	a.alias = openPortal(t, env, a.w, tag)
	a.evil = tag + "-attacker@evil.example"
	a.is = fileAsStranger(t, env, a.alias, a.w, a.evil)
	return a
}

// queued counts the queued messages of channel and template to an address.
func queued(t *testing.T, env *apptest.Env, channel, template, to string) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'message'
		AND args->>'channel' = $1 AND args->>'template' = $2 AND args->>'to' = $3`, channel, template, to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// setContact gives the user a language and a phone number of their own
// (the SMS queued to it are counted).
func setContact(t *testing.T, env *apptest.Env, u *workflow.User, lang string) {
	t.Helper()
	u.Language, u.Phone = lang, fmt.Sprintf("+4915%09d", u.ID)
	if err := env.Svc.Store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// wantMail waits for the mail to to whose subject contains subject and
// checks that its body says every one of wants.
func wantMail(t *testing.T, srv *smtptest.Server, to, subject string, wants ...string) smtptest.Message {
	t.Helper()
	m := srv.WaitFor(t, smtptest.ToWith(to, subject), 15*time.Second)
	for _, w := range wants {
		if !strings.Contains(m.Body, w) {
			t.Errorf("the mail %q to %s lacks %q:\n%s", m.Subject, to, w, m.Body)
		}
	}
	return m
}

// TestRestoreTakeoverIsToldToThePersonOnRecord: the stranger files the
// request and a careless helpdesk approves it. The victim is told, in
// German (their language), at the address on record and by SMS, when the
// request is filed (what, from where, how to stop it) and when it is
// approved (the address changed); the new address is told only the outcome.
func TestRestoreTakeoverIsToldToThePersonOnRecord(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	a := newTakeover(t, "take", "de")
	env, srv, helpdesk, w, evil, is := a.env, a.srv, a.helpdesk, a.w, a.evil, a.is
	wantMail(t, srv, w.u.Email, "Jemand möchte den Zugang zu Ihrem Konto wiederherstellen",
		"die Deaktivierung Ihrer Tokens für "+w.r.Name, "ein neues Passwort, das die anfragende Person gewählt hat",
		"die Änderung Ihrer E-Mail-Adresse auf "+evil, "IP-Adresse: 127.0.0.1", "Browser:    "+attackerBrowser,
		"melden Sie sich einfach an unter http://tokenportal.test/selfservice/"+a.alias+"/login",
		"Damit wird die Anfrage zurückgezogen. Rufen Sie danach Ihren Helpdesk an")
	if n := queued(t, env, workflow.ChannelSMS, "issue_filed", w.u.Phone); n != 1 {
		t.Errorf("%d SMS about the filed request to %s", n, w.u.Phone)
	}
	if queued(t, env, workflow.ChannelEmail, "issue_filed", evil) != 0 {
		t.Error("the attacker's address was told of the filing")
	}

	p := helpdesk.Get(issuePath(is.ID) + "/verify")
	effects := p.Text(".effects")
	if !strings.Contains(effects, "by mail at "+w.u.Email+" and by mail at "+evil+" and by SMS to "+w.u.Phone) {
		t.Errorf("the confirmation does not say who is told: %q", effects)
	}
	p = helpdesk.Post(issuePath(is.ID)+"/verify", nil)
	wantStatus(t, "verify", p, 200, "/admin/issues")
	if !strings.Contains(flashOf(p), "the user is told by mail at "+w.u.Email+" and by mail at "+evil+" and by SMS to "+w.u.Phone) {
		t.Errorf("flash %q", flashOf(p))
	}
	wantMail(t, srv, w.u.Email, "Ihr Zugang wurde wiederhergestellt",
		"Ihre E-Mail-Adresse wurde auf "+evil+" geändert; dies ist die letzte Nachricht an diese Adresse.",
		"Falls Sie diese Anfrage nicht gestellt haben, wenden Sie sich bitte umgehend an Ihren Helpdesk.")
	m := wantMail(t, srv, evil, "Ihr Zugang wurde wiederhergestellt", "Ihre neue E-Mail-Adresse ist jetzt hinterlegt")
	if strings.Contains(m.Body, "letzte Nachricht") {
		t.Errorf("the new address got the old address's text:\n%s", m.Body)
	}
	if n := queued(t, env, workflow.ChannelSMS, "issue_outcome", w.u.Phone); n != 1 {
		t.Errorf("%d SMS about the outcome", n)
	}
}

// TestDeletedRequestIsToldToThePersonOnRecord: the helpdesk sees through
// the request and deletes it; the person on record still learns that a
// request was filed in their name and declined, and so does the address
// the request gave.
func TestDeletedRequestIsToldToThePersonOnRecord(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	a := newTakeover(t, "decl", "en")
	env, srv, helpdesk, w, evil, is := a.env, a.srv, a.helpdesk, a.w, a.evil, a.is
	before := snapshot(t, env, w.u.ID)

	p := helpdesk.Post(issuePath(is.ID)+"/delete", nil)
	wantStatus(t, "delete", p, 200, "/admin/issues")
	wantSame(t, "the victim after the delete", snapshot(t, env, w.u.ID), before)
	for _, to := range []string{w.u.Email, evil} {
		wantMail(t, srv, to, "Your request to restore access was declined",
			"The helpdesk has declined the request to restore access to "+w.r.Name+" that was filed in your name. Nothing was changed.")
	}
	if n := queued(t, env, workflow.ChannelSMS, "issue_outcome", w.u.Phone); n != 1 {
		t.Errorf("%d SMS about the deleted request", n)
	}
}

// TestAdminContactChangeTellsTheOldAddress: an email change by an admin,
// in the console or the API, is told at the old address; a phone change
// at the address on record. Each writes its own event.
func TestAdminContactChangeTellsTheOldAddress(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	env, srv := newMailEnv(t, true)
	ctx := context.Background()
	helpdesk := signIn(t, env, workflow.RoleHelpdesk)
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	tag := apiTag(t) + "contact"
	u := newUser(t, env, tag+"-u")
	setContact(t, env, &u, "nl")
	old := u.Email
	second, third := tag+"-second@example.net", tag+"-third@example.org"

	p := helpdesk.Post(userPath(u), apptest.Form("first_name", u.FirstName, "last_name", u.LastName, "email", second,
		"phone", "+31 6 2345 6789", "language", "nl"))
	wantStatus(t, "console edit", p, 200, userPath(u))
	wantMail(t, srv, old, "Uw e-mailadres is gewijzigd", "is gewijzigd in "+second)
	wantMail(t, srv, old, "Uw telefoonnummer is gewijzigd", "is gewijzigd in ••••6789")
	if slices.ContainsFunc(srv.Messages(), smtptest.To(second)) {
		t.Error("the new address was told instead of the old one")
	}

	status, body := apiDo(t, env, http.MethodPatch, "/api/v1/users/"+strconv.FormatInt(u.ID, 10), key, map[string]any{"email": third})
	apiWant(t, status, body, 200, nil)
	wantMail(t, srv, second, "Uw e-mailadres is gewijzigd", "is gewijzigd in "+third)

	var events []string
	rows, err := env.App.Pool.Query(ctx, `SELECT event FROM activities WHERE user_id = $1 AND event IN ('UserEmailChange', 'UserPhoneChange') ORDER BY id`, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		_ = rows.Scan(&e)
		events = append(events, e)
	}
	if !slices.Equal(events, []string{"UserEmailChange", "UserPhoneChange", "UserEmailChange"}) {
		t.Errorf("events %v", events)
	}
}
