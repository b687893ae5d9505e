package workflow

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The token actions of the self-service portal (SPEC §5.1–7). Every change
// and its activity commit in one transaction.

// Limits of the token actions.
const (
	// enrolmentTTL is how long a chosen token waits for its confirming code.
	enrolmentTTL = 15 * time.Minute
	// claimAttempts per claimWindow stop guessing of stock serials.
	claimAttempts = 10
	claimWindow   = 15 * time.Minute
)

// Answers of the token actions.
var (
	// ErrClaimNotRight is the one answer to every failed claim, so nobody
	// can learn which serials exist.
	ErrClaimNotRight = Fail(CodeInvalid, M("token.claim_not_right"))
	ErrTooManyTokens = Fail(CodeConflict, M("token.too_many"))
	ErrEnrolExpired  = Fail(CodeInvalid, M("token.enrol_expired"))
	ErrTokenChanged  = Fail(CodeConflict, M("token.changed"))
)

// ActionTokens are the tokens among tokens that portal action id works on:
// the choices its page offers.
// A token that waits for approval is offered to none; nor, while it waits,
// is the token it is to replace offered for another exchange or removal.
func ActionTokens(id string, tokens []Token) []Token {
	replaced := map[int64]bool{}
	for _, t := range tokens {
		if t.Pending() && t.Replaces != nil {
			replaced[*t.Replaces] = true
		}
	}
	var list []Token
	for _, t := range tokens {
		if t.Pending() || (replaced[t.ID] && (id == "reassign-token" || id == "unassign-token")) {
			continue
		}
		if actionTakes(id, t) {
			list = append(list, t)
		}
	}
	return list
}

// heldTokens counts what counts against max_tokens_per_user: the enabled
// tokens and those waiting for approval.
func heldTokens(tokens []Token) int {
	n := 0
	for _, t := range tokens {
		if t.Enabled || t.Pending() {
			n++
		}
	}
	return n
}

func actionTakes(id string, t Token) bool {
	switch id {
	case "reassign-token":
		return t.Enabled
	case "unassign-token":
		return true
	case "sync-token":
		return t.Enabled && (t.Type.Shows())
	case "set-pin":
		return t.Enabled && !t.HasPIN() && !t.Type.Key()
	case "remove-pin":
		return t.Enabled && t.HasPIN() && !t.Type.Key()
	}
	return false
}

// actionToken finds the token with serial among those action id works on
// for u on p; field is the form field to blame.
func (s *Service) actionToken(ctx context.Context, p Portal, u User, id, serial string) (Token, error) {
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return Token{}, Internal(err)
	}
	serial = strings.TrimSpace(serial)
	for _, t := range ActionTokens(id, tokens) {
		if serial != "" && strings.EqualFold(t.Serial, serial) {
			return t, nil
		}
	}
	return Token{}, FieldsInvalid(map[string]Msg{"serial": M("token.choose_listed")})
}

// portalActivity is an activity of u on p's resource about token serial.
func (s *Service) portalActivity(p Portal, u User, m Meta, event, serial string, details map[string]any) Activity {
	return Activity{At: s.Now(), Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: event,
		IP: m.IP, UserAgent: m.UserAgent, Details: withDetail(details, "serial", serial)}
}

// outcomeMessage explains to a user why the code of their token was refused.
func outcomeMessage(o Outcome) Msg {
	switch o {
	case OutcomeLocked:
		return M("token.outcome.locked")
	case OutcomeReplayed:
		return M("token.outcome.replayed")
	case OutcomeNoCode:
		return M("token.outcome.no_code")
	case OutcomeDisabled:
		return M("token.outcome.disabled")
	case OutcomeWrongPIN:
		return M("token.outcome.pin_wrong")
	}
	return M("code.wrong")
}

// tokenMail tells the user (in their language, when they have an email
// address) that a token was registered or removed, in the transaction of
// the change: a stranger who got into the portal cannot add or drop a token
// unnoticed.
func (s *Service) tokenMail(ctx context.Context, st Store, p Portal, u User, template, serial string, typ TokenType) error {
	if u.Email == "" {
		return nil
	}
	return s.enqueue(ctx, st, Message{Channel: ChannelEmail, To: u.Email, Template: template, Lang: u.Language,
		Data: map[string]string{"login": u.Login, "serial": serial, "type": string(typ), "resource": p.ResourceName}})
}

// ClaimToken makes a stock token on p's resource u's token when code is a
// current code of it (register-existing-token). Every failure gives the
// same answer, wrong codes count on the token, and a user has
// claimAttempts tries per claimWindow.
func (s *Service) ClaimToken(ctx context.Context, p Portal, u User, in TokenCodeInput, m Meta) (Registered, error) {
	serial, code := in.Serial, in.OTP
	serial, code = strings.TrimSpace(serial), strings.TrimSpace(code)
	f := map[string]Msg{}
	if serial == "" {
		f["serial"] = M("token.enter_serial")
	}
	if code == "" {
		f["otp"] = M("token.enter_code")
	}
	if len(f) > 0 {
		return Registered{}, FieldsInvalid(f)
	}
	n, err := s.Store.HitRate(ctx, "claim-token:"+strconv.FormatInt(u.ID, 10), claimWindow, s.Now())
	if err != nil {
		return Registered{}, Internal(err)
	}
	if n > claimAttempts {
		return Registered{}, Fail(CodeTooMany, M("token.claim_too_many", "Count", int(claimWindow/time.Minute)))
	}
	if len(serial) > 64 || len(code) > 64 {
		return Registered{}, ErrClaimNotRight
	}
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil && ErrorCode(err) != CodeNotFound {
		return Registered{}, Internal(err)
	}
	if err != nil || t.UserID != nil || t.ResourceID == nil || *t.ResourceID != p.ResourceID || !t.Enabled ||
		(!t.Type.Shows()) {
		return Registered{}, ErrClaimNotRight
	}
	o, err := s.VerifyTokenCode(ctx, t, code, true, nil)
	if err != nil {
		return Registered{}, err
	}
	if o != OutcomeAccepted {
		return Registered{}, ErrClaimNotRight
	}
	var reg Registered
	err = s.Store.Tx(ctx, func(st Store) error {
		onResource, anywhere, err := st.LockUserTokens(ctx, u.ID, p.ResourceID)
		if err != nil {
			return Internal(err)
		}
		if onResource >= p.MaxTokensPerUser {
			return ErrTooManyTokens
		}
		pending := p.ApproveNewTokens
		if ok, err := st.ClaimToken(ctx, t.ID, u.ID, p.ResourceID, pending); err != nil {
			return Internal(err)
		} else if !ok {
			return ErrClaimNotRight
		}
		details := map[string]any{"type": t.Type}
		if pending {
			details["pending"] = true
			t.Enabled, t.DisabledReason = false, DisabledPending
		}
		if err := st.AddActivity(ctx, s.portalActivity(p, u, m, EventTokenClaimed, t.Serial, details)); err != nil {
			return Internal(err)
		}
		if pending {
			reg.Pending = true
			return s.tokenWaits(ctx, st, p, u, t, EnrolClaimed, "", m)
		}
		reg.RecoveryCodes, err = s.tokenAdded(ctx, st, p, u, t, anywhere, m)
		return err
	})
	if err != nil {
		return Registered{}, err
	}
	t.UserID = &u.ID
	reg.Token = t
	return reg, nil
}

// UnassignToken takes one of u's tokens off p's resource; it stays theirs.
// With no token left there, the assignment is plain "user" again.
func (s *Service) UnassignToken(ctx context.Context, p Portal, u User, serial string, m Meta) (Token, error) {
	t, err := s.actionToken(ctx, p, u, "unassign-token", serial)
	if err != nil {
		return t, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if ok, err := st.UnassignToken(ctx, t.ID, u.ID, p.ResourceID); err != nil {
			return Internal(err)
		} else if !ok {
			return ErrTokenChanged
		}
		if err := st.AddActivity(ctx, s.portalActivity(p, u, m, EventTokenUnassigned, t.Serial, map[string]any{"type": t.Type})); err != nil {
			return Internal(err)
		}
		return s.tokenMail(ctx, st, p, u, "token_removed", t.Serial, t.Type)
	})
	return t, err
}

// SyncToken resynchronises one of u's TOTP/HOTP tokens on p from two
// consecutive codes (see Resync) and records it.
func (s *Service) SyncToken(ctx context.Context, p Portal, u User, in SyncInput, m Meta) (Token, error) {
	serial, otp1, otp2 := in.Serial, in.OTP1, in.OTP2
	t, err := s.actionToken(ctx, p, u, "sync-token", serial)
	if err != nil {
		return t, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		synced, err := s.resync(ctx, st, t, otp1, otp2)
		if err != nil {
			return err
		}
		d := map[string]any{"type": t.Type, "failcount": t.Failcount}
		if t.Type == TokenHOTP {
			d["counter"] = synced.Counter
		} else {
			d["drift"] = synced.Drift
		}
		return wrapInternal(st.AddActivity(ctx, s.portalActivity(p, u, m, EventTokenSynced, t.Serial, d)))
	})
	return t, err
}

// SendActionCode sends the code of one of u's email/SMS tokens that action
// id works on (set-pin, remove-pin ask for it); it returns where it went,
// masked.
func (s *Service) SendActionCode(ctx context.Context, p Portal, u User, id, serial string) (string, error) {
	t, err := s.actionToken(ctx, p, u, id, serial)
	if err != nil {
		return "", err
	}
	if !t.Type.Sent() {
		return "", FieldsInvalid(map[string]Msg{"serial": M("token.shows_codes")})
	}
	if err := s.SendTokenCode(ctx, t, u); err != nil {
		return "", err
	}
	if t.Type == TokenSMS {
		return maskPhone(u.Phone), nil
	}
	return maskEmail(u.Email), nil
}

// SetPIN protects one of u's tokens without a PIN with pin (exactly the
// portal's pin_length digits), typed before or after the code from then on.
// code is a current code of the token, without a PIN: it confirms that the
// user holds the token, and it is used up.
func (s *Service) SetPIN(ctx context.Context, p Portal, u User, in PINInput, m Meta) (Token, error) {
	serial, pin, position, code := in.Serial, in.PIN, in.Position, in.OTP
	f := map[string]Msg{}
	t, err := s.actionToken(ctx, p, u, "set-pin", serial)
	if ErrorCode(err) == CodeInvalid {
		f["serial"] = M("token.pin_choose")
	} else if err != nil {
		return t, err
	}
	if len(pin) != p.PINLength || !allDigits(pin) {
		f["pin"] = M("token.pin_digits", "Count", p.PINLength)
	}
	if position != "before" && position != "after" {
		f["pin_position"] = M("token.pin_position")
	}
	code = strings.TrimSpace(code)
	if code == "" {
		f["otp"] = M("token.enter_code_now")
	}
	if len(f) > 0 {
		return t, FieldsInvalid(f)
	}
	if err := s.confirmHolder(ctx, t, code); err != nil {
		return t, err
	}
	hash := s.pinHash(t.ID, pin)
	err = s.Store.Tx(ctx, func(st Store) error {
		if ok, err := st.SetTokenPIN(ctx, t.ID, hash, position); err != nil {
			return Internal(err)
		} else if !ok {
			return ErrTokenChanged
		}
		return wrapInternal(st.AddActivity(ctx, s.portalActivity(p, u, m, EventTokenPinSet, t.Serial, map[string]any{"position": position})))
	})
	return t, err
}

// RemovePIN clears the PIN of one of u's tokens; code is the PIN with a
// current code, in the token's order, and it is used up.
func (s *Service) RemovePIN(ctx context.Context, p Portal, u User, in TokenCodeInput, m Meta) (Token, error) {
	serial, code := in.Serial, in.OTP
	f := map[string]Msg{}
	t, err := s.actionToken(ctx, p, u, "remove-pin", serial)
	if ErrorCode(err) == CodeInvalid {
		f["serial"] = M("token.pin_remove_choose")
	} else if err != nil {
		return t, err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		f["otp"] = M("token.enter_pin_code_now")
	}
	if len(f) > 0 {
		return t, FieldsInvalid(f)
	}
	if err := s.confirmHolder(ctx, t, code); err != nil {
		return t, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if ok, err := st.RemoveTokenPIN(ctx, t.ID); err != nil {
			return Internal(err)
		} else if !ok {
			return ErrTokenChanged
		}
		return wrapInternal(st.AddActivity(ctx, s.portalActivity(p, u, m, EventTokenPinRemoved, t.Serial, nil)))
	})
	return t, err
}

// confirmHolder checks a code of t (with its PIN, if it has one) with the
// rules of a sign-in: it is used up, a wrong one counts on the failcount.
func (s *Service) confirmHolder(ctx context.Context, t Token, code string) error {
	if len(code) > 64 {
		return FieldsInvalid(map[string]Msg{"otp": outcomeMessage(OutcomeWrong)})
	}
	o, err := s.VerifyTokenCode(ctx, t, code, true, nil)
	if err != nil {
		return err
	}
	if o != OutcomeAccepted {
		msg := outcomeMessage(o)
		if t.HasPIN() && (o == OutcomeWrong || o == OutcomeMalformed) {
			msg = outcomeMessage(OutcomeWrongPIN) // do not tell which half was wrong
		}
		return FieldsInvalid(map[string]Msg{"otp": msg})
	}
	return nil
}
