package views

import (
	"context"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The view models of the portal's token actions (SPEC §5.1–7).

// TokenOption is a token a person can pick on an action's page.
type TokenOption struct {
	Serial      string
	Type        workflow.TokenType
	Enabled     bool
	HasPIN      bool
	PINPosition string // before, after
}

// TokenOptions shapes tokens for a choice.
func TokenOptions(tokens []workflow.Token) []TokenOption {
	list := make([]TokenOption, 0, len(tokens))
	for _, t := range tokens {
		list = append(list, TokenOption{Serial: t.Serial, Type: t.Type, Enabled: t.Enabled, HasPIN: t.HasPIN(), PINPosition: t.PINPosition})
	}
	return list
}

// Sent reports whether the token's codes are sent to the person (email,
// SMS) rather than shown by the token.
func (t TokenOption) Sent() bool { return t.Type.Sent() }

// EnrolStart is the first page of register-token and reassign-token: the
// type of the new token and, when exchanging, the token to replace.
type EnrolStart struct {
	Action  string        // the action id, for the form's address
	Replace bool          // reassign-token: choose the token to replace
	Tokens  []TokenOption // the tokens that can be replaced
	Types   []string      // the token types the portal allows
	Form    Form
}

// EnrolConfirm asks for the first code of a new token: for TOTP/HOTP with
// the QR code and the secret to set up the app, for email/SMS after sending.
type EnrolConfirm struct {
	Action  string
	Type    workflow.TokenType
	Replace string // serial of the token being replaced, if any
	QRData  string // data:image/png;base64,… of the otpauth URI
	Secret  string // base32
	URI     string // otpauth://
	SentTo  string // masked address or phone of an email/SMS token
	// KeyOptions are the options of a security key's registration.
	KeyOptions string
	Form       Form
}

// Software reports whether the new token is an app or device with a seed.
func (e EnrolConfirm) Software() bool { return e.Type.Shows() }

// Key reports whether the new token is a security key or passkey.
func (e EnrolConfirm) Key() bool { return e.Type.Key() }

// TokenRegistered is the page after a token was registered or claimed; it
// shows the recovery codes that come with a first token, once.
type TokenRegistered struct {
	Serial        string
	Type          workflow.TokenType
	Replaced      string
	RecoveryCodes []string
}

// TokenAction is the page of an action on one of the user's tokens
// (unassign-token, sync-token, set-pin, remove-pin).
type TokenAction struct {
	Tokens    []TokenOption
	PINLength int
	// CodeSentTo says where the code of an email/SMS token went.
	CodeSentTo string
	Form       Form
}

// Checked reports whether option t is the selected one: the one chosen
// before, or the only one.
func (v TokenAction) Checked(t TokenOption) bool { return tokenChecked(v.Form, v.Tokens, t) }

// AnySent reports whether one of the tokens has its codes sent.
func (v TokenAction) AnySent() bool {
	for _, t := range v.Tokens {
		if t.Sent() {
			return true
		}
	}
	return false
}

func tokenChecked(f Form, tokens []TokenOption, t TokenOption) bool {
	if v := f.Value("serial"); v != "" {
		return v == t.Serial
	}
	return len(tokens) == 1
}

func typeChecked(f Form, types []string, t string) bool {
	if v := f.Value("type"); v != "" {
		return v == t
	}
	return len(types) == 1
}

// tokenNote adds what matters about a token in a choice: that it is
// disabled, or where its PIN goes.
func tokenNote(ctx context.Context, t TokenOption) string {
	switch {
	case !t.Enabled:
		return " · " + i18n.T(ctx, "portal.token.disabled")
	case t.HasPIN && t.PINPosition == "before":
		return " · " + i18n.T(ctx, "portal.token.pin_before")
	case t.HasPIN:
		return " · " + i18n.T(ctx, "portal.token.pin_after")
	}
	return ""
}
