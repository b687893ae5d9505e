package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Restoring access (SPEC §6) is a flow of pages like the sign-in; RestoreFlow
// is its state between them.
const (
	RestoreStepProve = "prove" // prove the authenticators not declared lost
	RestoreStepNew   = "new"   // choose the new password / email
	RestoreStepDone  = "done"
)

// RestoreFlow is the state of one restore-access request in progress.
type RestoreFlow struct {
	ResourceID int64     `json:"r"`
	Login      string    `json:"l"`
	UserID     int64     `json:"u"` // 0: nobody usable behind the login; nothing is stored
	Lost       []string  `json:"x"`
	Step       string    `json:"s"`
	Started    time.Time `json:"t"`
	Token      string    `json:"et,omitempty"`
	Password   string    `json:"ep,omitempty"`
	Email      string    `json:"ee,omitempty"`
	// Counted is set once the request counted against the per-login and
	// per-address limits, which come before any proof is checked.
	Counted bool `json:"n,omitempty"`
}

// Expired reports whether the flow took too long.
func (f RestoreFlow) Expired(now time.Time) bool { return now.Sub(f.Started) > loginFlowTTL }

// Lost reports whether the person declared item lost.
func (f RestoreFlow) LostItem(item string) bool { return slices.Contains(f.Lost, item) }

// ErrTooManyRequests is the answer when the per-login or per-IP limit of
// restore requests is reached.
var ErrTooManyRequests = Errorf(CodeTooMany, "Too many requests. Please try again in an hour, or call your helpdesk.")

// RestoreStart takes the login and what is lost. Whoever is behind the
// login, the next page is the same and the same work is done: a code
// request is queued unless email was declared lost, and the queue mails a
// code only to a user with an address on record (CodeRequest).
func (s *Service) RestoreStart(ctx context.Context, p Portal, login string, lost []string, m Meta) (RestoreFlow, error) {
	login = truncate(strings.TrimSpace(login), MaxLoginLength)
	f := map[string]string{}
	if login == "" {
		f["login"] = "Enter your login."
	}
	var clean []string
	for _, item := range []string{LostToken, LostPassword, LostEmail} {
		if slices.Contains(lost, item) {
			clean = append(clean, item)
		}
	}
	if len(clean) == 0 {
		f["lost"] = "Tick what you have lost: your token, your password or access to your email."
	}
	if len(f) > 0 {
		return RestoreFlow{}, Invalid(f)
	}
	rf := RestoreFlow{ResourceID: p.ResourceID, Login: login, Lost: clean, Step: RestoreStepProve, Started: s.Now()}
	if len(clean) == 3 {
		rf.Step = RestoreStepNew
	}
	u, err := s.Store.UserByLogin(ctx, login)
	if err != nil && ErrorCode(err) != CodeNotFound {
		return RestoreFlow{}, Internal(err)
	}
	if err == nil {
		if ok, err := s.Store.IsAssigned(ctx, p.ResourceID, u.ID); err != nil {
			return RestoreFlow{}, Internal(err)
		} else if ok && !u.Disabled {
			rf.UserID = u.ID
		}
	}
	if !rf.LostItem(LostEmail) {
		if err := s.requestCode(ctx, CodeRequest{Purpose: PurposeRestore, ResourceID: p.ResourceID, Login: login}); err != nil {
			return RestoreFlow{}, err
		}
	}
	return rf, nil
}

// restoreLimit counts a restore-access request against the per-login and
// per-address limits, once per request and before any proof is checked, so
// that nobody can use the form to guess a password or code.
func (s *Service) restoreLimit(ctx context.Context, p Portal, rf *RestoreFlow, m Meta) error {
	if rf.Counted {
		return nil
	}
	now := s.Now()
	sum := sha256.Sum256([]byte(strings.ToLower(rf.Login)))
	n, err := s.Store.HitRate(ctx, "restore-login:"+strconv.FormatInt(p.ResourceID, 10)+":"+hex.EncodeToString(sum[:8]), time.Hour, now)
	if err != nil {
		return Internal(err)
	}
	if n > s.Limits.RestorePerLogin {
		return ErrTooManyRequests
	}
	if m.IP != "" {
		n, err := s.Store.HitRate(ctx, "restore-ip:"+ipBucket(m.IP), time.Hour, now)
		if err != nil {
			return Internal(err)
		}
		if n > s.Limits.RestorePerIP {
			return ErrTooManyRequests
		}
	}
	rf.Counted = true
	return nil
}

// RestoreProve records the proof of every authenticator not declared lost:
// verified or failed, absent when the user never had it. The answer never
// says which proofs were right: the next page is the same either way.
// Proofs leave the user's tokens as they are (no failcount, no used code,
// no lock), and each failed proof is recorded (RestoreProofFailed).
func (s *Service) RestoreProve(ctx context.Context, p Portal, rf RestoreFlow, password, emailCode, pass string, m Meta) (RestoreFlow, error) {
	if rf.Step != RestoreStepProve {
		return rf, Errorf(CodeConflict, "Please start again.")
	}
	if err := s.restoreLimit(ctx, p, &rf, m); err != nil {
		return rf, err
	}
	var u User
	if rf.UserID != 0 {
		var err error
		if u, err = s.Store.UserByID(ctx, rf.UserID); err != nil {
			rf.UserID = 0
		}
	}
	rf.Token, rf.Password, rf.Email = EvidenceLost, EvidenceLost, EvidenceLost
	if !rf.LostItem(LostPassword) {
		// One bcrypt comparison whoever asks.
		ok := s.Hasher.Compare(u.PasswordHash, password)
		rf.Password = evidence(u.PasswordHash != "", ok)
	}
	if !rf.LostItem(LostEmail) {
		ok := false
		if u.ID != 0 && u.Email != "" {
			r, err := s.checkCode(ctx, u.ID, PurposeRestore, nil, strings.TrimSpace(emailCode))
			if err != nil {
				return rf, err
			}
			ok = r.Matched
		}
		rf.Email = evidence(u.Email != "", ok)
	}
	if !rf.LostItem(LostToken) {
		live := []Token{}
		if u.ID != 0 {
			tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
			if err != nil {
				return rf, Internal(err)
			}
			live = enabledTokens(tokens)
		}
		ok, err := s.proveToken(ctx, live, strings.TrimSpace(pass))
		if err != nil {
			return rf, err
		}
		rf.Token = evidence(len(live) > 0, ok)
	}
	if u.ID != 0 {
		s.recordFailedProofs(ctx, p, u, rf, m)
	}
	if rf.LostItem(LostPassword) || rf.LostItem(LostEmail) {
		rf.Step = RestoreStepNew
		return rf, nil
	}
	return rf, s.restoreCreate(ctx, p, &rf, "", "", m)
}

// proveToken reports whether pass is a current code of one of the tokens
// live, without touching them: a restore proof neither uses the code up nor
// counts a wrong one, so the form cannot lock anybody's token. Codes sent
// by email or SMS are not asked for here (the email proof covers the
// mailbox), so only tokens that show their own codes can be proven.
func (s *Service) proveToken(ctx context.Context, live []Token, pass string) (bool, error) {
	if pass == "" || len(pass) > 64 {
		return false, nil
	}
	now := s.Now()
	for _, t := range live {
		if t.Type.Sent() {
			continue
		}
		_, o, err := s.match(ctx, t, pass, now)
		if err != nil {
			return false, err
		}
		if o == OutcomeAccepted {
			return true, nil
		}
	}
	return false, nil
}

// recordFailedProofs writes one RestoreProofFailed per failed proof.
func (s *Service) recordFailedProofs(ctx context.Context, p Portal, u User, rf RestoreFlow, m Meta) {
	for _, proof := range []struct{ name, evidence string }{{"password", rf.Password}, {"email", rf.Email}, {"token", rf.Token}} {
		if proof.evidence == EvidenceFailed {
			s.record(ctx, Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventRestoreProofFailed,
				IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"proof": proof.name, "lost": rf.Lost}})
		}
	}
}

func evidence(has, ok bool) string {
	switch {
	case !has:
		return EvidenceAbsent
	case ok:
		return EvidenceVerified
	}
	return EvidenceFailed
}

// RestoreFinish takes the new password and/or email and creates the request.
func (s *Service) RestoreFinish(ctx context.Context, p Portal, rf RestoreFlow, newPassword, newEmail string, m Meta) (RestoreFlow, error) {
	if rf.Step != RestoreStepNew {
		return rf, Errorf(CodeConflict, "Please start again.")
	}
	if rf.Token == "" { // every authenticator was declared lost: no proof step
		rf.Token, rf.Password, rf.Email = EvidenceLost, EvidenceLost, EvidenceLost
	}
	if err := s.restoreLimit(ctx, p, &rf, m); err != nil {
		return rf, err
	}
	f := map[string]string{}
	hash := ""
	if rf.LostItem(LostPassword) {
		// The policy without "not the current password": that rule would
		// tell a stranger what the current password is.
		if pp := CheckPassword(newPassword, rf.Login, ""); !pp.OK() {
			f["new_password"] = policyMessage(pp)
		}
	}
	newEmail = strings.TrimSpace(newEmail)
	if rf.LostItem(LostEmail) && !validEmail(newEmail) {
		f["new_email"] = "Enter the new email address, like name@example.com."
	}
	if len(f) > 0 {
		return rf, Invalid(f)
	}
	if rf.LostItem(LostPassword) {
		var err error
		if hash, err = s.Hasher.Hash(newPassword); err != nil {
			return rf, Internal(err)
		}
	}
	if !rf.LostItem(LostEmail) {
		newEmail = ""
	}
	return rf, s.restoreCreate(ctx, p, &rf, hash, newEmail, m)
}

// restoreCreate stores the request (a newer one replaces the user's open
// one), writes IssueCreated, mails the subscribed admins and tells the
// person on record, in one transaction. For nobody it stores and sends
// nothing. The limits were counted before (restoreLimit).
func (s *Service) restoreCreate(ctx context.Context, p Portal, rf *RestoreFlow, newPasswordHash, newEmail string, m Meta) error {
	now := s.Now()
	rf.Step = RestoreStepDone
	if rf.UserID == 0 {
		return nil
	}
	u, err := s.Store.UserByID(ctx, rf.UserID)
	if IsFault(err) {
		return err // never say "sent" when nothing could be stored
	} else if err != nil {
		return nil // the user was deleted meanwhile: as for nobody
	}
	is := Issue{UserID: u.ID, ResourceID: p.ResourceID, Lost: rf.Lost, Token: rf.Token, Password: rf.Password, Email: rf.Email,
		NewPasswordHash: newPasswordHash, NewEmail: newEmail, IP: m.IP, UserAgent: m.UserAgent}
	return s.Store.Tx(ctx, func(st Store) error {
		replaced, err := st.CreateIssue(ctx, &is, now)
		if err != nil {
			return err
		}
		actor := u.Actor()
		if replaced != 0 {
			if err := st.AddActivity(ctx, Activity{At: now, Actor: actor, UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventIssueWithdrawn,
				IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"issue": replaced, "replaced_by": is.ID}}); err != nil {
				return err
			}
		}
		if err := st.AddActivity(ctx, Activity{At: now, Actor: actor, UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventIssueCreated,
			IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"issue": is.ID, "lost": is.Lost,
				"authenticators": map[string]string{"token": is.Token, "password": is.Password, "email": is.Email}}}); err != nil {
			return err
		}
		admins, err := st.IssueSubscribers(ctx, p.ResourceID)
		if err != nil {
			return err
		}
		for _, a := range admins {
			msg := Message{Channel: ChannelEmail, To: a.Email, Template: "issue_created", Lang: a.Language, Data: map[string]string{
				"login": u.Login, "name": strings.TrimSpace(u.FirstName + " " + u.LastName), "resource": p.ResourceName,
				"lost": strings.Join(is.Lost, ","), "url": s.BaseURL + "/admin/issues/" + strconv.FormatInt(is.ID, 10)}}
			if err := s.enqueue(ctx, st, msg); err != nil {
				return err
			}
		}
		return s.tellIssueFiled(ctx, st, p, u, is)
	})
}

// IssueEffects says exactly what verifying an issue will change, for the
// confirmation page.
func IssueEffects(is Issue, tokens []Token) []string {
	var e []string
	if slices.Contains(is.Lost, LostToken) {
		var serials []string
		for _, t := range tokens {
			if t.Enabled {
				serials = append(serials, t.Serial)
			}
		}
		if len(serials) == 0 {
			e = append(e, "The user has no enabled token on "+is.ResourceName+": no token changes.")
		} else {
			e = append(e, "Disable the user's tokens on "+is.ResourceName+" ("+strings.Join(serials, ", ")+"); they stay assigned, so the user can sign in without a token and register a new one.")
		}
	}
	if slices.Contains(is.Lost, LostPassword) {
		e = append(e, "Replace the user's password with the one they chose in the request.")
	}
	if slices.Contains(is.Lost, LostEmail) {
		from := is.UserEmail
		if from == "" {
			from = "(none)"
		}
		e = append(e, "Change the user's email address from "+from+" to "+is.NewEmail+".")
	}
	if to := OutcomeContactsText(is); to != "" {
		e = append(e, "Tell the user that their request was approved, "+to+".")
	} else {
		e = append(e, "The user has no email address or phone number on record, so nobody is told.")
	}
	return e
}

// ErrIssueHandled answers a second verify/delete of the same request.
func errIssueHandled(is Issue) error {
	return Errorf(CodeConflict, "This request was already handled (%s).", is.Status)
}

// VerifyIssue approves a request and applies it, in one transaction: lost
// token → the user's enabled tokens on the resource disabled (still
// assigned); forgotten password → the requested one; lost email → the
// requested address. The person on record is told the outcome (mail to the
// address on record and, on an email change, to the new one; SMS to the
// phone on record). Of two concurrent handlings exactly one succeeds.
func (s *Service) VerifyIssue(ctx context.Context, id int64, by Actor, m Meta) (Issue, error) {
	return s.handleIssue(ctx, id, IssueVerified, by, m)
}

// DeleteIssue marks a request deleted and tells the person on record, as
// VerifyIssue does; nothing else changes.
func (s *Service) DeleteIssue(ctx context.Context, id int64, by Actor, m Meta) (Issue, error) {
	return s.handleIssue(ctx, id, IssueDeleted, by, m)
}

func (s *Service) handleIssue(ctx context.Context, id int64, status string, by Actor, m Meta) (Issue, error) {
	var adminID *int64
	if by.Type == ActorAdmin {
		adminID = &by.ID
	}
	var is Issue
	err := s.Store.Tx(ctx, func(st Store) error {
		now := s.Now()
		var ok bool
		var err error
		is, ok, err = st.HandleIssue(ctx, id, status, adminID, now)
		if err != nil {
			return err
		}
		if !ok {
			return errIssueHandled(is)
		}
		details := map[string]any{"issue": is.ID, "lost": is.Lost}
		event := EventIssueDeleted
		if status == IssueVerified {
			event = EventIssueVerified
			if details["effects"], err = s.applyIssue(ctx, st, is, by, m, now); err != nil {
				return err
			}
		}
		if err := st.AddActivity(ctx, Activity{At: now, Actor: by, UserID: &is.UserID, ResourceID: &is.ResourceID, Event: event,
			IP: m.IP, UserAgent: m.UserAgent, Details: details}); err != nil {
			return err
		}
		u, err := st.UserByID(ctx, is.UserID)
		if err != nil {
			return err
		}
		return s.tellIssueOutcome(ctx, st, is, u)
	})
	return is, err
}

// applyIssue makes the changes an approved request asks for, and writes
// for each the event the same change writes wherever else it happens.
func (s *Service) applyIssue(ctx context.Context, st Store, is Issue, by Actor, m Meta, now time.Time) (map[string]any, error) {
	effects := map[string]any{}
	var acts []Activity
	change := func(event string, resourceID *int64, details map[string]any) {
		details["issue"] = is.ID
		acts = append(acts, Activity{At: now, Actor: by, UserID: &is.UserID, ResourceID: resourceID, Event: event,
			IP: m.IP, UserAgent: m.UserAgent, Details: details})
	}
	if slices.Contains(is.Lost, LostToken) {
		serials, err := st.DisableLostTokens(ctx, is.UserID, is.ResourceID)
		if err != nil {
			return nil, err
		}
		effects["disabled_tokens"] = serials
		for _, serial := range serials {
			change(EventTokenDisabled, &is.ResourceID, map[string]any{"serial": serial, "reason": DisabledLost})
		}
	}
	if slices.Contains(is.Lost, LostPassword) && is.NewPasswordHash != "" {
		if err := st.SetUserPassword(ctx, is.UserID, is.NewPasswordHash, now); err != nil {
			return nil, err
		}
		effects["password"] = "replaced"
		change(EventUserPasswordChange, &is.ResourceID, map[string]any{"reason": "restore"})
	}
	if slices.Contains(is.Lost, LostEmail) && is.NewEmail != "" {
		if err := st.SetUserEmail(ctx, is.UserID, is.NewEmail); err != nil {
			return nil, err
		}
		effects["email"] = is.NewEmail
		change(EventUserEmailChange, &is.ResourceID, map[string]any{"old_email": is.UserEmail, "new_email": is.NewEmail})
	}
	for _, a := range acts {
		if err := st.AddActivity(ctx, a); err != nil {
			return nil, err
		}
	}
	return effects, nil
}

// SetIssueSubscription chooses which new issues an admin is mailed about:
// all resources, some, or none (all false and no resources).
func (s *Service) SetIssueSubscription(ctx context.Context, a Admin, email string, all bool, resources []int64, m Meta) error {
	return s.setIssueSubscription(ctx, a, email, all, resources, a.Actor(), m)
}

// setIssueSubscription sets a's subscription on behalf of by.
func (s *Service) setIssueSubscription(ctx context.Context, a Admin, email string, all bool, resources []int64, by Actor, m Meta) error {
	email = strings.TrimSpace(email)
	if email != "" && !validEmail(email) {
		return Invalid(map[string]string{"email": "Enter a valid email address, like name@example.com."})
	}
	if email == "" && (all || len(resources) > 0) {
		return Invalid(map[string]string{"email": "Give the address the notifications should go to."})
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.SetAdminEmail(ctx, a.ID, email); err != nil {
			return err
		}
		if err := st.SetSubscriptions(ctx, a.ID, all, resources); err != nil {
			return err
		}
		details := map[string]any{"all": all, "resources": resources}
		if by.Type != ActorAdmin || by.ID != a.ID {
			details["admin_id"], details["admin"] = a.ID, a.Login
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventNotificationsChanged,
			IP: m.IP, UserAgent: m.UserAgent, Details: details}))
	})
}
