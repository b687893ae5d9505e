package admin

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// The Mail and SMS sections of the Settings page: the SMTP server and
// sender, the SMS gateway, and the mail section's test send.

// mailForm is the Mail section's form.
type mailForm struct {
	SMTPURL, MailFrom string
}

func (f mailForm) values() map[string]string {
	return map[string]string{"smtp_url": f.SMTPURL, "mail_from": f.MailFrom}
}

// Validate checks the values the way the notifier will use them: each on
// its own, and together with the environment's values they fall back to.
func (f mailForm) Validate(n *notify.Notifier, stored workflow.MessagingSettings) map[string]workflow.Msg {
	errs := map[string]workflow.Msg{}
	if f.SMTPURL != "" {
		if err := notify.CheckSMTPURL(f.SMTPURL); err != nil {
			errs["smtp_url"] = workflow.M("settings.smtp_url", "Reason", sentence(strings.TrimPrefix(string(notify.SettingsProblem(err)), "SMTP_URL: ")))
		}
	}
	if f.MailFrom != "" {
		if err := notify.CheckMailFrom(f.MailFrom); err != nil {
			errs["mail_from"] = workflow.M("settings.mail_from")
		}
	}
	if len(errs) == 0 {
		next := stored
		next.SMTPURL, next.MailFrom = f.SMTPURL, f.MailFrom
		smtpURL, from, _ := n.Effective(next)
		if smtpURL.Value != "" && strings.TrimSpace(from.Value) == "" && !n.Capture() {
			errs["mail_from"] = workflow.M("settings.mail_from_needed")
		}
	}
	return errs
}

func (h *Handler) saveMail(c *gin.Context) {
	ctx := c.Request.Context()
	f := mailForm{SMTPURL: strings.TrimSpace(c.PostForm("smtp_url")), MailFrom: strings.TrimSpace(c.PostForm("mail_from"))}
	stored, _, err := h.messaging(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if errs := f.Validate(h.Notifier, stored); len(errs) > 0 {
		err = workflow.FieldsInvalid(errs)
	} else {
		err = h.Svc.SetMailSettings(ctx, f.SMTPURL, f.MailFrom, current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			form := views.FailedForm(c.Request.Context(), err, f.values())
			h.renderSettings(c, views.ErrorStatus(err), settingsForms{mail: &form})
			return
		}
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	msg := i18n.T(ctx, "console.settings.mail_saved")
	if f == (mailForm{}) {
		msg = i18n.T(ctx, "console.settings.mail_cleared")
	}
	h.done(c, "/admin/settings#mail", msg)
}

func (h *Handler) clearMail(c *gin.Context) {
	if err := h.Svc.SetMailSettings(c.Request.Context(), "", "", current(c), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	h.done(c, "/admin/settings#mail", i18n.T(c.Request.Context(), "console.settings.mail_cleared"))
}

func (h *Handler) saveSMS(c *gin.Context) {
	ctx := c.Request.Context()
	raw := strings.TrimSpace(c.PostForm("sms_gateway_url"))
	var err error
	if raw != "" {
		if cerr := notify.CheckSMSGatewayURL(raw); cerr != nil {
			err = invalid("sms_gateway_url", workflow.M("settings.sms_url"))
		}
	}
	if err == nil {
		err = h.Svc.SetSMSSettings(ctx, raw, current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			form := views.FailedForm(c.Request.Context(), err, map[string]string{"sms_gateway_url": raw})
			h.renderSettings(c, views.ErrorStatus(err), settingsForms{sms: &form})
			return
		}
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	msg := i18n.T(ctx, "console.settings.sms_saved")
	if raw == "" {
		msg = i18n.T(ctx, "console.settings.sms_cleared")
	}
	h.done(c, "/admin/settings#sms", msg)
}

func (h *Handler) clearSMS(c *gin.Context) {
	if err := h.Svc.SetSMSSettings(c.Request.Context(), "", current(c), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	h.done(c, "/admin/settings#sms", i18n.T(c.Request.Context(), "console.settings.sms_cleared"))
}

func (h *Handler) testMail(c *gin.Context) {
	t, status := h.sendTest(c, notify.TemplateTest, current(c).Language, "/admin/settings/mail/test")
	h.renderSettings(c, status, settingsForms{test: &t})
}

// sentence starts s with a capital letter.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
