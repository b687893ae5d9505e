package workflow

import (
	"context"
	"time"

	"tokenportal/workflow/otp"
)

// The one implementation of the second factor, used by the portal's sign-in
// and step-up, the token actions, restore access and validate: the window,
// replay protection, PIN, failcount and lockout of SPEC §8.

// Windows of SPEC §8 and the resync ranges of SPEC §5.5.
const (
	totpWindow     = 1    // steps either side of now
	hotpLookahead  = 10   // counters ahead of the next expected one
	hotpResyncSpan = 1000 // counters searched by a resync
	resyncSpan     = time.Hour
)

// Outcome is why a code was or was not accepted.
type Outcome string

const (
	OutcomeAccepted  Outcome = "accepted"
	OutcomeWrong     Outcome = "wrong code"
	OutcomeWrongPIN  Outcome = "wrong PIN"
	OutcomeReplayed  Outcome = "code already used"
	OutcomeDisabled  Outcome = "token disabled"
	OutcomeLocked    Outcome = "token locked after too many wrong codes"
	OutcomeMalformed Outcome = "not a code of this token"
	OutcomeNoCode    Outcome = "no code was sent, or it expired"
	// OutcomeCodeSent: an email or SMS token was asked for its code (an
	// empty pass, or the PIN alone); one is on its way.
	OutcomeCodeSent Outcome = "code sent"
)

// Msg is the outcome in words, for pages (the API shows the Outcome itself).
func (o Outcome) Msg() Msg {
	switch o {
	case OutcomeAccepted:
		return M("token.check.accepted")
	case OutcomeWrong:
		return M("token.check.wrong")
	case OutcomeWrongPIN:
		return M("token.check.wrong_pin")
	case OutcomeReplayed:
		return M("token.check.replayed")
	case OutcomeDisabled:
		return M("token.check.disabled")
	case OutcomeLocked:
		return M("token.check.locked")
	case OutcomeMalformed:
		return M("token.check.malformed")
	case OutcomeNoCode:
		return M("token.check.no_code")
	case OutcomeCodeSent:
		return M("token.check.code_sent")
	}
	return M("token.check.other", "Outcome", string(o))
}

// Params are the OTP parameters of a token.
func (t Token) Params() otp.Params {
	return otp.Params{Algorithm: otp.Algorithm(t.Algorithm), Digits: t.Digits, Period: t.Period}
}

// splitPIN separates PIN and code in what a person typed, by the token's
// PIN position. Without a PIN the whole input is the code.
func splitPIN(t Token, pass string) (pin, code string, ok bool) {
	if !t.HasPIN() {
		return "", pass, true
	}
	codeLen := t.Digits
	if t.Type.Sent() {
		codeLen = CodeDigits
	}
	if len(pass) <= codeLen {
		return "", "", false
	}
	if t.PINPosition == "before" {
		return pass[:len(pass)-codeLen], pass[len(pass)-codeLen:], true
	}
	return pass[codeLen:], pass[:codeLen], true
}

// match checks pass against a software token without changing the token
// (a PIN still stored as bcrypt is rehashed). It returns the matched step
// (TOTP) or counter (HOTP). The PIN is checked once.
func (s *Service) match(ctx context.Context, t Token, pass string, now time.Time) (int64, Outcome, error) {
	switch {
	case !t.Enabled:
		return 0, OutcomeDisabled, nil
	case t.Locked():
		return 0, OutcomeLocked, nil
	}
	pin, code, ok := splitPIN(t, pass)
	if !ok || !otp.WellFormed(code, t.Params()) {
		return 0, OutcomeMalformed, nil
	}
	if t.HasPIN() && !s.checkPIN(ctx, t, pin) {
		return 0, OutcomeWrongPIN, nil
	}
	secret, err := s.openSecret(t)
	if err != nil {
		return 0, "", err
	}
	switch t.Type {
	case TokenTOTP:
		step, ok := otp.VerifyTOTP(secret, code, now, t.Params(), t.Drift, totpWindow, t.LastStep)
		if ok {
			return step, OutcomeAccepted, nil
		}
		// Distinguish a replay from a wrong code for the log and Check OTP.
		if _, used := otp.VerifyTOTP(secret, code, now, t.Params(), t.Drift, totpWindow, -1); used {
			return 0, OutcomeReplayed, nil
		}
	case TokenHOTP:
		c, ok := otp.VerifyHOTP(secret, code, uint64(t.Counter), hotpLookahead, t.Params())
		if ok {
			return int64(c), OutcomeAccepted, nil
		}
		if _, used := otp.VerifyHOTP(secret, code, uint64(max(0, t.Counter-hotpLookahead)), hotpLookahead, t.Params()); used {
			return 0, OutcomeReplayed, nil
		}
	default:
		return 0, OutcomeMalformed, nil
	}
	return 0, OutcomeWrong, nil
}

// VerifyTokenCode checks pass against one token and commits the result: an
// accepted step is recorded with a conditional UPDATE (a code works once,
// whatever the concurrency), a wrong code adds to the failcount when
// countFailure is set. act, when not nil, is written in the same statement
// with the result added to its details.
func (s *Service) VerifyTokenCode(ctx context.Context, t Token, pass string, countFailure bool, act *Activity) (Outcome, error) {
	if t.Type.Sent() {
		stampVerify(act, t, s.Now())
		return s.verifySentCode(ctx, t, pass, countFailure, act)
	}
	now := s.Now()
	step, outcome, err := s.match(ctx, t, pass, now)
	if err != nil {
		return "", err
	}
	return s.commitMatch(ctx, t, step, outcome, now, countFailure, act)
}

// stampVerify dates act (when not nil) and names the token in it.
func stampVerify(act *Activity, t Token, now time.Time) {
	if act != nil {
		act.At = now
		act.Details = withDetail(act.Details, "serial", t.Serial)
	}
}

// commitMatch commits what match found on a software token: the accepted
// step (or a replay, when another request took it first), or a failure.
func (s *Service) commitMatch(ctx context.Context, t Token, step int64, outcome Outcome, now time.Time, countFailure bool, act *Activity) (Outcome, error) {
	stampVerify(act, t, now)
	if outcome == OutcomeAccepted {
		ok, err := s.Store.AcceptTokenStep(ctx, t.ID, step, t.Type == TokenHOTP, now, act)
		if err != nil {
			return "", Internal(err)
		}
		if ok {
			return OutcomeAccepted, nil
		}
		outcome = OutcomeReplayed
		act = nil // the statement wrote it, with result false
	}
	refused(act, outcome)
	if countsAsFailure(countFailure, outcome) {
		return outcome, s.failTokens(ctx, []int64{t.ID}, act)
	}
	if act != nil {
		s.record(ctx, *act)
	}
	return outcome, nil
}

// countsAsFailure reports whether a refused code adds to the failcount. The
// failcount limits guessing: a replayed code was right once and is no guess,
// so it does not count (a burst of double submissions must not lock the
// owner out); it is refused and logged all the same.
// "No code sent, or it expired" is no guess either: it never counts.
func countsAsFailure(countFailure bool, o Outcome) bool {
	switch o {
	case OutcomeAccepted, OutcomeDisabled, OutcomeLocked, OutcomeReplayed, OutcomeNoCode, OutcomeCodeSent:
		return false
	}
	return countFailure
}

// refused notes in act (when not nil) why a code was refused.
func refused(act *Activity, o Outcome) {
	if act != nil {
		act.Details = withDetail(act.Details, "result", false)
		act.Details = withDetail(act.Details, "reason", string(o))
	}
}

// verifySentCode is VerifyTokenCode for email and SMS tokens: the spent
// attempt (or the used code), the failcount and act commit together.
func (s *Service) verifySentCode(ctx context.Context, t Token, pass string, countFailure bool, act *Activity) (Outcome, error) {
	var outcome Outcome
	err := s.Store.Tx(ctx, func(st Store) error {
		var err error
		if outcome, err = s.checkTokenCode(ctx, st, t, pass); err != nil {
			return err
		}
		if outcome == OutcomeAccepted {
			if act == nil {
				return nil
			}
			act.Details = withDetail(act.Details, "result", true)
			return wrapInternal(st.AddActivity(ctx, *act))
		}
		refused(act, outcome)
		if countsAsFailure(countFailure, outcome) {
			return wrapInternal(st.FailTokens(ctx, []int64{t.ID}, act))
		}
		if act == nil {
			return nil
		}
		return wrapInternal(st.AddActivity(ctx, *act))
	})
	if err != nil {
		return "", err
	}
	return outcome, nil
}

func (s *Service) failTokens(ctx context.Context, ids []int64, act *Activity) error {
	if err := s.Store.FailTokens(ctx, ids, act); err != nil {
		return Internal(err)
	}
	return nil
}

func withDetail(d map[string]any, k string, v any) map[string]any {
	if d == nil {
		d = map[string]any{}
	}
	d[k] = v
	return d
}

// verifyAny checks pass against a user's usable tokens and commits the
// result (see VerifyTokenCode). act, when not nil, is the activity to write.
// Each token's PIN is checked once.
func (s *Service) verifyAny(ctx context.Context, u User, live []Token, pass string, act *Activity) (Outcome, error) {
	// The code belongs to at most one software token: find it without side
	// effects, then commit on that one. Security keys give no codes.
	live = otpTokens(live)
	now := s.Now()
	var sent *Token
	for _, t := range live {
		if t.Type.Sent() {
			if sent == nil {
				sent = &t
			}
			continue
		}
		step, outcome, err := s.match(ctx, t, pass, now)
		if err != nil {
			return "", err
		}
		if outcome == OutcomeAccepted || outcome == OutcomeReplayed || len(live) == 1 {
			return s.commitMatch(ctx, t, step, outcome, now, true, act)
		}
	}
	if sent != nil {
		return s.validateSent(ctx, u, *sent, pass, act)
	}
	// A wrong code counts against each of the user's tokens.
	ids := make([]int64, len(live))
	for i, t := range live {
		ids[i] = t.ID
	}
	if act != nil {
		act.At = now
		refused(act, OutcomeWrong)
	}
	return OutcomeWrong, s.failTokens(ctx, ids, act)
}

// maxPINLength is the longest PIN a portal may ask for.
const maxPINLength = 8

// validateSent checks the code of an email or SMS token. An empty pass, or
// the PIN alone, asks for a code: one is sent (within the code limiter) and
// the outcome is OutcomeCodeSent. Neither sending nor holding a code back counts as a
// failure.
func (s *Service) validateSent(ctx context.Context, u User, t Token, pass string, act *Activity) (Outcome, error) {
	if pass != "" && (!t.HasPIN() || len(pass) > maxPINLength) {
		return s.VerifyTokenCode(ctx, t, pass, true, act)
	}
	if pass != "" && !s.checkPIN(ctx, t, pass) {
		stampVerify(act, t, s.Now())
		refused(act, OutcomeWrongPIN)
		return OutcomeWrongPIN, s.failTokens(ctx, []int64{t.ID}, act)
	}
	note := func(reason string) {
		if act != nil {
			stampVerify(act, t, s.Now())
			act.Details = withDetail(act.Details, "result", false)
			act.Details = withDetail(act.Details, "reason", reason)
		}
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := s.sendTokenCode(ctx, st, t, u); err != nil || act == nil {
			return err
		}
		note("code sent")
		return wrapInternal(st.AddActivity(ctx, *act))
	})
	if codeHeldBack(err) {
		note("code not sent: " + ErrorMsg(err).String())
		if act != nil {
			s.record(ctx, *act)
		}
		err = nil
	}
	if err != nil {
		return "", err
	}
	return OutcomeCodeSent, nil
}
