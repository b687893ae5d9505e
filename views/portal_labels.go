package views

import (
	"context"
	"strconv"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// tokenTypeLabels are the message ids naming the token types.
var tokenTypeLabels = map[string]string{
	"totp":     "portal.token_type.totp",
	"hotp":     "portal.token_type.hotp",
	"email":    "portal.token_type.email",
	"sms":      "portal.token_type.sms",
	"webauthn": "portal.token_type.webauthn",
}

// TokenTypeLabel names a token type for people, in the language of ctx.
func TokenTypeLabel[T ~string](ctx context.Context, t T) string {
	if id, ok := tokenTypeLabels[string(t)]; ok {
		return i18n.T(ctx, id)
	}
	return string(t)
}

func yesNo(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "common.yes")
	}
	return i18n.T(ctx, "common.no")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func displayName(u workflow.User) string {
	if u.FirstName != "" {
		return u.FirstName
	}
	return u.Login
}

func disabledReason(ctx context.Context, r string) string {
	switch r {
	case workflow.DisabledLost:
		return i18n.T(ctx, "portal.token.disabled_lost")
	case workflow.DisabledReassigned:
		return i18n.T(ctx, "portal.token.disabled_replaced")
	default:
		return i18n.T(ctx, "portal.token.disabled_helpdesk")
	}
}
