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

// Restore access (SPEC §6), the user side: a person who lost a token,
// password or email access files a request; the helpdesk handles it
// (issues.go).

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
var ErrTooManyRequests = Fail(CodeTooMany, M("restore.too_many"))

// RestoreStart takes the login and what is lost. Whoever is behind the
// login, the next page is the same and the same work is done: a code
// request is queued unless email was declared lost, and the queue mails a
// code only to a user with an address on record (CodeRequest).
func (s *Service) RestoreStart(ctx context.Context, p Portal, login string, lost []string, m Meta) (RestoreFlow, error) {
	login = truncate(strings.TrimSpace(login), MaxLoginLength)
	f := map[string]Msg{}
	if login == "" {
		f["login"] = M("login.enter")
	}
	var clean []string
	for _, item := range []string{LostToken, LostPassword, LostEmail} {
		if slices.Contains(lost, item) {
			clean = append(clean, item)
		}
	}
	if len(clean) == 0 {
		f["lost"] = M("restore.lost")
	}
	if len(f) > 0 {
		return RestoreFlow{}, FieldsInvalid(f)
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
func (s *Service) RestoreProve(ctx context.Context, p Portal, rf RestoreFlow, in RestoreProofs, m Meta) (RestoreFlow, error) {
	password, emailCode, pass := in.Password, in.EmailCode, in.OTP
	if rf.Step != RestoreStepProve {
		return rf, Fail(CodeConflict, M("restore.start_again"))
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
		// One bcrypt comparison whoever asks; a directory's user: a bind.
		ok := s.checkPassword(ctx, &u, password) == passwordOK
		rf.Password = evidence(u.HasPassword(), ok)
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
		if !ok && len(in.Key) > 0 {
			if ok, err = s.proveKey(ctx, p, u, in.Ceremony, in.Key); err != nil {
				return rf, err
			}
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
	for _, t := range otpTokens(live) {
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
func (s *Service) RestoreFinish(ctx context.Context, p Portal, rf RestoreFlow, in RestoreChoice, m Meta) (RestoreFlow, error) {
	newPassword, newEmail := in.Password, in.Email
	if rf.Step != RestoreStepNew {
		return rf, Fail(CodeConflict, M("restore.start_again"))
	}
	if rf.Token == "" { // every authenticator was declared lost: no proof step
		rf.Token, rf.Password, rf.Email = EvidenceLost, EvidenceLost, EvidenceLost
	}
	if err := s.restoreLimit(ctx, p, &rf, m); err != nil {
		return rf, err
	}
	f := map[string]Msg{}
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
		f["new_email"] = M("restore.new_email")
	}
	if len(f) > 0 {
		return rf, FieldsInvalid(f)
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
	if u.FromDirectory() {
		// The directory keeps the password (SPEC §12): the request is
		// recorded without one, and the helpdesk resets it there. The page
		// asked for one all the same, so it tells no stranger who is whose.
		newPasswordHash = ""
	}
	if u.Managed("email") {
		newEmail = "" // likewise the address, when the directory keeps it
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
