package workflow

import (
	"context"
	"strings"

	"tokenportal/workflow/otp"
)

// Validate checks a second factor for a resource (POST /api/v1/validate):
// the login's enabled tokens on the resource, with PIN, window, replay
// protection and failcount. Unknown logins and resources, users not assigned,
// disabled users and users without an enabled token all get false.
//
// For email and SMS tokens an empty pass (or the PIN alone) sends a new code
// and answers false; the next call carries the code.
func (s *Service) Validate(ctx context.Context, resourceID int64, login, pass string, by Actor, m Meta) (bool, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return false, nil
	}
	if len(login) > MaxLoginLength || len(pass) > 64 {
		s.validateUnknown(ctx, resourceID, login, "too long", by, m)
		return false, nil
	}
	u, tokens, err := s.Store.ValidationTokens(ctx, resourceID, login)
	if ErrorCode(err) == CodeNotFound {
		s.validateUnknown(ctx, resourceID, login, "unknown login or not assigned", by, m)
		return false, nil
	} else if err != nil {
		return false, Internal(err)
	}
	act := &Activity{Actor: by, UserID: &u.ID, ResourceID: &resourceID, Event: EventValidate, IP: m.IP, UserAgent: m.UserAgent,
		Details: map[string]any{"login": u.Login}}
	var live []Token
	for _, t := range tokens {
		if t.Enabled && !t.Locked() {
			live = append(live, t)
		}
	}
	if u.Disabled || u.Expired(s.Now()) || len(live) == 0 {
		act.At = s.Now()
		act.Details["result"] = false
		act.Details["reason"] = "no usable token"
		s.record(ctx, *act)
		return false, nil
	}
	o, err := s.verifyAny(ctx, u, live, pass, act)
	return o == OutcomeAccepted, err
}

// validateUnknown records a validation that found nobody to check, so that
// guessing of logins shows in the log; the resource is named only when it
// exists.
func (s *Service) validateUnknown(ctx context.Context, resourceID int64, login, reason string, by Actor, m Meta) {
	a := Activity{Actor: by, Event: EventValidate, IP: m.IP, UserAgent: m.UserAgent,
		Details: map[string]any{"login": truncate(login, MaxLoginLength), "result": false, "reason": reason}}
	if _, err := s.Store.ResourceByID(ctx, resourceID); err == nil {
		a.ResourceID = &resourceID
	} else {
		a.Details["resource_id"] = resourceID
	}
	s.record(ctx, a)
}

// verifyAny checks pass against a user's usable tokens and commits the
// result (see VerifyTokenCode). act, when not nil, is the activity to write.
// Each token's PIN is checked once.
func (s *Service) verifyAny(ctx context.Context, u User, live []Token, pass string, act *Activity) (Outcome, error) {
	// The code belongs to at most one software token: find it without side
	// effects, then commit on that one.
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
// the answer is false. Neither sending nor holding a code back counts as a
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
		note("code not sent: " + ErrorMessage(err))
		if act != nil {
			s.record(ctx, *act)
		}
		err = nil
	}
	if err != nil {
		return "", err
	}
	return OutcomeNoCode, nil
}

// driftHint looks for a code far outside the window, so the helpdesk can
// tell the user to resync or fix their phone's clock.
func (s *Service) driftHint(t Token, pass string) string {
	_, code, ok := splitPIN(t, pass)
	if !ok || !otp.WellFormed(code, t.Params()) {
		return ""
	}
	secret, err := s.openSecret(t)
	if err != nil {
		return ""
	}
	if t.Type == TokenHOTP {
		if c, ok := otp.VerifyHOTP(secret, code, uint64(t.Counter)+hotpLookahead+1, hotpResyncSpan, t.Params()); ok {
			return "The code matches counter " + itoa64(int64(c)) + ", " + itoa64(int64(c)-t.Counter) + " ahead of the server: synchronise the token."
		}
		return ""
	}
	now := otp.Step(s.Now(), t.Period)
	span := int64(resyncSpan.Seconds()) / int64(t.Period)
	for d := int64(2); d <= span; d++ {
		for _, step := range []int64{now + t.Drift + d, now + t.Drift - d} {
			if otp.Code(secret, uint64(step), t.Params()) == code {
				return "The token's clock is " + itoa64(d*int64(t.Period)/60) + " minutes off: synchronise the token or correct the device's time."
			}
		}
	}
	return ""
}
