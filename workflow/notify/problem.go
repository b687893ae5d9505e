package notify

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"tokenportal/workflow"
)

// maxProblem bounds the text of a failed delivery shown on a page.
const maxProblem = 400

// SendProblem says why Deliver failed, in words for the admin who sent the
// message by hand (the settings' test send). Delivery errors are notify's
// own and name what the admin configured: the SMTP server's or the SMS
// gateway's answer, the address refused. So their text is shown, with the
// passwords of the settings in force masked and its length bounded. Only
// the failure to read the settings (ErrSettings) is told without its cause,
// which is internal.
func (n *Notifier) SendProblem(ctx context.Context, err error) string {
	if errors.Is(err, ErrSettings) {
		return "Sending failed: the mail settings could not be read. Please try again."
	}
	msg := err.Error()
	var stored workflow.MessagingSettings
	if n.cfg.Settings != nil {
		stored, _ = n.cfg.Settings(ctx) // what could be read
	}
	smtpURL, _, sms := n.Effective(stored)
	for _, raw := range []string{stored.SMTPURL, stored.SMSGatewayURL, smtpURL.Value, sms.Value} {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				msg = strings.ReplaceAll(msg, p, workflow.MaskedPassword)
			}
		}
	}
	if utf8.RuneCountInString(msg) > maxProblem {
		msg = string([]rune(msg)[:maxProblem]) + "…"
	}
	return "Sending failed: " + msg
}

// SettingsProblem is the text of an error of CheckSMTPURL, CheckSettings or
// CheckTemplate, or the cause of a TemplateError: notify's words about a
// setting or a text the admin gave, to show next to it. Those errors never
// repeat a URL's password (a URL that does not parse is not quoted), so
// their text may be shown; other errors are not for this function.
func SettingsProblem(err error) string { return err.Error() }
