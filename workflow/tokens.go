package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"tokenportal/workflow/otp"
)

func tokenActivity(by Actor, m Meta, t Token, event string, details map[string]any) Activity {
	return Activity{Actor: by, UserID: t.UserID, ResourceID: t.ResourceID, Event: event, IP: m.IP, UserAgent: m.UserAgent,
		Details: withDetail(details, "serial", t.Serial)}
}

// SetTokenEnabled enables or disables a token (an administrator's switch).
func (s *Service) SetTokenEnabled(ctx context.Context, serial string, enabled bool, by Actor, m Meta) (Token, error) {
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil {
		return Token{}, err
	}
	if t.Pending() {
		return Token{}, ErrTokenPending
	}
	event := EventTokenDisabled
	if enabled {
		event = EventTokenEnabled
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		changed, err := st.SetTokenEnabled(ctx, t.ID, enabled, DisabledByAdmin)
		if err != nil || !changed {
			return err
		}
		return st.AddActivity(ctx, s.stamp(tokenActivity(by, m, t, event, nil)))
	})
	if err != nil {
		return Token{}, err
	}
	return s.Store.TokenByID(ctx, t.ID)
}

// ResetTokenFailcount unlocks a token locked by wrong codes.
func (s *Service) ResetTokenFailcount(ctx context.Context, serial string, by Actor, m Meta) (Token, error) {
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil {
		return Token{}, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.ResetTokenFailcount(ctx, t.ID); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(tokenActivity(by, m, t, EventTokenReset, map[string]any{"failcount": t.Failcount})))
	})
	if err != nil {
		return Token{}, err
	}
	return s.Store.TokenByID(ctx, t.ID)
}

// DeleteToken removes a token for good.
func (s *Service) DeleteToken(ctx context.Context, serial string, by Actor, m Meta) error {
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.DeleteToken(ctx, t.ID); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(tokenActivity(by, m, t, EventTokenDeleted, nil)))
	})
}

// AssignToken places a token: on a resource as stock (userID nil), to a
// user on a resource ("token with user"; the user is assigned to the resource
// when they were not), to a user without resource, or back to stock (both nil).
func (s *Service) AssignToken(ctx context.Context, serial string, resourceID, userID *int64, by Actor, m Meta) (Token, error) {
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil {
		return Token{}, err
	}
	if t.Pending() {
		return Token{}, ErrTokenPending
	}
	if t.Type.Key() && (userID == nil || t.UserID == nil || *userID != *t.UserID) {
		// A key's credential is bound to its owner (the user handle): it
		// moves between resources, never to somebody else or to stock.
		return Token{}, FieldsInvalid(map[string]Msg{"user_id": M("webauthn.owner_only")})
	}
	if resourceID != nil {
		if _, err := s.Store.ResourceByID(ctx, *resourceID); err != nil {
			return Token{}, FieldsInvalid(map[string]Msg{"resource_id": M("resource.unknown")})
		}
	}
	if userID != nil {
		if _, err := s.Store.UserByID(ctx, *userID); err != nil {
			return Token{}, FieldsInvalid(map[string]Msg{"user_id": M("account.unknown_user")})
		}
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if resourceID != nil && userID != nil {
			if err := st.AssignUser(ctx, *resourceID, *userID); err != nil {
				return err
			}
		}
		if err := st.PlaceToken(ctx, t.ID, userID, resourceID); err != nil {
			return err
		}
		a := tokenActivity(by, m, t, EventTokenAssigned, nil)
		a.UserID, a.ResourceID = userID, resourceID
		if userID == nil {
			a.UserID = t.UserID // keep the previous owner findable in the log
		}
		return st.AddActivity(ctx, s.stamp(a))
	})
	if err != nil {
		return Token{}, err
	}
	return s.Store.TokenByID(ctx, t.ID)
}

// CheckResult is what Check OTP shows an administrator.
type CheckResult struct {
	Valid   bool
	Outcome Outcome
	// Hint helps the helpdesk: how far off the token's clock or counter is
	// when the code matched outside the window.
	Hint Msg
}

// ErrCheckKey answers Check OTP on a security key: it has no code; only a
// browser can ask it to sign.
var ErrCheckKey = Fail(CodeInvalid, M("token.check.key"))

// CheckOTP verifies a code of a token for an administrator, with the rules
// of a sign-in: an accepted code is used up (it cannot be replayed), but a
// wrong one does not count towards the token's lock, so testing a token
// never locks its owner out.
func (s *Service) CheckOTP(ctx context.Context, serial, pass string, by Actor, m Meta) (CheckResult, error) {
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil {
		return CheckResult{}, err
	}
	if t.Type.Key() {
		return CheckResult{}, ErrCheckKey
	}
	act := tokenActivity(by, m, t, EventTokenChecked, nil)
	outcome, err := s.VerifyTokenCode(ctx, t, pass, false, &act)
	if err != nil {
		return CheckResult{}, err
	}
	r := CheckResult{Valid: outcome == OutcomeAccepted, Outcome: outcome}
	if outcome == OutcomeWrong && (t.Type.Shows()) {
		r.Hint = s.driftHint(t, pass)
	}
	return r, nil
}

// StoreToken seals a software token's seed and stores the token through st
// (so it joins the caller's transaction).
func (s *Service) StoreToken(ctx context.Context, st Store, t *Token, secret []byte) error {
	if t.Algorithm == "" {
		t.Algorithm = "SHA1"
	}
	if t.Digits == 0 {
		t.Digits = 6
	}
	if t.Period == 0 {
		t.Period = 30
	}
	if t.LastStep == 0 && t.Counter == 0 {
		t.LastStep = -1
	}
	if t.Type.Shows() {
		if err := t.Params().Validate(); err != nil {
			return Fail(CodeInvalid, M("token.params", "Reason", err.Error()))
		}
		if err := s.sealSecret(t, secret); err != nil {
			return err
		}
	}
	if t.PINPosition == "" {
		t.PINPosition = "after"
	}
	return st.CreateToken(ctx, t)
}

// driftHint looks for a code far outside the window, so the helpdesk can
// tell the user to resync or fix their phone's clock.
func (s *Service) driftHint(t Token, pass string) Msg {
	_, code, ok := splitPIN(t, pass)
	if !ok || !otp.WellFormed(code, t.Params()) {
		return Msg{}
	}
	secret, err := s.openSecret(t)
	if err != nil {
		return Msg{}
	}
	if t.Type == TokenHOTP {
		if c, ok := otp.VerifyHOTP(secret, code, uint64(t.Counter)+hotpLookahead+1, hotpResyncSpan, t.Params()); ok {
			return M("token.hint_counter", "Counter", c, "Ahead", int64(c)-t.Counter)
		}
		return Msg{}
	}
	now := otp.Step(s.Now(), t.Period)
	span := int64(resyncSpan.Seconds()) / int64(t.Period)
	for d := int64(2); d <= span; d++ {
		for _, step := range []int64{now + t.Drift + d, now + t.Drift - d} {
			if otp.Code(secret, uint64(step), t.Params()) == code {
				return M("token.hint_clock", "Minutes", d*int64(t.Period)/60)
			}
		}
	}
	return Msg{}
}

func tokenContext(serial string) string { return "token:" + strings.ToLower(serial) }

// openSecret decrypts a token's seed. A failure is an error that is logged
// and shown as an internal error: it means a wrong SECRET_KEY or tampering.
func (s *Service) openSecret(t Token) ([]byte, error) {
	secret, err := s.Sealer.Open(t.Secret, t.KeyID, tokenContext(t.Serial))
	if err != nil {
		s.Log.Error("token secret cannot be decrypted", "serial", t.Serial, "key_id", t.KeyID, "err", err)
		return nil, Internal(fmt.Errorf("token %s: %w", t.Serial, err))
	}
	return secret, nil
}

// sealSecret encrypts a token's seed for storage.
func (s *Service) sealSecret(t *Token, secret []byte) error {
	sealed, keyID, err := s.Sealer.Seal(secret, tokenContext(t.Serial))
	if err != nil {
		return Internal(err)
	}
	t.Secret, t.KeyID = sealed, keyID
	return nil
}

// Resync realigns a token that drifted, from two consecutive codes: HOTP
// searches 1000 counters ahead, TOTP one hour either side. The failcount is
// reset. Codes older than the last accepted one are refused.
func (s *Service) Resync(ctx context.Context, t Token, otp1, otp2 string) error {
	_, err := s.resync(ctx, s.Store, t, otp1, otp2)
	return err
}

// resync is Resync through st, so a caller can write its activity in the
// same transaction; it returns the token as stored.
func (s *Service) resync(ctx context.Context, st Store, t Token, otp1, otp2 string) (Token, error) {
	bad := FieldsInvalid(map[string]Msg{"otp2": M("token.resync_not_following")})
	if !t.Type.Shows() {
		return t, Fail(CodeInvalid, M("token.resync_type"))
	}
	otp1, otp2 = strings.TrimSpace(otp1), strings.TrimSpace(otp2)
	p := t.Params()
	f := map[string]Msg{}
	if !otp.WellFormed(otp1, p) {
		f["otp1"] = M("token.resync_code", "Digits", p.Digits)
	}
	if !otp.WellFormed(otp2, p) {
		f["otp2"] = M("token.resync_next_code", "Digits", p.Digits)
	}
	if len(f) > 0 {
		return t, FieldsInvalid(f)
	}
	secret, err := s.openSecret(t)
	if err != nil {
		return t, err
	}
	var from, to int64
	if t.Type == TokenHOTP {
		from, to = t.Counter, t.Counter+hotpResyncSpan
	} else {
		now := otp.Step(s.Now(), t.Period)
		span := int64(resyncSpan / time.Second / time.Duration(t.Period))
		from, to = now-span, now+span
	}
	from = max(from, t.LastStep+1)
	for c := from; c < to; c++ {
		if otp.Code(secret, uint64(c), p) != otp1 || otp.Code(secret, uint64(c+1), p) != otp2 {
			continue
		}
		counter, drift := t.Counter, t.Drift
		if t.Type == TokenHOTP {
			counter = c + 2
		} else {
			drift = c + 1 - otp.Step(s.Now(), t.Period)
		}
		ok, err := st.ResyncToken(ctx, t.ID, c+1, counter, drift)
		if err != nil {
			return t, Internal(err)
		}
		if !ok {
			return t, bad
		}
		t.LastStep, t.Counter, t.Drift, t.Failcount = c+1, counter, drift, 0
		return t, nil
	}
	return t, bad
}

// TokenType is the kind of a token.
type TokenType string

// The kinds of token the product knows.
const (
	TokenTOTP  TokenType = "totp"  // an app or key fob showing time-based codes
	TokenHOTP  TokenType = "hotp"  // an app or key fob showing counter-based codes
	TokenEmail TokenType = "email" // a code sent by email
	TokenSMS   TokenType = "sms"   // a code sent by SMS
	// TokenWebAuthn is a security key or passkey (SPEC §14): no code at
	// all, a signature in the browser; its credential is a KeyCredential.
	TokenWebAuthn TokenType = "webauthn"
)

// TokenTypes are the names of the kinds of token, for settings and forms.
var TokenTypes = []string{string(TokenTOTP), string(TokenHOTP), string(TokenEmail), string(TokenSMS), string(TokenWebAuthn)}

// Key reports whether tokens of type t are security keys or passkeys: they
// sign in a browser and never give a code (validate and RADIUS cannot use
// them).
func (t TokenType) Key() bool { return t == TokenWebAuthn }

// Sent reports whether tokens of type t get their codes sent (email, SMS)
// rather than showing them (TOTP, HOTP).
func (t TokenType) Sent() bool { return t == TokenEmail || t == TokenSMS }

// Shows reports whether tokens of type t show their own codes from a seed.
func (t TokenType) Shows() bool { return t == TokenTOTP || t == TokenHOTP }

// Channel is how codes of a sent type travel: ChannelEmail or ChannelSMS.
func (t TokenType) Channel() string {
	if t == TokenSMS {
		return ChannelSMS
	}
	return ChannelEmail
}

// Token is an OTP token: software (TOTP/HOTP, with a sealed seed) or a code
// sent by email or SMS.
type Token struct {
	ID             int64
	Serial         string
	Type           TokenType
	Secret         []byte // sealed seed; nil for email and SMS tokens
	KeyID          string
	Algorithm      string // SHA1, SHA256, SHA512
	Digits         int
	Period         int
	Counter        int64 // HOTP: the next expected counter
	LastStep       int64 // last accepted TOTP step or HOTP counter; -1 when none
	Drift          int64 // TOTP steps the token runs ahead (+) or behind (-)
	PINHash        string
	PINPosition    string // before, after
	Enabled        bool
	DisabledReason string // admin, lost, reassigned, pending
	Failcount      int
	UserID         *int64
	ResourceID     *int64
	Description    string
	CreatedAt      time.Time
	LastUsedAt     *time.Time
	// Replaces is the token a pending re-assignment exchanges for this one
	// once the helpdesk approves (SPEC §15).
	Replaces *int64

	// Joined for display.
	UserLogin    string
	ResourceName string
}

// HasPIN reports whether the token asks for a PIN with the OTP.
func (t Token) HasPIN() bool { return t.PINHash != "" }

// Pending reports whether the token waits for the helpdesk's approval
// (SPEC §15): it is stored disabled, so it is no second factor anywhere.
func (t Token) Pending() bool { return !t.Enabled && t.DisabledReason == DisabledPending }

// Locked reports whether too many wrong codes locked the token.
func (t Token) Locked() bool { return t.Failcount >= MaxFailcount }

// MaxFailcount wrong codes lock a token until resync or admin reset (SPEC §8).
const MaxFailcount = 10

// Disabled reasons.
const (
	DisabledByAdmin    = "admin"
	DisabledLost       = "lost"
	DisabledReassigned = "reassigned"
	DisabledPending    = "pending"
)
