package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store/storetest"
)

// eventWorld is a resource with an enabled portal, a user with a password
// assigned to it, an admin and an API key actor, and the request metadata
// every operation is performed with.
type eventWorld struct {
	*fixture
	portal workflow.Portal
	user   workflow.User
	admin  workflow.Actor
	key    workflow.Actor
	m      workflow.Meta
	codes  []string // recovery codes, when a case made some
}

const eventPassword = "violet-tractor-sunbeam-42"

var worlds atomic.Int64

func newEventWorld(t *testing.T) *eventWorld {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	n := worlds.Add(1)
	in := workflow.DefaultPortalInput(fmt.Sprintf("ev%d-%d", n, time.Now().UnixNano()%1_000_000))
	in.Enabled = true
	in.Actions = workflow.Actions
	p, err := f.svc.SavePortal(ctx, f.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	login := unique("ev-user")
	u, err := f.svc.CreateUser(ctx, workflow.UserInput{Login: login, FirstName: "Eva", LastName: "Event", Email: login + "@example.com",
		Password: eventPassword}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AssignUser(ctx, f.resource.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.CreateAdmin(ctx, workflow.NewAdmin{Login: unique("ev-admin"), Role: workflow.RoleSuperadmin, Password: eventPassword},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return &eventWorld{fixture: f, portal: p, user: u,
		admin: workflow.Actor{Type: workflow.ActorAdmin, ID: a.ID, Name: a.Login},
		key:   workflow.Actor{Type: workflow.ActorAPIKey, ID: 4242, Name: "events key"},
		// Each world its own address: restore requests are limited per IP.
		m: workflow.Meta{IP: fmt.Sprintf("198.51.100.%d", n%250+1), UserAgent: fmt.Sprintf("events-test/%d", n)}}
}

var bg = context.Background()

// login signs the user in with the password (and pass at the OTP step when
// one is asked) and completes the sign-in.
func (w *eventWorld) login(pass string) error {
	f, err := w.svc.LoginStart(bg, w.portal, w.user.Login, w.m)
	if err != nil {
		return err
	}
	if f, err = w.svc.LoginFirstFactor(bg, w.portal, f, eventPassword, "", w.m); err != nil {
		return err
	}
	if f.Step == workflow.StepOTP {
		if f, err = w.svc.LoginSecondFactor(bg, w.portal, f, pass, w.m); err != nil {
			return err
		}
	}
	_, err = w.svc.LoginComplete(bg, w.portal, f, w.m)
	return err
}

// register enrols a first TOTP token for the user (with recovery codes).
func (w *eventWorld) register(t *testing.T) workflow.Registered {
	t.Helper()
	e, err := w.svc.StartEnrolment(bg, w.portal, w.user, "totp")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := w.svc.ConfirmEnrolment(bg, w.portal, w.user, e, otp.TOTPCode(e.Secret, w.clock.Now(), otp.Default), w.m)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute) // the next code is a new step
	return reg
}

// hotp gives the user an HOTP token with the RFC 4226 secret on the resource.
func (w *eventWorld) hotp(t *testing.T) workflow.Token {
	t.Helper()
	tok := workflow.Token{Serial: unique("EV"), Type: "hotp", Enabled: true, UserID: &w.user.ID, ResourceID: &w.resource.ID}
	if err := w.svc.StoreToken(bg, w.svc.Store, &tok, rfcSecret); err != nil {
		t.Fatal(err)
	}
	return tok
}

// issue files a restore-access request of the user (everything lost).
func (w *eventWorld) issue(t *testing.T) int64 {
	t.Helper()
	rf, err := w.svc.RestoreStart(bg, w.portal, w.user.Login, []string{workflow.LostToken, workflow.LostPassword, workflow.LostEmail}, w.m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RestoreFinish(bg, w.portal, rf, workflow.RestoreChoice{Password: "amber-walnut-harbour-93", Email: "new-" + w.user.Email}, w.m); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := storetest.Pool(t).QueryRow(bg, `SELECT id FROM user_issues WHERE user_id = $1 AND status = 'open'`, w.user.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// eventRow is what the test checks of an activity.
type eventRow struct {
	ActorType  string
	ActorID    int64
	UserID     *int64
	ResourceID *int64
	IP, UA     string
	Details    map[string]any
}

// rows are the activities of event after mark that concern the world
// (its user, its resource or its admin), matching cond.
func (w *eventWorld) rows(t *testing.T, event string, mark int64, cond string) []eventRow {
	t.Helper()
	if cond == "" {
		cond = "true"
	}
	rows, err := storetest.Pool(t).Query(bg, `SELECT actor_type, coalesce(actor_id, 0), user_id, resource_id, coalesce(host(ip), ''), user_agent, details
		FROM activities WHERE id > $1 AND event = $2 AND (`+cond+`)
		  AND (user_id = $3 OR resource_id = $4 OR (actor_type = 'admin' AND actor_id = $5)) ORDER BY id`,
		mark, event, w.user.ID, w.resource.ID, w.admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []eventRow
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(&r.ActorType, &r.ActorID, &r.UserID, &r.ResourceID, &r.IP, &r.UA, &r.Details); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func lastActivityID(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := storetest.Pool(t).QueryRow(bg, `SELECT coalesce(max(id), 0) FROM activities`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// mustFail fails the test when err is nil: the failing variant of an
// operation must fail.
func mustFail(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("the failing variant succeeded")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestActivityEvents performs the operation behind every event of SPEC §3
// and checks its row: actor type and id, subject user, resource, IP, user
// agent and a telling detail. The failing variant of each operation (a
// wrong code, an invalid input, a second handling) must not write the
// success event.
func TestActivityEvents(t *testing.T) {
	type who int
	const (
		byUser who = iota
		byAdmin
		byKey
	)
	tests := []struct {
		name  string
		event string
		actor who
		// user and resource: whether user_id and resource_id name the
		// world's user and resource (else they must be empty).
		user, resource bool
		detail         string // a key the details must have
		// cond narrows the rows to success events where the event is
		// also written for failures (Validate, the refused request).
		cond  string
		setup func(t *testing.T, w *eventWorld) // before the mark
		do    func(t *testing.T, w *eventWorld)
		fail  func(t *testing.T, w *eventWorld)
	}{
		{name: "sign-in", event: workflow.EventUserLogin, actor: byUser, user: true, resource: true, detail: "second_factor",
			do:   func(t *testing.T, w *eventWorld) { must(t, w.login("")) },
			fail: func(t *testing.T, w *eventWorld) { w.user.Login += "x"; mustFail(t, w.login("")) }},
		{name: "failed sign-in", event: workflow.EventUserLoginAttempt, actor: byUser, user: true, resource: true, detail: "stage",
			do: func(t *testing.T, w *eventWorld) {
				f, err := w.svc.LoginStart(bg, w.portal, w.user.Login, w.m)
				must(t, err)
				_, err = w.svc.LoginFirstFactor(bg, w.portal, f, "wrong-password", "", w.m)
				mustFail(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) { must(t, w.login("")) }}, // a sign-in that works is no attempt
		{name: "sign-out", event: workflow.EventUserLogoff, actor: byUser, user: true, resource: true,
			do: func(t *testing.T, w *eventWorld) { w.svc.UserLogoff(bg, w.portal, w.user, w.m) }},
		{name: "password change request", event: workflow.EventUserPasswordChangeRequest, actor: byUser, user: true, resource: true,
			cond: "coalesce(details->>'result', '') <> 'refused'",
			do: func(t *testing.T, w *eventWorld) {
				must(t, w.svc.ChangePassword(bg, w.portal, w.user, workflow.PasswordChangeInput{Current: eventPassword, New: "amber-walnut-harbour-93"}, w.m))
			},
			fail: func(t *testing.T, w *eventWorld) {
				mustFail(t, w.svc.ChangePassword(bg, w.portal, w.user, workflow.PasswordChangeInput{Current: "not-the-password", New: "amber-walnut-harbour-93"}, w.m))
			}},
		{name: "password change", event: workflow.EventUserPasswordChange, actor: byUser, user: true, resource: true, detail: "reason",
			do: func(t *testing.T, w *eventWorld) {
				must(t, w.svc.ChangePassword(bg, w.portal, w.user, workflow.PasswordChangeInput{Current: eventPassword, New: "amber-walnut-harbour-93"}, w.m))
			},
			fail: func(t *testing.T, w *eventWorld) {
				mustFail(t, w.svc.ChangePassword(bg, w.portal, w.user, workflow.PasswordChangeInput{Current: eventPassword, New: "short"}, w.m))
			}},
		{name: "email change request", event: workflow.EventUserEmailChangeRequest, actor: byUser, user: true, resource: true, detail: "new_email",
			do: func(t *testing.T, w *eventWorld) {
				must(t, w.svc.RequestEmailChange(bg, w.portal, w.user, "new-"+w.user.Email, w.m))
			},
			fail: func(t *testing.T, w *eventWorld) {
				mustFail(t, w.svc.RequestEmailChange(bg, w.portal, w.user, "not an address", w.m))
			}},
		{name: "email change", event: workflow.EventUserEmailChange, actor: byUser, user: true, resource: true, detail: "new_email",
			setup: func(t *testing.T, w *eventWorld) {
				must(t, w.svc.RequestEmailChange(bg, w.portal, w.user, "new-"+w.user.Email, w.m))
			},
			do: func(t *testing.T, w *eventWorld) {
				code := queuedMessage(t, w.svc, "new-"+w.user.Email).Data["code"]
				_, err := w.svc.ConfirmEmailChange(bg, w.portal, w.user, code, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				code := queuedMessage(t, w.svc, "new-"+w.user.Email).Data["code"]
				wrong := fmt.Sprintf("%06d", (atoiCode(code)+1)%1_000_000)
				_, err := w.svc.ConfirmEmailChange(bg, w.portal, w.user, wrong, w.m)
				mustFail(t, err)
			}},
		{name: "phone change", event: workflow.EventUserPhoneChange, actor: byUser, user: true, resource: true, detail: "new_phone",
			do: func(t *testing.T, w *eventWorld) {
				_, _, err := w.svc.ChangePhone(bg, w.portal, w.user, "+31 6 1111 2222", w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, _, err := w.svc.ChangePhone(bg, w.portal, w.user, "call me", w.m)
				mustFail(t, err)
			}},
		{name: "login change", event: workflow.EventUserLoginChange, actor: byUser, user: true, resource: true, detail: "new_login",
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.ChangeLogin(bg, w.portal, w.user, unique("renamed"), w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.ChangeLogin(bg, w.portal, w.user, "bad login!", w.m)
				mustFail(t, err)
			}},
		{name: "name change", event: workflow.EventUserNameChange, actor: byUser, user: true, resource: true, detail: "first_name",
			do: func(t *testing.T, w *eventWorld) {
				_, _, err := w.svc.ChangeName(bg, w.portal, w.user, workflow.NameInput{First: "Evelyn", Last: "Eventful"}, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, _, err := w.svc.ChangeName(bg, w.portal, w.user, workflow.NameInput{First: "Eve\nlyn", Last: ""}, w.m)
				mustFail(t, err)
			}},
		{name: "token registered", event: workflow.EventTokenRegistered, actor: byUser, user: true, resource: true, detail: "serial",
			do: func(t *testing.T, w *eventWorld) { w.register(t) },
			fail: func(t *testing.T, w *eventWorld) {
				e, err := w.svc.StartEnrolment(bg, w.portal, w.user, "totp")
				must(t, err)
				_, err = w.svc.ConfirmEnrolment(bg, w.portal, w.user, e, wrongCode(otp.TOTPCode(e.Secret, w.clock.Now(), otp.Default)), w.m)
				mustFail(t, err)
			}},
		{name: "token claimed", event: workflow.EventTokenClaimed, actor: byUser, user: true, resource: true, detail: "serial",
			setup: func(t *testing.T, w *eventWorld) {
				tok := workflow.Token{Serial: "STOCK-" + w.user.Login, Type: "hotp", Enabled: true, ResourceID: &w.resource.ID}
				must(t, w.svc.StoreToken(bg, w.svc.Store, &tok, rfcSecret))
			},
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.ClaimToken(bg, w.portal, w.user, workflow.TokenCodeInput{Serial: "STOCK-" + w.user.Login, OTP: otp.Code(rfcSecret, 0, otp.Default)}, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.ClaimToken(bg, w.portal, w.user, workflow.TokenCodeInput{Serial: "STOCK-" + w.user.Login, OTP: wrongCode(otp.Code(rfcSecret, 0, otp.Default))}, w.m)
				mustFail(t, err)
			}},
		{name: "token reassigned", event: workflow.EventTokenReassigned, actor: byUser, user: true, resource: true, detail: "old_serial",
			setup: func(t *testing.T, w *eventWorld) { w.register(t) },
			do: func(t *testing.T, w *eventWorld) {
				old := w.onlyToken(t)
				e, err := w.svc.StartReassign(bg, w.portal, w.user, old.Serial, "totp")
				must(t, err)
				_, err = w.svc.ConfirmEnrolment(bg, w.portal, w.user, e, otp.TOTPCode(e.Secret, w.clock.Now(), otp.Default), w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				old := w.onlyToken(t)
				e, err := w.svc.StartReassign(bg, w.portal, w.user, old.Serial, "totp")
				must(t, err)
				_, err = w.svc.ConfirmEnrolment(bg, w.portal, w.user, e, wrongCode(otp.TOTPCode(e.Secret, w.clock.Now(), otp.Default)), w.m)
				mustFail(t, err)
			}},
		{name: "token unassigned", event: workflow.EventTokenUnassigned, actor: byUser, user: true, resource: true, detail: "serial",
			setup: func(t *testing.T, w *eventWorld) { w.hotp(t) },
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.UnassignToken(bg, w.portal, w.user, w.onlyToken(t).Serial, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.UnassignToken(bg, w.portal, w.user, "NO-SUCH-TOKEN", w.m)
				mustFail(t, err)
			}},
		{name: "token synced", event: workflow.EventTokenSynced, actor: byUser, user: true, resource: true, detail: "counter",
			setup: func(t *testing.T, w *eventWorld) { w.hotp(t) },
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SyncToken(bg, w.portal, w.user, workflow.SyncInput{Serial: w.onlyToken(t).Serial, OTP1: otp.Code(rfcSecret, 5, otp.Default), OTP2: otp.Code(rfcSecret, 6, otp.Default)}, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SyncToken(bg, w.portal, w.user, workflow.SyncInput{Serial: w.onlyToken(t).Serial, OTP1: otp.Code(rfcSecret, 5, otp.Default), OTP2: otp.Code(rfcSecret, 7, otp.Default)}, w.m)
				mustFail(t, err)
			}},
		{name: "PIN set", event: workflow.EventTokenPinSet, actor: byUser, user: true, resource: true, detail: "position",
			setup: func(t *testing.T, w *eventWorld) { w.hotp(t) },
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetPIN(bg, w.portal, w.user, workflow.PINInput{Serial: w.onlyToken(t).Serial, PIN: "1234", Position: "after", OTP: otp.Code(rfcSecret, 0, otp.Default)}, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetPIN(bg, w.portal, w.user, workflow.PINInput{Serial: w.onlyToken(t).Serial, PIN: "1234", Position: "after", OTP: wrongCode(otp.Code(rfcSecret, 0, otp.Default))}, w.m)
				mustFail(t, err)
			}},
		{name: "PIN removed", event: workflow.EventTokenPinRemoved, actor: byUser, user: true, resource: true, detail: "serial",
			setup: func(t *testing.T, w *eventWorld) {
				w.hotp(t)
				_, err := w.svc.SetPIN(bg, w.portal, w.user, workflow.PINInput{Serial: w.onlyToken(t).Serial, PIN: "1234", Position: "after", OTP: otp.Code(rfcSecret, 0, otp.Default)}, w.m)
				must(t, err)
			},
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.RemovePIN(bg, w.portal, w.user, workflow.TokenCodeInput{Serial: w.onlyToken(t).Serial, OTP: otp.Code(rfcSecret, 1, otp.Default) + "1234"}, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.RemovePIN(bg, w.portal, w.user, workflow.TokenCodeInput{Serial: w.onlyToken(t).Serial, OTP: otp.Code(rfcSecret, 1, otp.Default) + "9999"}, w.m)
				mustFail(t, err)
			}},
		{name: "token enabled", event: workflow.EventTokenEnabled, actor: byAdmin, user: true, resource: true, detail: "serial",
			setup: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetTokenEnabled(bg, w.hotp(t).Serial, false, w.admin, w.m)
				must(t, err)
			},
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetTokenEnabled(bg, w.onlyToken(t).Serial, true, w.admin, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetTokenEnabled(bg, "NO-SUCH-TOKEN", true, w.admin, w.m)
				mustFail(t, err)
			}},
		{name: "token disabled", event: workflow.EventTokenDisabled, actor: byAdmin, user: true, resource: true, detail: "serial",
			setup: func(t *testing.T, w *eventWorld) { w.hotp(t) },
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetTokenEnabled(bg, w.onlyToken(t).Serial, false, w.admin, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SetTokenEnabled(bg, "NO-SUCH-TOKEN", false, w.admin, w.m)
				mustFail(t, err)
			}},
		{name: "recovery code used", event: workflow.EventRecoveryCodeUsed, actor: byUser, user: true, resource: true, detail: "left",
			setup: func(t *testing.T, w *eventWorld) {
				w.codes = w.register(t).RecoveryCodes
				must(t, w.login(w.codes[1]))
			},
			do:   func(t *testing.T, w *eventWorld) { must(t, w.login(w.codes[0])) },
			fail: func(t *testing.T, w *eventWorld) { mustFail(t, w.login(w.codes[1])) }}, // used up
		{name: "issue created", event: workflow.EventIssueCreated, actor: byUser, user: true, resource: true, detail: "issue",
			do: func(t *testing.T, w *eventWorld) { w.issue(t) },
			fail: func(t *testing.T, w *eventWorld) {
				rf, err := w.svc.RestoreStart(bg, w.portal, "nobody-"+w.user.Login, []string{workflow.LostToken}, w.m)
				must(t, err)
				_, err = w.svc.RestoreProve(bg, w.portal, rf, workflow.RestoreProofs{Password: "x"}, w.m)
				must(t, err) // the same pages as for somebody, but nothing is stored
			}},
		{name: "issue verified", event: workflow.EventIssueVerified, actor: byAdmin, user: true, resource: true, detail: "effects",
			setup: func(t *testing.T, w *eventWorld) { w.issue(t) },
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.VerifyIssue(bg, w.openIssue(t), w.admin, "", w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				id := w.openIssue(t)
				_, err := w.svc.DeleteIssue(bg, id, w.admin, "", w.m)
				must(t, err)
				_, err = w.svc.VerifyIssue(bg, id, w.admin, "", w.m)
				mustFail(t, err)
			}},
		{name: "issue deleted", event: workflow.EventIssueDeleted, actor: byAdmin, user: true, resource: true, detail: "issue",
			setup: func(t *testing.T, w *eventWorld) { w.issue(t) },
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.DeleteIssue(bg, w.openIssue(t), w.admin, "", w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				id := w.openIssue(t)
				_, err := w.svc.VerifyIssue(bg, id, w.admin, "", w.m)
				must(t, err)
				_, err = w.svc.DeleteIssue(bg, id, w.admin, "", w.m)
				mustFail(t, err)
			}},
		{name: "issue withdrawn by a sign-in", event: workflow.EventIssueWithdrawn, actor: byUser, user: true, resource: true, detail: "issue",
			setup: func(t *testing.T, w *eventWorld) { w.issue(t) },
			do:    func(t *testing.T, w *eventWorld) { must(t, w.login("")) },
			fail: func(t *testing.T, w *eventWorld) {
				w.user.Login += "x"
				mustFail(t, w.login("")) // a failed sign-in withdraws nothing
			}},
		{name: "admin sign-in", event: workflow.EventAdminLogin, actor: byAdmin, detail: "enrolled",
			do: func(t *testing.T, w *eventWorld) {
				a, err := w.svc.AdminPassword(bg, w.admin.Name, eventPassword, w.m)
				must(t, err)
				secret := w.svc.NewTOTPSecret()
				_, err = w.svc.EnrolAdminTOTP(bg, a.ID, secret, otp.TOTPCode(secret, w.clock.Now(), otp.Default), w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				a, err := w.svc.AdminPassword(bg, w.admin.Name, eventPassword, w.m)
				must(t, err)
				secret := w.svc.NewTOTPSecret()
				_, err = w.svc.EnrolAdminTOTP(bg, a.ID, secret, wrongCode(otp.TOTPCode(secret, w.clock.Now(), otp.Default)), w.m)
				mustFail(t, err)
			}},
		{name: "failed admin sign-in", event: workflow.EventAdminLoginFail, actor: byAdmin, detail: "stage",
			do: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.AdminPassword(bg, w.admin.Name, "wrong-password", w.m)
				mustFail(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.AdminPassword(bg, w.admin.Name, eventPassword, w.m)
				must(t, err) // a right password is no attempt
			}},
		{name: "portal changed", event: workflow.EventPortalChanged, actor: byAdmin, resource: true, detail: "changed",
			do: func(t *testing.T, w *eventWorld) {
				in := workflow.DefaultPortalInput(w.portal.Alias)
				in.PINLength = 6
				_, err := w.svc.SavePortal(bg, w.resource.ID, in, w.admin, w.m)
				must(t, err)
			},
			fail: func(t *testing.T, w *eventWorld) {
				_, err := w.svc.SavePortal(bg, w.resource.ID, workflow.DefaultPortalInput("Not An Alias!"), w.admin, w.m)
				mustFail(t, err)
			}},
		{name: "access denied", event: workflow.EventAccessDenied, actor: byAdmin, detail: "request",
			do: func(t *testing.T, w *eventWorld) { w.svc.RecordAccessDenied(bg, w.admin, "POST /admin/users", w.m) }},
		{name: "validate", event: workflow.EventValidate, actor: byKey, user: true, resource: true, detail: "serial",
			cond:  "details->>'result' = 'true'",
			setup: func(t *testing.T, w *eventWorld) { w.hotp(t) },
			do: func(t *testing.T, w *eventWorld) {
				ok, err := w.svc.Validate(bg, w.resource.ID, w.user.Login, otp.Code(rfcSecret, 0, otp.Default), w.key, w.m)
				if err != nil || !ok {
					t.Fatalf("validate: %v %v", ok, err)
				}
			},
			fail: func(t *testing.T, w *eventWorld) {
				ok, err := w.svc.Validate(bg, w.resource.ID, w.user.Login, wrongCode(otp.Code(rfcSecret, 0, otp.Default)), w.key, w.m)
				if err != nil || ok {
					t.Fatalf("validate of a wrong code: %v %v", ok, err)
				}
			}},
	}
	for _, tt := range tests {
		check := func(t *testing.T, w *eventWorld, rows []eventRow) {
			t.Helper()
			if len(rows) != 1 {
				t.Fatalf("%d %s activities, want 1", len(rows), tt.event)
			}
			r := rows[0]
			wantType, wantID := workflow.ActorUser, w.user.ID
			switch tt.actor {
			case byAdmin:
				wantType, wantID = workflow.ActorAdmin, w.admin.ID
			case byKey:
				wantType, wantID = workflow.ActorAPIKey, w.key.ID
			}
			if r.ActorType != wantType || r.ActorID != wantID {
				t.Errorf("actor %s %d, want %s %d", r.ActorType, r.ActorID, wantType, wantID)
			}
			if got := r.UserID != nil && *r.UserID == w.user.ID; got != tt.user || (!tt.user && r.UserID != nil) {
				t.Errorf("user_id %v, want the user: %v", r.UserID, tt.user)
			}
			if got := r.ResourceID != nil && *r.ResourceID == w.resource.ID; got != tt.resource || (!tt.resource && r.ResourceID != nil) {
				t.Errorf("resource_id %v, want the resource: %v", r.ResourceID, tt.resource)
			}
			if r.IP != w.m.IP || r.UA != w.m.UserAgent {
				t.Errorf("ip %q user agent %q, want %q %q", r.IP, r.UA, w.m.IP, w.m.UserAgent)
			}
			if _, ok := r.Details[tt.detail]; tt.detail != "" && !ok {
				t.Errorf("details %v lack %q", r.Details, tt.detail)
			}
		}
		t.Run(tt.name, func(t *testing.T) {
			w := newEventWorld(t)
			if tt.setup != nil {
				tt.setup(t, w)
			}
			mark := lastActivityID(t)
			tt.do(t, w)
			check(t, w, w.rows(t, tt.event, mark, tt.cond))
		})
		if tt.fail != nil {
			t.Run(tt.name+" fails", func(t *testing.T) {
				w := newEventWorld(t)
				if tt.setup != nil {
					tt.setup(t, w)
				}
				mark := lastActivityID(t)
				tt.fail(t, w)
				if rows := w.rows(t, tt.event, mark, tt.cond); len(rows) != 0 {
					t.Fatalf("the failed operation wrote %d %s activities: %+v", len(rows), tt.event, rows)
				}
			})
		}
	}
}

// TestValidateUnknownLoginIsRecorded: a validation for a login nobody has
// is written too, on the resource when it exists, without a user.
func TestValidateUnknownLoginIsRecorded(t *testing.T) {
	w := newEventWorld(t)
	mark := lastActivityID(t)
	ok, err := w.svc.Validate(bg, w.resource.ID, "nobody-"+w.user.Login, "123456", w.key, w.m)
	if err != nil || ok {
		t.Fatalf("validate: %v %v", ok, err)
	}
	rows := w.rows(t, workflow.EventValidate, mark, "")
	if len(rows) != 1 || rows[0].UserID != nil || rows[0].ResourceID == nil || rows[0].Details["result"] != false ||
		rows[0].Details["login"] != "nobody-"+w.user.Login || rows[0].ActorType != workflow.ActorAPIKey {
		t.Fatalf("rows %+v", rows)
	}
}

// TestSentCodeValidationCommitsWithItsActivity: for an email token the
// spent code and the Validate row go together, so a used code is refused
// with a row of its own.
func TestSentCodeValidationCommitsWithItsActivity(t *testing.T) {
	w := newEventWorld(t)
	tok := workflow.Token{Serial: unique("MAIL"), Type: "email", Enabled: true, UserID: &w.user.ID, ResourceID: &w.resource.ID}
	must(t, w.svc.StoreToken(bg, w.svc.Store, &tok, nil))
	mark := lastActivityID(t)
	if ok, err := w.svc.Validate(bg, w.resource.ID, w.user.Login, "", w.key, w.m); err != nil || ok {
		t.Fatalf("asking for a code: %v %v", ok, err)
	}
	code := queuedMessage(t, w.svc, w.user.Email).Data["code"]
	for i, want := range []bool{true, false} {
		if ok, err := w.svc.Validate(bg, w.resource.ID, w.user.Login, code, w.key, w.m); err != nil || ok != want {
			t.Fatalf("validation %d: %v %v", i, ok, err)
		}
	}
	rows := w.rows(t, workflow.EventValidate, mark, "")
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r.Details["result"], " ", r.Details["reason"]))
	}
	want := []string{"false code sent", "true <nil>", "false " + string(workflow.OutcomeNoCode)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Validate rows %q, want %q", got, want)
	}
}

// onlyToken is the user's one enabled token on the resource.
func (w *eventWorld) onlyToken(t *testing.T) workflow.Token {
	t.Helper()
	tokens, err := w.svc.Store.UserTokens(bg, w.user.ID, w.resource.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.UserID != nil {
			return tok
		}
	}
	t.Fatal("the user has no token")
	return workflow.Token{}
}

func (w *eventWorld) openIssue(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := storetest.Pool(t).QueryRow(bg, `SELECT id FROM user_issues WHERE user_id = $1 AND status = 'open'`, w.user.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// wrongCode is a code that is not code.
func wrongCode(code string) string {
	return fmt.Sprintf("%0*d", len(code), (atoiCode(code)+1)%1_000_000)
}

func atoiCode(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestActivityEventList(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, e := range workflow.ActivityEvents {
		if !workflow.ValidEventName(e) || seen[e] {
			t.Errorf("event %q is not a valid name or listed twice", e)
		}
		seen[e] = true
	}
	for _, bad := range []string{"", "userLogin", "Ab", "User Login", "UserLogin;", "Über"} {
		if workflow.ValidEventName(bad) {
			t.Errorf("%q passes as an event name", bad)
		}
	}
}

func TestActivityCursors(t *testing.T) {
	t.Parallel()
	c := workflow.ActivityCursor{At: time.Date(2026, 5, 4, 3, 2, 1, 123456000, time.UTC), ID: 987654321}
	if got, err := workflow.ParseActivityCursor(c.String()); err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Fatalf("round trip of %s: %+v %v", c, got, err)
	}
	g := workflow.GroupCursor{Total: 42, UserID: 7}
	if got, err := workflow.ParseGroupCursor(g.String()); err != nil || got != g {
		t.Fatalf("round trip of %s: %+v %v", g, got, err)
	}
	for _, bad := range []string{"", "1", "x-1", "1-x", "1-0", "1-2-3", "99999999999999999999-1"} {
		if _, err := workflow.ParseActivityCursor(bad); err == nil {
			t.Errorf("%q parses as an activity cursor", bad)
		}
		if _, err := workflow.ParseGroupCursor(bad); err == nil {
			t.Errorf("%q parses as a group cursor", bad)
		}
	}
}

// TestListActivitiesScopedPaging walks an owner's view over two resources
// (one index scan each, merged) page by page: every row of the two
// resources once, in order, none of a third.
func TestListActivitiesScopedPaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var res []int64
	for range 3 {
		r, err := f.svc.CreateResource(ctx, workflow.ResourceInput{Name: unique("Scope")}, workflow.SystemActor, workflow.Meta{})
		must(t, err)
		res = append(res, r.ID)
	}
	now := f.clock.Now()
	// 3 × 90 rows, interleaved in time, some sharing a timestamp.
	_, err := storetest.Pool(t).Exec(ctx, `INSERT INTO activities (at, actor_type, resource_id, event, details)
		SELECT $1::timestamptz - (g / 2) * interval '1 second', 'system', ($2::bigint[])[g % 3 + 1], 'UserLogin', jsonb_build_object('n', g)
		FROM generate_series(0, 269) g`, now, res)
	must(t, err)
	want := map[int]bool{}
	for g := range 270 {
		if g%3 != 2 {
			want[g] = true
		}
	}
	filter := workflow.ActivityFilter{Resources: res[:2], Event: workflow.EventUserLogin, Limit: 25}
	var last *workflow.ActivityRow
	seen := map[int]bool{}
	for pages := 0; ; pages++ {
		rows, next, err := f.svc.ListActivities(ctx, filter, workflow.ActivityWindow)
		must(t, err)
		for i := range rows {
			r := rows[i]
			var d struct{ N int }
			must(t, json.Unmarshal(r.RawDetails, &d))
			if !want[d.N] || seen[d.N] {
				t.Fatalf("row n=%d (resource %v) unexpected or twice", d.N, *r.ResourceID)
			}
			if last != nil && (r.At.After(last.At) || (r.At.Equal(last.At) && r.ID > last.ID)) {
				t.Fatalf("row %d after %d is out of order", r.ID, last.ID)
			}
			seen[d.N], last = true, &rows[i]
		}
		if next == nil {
			break
		}
		filter.Before = next
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d rows seen, want %d", len(seen), len(want))
	}
}
