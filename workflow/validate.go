package workflow

import (
	"context"
	"strings"
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
	reason := "no usable token"
	if onlyKeys(live) {
		// A security key signs in a browser; it has no code to check.
		live, reason = nil, "only security keys"
	}
	if u.Disabled || u.Expired(s.Now()) || len(live) == 0 {
		act.At = s.Now()
		act.Details["result"] = false
		act.Details["reason"] = reason
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
