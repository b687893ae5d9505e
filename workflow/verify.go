package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"tokenportal/workflow/otp"
)

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
)

// Params are the OTP parameters of a token.
func (t Token) Params() otp.Params {
	return otp.Params{Algorithm: otp.Algorithm(t.Algorithm), Digits: t.Digits, Period: t.Period}
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
	case OutcomeAccepted, OutcomeDisabled, OutcomeLocked, OutcomeReplayed, OutcomeNoCode:
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
	bad := Invalid(map[string]string{"otp2": "These two codes do not follow each other on this token. Enter two codes shown one after the other."})
	if !t.Type.Shows() {
		return t, Errorf(CodeInvalid, "Only TOTP and HOTP tokens can be synchronised.")
	}
	otp1, otp2 = strings.TrimSpace(otp1), strings.TrimSpace(otp2)
	p := t.Params()
	f := map[string]string{}
	if !otp.WellFormed(otp1, p) {
		f["otp1"] = fmt.Sprintf("Enter the %d-digit code the token shows.", p.Digits)
	}
	if !otp.WellFormed(otp2, p) {
		f["otp2"] = fmt.Sprintf("Enter the next %d-digit code the token shows.", p.Digits)
	}
	if len(f) > 0 {
		return t, Invalid(f)
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
