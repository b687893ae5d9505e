package views

import (
	"context"
	"time"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// PasswordPage is create-password (no current password asked) and
// change-password. The values of password fields are never kept.
type PasswordPage struct {
	Change bool
	Form   Form
}

// EmailPage is change-email: first the new address, then (Pending set) the
// code sent to it.
type EmailPage struct {
	Current string
	Pending string // the new address waiting for its code
	Form    Form
}

// PhonePage is change-phone.
type PhonePage struct {
	Current string
	Form    Form
	// Country is the portal's default country: numbers may be typed in
	// its national format ("" for international only).
	Country string
}

// LoginChangePage is change-login.
type LoginChangePage struct {
	Current string
	Form    Form
}

// NamePage is change-name; the form starts with the current names.
type NamePage struct {
	Form Form
}

// EnvironmentPage is manage-environment.
type EnvironmentPage struct {
	Remembering bool // the portal remembers devices at all
	Devices     []DeviceRow
	SignIns     []SignInRow
}

// DeviceRow is a remembered device as the page shows it.
type DeviceRow struct {
	ID       int64
	Browser  string
	IP       string
	Created  time.Time
	LastUsed *time.Time // nil: never used since
	Expires  time.Time
}

// SignInRow is a recent sign-in as the page shows it.
type SignInRow struct {
	Time time.Time // shown in the viewer's language and zone

	IP       string
	Browser  string
	Resource string
}

// NewEnvironmentPage shapes the environment for the page.
func NewEnvironmentPage(ctx context.Context, p workflow.Portal, env workflow.Environment) EnvironmentPage {
	v := EnvironmentPage{Remembering: p.RememberDeviceDays > 0}
	for _, d := range env.Devices {
		v.Devices = append(v.Devices, DeviceRow{ID: d.ID, Browser: browserOf(ctx, d.UserAgent), IP: orDash(d.IP),
			Created: d.CreatedAt, LastUsed: d.LastUsedAt, Expires: d.ExpiresAt})
	}
	v.SignIns = signInRows(ctx, env.SignIns)
	return v
}

// signInRows shapes sign-ins for the portal's page of devices and sign-ins,
// in the language of ctx.
func signInRows(ctx context.Context, list []workflow.SignIn) []SignInRow {
	var rows []SignInRow
	for _, s := range list {
		rows = append(rows, SignInRow{Time: s.At, IP: orDash(s.IP), Browser: browserOf(ctx, s.UserAgent),
			Resource: orDash(s.Resource)})
	}
	return rows
}

// browserOf names the browser of a user agent for the portal's list of
// devices and sign-ins: "Firefox 133 on Windows", or an unknown browser.
func browserOf(ctx context.Context, ua string) string {
	if l := AgentLabel(ctx, ua); l != "" {
		return l
	}
	return i18n.T(ctx, "console.activities.agent_unknown")
}

// Hint is the phone field's hint: the national and the international way
// of the portal's country, or the international format alone.
func (v PhonePage) Hint(ctx context.Context) string {
	if national, international := workflow.PhoneExample(v.Country); v.Country != "" && national != "" {
		return i18n.T(ctx, "phone.hint_national", "Example", national, "International", international)
	}
	return i18n.T(ctx, "portal.phone.hint")
}
