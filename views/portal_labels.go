package views

import (
	"strconv"

	"tokenportal/workflow"
)

var tokenTypeLabels = map[string]string{
	"totp":  "Authenticator app (time-based, TOTP)",
	"hotp":  "Hardware or app token (counter-based, HOTP)",
	"email": "Code by email",
	"sms":   "Code by SMS",
}

// TokenTypeLabel names a token type for people.
func TokenTypeLabel[T ~string](t T) string {
	if l, ok := tokenTypeLabels[string(t)]; ok {
		return l
	}
	return string(t)
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
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

func disabledReason(r string) string {
	switch r {
	case workflow.DisabledLost:
		return "reported lost"
	case workflow.DisabledReassigned:
		return "replaced"
	default:
		return "disabled by the helpdesk"
	}
}
