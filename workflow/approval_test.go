package workflow_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store/storetest"
)

// Approval of new tokens (SPEC §15): a token added in a portal with
// approve_new_tokens is no second factor anywhere until the helpdesk
// verifies its enrolment issue.

// approvalWorld is a RADIUS world whose portal holds new tokens for
// approval, with room for two tokens.
type approvalWorld struct {
	*radiusWorld
	portal workflow.Portal
}

func newApprovalWorld(t *testing.T) *approvalWorld {
	t.Helper()
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	p, err := w.svc.Store.PortalByResource(bg, w.resource.ID)
	must(t, err)
	in := p.Input()
	in.ApproveNewTokens, in.MaxTokensPerUser, in.TokenTypes = true, 2, []string{"totp", "hotp"}
	in.Actions = []string{"register-token", "register-existing-token", "reassign-token"}
	p, err = w.svc.SavePortal(bg, w.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	return &approvalWorld{radiusWorld: w, portal: p}
}

// signedInWith is the Meta of a portal session that signed in with factors.
func signedInWith(factors ...string) workflow.Meta {
	return workflow.Meta{IP: "198.51.100.23", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
		SignIn: factors}
}

// totpAt is the TOTP code of secret at the world's clock, steps later.
func (w *approvalWorld) totpAt(secret []byte, steps int64) string {
	return otp.Code(secret, uint64(w.clock.Now().Unix()/30+steps), otp.Default)
}

// register enrols a new TOTP token in the portal (replacing serial when
// not empty) and returns it with its seed.
func (w *approvalWorld) register(t *testing.T, replace string, m workflow.Meta) (workflow.Registered, []byte) {
	t.Helper()
	var e workflow.Enrolment
	var err error
	if replace != "" {
		e, err = w.svc.StartReassign(bg, w.portal, w.user, replace, "totp")
	} else {
		e, err = w.svc.StartEnrolment(bg, w.portal, w.user, "totp")
	}
	must(t, err)
	reg, err := w.svc.ConfirmEnrolment(bg, w.portal, w.user, e, w.totpAt(e.Secret, 0), m)
	must(t, err)
	return reg, e.Secret
}

// openEnrolment is the open enrolment issue of the world's user.
func (w *approvalWorld) openEnrolment(t *testing.T) workflow.Issue {
	t.Helper()
	list, _, err := w.svc.Store.ListIssues(bg, workflow.IssueFilter{UserID: w.user.ID, Kind: workflow.IssueEnrolment,
		Status: workflow.IssueOpen, Limit: 10})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("open enrolment issues: %d, want 1", len(list))
	}
	return list[0]
}

// signIn runs a portal sign-in with the password and, when asked for it,
// otp; it reports whether it completed.
func (w *approvalWorld) signIn(t *testing.T, code string) bool {
	t.Helper()
	m := workflow.Meta{IP: "198.51.100.23", UserAgent: "test"}
	f, err := w.svc.LoginStart(bg, w.portal, w.user.Login, m)
	must(t, err)
	f, err = w.svc.LoginFirstFactor(bg, w.portal, f, eventPassword, "", m)
	must(t, err)
	if f.Step == workflow.StepOTP {
		if f, err = w.svc.LoginSecondFactor(bg, w.portal, f, code, m); err != nil {
			return false
		}
	}
	_, err = w.svc.LoginComplete(bg, w.portal, f, m)
	return err == nil
}

func TestApprovalPendingTokenIsNoSecondFactor(t *testing.T) {
	w := newApprovalWorld(t)
	old := w.token(t, "hotp", nil) // the user's token: RFC 4226 secret, counter 0
	helpdesk, err := w.svc.CreateAdmin(bg, workflow.NewAdmin{Login: unique("hd"), Role: workflow.RoleHelpdesk, Password: eventPassword},
		workflow.SystemActor, workflow.Meta{})
	must(t, err)
	helpdeskMail := unique("hd") + "@example.com"
	must(t, w.svc.SetIssueSubscription(bg, helpdesk, helpdeskMail, true, nil, workflow.Meta{}))

	reg, secret := w.register(t, "", signedInWith(workflow.FactorPassword, workflow.FactorOTP))
	if !reg.Pending || reg.Token.Enabled || len(reg.RecoveryCodes) > 0 {
		t.Fatalf("registered %+v: want pending, disabled, no recovery codes", reg)
	}
	tok, err := w.svc.Store.TokenBySerial(bg, reg.Token.Serial)
	must(t, err)
	if !tok.Pending() {
		t.Fatalf("stored token %+v is not pending", tok)
	}
	is := w.openEnrolment(t)
	if is.TokenSerial != tok.Serial || is.TokenType != "totp" || is.Enrolment == nil || is.Enrolment.How != workflow.EnrolRegistered ||
		!is.Enrolment.FirstCode || !is.Enrolment.SecondFactorProven() || is.Token != workflow.EvidenceVerified ||
		is.Password != workflow.EvidenceVerified || is.Email != workflow.EvidenceAbsent || is.IP != "198.51.100.23" {
		t.Fatalf("enrolment issue %+v (%+v)", is, is.Enrolment)
	}
	if m := queuedMessage(t, w.svc, helpdeskMail); m.Template != "enrolment_created" || m.Data["serial"] != tok.Serial {
		t.Fatalf("admin told %+v", m)
	}
	if m := queuedMessage(t, w.svc, w.user.Email); m.Template != "token_registered" || m.Data["pending"] != "yes" {
		t.Fatalf("user told %+v", m)
	}

	// Refused everywhere while it waits: validate, RADIUS, the portal's
	// second factor. The user's own token still works.
	w.clock.Advance(time.Minute)
	if validate(t, w.fixture, w.resource.ID, w.user.Login, w.totpAt(secret, 0)) {
		t.Fatal("validate accepted the pending token")
	}
	wantCode(t, w.ask(t, eventPassword+w.totpAt(secret, 0), nil), workflow.RadiusReject)
	if w.signIn(t, w.totpAt(secret, 0)) {
		t.Fatal("the portal took the pending token as second factor")
	}
	if !w.signIn(t, hotp(0)) {
		t.Fatal("the user's enabled token stopped working")
	}
	// A sign-in does not withdraw the enrolment issue.
	w.openEnrolment(t)

	if _, err := w.svc.SetTokenEnabled(bg, tok.Serial, true, workflow.SystemActor, workflow.Meta{}); !errors.Is(err, workflow.ErrTokenPending) &&
		workflow.ErrorCode(err) != workflow.CodeConflict {
		t.Fatalf("an admin enabled a pending token: %v", err)
	}

	done, err := w.svc.VerifyIssue(bg, is.ID, workflow.SystemActor, "  called the user on +31 20 123 4567, confirmed  ", workflow.Meta{})
	must(t, err)
	if done.Status != workflow.IssueVerified || done.Note != "called the user on +31 20 123 4567, confirmed" {
		t.Fatalf("verified %+v", done)
	}
	w.clock.Advance(time.Minute)
	if !validate(t, w.fixture, w.resource.ID, w.user.Login, w.totpAt(secret, 0)) {
		t.Fatal("validate refused the approved token")
	}
	w.clock.Advance(time.Minute)
	wantCode(t, w.ask(t, eventPassword+w.totpAt(secret, 0), nil), workflow.RadiusAccept)
	w.clock.Advance(time.Minute)
	if !w.signIn(t, w.totpAt(secret, 0)) {
		t.Fatal("the portal refused the approved token")
	}
	if got := w.reload(t, old); !got.Enabled {
		t.Fatal("approving a new token disabled the old one")
	}
	if m := queuedMessage(t, w.svc, w.user.Email); m.Template != "enrolment_outcome" || m.Data["outcome"] != workflow.IssueVerified ||
		m.Data["serial"] != tok.Serial {
		t.Fatalf("outcome mail %+v", m)
	}
	var events []string
	rows, err := storetest.Pool(t).Query(bg, `SELECT event FROM activities WHERE (details->>'issue')::bigint = $1 ORDER BY id`, is.ID)
	must(t, err)
	for rows.Next() {
		var e string
		must(t, rows.Scan(&e))
		events = append(events, e)
	}
	if !slices.Equal(events, []string{workflow.EventIssueCreated, workflow.EventTokenEnabled, workflow.EventIssueVerified}) {
		t.Fatalf("events of the issue: %v", events)
	}
}

func TestApprovalDeleteDiscardsTheToken(t *testing.T) {
	w := newApprovalWorld(t)
	reg, secret := w.register(t, "", signedInWith(workflow.FactorPassword, workflow.FactorNoToken))
	is := w.openEnrolment(t)
	if is.Enrolment.SecondFactorProven() || is.Token != workflow.EvidenceAbsent {
		t.Fatalf("a password-only session counts as a second factor: %+v", is)
	}
	if _, err := w.svc.DeleteIssue(bg, is.ID, workflow.SystemActor, "the user did not add it", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Store.TokenBySerial(bg, reg.Token.Serial); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("the declined token is still there: %v", err)
	}
	if validate(t, w.fixture, w.resource.ID, w.user.Login, w.totpAt(secret, 1)) {
		t.Fatal("validate accepted a declined token")
	}
	if m := queuedMessage(t, w.svc, w.user.Email); m.Template != "enrolment_outcome" || m.Data["outcome"] != workflow.IssueDeleted {
		t.Fatalf("declined mail %+v", m)
	}
	got, err := w.svc.Store.IssueByID(bg, is.ID)
	must(t, err)
	if got.Status != workflow.IssueDeleted || got.Note != "the user did not add it" || got.HandledAt == nil {
		t.Fatalf("deleted issue %+v", got)
	}
	// Handling it again changes nothing.
	if _, err := w.svc.VerifyIssue(bg, is.ID, workflow.SystemActor, "", workflow.Meta{}); workflow.ErrorCode(err) != workflow.CodeConflict {
		t.Fatalf("second handling: %v", err)
	}
}

func TestApprovalReassignKeepsTheOldTokenUntilApproved(t *testing.T) {
	w := newApprovalWorld(t)
	old := w.token(t, "hotp", nil)
	reg, secret := w.register(t, old.Serial, signedInWith(workflow.FactorPassword, workflow.FactorOTP))
	if !reg.Pending || reg.Replaced != old.Serial {
		t.Fatalf("reassigned %+v", reg)
	}
	if !validate(t, w.fixture, w.resource.ID, w.user.Login, hotp(0)) {
		t.Fatal("the old token stopped working before the approval")
	}
	// While it waits, the old token is offered for no other exchange.
	tokens, err := w.svc.Store.UserTokens(bg, w.user.ID, w.resource.ID)
	must(t, err)
	if got := workflow.ActionTokens("reassign-token", tokens); len(got) != 0 {
		t.Fatalf("offered for exchange while one waits: %v", got)
	}
	is := w.openEnrolment(t)
	if is.Enrolment.How != workflow.EnrolReassigned || is.Enrolment.Replaces != old.Serial {
		t.Fatalf("issue %+v", is.Enrolment)
	}
	_, err = w.svc.VerifyIssue(bg, is.ID, workflow.SystemActor, "", workflow.Meta{})
	must(t, err)
	if got := w.reload(t, old); got.Enabled || got.DisabledReason != workflow.DisabledReassigned || got.ResourceID != nil {
		t.Fatalf("old token after the approval %+v", got)
	}
	if validate(t, w.fixture, w.resource.ID, w.user.Login, hotp(1)) {
		t.Fatal("the replaced token still works")
	}
	w.clock.Advance(time.Minute)
	if !validate(t, w.fixture, w.resource.ID, w.user.Login, w.totpAt(secret, 0)) {
		t.Fatal("the new token does not work")
	}
	if m := queuedMessage(t, w.svc, w.user.Email); m.Template != "enrolment_outcome" || m.Data["replaced"] != old.Serial {
		t.Fatalf("outcome mail %+v", m)
	}
}

func TestApprovalClaimDeclinedGoesBackToStockDisabled(t *testing.T) {
	w := newApprovalWorld(t)
	stock := w.token(t, "hotp", func(tok *workflow.Token) { tok.UserID = nil })
	reg, err := w.svc.ClaimToken(bg, w.portal, w.user, workflow.TokenCodeInput{Serial: stock.Serial, OTP: hotp(0)},
		signedInWith(workflow.FactorPassword, workflow.FactorNoToken))
	must(t, err)
	if !reg.Pending {
		t.Fatalf("claimed %+v", reg)
	}
	if validate(t, w.fixture, w.resource.ID, w.user.Login, hotp(1)) {
		t.Fatal("a pending claimed token validated")
	}
	is := w.openEnrolment(t)
	if is.Enrolment.How != workflow.EnrolClaimed {
		t.Fatalf("issue %+v", is.Enrolment)
	}
	_, err = w.svc.DeleteIssue(bg, is.ID, workflow.SystemActor, "", workflow.Meta{})
	must(t, err)
	got := w.reload(t, stock)
	if got.UserID != nil || got.ResourceID == nil || *got.ResourceID != w.resource.ID || got.Enabled || got.DisabledReason != workflow.DisabledByAdmin {
		t.Fatalf("declined claim left %+v", got)
	}
}

func TestApprovalConcurrentHandlingOneWins(t *testing.T) {
	w := newApprovalWorld(t)
	reg, _ := w.register(t, "", signedInWith(workflow.FactorPassword))
	is := w.openEnrolment(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, conflicts := []string{}, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle, name := w.svc.VerifyIssue, "verify"
			if i%2 == 1 {
				handle, name = w.svc.DeleteIssue, "delete"
			}
			_, err := handle(bg, is.ID, workflow.SystemActor, "", workflow.Meta{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, name)
			case workflow.ErrorCode(err) == workflow.CodeConflict:
				conflicts++
			default:
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || conflicts != 7 {
		t.Fatalf("won %v, conflicts %d", won, conflicts)
	}
	tok, err := w.svc.Store.TokenBySerial(bg, reg.Token.Serial)
	switch won[0] {
	case "verify":
		if err != nil || !tok.Enabled {
			t.Fatalf("verified, token %+v %v", tok, err)
		}
	default:
		if workflow.ErrorCode(err) != workflow.CodeNotFound {
			t.Fatalf("deleted, token %+v %v", tok, err)
		}
	}
}

func TestApprovalPendingCountsAgainstTheLimit(t *testing.T) {
	w := newApprovalWorld(t)
	w.register(t, "", signedInWith(workflow.FactorPassword))
	w.register(t, "", signedInWith(workflow.FactorPassword))
	if _, err := w.svc.StartEnrolment(bg, w.portal, w.user, "totp"); !errors.Is(err, workflow.ErrTooManyTokens) &&
		workflow.ErrorCode(err) != workflow.CodeConflict {
		t.Fatalf("a third token while two wait: %v", err)
	}
}

func TestApprovalFirstTokenRecoveryCodesOnce(t *testing.T) {
	w := newApprovalWorld(t)
	w.register(t, "", signedInWith(workflow.FactorPassword, workflow.FactorNoToken))
	codes, err := w.svc.DueRecoveryCodes(bg, w.portal, w.user, workflow.Meta{})
	must(t, err)
	if codes != nil {
		t.Fatal("recovery codes before the approval")
	}
	_, err = w.svc.VerifyIssue(bg, w.openEnrolment(t).ID, workflow.SystemActor, "", workflow.Meta{})
	must(t, err)
	codes, err = w.svc.DueRecoveryCodes(bg, w.portal, w.user, workflow.Meta{})
	must(t, err)
	if len(codes) != workflow.RecoveryCodeCount {
		t.Fatalf("codes after the approval: %v", codes)
	}
	again, err := w.svc.DueRecoveryCodes(bg, w.portal, w.user, workflow.Meta{})
	must(t, err)
	if again != nil {
		t.Fatal("recovery codes given twice")
	}
}

func TestApprovalNoteIsBounded(t *testing.T) {
	w := newApprovalWorld(t)
	w.register(t, "", signedInWith(workflow.FactorPassword))
	is := w.openEnrolment(t)
	long := string(make([]rune, 1001))
	for _, note := range []string{long, "a\x00b"} {
		_, err := w.svc.VerifyIssue(bg, is.ID, workflow.SystemActor, note, workflow.Meta{})
		if workflow.ErrorCode(err) != workflow.CodeInvalid || workflow.ErrorFieldMsgs(err)["note"].ID == "" {
			t.Fatalf("note %q: %v", note[:3], err)
		}
	}
	if got := w.openEnrolment(t); got.Status != workflow.IssueOpen {
		t.Fatal("a refused note changed the issue")
	}
}
