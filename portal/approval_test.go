package portal_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
	"tokenportal/workflow/otp"
)

// Approval of new tokens in the portal (SPEC §15): the page says the token
// waits, the session does not count it as a second factor, the user is
// mailed (in their language, through a real SMTP conversation) that it
// waits and then the helpdesk's decision, and a first token's recovery codes
// come at the first visit after the approval.

func approving(in *workflow.PortalInput) { in.ApproveNewTokens = true }

// openEnrolmentIssue is the user's open enrolment issue.
func (f *fixture) openEnrolmentIssue(t *testing.T) workflow.Issue {
	t.Helper()
	list, _, err := f.env.Svc.Store.ListIssues(context.Background(), workflow.IssueFilter{UserID: f.user.ID,
		Kind: workflow.IssueEnrolment, Status: workflow.IssueOpen, Limit: 5})
	if err != nil || len(list) != 1 {
		t.Fatalf("open enrolment issues %v %v", list, err)
	}
	return list[0]
}

// registerPending registers a TOTP token through the pages and returns its
// seed and the page the registration ended on.
func (f *fixture) registerPending(t *testing.T, b *apptest.Browser) ([]byte, *apptest.Page) {
	t.Helper()
	p := b.Post(f.act("register-token"), apptest.Form("type", "totp"))
	secret := pageSecret(t, p)
	p = b.Post(f.act("register-token"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)))
	wantPage(t, p, 200, "/home")
	return secret, p
}

func TestApprovalInThePortal(t *testing.T) {
	f, mail := newMailFixture(t, func(in *workflow.PortalInput) { approving(in); in.MaxTokensPerUser = 1 })
	if err := f.env.Svc.SetUserLanguage(context.Background(), f.user.ID, "de"); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "") // no token yet: password only
	secret, p := f.registerPending(t, b)
	serial := f.userTokens(t)[0].Serial
	if p.Doc.Find(".recovery-codes").Length() != 0 {
		t.Fatal("recovery codes shown for a token that waits for approval")
	}
	if got := p.Text(".pending-approval"); !strings.Contains(got, serial) {
		t.Fatalf("home does not say %s waits: %q", serial, p.Text("main"))
	}
	if p.Doc.Find(`a[href$="/actions/register-token"]`).Length() != 0 {
		t.Fatal("register-token offered while the only token waits (max_tokens counts it)")
	}
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Ein neues Token wurde Ihrem Konto hinzugefügt"), mailWait)
	if !strings.Contains(m.Body, serial) || !strings.Contains(m.Body, "wartet auf die Freigabe") {
		t.Fatalf("registered mail does not say it waits:\n%s", m.Body)
	}
	// The pending token is no second factor: the session did not step up,
	// and a new sign-in is still by password alone.
	f.signIn(t, "")

	is := f.openEnrolmentIssue(t)
	if is.Enrolment == nil || !slices.Contains(is.Enrolment.SignIn, workflow.FactorPassword) || is.Enrolment.SecondFactorProven() {
		t.Fatalf("the issue does not record a password-only session: %+v", is.Enrolment)
	}
	if _, err := f.env.Svc.VerifyIssue(context.Background(), is.ID, workflow.SystemActor, "called back", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	m = mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Ihr neues Token wurde freigegeben"), mailWait)
	if !strings.Contains(m.Body, serial) {
		t.Fatalf("approval mail does not name %s:\n%s", serial, m.Body)
	}

	// Now the token is the second factor; the first visit home with it
	// shows the recovery codes, once.
	f.env.Clock.Advance(60e9)
	b = f.env.Browser()
	b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	b.Post(f.path("/login"), apptest.Form("password", f.password))
	p = b.Post(f.path("/login"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)))
	if n := p.Doc.Find(".recovery-codes li").Length(); n != workflow.RecoveryCodeCount {
		t.Fatalf("approved first token: %d recovery codes on %q", n, p.Text("main"))
	}
	if p = b.Get(f.path("/home")); p.Doc.Find(".recovery-codes").Length() != 0 {
		t.Fatal("recovery codes shown twice")
	}
}

func TestApprovalDeclinedMail(t *testing.T) {
	f, mail := newMailFixture(t, approving)
	b := f.signIn(t, "")
	f.registerPending(t, b)
	serial := f.userTokens(t)[0].Serial
	is := f.openEnrolmentIssue(t)
	if _, err := f.env.Svc.DeleteIssue(context.Background(), is.ID, workflow.SystemActor, "", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Your new token was declined"), mailWait)
	if !strings.Contains(m.Body, serial) || !strings.Contains(m.Body, "declined") {
		t.Fatalf("declined mail:\n%s", m.Body)
	}
	if tokens := f.userTokens(t); len(tokens) != 0 {
		t.Fatalf("declined token still listed: %+v", tokens)
	}
}

// TestApprovalRestoreDeclinedMail: deleting a restore-access request mails
// the person on record that it was declined, in their language.
func TestApprovalRestoreDeclinedMail(t *testing.T) {
	f, mail := newMailFixture(t, nil)
	if err := f.env.Svc.SetUserLanguage(context.Background(), f.user.ID, "nl"); err != nil {
		t.Fatal(err)
	}
	is := workflow.Issue{UserID: f.user.ID, ResourceID: f.resource.ID, Lost: []string{workflow.LostToken},
		Token: workflow.EvidenceLost, Password: workflow.EvidenceVerified, Email: workflow.EvidenceAbsent}
	if _, err := f.env.Svc.Store.CreateIssue(context.Background(), &is, f.env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Svc.DeleteIssue(context.Background(), is.ID, workflow.SystemActor, "not the user", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "afgewezen"), mailWait)
	if !strings.Contains(m.Body, "afgewezen") {
		t.Fatalf("declined mail in Dutch:\n%s %s", m.Subject, m.Body)
	}
}

// TestApprovalReassignInThePortal: exchanging a token under approval keeps
// the old one usable and offered for nothing else until the helpdesk
// decides; the page says both.
func TestApprovalReassignInThePortal(t *testing.T) {
	f := newFixtureWith(t, nil, approving)
	old := f.giveToken(t, "hotp", nil)
	b := f.signIn(t, hotpCode(0))
	p := b.Post(f.act("reassign-token"), apptest.Form("serial", old.Serial, "type", "totp"))
	secret := pageSecret(t, p)
	p = b.Post(f.act("reassign-token"), apptest.Form("otp", otp.TOTPCode(secret, f.env.Clock.Now(), otp.Default)))
	wantPage(t, p, 200, "/home")
	if got := p.Text(".notice"); !strings.Contains(got, old.Serial) || !strings.Contains(got, "keeps working") {
		t.Fatalf("the flash does not say %s keeps working: %q", old.Serial, got)
	}
	if !f.reload(t, old).Enabled {
		t.Fatal("the old token was retired before the approval")
	}
	// The old token's row offers neither another exchange nor removal.
	for _, id := range []string{"reassign-token", "unassign-token"} {
		if n := p.Doc.Find(`a[href*="/actions/` + id + `?serial=` + old.Serial + `"]`).Length(); n != 0 {
			t.Errorf("%s offered for %s while its replacement waits", id, old.Serial)
		}
	}
	// A post for it anyway is refused and changes nothing.
	p = b.Post(f.act("unassign-token"), apptest.Form("serial", old.Serial))
	if p.Status == 200 && strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatal("unassigned the token a pending exchange replaces")
	}
	if got := f.reload(t, old); !got.Enabled || got.ResourceID == nil {
		t.Fatalf("old token changed: %+v", got)
	}
	if len(f.userTokens(t)) != 2 {
		t.Fatal("want the old token and the pending one")
	}
}
