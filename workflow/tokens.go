package workflow

import (
	"context"
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
	if resourceID != nil {
		if _, err := s.Store.ResourceByID(ctx, *resourceID); err != nil {
			return Token{}, Invalid(map[string]string{"resource_id": "There is no such resource."})
		}
	}
	if userID != nil {
		if _, err := s.Store.UserByID(ctx, *userID); err != nil {
			return Token{}, Invalid(map[string]string{"user_id": "There is no such user."})
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
	Hint string
}

// CheckOTP verifies a code of a token for an administrator, with the rules
// of a sign-in: an accepted code is used up (it cannot be replayed), but a
// wrong one does not count towards the token's lock, so testing a token
// never locks its owner out.
func (s *Service) CheckOTP(ctx context.Context, serial, pass string, by Actor, m Meta) (CheckResult, error) {
	t, err := s.Store.TokenBySerial(ctx, serial)
	if err != nil {
		return CheckResult{}, err
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
			return Errorf(CodeInvalid, "%s", err.Error())
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
