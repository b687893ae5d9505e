package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Sign-in to a portal (SPEC §4) is a state machine; LoginFlow is its state,
// kept in the browser's session between the steps.
type LoginStep string

const (
	StepLogin       LoginStep = "login"
	StepPassword    LoginStep = "password"
	StepEmailCode   LoginStep = "email_code"
	StepNewPassword LoginStep = "new_password" // the password is too old
	StepOTP         LoginStep = "otp"
	StepDone        LoginStep = "done"
)

// PasswordMaxAge is how long a password lasts unless it never expires.
const PasswordMaxAge = 365 * 24 * time.Hour

// loginFlowTTL is how long a sign-in may take from first step to last.
const loginFlowTTL = 10 * time.Minute

// LoginFlow is the state of one sign-in.
type LoginFlow struct {
	ResourceID int64     `json:"r"`
	Login      string    `json:"l"` // as typed
	UserID     int64     `json:"u"` // 0: nobody usable is behind the login
	Step       LoginStep `json:"s"`
	Started    time.Time `json:"t"`
	// CodeSentTo says where the code of an email or SMS step went (masked).
	CodeSentTo string `json:"c,omitempty"`
	// SecondFactor is set when an OTP or recovery code was checked, so the
	// browser may be remembered.
	SecondFactor bool `json:"f,omitempty"`
	// Factors is how the sign-in went (Factor… values): what an enrolment
	// issue shows the helpdesk (SPEC §15).
	Factors []string `json:"fa,omitempty"`
	// Keys is set at StepOTP when the user has an enabled security key on
	// the resource: the page offers "Use your security key".
	Keys bool `json:"k,omitempty"`
	// NewPasswordHash is the password chosen at StepNewPassword; it
	// replaces the expired one only when the sign-in completes.
	NewPasswordHash string `json:"np,omitempty"`
}

// Expired reports whether the flow took too long.
func (f LoginFlow) Expired(now time.Time) bool { return now.Sub(f.Started) > loginFlowTTL }

// Messages after a correct first factor (SPEC §4.3): clear, because the
// person proved who they are.
var (
	ErrAccountExpired  = Fail(CodeForbidden, M("login.account_expired"))
	ErrTemporaryExpiry = Fail(CodeForbidden, M("login.temporary_expired"))
)

func portalScope(resourceID int64) string { return "portal:" + strconv.FormatInt(resourceID, 10) }

// loginFailed fails a sign-in: counters, UserLoginAttempt, delay.
func (s *Service) loginFailed(ctx context.Context, p Portal, f LoginFlow, stage string, m Meta) error {
	return s.failLogin(ctx, s.loginFailure(ctx, p, f, stage), m)
}

// passwordFailed fails a sign-in whose password check did not pass: a
// directory that could not answer fails it closed, but the user's account
// does not pay for the outage (no failed sign-in counted on it).
func (s *Service) passwordFailed(ctx context.Context, p Portal, f LoginFlow, stage string, c passwordCheck, m Meta) error {
	fl := s.loginFailure(ctx, p, f, stage)
	if c == passwordUnavailable {
		fl.account = nil
		fl.act.Details["reason"] = "directory unreachable"
	}
	return s.failLogin(ctx, fl, m)
}

// loginFailure is the failure of a portal sign-in at stage.
func (s *Service) loginFailure(ctx context.Context, p Portal, f LoginFlow, stage string) failure {
	fl := failure{area: SignInPortal, scope: portalScope(p.ResourceID), login: f.Login,
		act: Activity{Actor: Actor{Type: ActorUser, Name: truncate(f.Login, MaxLoginLength)}, ResourceID: &p.ResourceID,
			Event: EventUserLoginAttempt, Details: map[string]any{"stage": stage}}}
	if f.UserID != 0 {
		id := f.UserID
		fl.act.Actor.ID, fl.act.UserID = id, &id
		fl.account = func(now time.Time) error {
			return s.Store.RecordUserFailure(ctx, id, now, s.Limits.LockAfter, s.Limits.LockFor)
		}
	}
	return fl
}

// LoginStart takes the login name. Whoever is behind it (nobody, a user not
// assigned to the resource, a disabled or locked account, a user without a
// password), the next step is the same password page (SPEC §4.2), and a
// failure comes only at the end, with the same message.
func (s *Service) LoginStart(ctx context.Context, p Portal, login string, m Meta) (LoginFlow, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return LoginFlow{}, FieldsInvalid(map[string]Msg{"login": M("login.enter")})
	}
	login = truncate(login, MaxLoginLength)
	f := LoginFlow{ResourceID: p.ResourceID, Login: login, Step: StepPassword, Started: s.Now()}
	u, err := s.Store.UserByLogin(ctx, login)
	if err != nil && ErrorCode(err) != CodeNotFound {
		return LoginFlow{}, Internal(err)
	}
	if err == nil {
		assigned, err := s.Store.IsAssigned(ctx, p.ResourceID, u.ID)
		if err != nil {
			return LoginFlow{}, Internal(err)
		}
		if assigned {
			f.UserID = u.ID
		}
	}
	return f, nil
}

// LoginRequestCode is "email me a sign-in code instead", offered on the
// password page to everyone: the request is queued whoever is behind the
// login (the queue mails a code only to a user with an email on record and
// no password), and everyone is asked for the code next.
func (s *Service) LoginRequestCode(ctx context.Context, p Portal, f LoginFlow, m Meta) (LoginFlow, error) {
	if f.Step != StepPassword {
		return f, ErrLoginFailed
	}
	if err := s.requestCode(ctx, CodeRequest{Purpose: PurposeLogin, ResourceID: p.ResourceID, Login: f.Login}); err != nil {
		return f, err
	}
	f.Step = StepEmailCode
	return f, nil
}

// LoginFirstFactor checks the password or the emailed code.
func (s *Service) LoginFirstFactor(ctx context.Context, p Portal, f LoginFlow, secret, device string, m Meta) (LoginFlow, error) {
	if f.Step != StepPassword && f.Step != StepEmailCode {
		return f, ErrLoginFailed
	}
	if err := s.checkIP(ctx, m.IP); err != nil {
		return f, err
	}
	var u User
	if f.UserID != 0 {
		var err error
		if u, err = s.Store.UserByID(ctx, f.UserID); err != nil && ErrorCode(err) != CodeNotFound {
			return f, Internal(err)
		}
	}
	ok, check := false, passwordWrong
	switch f.Step {
	case StepPassword:
		// One bcrypt comparison also without a user or password; a
		// directory's user: a bind as them.
		check = s.checkPassword(ctx, &u, secret)
		ok = check == passwordOK
	case StepEmailCode:
		r, err := s.checkCode(ctx, u.ID, PurposeLogin, nil, strings.TrimSpace(secret))
		if err != nil {
			return f, err
		}
		// A user with a password (or a directory's) must use it (SPEC §4.2).
		ok = r.Matched && !u.HasPassword()
	}
	if !ok || u.Disabled || u.Locked(s.Now()) {
		return f, s.passwordFailed(ctx, p, f, string(f.Step), check, m)
	}
	now := s.Now()
	if u.Expired(s.Now()) {
		return f, ErrAccountExpired
	}
	if f.Step == StepPassword && u.TemporaryExpired(now) {
		return f, ErrTemporaryExpiry
	}
	f.Factors = []string{FactorPassword}
	if f.Step == StepEmailCode {
		f.Factors = []string{FactorEmailCode}
	}
	if f.Step == StepPassword && u.PasswordTooOld(now) {
		f.Step = StepNewPassword
		return f, nil
	}
	return s.secondFactorStep(ctx, p, f, u, device, m)
}

// LoginNewPassword takes the replacement of a password that is too old,
// under the password policy, and goes on; the password changes only when
// the sign-in completes (LoginComplete), never before the second factor.
func (s *Service) LoginNewPassword(ctx context.Context, p Portal, f LoginFlow, newPassword, device string, m Meta) (LoginFlow, error) {
	if f.Step != StepNewPassword {
		return f, ErrLoginFailed
	}
	u, err := s.Store.UserByID(ctx, f.UserID)
	if IsFault(err) {
		return f, err
	} else if err != nil {
		return f, ErrLoginFailed
	}
	if pp := CheckPassword(newPassword, u.Login, u.PasswordHash, u.FirstName, u.LastName, u.Email); !pp.OK() {
		return f, &Error{Code: CodeInvalid, Msg: pp.Message, FieldMsgs: map[string]Msg{"new_password": policyMessage(pp)}}
	}
	hash, err := s.Hasher.Hash(newPassword)
	if err != nil {
		return f, Internal(err)
	}
	// Kept in the flow: nothing changes before the second factor passes.
	f.NewPasswordHash = hash
	return s.secondFactorStep(ctx, p, f, u, device, m)
}

// replaceExpiredPassword commits the password chosen during the sign-in,
// with its activity and mail, in the sign-in's transaction.
func (s *Service) replaceExpiredPassword(ctx context.Context, st Store, p Portal, u User, hash string, now time.Time, m Meta) error {
	if err := st.SetUserPassword(ctx, u.ID, hash, now); err != nil {
		return err
	}
	if err := st.AddActivity(ctx, Activity{At: now, Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID,
		Event: EventUserPasswordChange, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"reason": "expired"}}); err != nil {
		return Internal(err)
	}
	return s.passwordChangedMail(ctx, st, p, u)
}

// secondFactorStep decides whether the OTP is needed (SPEC §4.4).
func (s *Service) secondFactorStep(ctx context.Context, p Portal, f LoginFlow, u User, device string, m Meta) (LoginFlow, error) {
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return f, Internal(err)
	}
	live := enabledTokens(tokens)
	trusted := p.Trusted(m.IP)
	if len(live) == 0 && !heldBack(tokens) {
		// No token, or only tokens an approved lost-token request
		// disabled: that is how they get in to register a new one.
		if p.DenyWithoutTokenOutsideTrusted && !trusted {
			return f, s.loginFailed(ctx, p, f, "no token outside trusted networks", m)
		}
		f.Step, f.Factors = StepDone, append(f.Factors, FactorNoToken)
		return f, nil
	}
	if trusted && p.OTPOutsideTrusted {
		f.Step, f.Factors = StepDone, append(f.Factors, FactorTrusted)
		return f, nil
	}
	if device != "" && p.RememberDeviceDays > 0 {
		ok, err := s.Store.UseDevice(ctx, u.ID, p.ResourceID, deviceHash(device), s.Now())
		if err != nil {
			return f, Internal(err)
		}
		if ok {
			f.Step, f.Factors = StepDone, append(f.Factors, FactorDevice)
			return f, nil
		}
	}
	f.Step, f.Keys = StepOTP, len(live) > len(otpTokens(live))
	f.CodeSentTo, err = s.sendSecondFactorCode(ctx, u, otpTokens(live))
	return f, err
}

// sendSecondFactorCode sends the code of a user whose tokens all send
// their codes (email, SMS) and returns where it went, masked; "" when the
// tokens show their own codes. When the code limiter holds a new code
// back, the one sent before still works.
func (s *Service) sendSecondFactorCode(ctx context.Context, u User, live []Token) (string, error) {
	if !onlySent(live) {
		return "", nil
	}
	t := live[0]
	if err := s.SendTokenCode(ctx, t, u); err != nil && !codeHeldBack(err) {
		return "", err
	}
	if t.Type == TokenSMS {
		return maskPhone(u.Phone), nil
	}
	return maskEmail(u.Email), nil
}

// HasUsableToken reports whether tokens hold an enabled token: a session
// of such a user must have proven a second factor before it adds,
// replaces or removes a token (StepUp).
func HasUsableToken(tokens []Token) bool { return len(enabledTokens(tokens)) > 0 }

// StepUpStart prepares the step-up of a session that signed in without a
// second factor (trusted network, remembered device): a code is sent when
// the user's tokens send theirs; it returns where it went, masked.
func (s *Service) StepUpStart(ctx context.Context, p Portal, u User) (string, error) {
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return "", Internal(err)
	}
	return s.sendSecondFactorCode(ctx, u, otpTokens(enabledTokens(tokens)))
}

// StepUp proves a second factor in a session that signed in without one:
// an OTP of an enabled token or a recovery code, with the rules and the
// failure counting of the sign-in's second step.
func (s *Service) StepUp(ctx context.Context, p Portal, u User, pass string, m Meta) error {
	f := LoginFlow{ResourceID: p.ResourceID, Login: u.Login, UserID: u.ID, Step: StepOTP}
	if _, err := s.LoginSecondFactor(ctx, p, f, pass, m); err != nil {
		return err
	}
	s.record(ctx, Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventSecondFactorStepUp,
		IP: m.IP, UserAgent: m.UserAgent})
	return nil
}

// heldBack reports whether one of tokens was disabled other than by an
// approved lost-token request (by an admin, mostly): that never waives the
// second factor. Only a recovery code gets such a user in. A token that
// waits for approval counts as no token at all (SPEC §15).
func heldBack(tokens []Token) bool {
	for _, t := range tokens {
		if !t.Enabled && t.DisabledReason != DisabledLost && !t.Pending() {
			return true
		}
	}
	return false
}

func enabledTokens(tokens []Token) []Token {
	var live []Token
	for _, t := range tokens {
		if t.Enabled {
			live = append(live, t)
		}
	}
	return live
}

// onlySent reports whether every token sends its code (email, SMS).
func onlySent(tokens []Token) bool {
	for _, t := range tokens {
		if !t.Type.Sent() {
			return false
		}
	}
	return len(tokens) > 0
}

// secondStepUser is the user of a sign-in at its second step, when they
// may still sign in; otherwise the sign-in fails (at stage).
func (s *Service) secondStepUser(ctx context.Context, p Portal, f LoginFlow, stage string, m Meta) (User, error) {
	if f.Step != StepOTP {
		return User{}, ErrLoginFailed
	}
	if err := s.checkIP(ctx, m.IP); err != nil {
		return User{}, err
	}
	u, err := s.Store.UserByID(ctx, f.UserID)
	if IsFault(err) {
		return User{}, err // the database, not the person, failed: 503
	}
	if err != nil || u.Disabled || u.Locked(s.Now()) {
		return User{}, s.loginFailed(ctx, p, f, stage, m)
	}
	return u, nil
}

// LoginSecondFactor checks the OTP (with PIN) or a recovery code.
func (s *Service) LoginSecondFactor(ctx context.Context, p Portal, f LoginFlow, pass string, m Meta) (LoginFlow, error) {
	u, err := s.secondStepUser(ctx, p, f, "otp", m)
	if err != nil {
		return f, err
	}
	pass = strings.TrimSpace(pass)
	if code, ok := normalizeRecoveryCode(pass); ok {
		// The code is spent and RecoveryCodeUsed written together, or neither.
		used := false
		err := s.Store.Tx(ctx, func(st Store) error {
			var err error
			if used, err = st.UseRecoveryCode(ctx, u.ID, s.recoveryHashes(u.ID, code), s.Now()); err != nil || !used {
				return wrapInternal(err)
			}
			left, err := st.RecoveryCodesLeft(ctx, u.ID)
			if err != nil {
				return Internal(err)
			}
			return wrapInternal(st.AddActivity(ctx, s.stamp(Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID,
				Event: EventRecoveryCodeUsed, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"left": left}})))
		})
		if err != nil {
			return f, err
		}
		if !used {
			return f, s.loginFailed(ctx, p, f, "recovery code", m)
		}
		f.Step, f.SecondFactor, f.Factors = StepDone, true, append(f.Factors, FactorRecoveryCode)
		return f, nil
	}
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return f, Internal(err)
	}
	var live []Token
	for _, t := range enabledTokens(tokens) {
		if !t.Locked() {
			live = append(live, t)
		}
	}
	if len(live) == 0 || pass == "" {
		return f, s.loginFailed(ctx, p, f, "otp", m)
	}
	outcome, err := s.verifyAny(ctx, u, live, pass, nil)
	if err != nil {
		return f, err
	}
	if outcome == OutcomeReplayed {
		// Counted and logged as any refused code; the flow stays at the step.
		_ = s.loginFailed(ctx, p, f, "otp: "+string(outcome), m)
		return f, ErrCodeReplayed
	}
	if outcome != OutcomeAccepted {
		return f, s.loginFailed(ctx, p, f, "otp: "+string(outcome), m)
	}
	f.Step, f.SecondFactor, f.Factors = StepDone, true, append(f.Factors, FactorOTP)
	return f, nil
}

// LoginComplete finishes a sign-in: failure count reset, UserLogin written
// (or the sign-in refused when it cannot be), the user's open restore-access
// requests on this resource withdrawn (they proved they still have access).
func (s *Service) LoginComplete(ctx context.Context, p Portal, f LoginFlow, m Meta) (User, error) {
	if f.Step != StepDone || f.UserID == 0 {
		return User{}, ErrLoginFailed
	}
	u, err := s.Store.UserByID(ctx, f.UserID)
	if IsFault(err) {
		return User{}, err
	} else if err != nil {
		return User{}, ErrLoginFailed
	}
	now := s.Now()
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.RecordUserLogin(ctx, u.ID); err != nil {
			return Internal(err)
		}
		if f.NewPasswordHash != "" {
			if err := s.replaceExpiredPassword(ctx, st, p, u, f.NewPasswordHash, now, m); err != nil {
				return err
			}
		}
		withdrawn, err := st.WithdrawIssues(ctx, u.ID, p.ResourceID, now)
		if err != nil {
			return Internal(err)
		}
		for _, id := range withdrawn {
			if err := st.AddActivity(ctx, Activity{At: now, Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID,
				Event: EventIssueWithdrawn, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"issue": id}}); err != nil {
				return Internal(err)
			}
		}
		err = st.AddActivity(ctx, Activity{At: now, Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID,
			Event: EventUserLogin, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"second_factor": f.SecondFactor, "factors": f.Factors}})
		if err != nil {
			s.Log.ErrorContext(ctx, "user login not recorded: refused", "user", u.ID, "err", err)
			return ErrLoginNotRecorded
		}
		// A savepoint: the new-environment mail never stops a sign-in.
		if err := st.Tx(ctx, func(st Store) error { return s.noteEnvironment(ctx, st, p, u, m, now) }); err != nil {
			s.Log.ErrorContext(ctx, "sign-in environment not recorded", "user", u.ID, "err", err)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	s.Observe().SignIn(SignInPortal, true)
	return u, nil
}

// RememberDevice creates a remembered-device token for the browser; only its
// hash is stored. It returns the cookie value and its expiry.
func (s *Service) RememberDevice(ctx context.Context, p Portal, u User, m Meta) (string, time.Time, error) {
	if p.RememberDeviceDays <= 0 {
		return "", time.Time{}, Fail(CodeInvalid, M("login.no_remember"))
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, Internal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	expires := s.Now().Add(time.Duration(p.RememberDeviceDays) * 24 * time.Hour)
	if err := s.Store.CreateDevice(ctx, u.ID, p.ResourceID, deviceHash(token), expires, m); err != nil {
		return "", time.Time{}, Internal(err)
	}
	return token, expires, nil
}

func deviceHash(token string) []byte {
	sum := sha256.Sum256([]byte("remembered-device:" + token))
	return sum[:]
}

// UserLogoff records that a user signed out of a portal.
func (s *Service) UserLogoff(ctx context.Context, p Portal, u User, m Meta) {
	s.record(ctx, Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventUserLogoff, IP: m.IP, UserAgent: m.UserAgent})
}

// Reauthenticate confirms a signed-in user again before a sensitive action:
// their password, or (without one) a code of their token, or (without
// either) a code emailed by SendReauthCode. Failures count like failed
// sign-ins.
func (s *Service) Reauthenticate(ctx context.Context, p Portal, u User, secret string, m Meta) error {
	f := LoginFlow{ResourceID: p.ResourceID, Login: u.Login, UserID: u.ID}
	if err := s.checkIP(ctx, m.IP); err != nil {
		return err
	}
	if u.Locked(s.Now()) {
		return s.loginFailed(ctx, p, f, "reauth", m)
	}
	if u.HasPassword() {
		if c := s.checkPassword(ctx, &u, secret); c != passwordOK {
			return s.passwordFailed(ctx, p, f, "reauth password", c, m)
		}
		return nil
	}
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return Internal(err)
	}
	live := enabledTokens(tokens)
	if len(live) == 0 && u.Email != "" {
		// Neither password nor token: a code sent by SendReauthCode.
		r, err := s.checkCode(ctx, u.ID, PurposeLogin, nil, strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		if !r.Matched {
			return s.loginFailed(ctx, p, f, "reauth email code", m)
		}
		return nil
	}
	if len(live) == 0 || strings.TrimSpace(secret) == "" {
		return s.loginFailed(ctx, p, f, "reauth otp", m)
	}
	o, err := s.verifyAny(ctx, u, live, strings.TrimSpace(secret), nil)
	if err != nil {
		return err
	}
	if o != OutcomeAccepted {
		return s.loginFailed(ctx, p, f, "reauth otp: "+string(o), m)
	}
	return nil
}
