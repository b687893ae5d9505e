package views

import (
	"net/url"
	"slices"

	"tokenportal/workflow"
)

// PortalChrome is what every portal page shows around its content.
type PortalChrome struct {
	Resource string
	Alias    string
	Title    string
	Login    string // the signed-in user, empty before sign-in
	Flash    string
}

// Href is a path inside the portal.
func (c PortalChrome) Href(path string) string { return "/selfservice/" + c.Alias + path }

// Login is the sign-in page's data: which step, and what to say.
type Login struct {
	Step         string // a workflow.LoginStep
	Login        string // as typed, shown on the later steps
	CodeSentTo   string
	Remember     bool // offer "remember this device"
	RememberDays int
	// KeyOptions offers "Use your security key" at the second step,
	// PasskeyOptions "Sign in with a passkey" at the first: the options of
	// the ceremony begun for the page (SPEC §14); "" offers nothing.
	KeyOptions     string
	PasskeyOptions string
	// Notice is news before the form: the session ended, for one.
	Notice string
	Form   Form
}

// Home is the start page of a signed-in user.
type Home struct {
	User    workflow.User
	Tokens  []workflow.Token
	Actions []string // enabled and applicable, in the portal's order
}

// tokenRowActions are the actions on one token, offered on its row.
var tokenRowActions = []string{"sync-token", "set-pin", "remove-pin", "reassign-token", "unassign-token"}

// tokenWideActions add a token; accountActions are about the account.
var (
	tokenWideActions = []string{"register-token", "register-existing-token"}
	accountActions   = []string{"create-password", "change-password", "change-email", "change-phone",
		"change-login", "change-name", "manage-environment"}
)

// only keeps the ids of v.Actions in group, in the portal's order.
func (v Home) only(group []string) []string {
	var ids []string
	for _, id := range v.Actions {
		if slices.Contains(group, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// TokenActions are the actions offered on the row of token t.
func (v Home) TokenActions(t workflow.Token) []string {
	var ids []string
	for _, id := range v.only(tokenRowActions) {
		// Among all the user's tokens: one that a pending token is to
		// replace is not offered for another exchange (ActionTokens).
		if slices.ContainsFunc(workflow.ActionTokens(id, v.Tokens), func(x workflow.Token) bool { return x.ID == t.ID }) {
			ids = append(ids, id)
		}
	}
	return ids
}

// AnyTokenActions reports whether some token row offers an action.
func (v Home) AnyTokenActions() bool {
	return slices.ContainsFunc(v.Tokens, func(t workflow.Token) bool { return len(v.TokenActions(t)) > 0 })
}

// TokenWideActions add a token.
func (v Home) TokenWideActions() []string { return v.only(tokenWideActions) }

// AccountActions are password, email, phone, name, login and devices.
func (v Home) AccountActions() []string { return v.only(accountActions) }

// LostTokenLead reports whether home leads to registering a new token
// first: the user's tokens were disabled as lost (an approved
// restore-access request), none is usable, and a new one can be registered.
func (v Home) LostTokenLead() bool {
	return slices.Contains(v.Actions, "register-token") && !workflow.HasUsableToken(v.Tokens) && len(v.Pending()) == 0 &&
		slices.ContainsFunc(v.Tokens, func(t workflow.Token) bool { return t.DisabledReason == workflow.DisabledLost })
}

// Pending are the tokens that wait for the helpdesk's approval (SPEC §15).
func (v Home) Pending() []workflow.Token {
	var list []workflow.Token
	for _, t := range v.Tokens {
		if t.Pending() {
			list = append(list, t)
		}
	}
	return list
}

// tokenActionPath is the page of action id with the token serial chosen.
func tokenActionPath(id, serial string) string {
	return "/actions/" + id + "?serial=" + url.QueryEscape(serial)
}

// StepUp is the page that asks for a second factor before a token action.
type StepUp struct {
	Next       string
	CodeSentTo string // masked, when the user's token sends its codes
	KeyOptions string // the user has a security key: its ceremony's options
	Form       Form
}

// Reauth asks a signed-in user to confirm who they are again.
type Reauth struct {
	// KeyOptions offers a security key to a user without a password.
	KeyOptions string
	Next       string
	Password   bool // ask for the password (else the OTP)
	// CodeSentTo, when set, is where the emailed code went: the user has
	// neither password nor token, so email_code is asked.
	CodeSentTo string
	Form       Form
}

// Restore is the restore-access page's data.
type Restore struct {
	Step  string // "" (login and what is lost), prove, new, done
	Login string
	Lost  []string
	Form  Form
	// KeyOptions offers a security key as the token's proof (SPEC §14).
	KeyOptions string
}

// LostItem reports whether item was declared lost.
func (r Restore) LostItem(item string) bool {
	for _, l := range r.Lost {
		if l == item {
			return true
		}
	}
	return false
}

// Checked is the state of a "what is lost" checkbox.
func (f Form) Checked(name string) bool { return f.Values[name] == "1" }
