package admin

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// The Settings area (SPEC §7, §9), superadmins only: the mail server and
// sender, the SMS gateway, who is mailed about new user issues, and the mail
// templates with preview and test send. Stored settings override the
// environment's and apply to the next message on every instance (notify reads
// them at send time); a save here drops this instance's cached copy at once.
//
// Here: the page and what its sections share (the test send). The sections:
// settings_mail.go (mail and SMS), settings_recipients.go, settings_templates.go.

func (h *Handler) settingsRoutes(in *gin.RouterGroup) {
	g := in.Group("/settings", h.allow(superadmin...))
	g.GET("", h.settingsPage)
	g.POST("/mail", h.saveMail)
	g.POST("/mail/clear", h.clearMail)
	g.POST("/mail/test", h.testMail)
	g.POST("/sms", h.saveSMS)
	g.POST("/sms/clear", h.clearSMS)
	g.POST("/issue-handling", h.saveIssueHandling)
	g.GET("/recipients/:admin", h.recipientPage)
	g.POST("/recipients/:admin", h.saveRecipient)
	g.GET("/templates/:name/:lang", h.templatePage)
	g.POST("/templates/:name/:lang", h.saveTemplate)
	g.POST("/templates/:name/:lang/preview", h.previewTemplate)
	g.POST("/templates/:name/:lang/reset", h.resetTemplate)
	g.POST("/templates/:name/:lang/test", h.testTemplate)
}

// settingsForms carries forms shown again after a failed post; nil ones
// show the stored values.
type settingsForms struct {
	mail *views.Form
	sms  *views.Form
	test *views.TestSend
}

func (h *Handler) settingsPage(c *gin.Context) { h.renderSettings(c, http.StatusOK, settingsForms{}) }

func (h *Handler) renderSettings(c *gin.Context, status int, forms settingsForms) {
	a, ctx := current(c), c.Request.Context()
	stored, problem, err := h.messaging(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	smtpURL, from, sms := h.Notifier.Effective(stored)
	p := views.SettingsOverview{Capture: h.Notifier.Capture(), SelfID: a.ID, Problem: problem}
	p.Mail = views.MailSettings{
		Form:    views.Form{Values: map[string]string{"smtp_url": workflow.RedactURL(stored.SMTPURL), "mail_from": stored.MailFrom}},
		Stored:  stored.SMTPURL != "" || stored.MailFrom != "",
		SMTPURL: settingValue(smtpURL, "SMTP_URL", true),
		From:    settingValue(from, "MAIL_FROM", false),
		Test:    views.TestSend{Action: "/admin/settings/mail/test", Form: views.Form{Values: map[string]string{"to": a.Email}}},
	}
	switch err := h.Notifier.CheckSettings(stored); {
	case err != nil:
		p.Mail.Problem = i18n.T(ctx, "console.settings.cannot_send", "Problem", string(notify.SettingsProblem(err)))
	case smtpURL.Value == "" && !p.Capture:
		p.Mail.Problem = i18n.T(ctx, "console.settings.no_smtp")
	}
	if forms.mail != nil {
		p.Mail.Form = *forms.mail
	}
	if forms.test != nil {
		p.Mail.Test = *forms.test
	}
	p.SMS = views.SMSSettings{
		Form:    views.Form{Values: map[string]string{"sms_gateway_url": workflow.RedactURL(stored.SMSGatewayURL)}},
		Stored:  stored.SMSGatewayURL != "",
		Gateway: settingValue(sms, "SMS_GATEWAY_URL", true),
	}
	if forms.sms != nil {
		p.SMS.Form = *forms.sms
	}
	handling, err := h.Svc.IssueHandlingSettings(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	p.IssueHandling = views.Form{Values: map[string]string{"owners_handle_enrolment": checked(handling.OwnersHandleEnrolment)}}
	if p.Recipients, err = h.recipientRows(c); err != nil {
		h.fail(c, err)
		return
	}
	for _, name := range notify.Templates() {
		row := views.TemplateRow{Name: name, Label: views.TemplateLabelIn(ctx, name)}
		for _, l := range notify.Languages {
			_, over := stored.Templates[workflow.TemplateID{Name: name, Lang: l}]
			row.Langs = append(row.Langs, views.TemplateLang{Lang: l, Label: views.LanguageLabelIn(ctx, l), Overridden: over, Href: views.TemplateHref(name, l)})
		}
		p.Templates = append(p.Templates, row)
	}
	h.page(c, status, views.SettingsPage(h.chrome(c, "settings"), p))
}

// messaging reads the stored settings. A stored password that no longer
// decrypts (SECRET_KEY lost) is logged and returned as a problem for the page
// to show, not as an error page, so the setting can still be replaced.
func (h *Handler) messaging(c *gin.Context) (workflow.MessagingSettings, string, error) {
	s, err := h.Svc.MessagingSettings(c.Request.Context())
	if errors.Is(err, workflow.ErrUnseal) {
		h.Log.ErrorContext(c.Request.Context(), "a stored settings password does not decrypt", "err", err)
		return s, i18n.T(c.Request.Context(), "console.settings.unseal"), nil
	}
	return s, "", err
}

// settingValue shows a setting in force; URLs with their password masked.
func settingValue(e notify.Effective, env string, isURL bool) views.SettingValue {
	v := e.Value
	if isURL {
		v = workflow.RedactURL(v)
	}
	return views.SettingValue{Value: v, Source: env, Stored: e.FromSettings}
}

// sendTest sends a template with example data to the address of the form
// now, through the settings in use, and says how it went.
func (h *Handler) sendTest(c *gin.Context, name, lang, action string) (views.TestSend, int) {
	ctx := c.Request.Context()
	to := strings.TrimSpace(c.PostForm("to"))
	t := views.TestSend{Action: action, Form: views.Form{Values: map[string]string{"to": to}}}
	if to == "" || len(to) > 254 || !validAddress(to) {
		t.Form.Errors = map[string]string{"to": i18n.T(ctx, "console.settings.test_to_invalid")}
		return t, http.StatusUnprocessableEntity
	}
	err := h.Notifier.Deliver(ctx, workflow.Message{Channel: workflow.ChannelEmail, To: to, Template: name, Lang: lang, Data: notify.SampleData(name)})
	h.Svc.RecordTestMessage(ctx, name, lang, to, err == nil, current(c), meta(c))
	switch {
	case err == nil && h.Notifier.Capture():
		t.Result = &views.TestResult{OK: true, Message: i18n.T(ctx, "console.settings.test_captured", "To", to)}
	case err == nil:
		t.Result = &views.TestResult{OK: true, Message: i18n.T(ctx, "console.settings.test_sent", "To", to)}
	default:
		if errors.Is(err, notify.ErrSettings) {
			h.Log.ErrorContext(ctx, "test message: settings unreadable", "err", err)
		}
		t.Result = &views.TestResult{Message: string(h.Notifier.SendProblem(ctx, err))}
	}
	return t, http.StatusOK
}

// validAddress accepts one plain address, optionally with a name.
func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && strings.Contains(a.Address, "@")
}

// saveIssueHandling lets owners verify and delete the new-token requests
// of their resources, or not (SPEC §15; default: the helpdesk only).
func (h *Handler) saveIssueHandling(c *gin.Context) {
	on := c.PostForm("owners_handle_enrolment") == "1"
	ctx := c.Request.Context()
	if err := h.Svc.SetIssueHandling(ctx, workflow.IssueHandling{OwnersHandleEnrolment: on}, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	flash := "console.settings.issue_handling_off"
	if on {
		flash = "console.settings.issue_handling_on"
	}
	h.done(c, "/admin/settings#issue-handling", i18n.T(ctx, flash))
}
