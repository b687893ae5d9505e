package workflow

import (
	"context"
)

// PortalHome is what a signed-in user's start page shows.
type PortalHome struct {
	User    User
	Tokens  []Token  // the user's tokens on this resource
	Actions []string // enabled for the portal and applicable, in the configured order
}

// ActionEnabled reports whether the portal has switched action id on.
func (p Portal) ActionEnabled(id string) bool {
	for _, a := range p.Actions {
		if a.ID == id {
			return a.Enabled
		}
	}
	return false
}

// ActionApplies reports whether action id makes sense for this user now
// (SPEC §5: remove-pin only with a PIN set, create-password only without a
// password, …).
func ActionApplies(id string, p Portal, u User, tokens []Token) bool {
	switch id {
	case "register-token":
		return len(p.TokenTypes) > 0 && heldTokens(tokens) < p.MaxTokensPerUser
	case "register-existing-token":
		return heldTokens(tokens) < p.MaxTokensPerUser
	case "reassign-token":
		return len(p.TokenTypes) > 0 && len(ActionTokens(id, tokens)) > 0
	case "unassign-token", "sync-token", "set-pin", "remove-pin":
		return len(ActionTokens(id, tokens)) > 0
	case "create-password":
		return !u.HasPassword()
	case "change-password":
		return u.PasswordHash != "" && !u.Managed("password")
	case "change-email":
		return !u.Managed("email")
	case "change-phone":
		return !u.Managed("phone")
	case "change-login":
		return !u.Managed("login")
	case "change-name":
		return !u.Managed("first_name") && !u.Managed("last_name")
	case "manage-environment":
		return true
	}
	return false
}

// Home gathers the start page of a signed-in user; implemented limits the
// actions to those this build offers.
func (s *Service) Home(ctx context.Context, p Portal, u User, implemented func(string) bool) (PortalHome, error) {
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return PortalHome{}, Internal(err)
	}
	h := PortalHome{User: u, Tokens: tokens}
	for _, a := range p.Actions {
		if a.Enabled && implemented(a.ID) && ActionApplies(a.ID, p, u, tokens) {
			h.Actions = append(h.Actions, a.ID)
		}
	}
	return h, nil
}

// NeedsToken reports whether require_token sends this user to register a
// token right after sign-in.
func NeedsToken(p Portal, tokens []Token) bool {
	return p.RequireToken && p.ActionEnabled("register-token") && heldTokens(tokens) == 0
}
