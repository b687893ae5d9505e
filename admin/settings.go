package admin

import (
	"cmp"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// The Settings area (SPEC §7, §9), superadmins only: the mail server and
// sender, the SMS gateway, who is mailed about new user issues, and the mail
// templates with preview and test send. Stored settings override the
// environment's and apply to the next message on every instance (notify reads
// them at send time); a save here drops this instance's cached copy at once.

func (h *Handler) settingsRoutes(in *gin.RouterGroup) {
	g := in.Group("/settings", h.allow(superadmin...))
	g.GET("", h.settingsPage)
	g.POST("/mail", h.saveMail)
	g.POST("/mail/clear", h.clearMail)
	g.POST("/mail/test", h.testMail)
	g.POST("/sms", h.saveSMS)
	g.POST("/sms/clear", h.clearSMS)
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
	a := current(c)
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
		p.Mail.Problem = "The settings in use cannot send: " + err.Error()
	case smtpURL.Value == "" && !p.Capture:
		p.Mail.Problem = "No SMTP server is set, so no mail can be sent. Enter one below or set SMTP_URL."
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
	if p.Recipients, err = h.recipientRows(c); err != nil {
		h.fail(c, err)
		return
	}
	for _, name := range notify.Templates() {
		row := views.TemplateRow{Name: name, Label: views.TemplateLabel(name)}
		for _, l := range notify.Languages {
			_, over := stored.Templates[workflow.TemplateID{Name: name, Lang: l}]
			row.Langs = append(row.Langs, views.TemplateLang{Lang: l, Label: views.LanguageLabel(l), Overridden: over, Href: views.TemplateHref(name, l)})
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
		return s, "A stored password cannot be decrypted with the current SECRET_KEY, so mail or SMS cannot be sent: enter the setting again with its password, or clear it.", nil
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

// mailForm is the Mail section's form.
type mailForm struct {
	SMTPURL, MailFrom string
}

func (f mailForm) values() map[string]string {
	return map[string]string{"smtp_url": f.SMTPURL, "mail_from": f.MailFrom}
}

// Validate checks the values the way the notifier will use them: each on
// its own, and together with the environment's values they fall back to.
func (f mailForm) Validate(n *notify.Notifier, stored workflow.MessagingSettings) map[string]string {
	errs := map[string]string{}
	if f.SMTPURL != "" {
		if err := notify.CheckSMTPURL(f.SMTPURL); err != nil {
			errs["smtp_url"] = sentence(strings.TrimPrefix(err.Error(), "SMTP_URL: "))
		}
	}
	if f.MailFrom != "" {
		if err := notify.CheckMailFrom(f.MailFrom); err != nil {
			errs["mail_from"] = "Enter one mail address, optionally with a name, like: tokenportal <noreply@example.com>."
		}
	}
	if len(errs) == 0 {
		next := stored
		next.SMTPURL, next.MailFrom = f.SMTPURL, f.MailFrom
		smtpURL, from, _ := n.Effective(next)
		if smtpURL.Value != "" && strings.TrimSpace(from.Value) == "" && !n.Capture() {
			errs["mail_from"] = "Give a sender: mail needs one, and MAIL_FROM is not set in the environment."
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
		err = workflow.Invalid(errs)
	} else {
		err = h.Svc.SetMailSettings(ctx, f.SMTPURL, f.MailFrom, current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			form := views.FailedForm(err, f.values())
			h.renderSettings(c, views.ErrorStatus(err), settingsForms{mail: &form})
			return
		}
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	msg := "The mail settings were saved; the next mail uses them."
	if f == (mailForm{}) {
		msg = "The mail settings were cleared; SMTP_URL and MAIL_FROM from the environment apply."
	}
	h.done(c, "/admin/settings#mail", msg)
}

func (h *Handler) clearMail(c *gin.Context) {
	if err := h.Svc.SetMailSettings(c.Request.Context(), "", "", current(c), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	h.done(c, "/admin/settings#mail", "The mail settings were cleared; SMTP_URL and MAIL_FROM from the environment apply.")
}

func (h *Handler) saveSMS(c *gin.Context) {
	ctx := c.Request.Context()
	raw := strings.TrimSpace(c.PostForm("sms_gateway_url"))
	var err error
	if raw != "" {
		if cerr := notify.CheckSMSGatewayURL(raw); cerr != nil {
			err = invalid("sms_gateway_url", "Enter an http:// or https:// address, like https://sms.example.com/send.")
		}
	}
	if err == nil {
		err = h.Svc.SetSMSSettings(ctx, raw, current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			form := views.FailedForm(err, map[string]string{"sms_gateway_url": raw})
			h.renderSettings(c, views.ErrorStatus(err), settingsForms{sms: &form})
			return
		}
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	msg := "The SMS gateway was saved; the next SMS uses it."
	if raw == "" {
		msg = "The SMS gateway setting was cleared; SMS_GATEWAY_URL from the environment applies."
	}
	h.done(c, "/admin/settings#sms", msg)
}

func (h *Handler) clearSMS(c *gin.Context) {
	if err := h.Svc.SetSMSSettings(c.Request.Context(), "", current(c), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	h.done(c, "/admin/settings#sms", "The SMS gateway setting was cleared; SMS_GATEWAY_URL from the environment applies.")
}

func (h *Handler) testMail(c *gin.Context) {
	t, status := h.sendTest(c, notify.TemplateTest, current(c).Language, "/admin/settings/mail/test")
	h.renderSettings(c, status, settingsForms{test: &t})
}

// sendTest sends a template with example data to the address of the form
// now, through the settings in use, and says how it went.
func (h *Handler) sendTest(c *gin.Context, name, lang, action string) (views.TestSend, int) {
	ctx := c.Request.Context()
	to := strings.TrimSpace(c.PostForm("to"))
	t := views.TestSend{Action: action, Form: views.Form{Values: map[string]string{"to": to}}}
	if to == "" || len(to) > 254 || !validAddress(to) {
		t.Form.Errors = map[string]string{"to": "Enter the address to send the test to, like name@example.com."}
		return t, http.StatusUnprocessableEntity
	}
	err := h.Notifier.Deliver(ctx, workflow.Message{Channel: workflow.ChannelEmail, To: to, Template: name, Lang: lang, Data: notify.SampleData(name)})
	h.Svc.RecordTestMessage(ctx, name, lang, to, err == nil, current(c), meta(c))
	switch {
	case err == nil && h.Notifier.Capture():
		t.Result = &views.TestResult{OK: true, Message: "Captured, not sent (development mode): the message to " + to + " is on the developer mail page."}
	case err == nil:
		t.Result = &views.TestResult{OK: true, Message: "Sent to " + to + ". The server accepted the message."}
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

// sentence starts s with a capital letter.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// Notification recipients.

// recipientRows lists every admin and which new issues they are mailed about.
func (h *Handler) recipientRows(c *gin.Context) ([]views.RecipientRow, error) {
	ctx := c.Request.Context()
	rcs, err := h.Svc.Store.IssueRecipients(ctx)
	if err != nil {
		return nil, err
	}
	resources, err := h.Svc.Store.ListResources(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, r := range resources {
		names[r.ID] = r.Name
	}
	self := current(c).ID
	out := make([]views.RecipientRow, 0, len(rcs))
	for _, rc := range rcs {
		a := rc.Admin
		row := views.RecipientRow{ID: a.ID, Login: a.Login, Role: string(a.Role), Email: a.Email, Disabled: a.Disabled,
			Receives: views.ReceivesNone, Self: a.ID == self}
		switch {
		case rc.All:
			row.Receives = views.ReceivesAll
		case len(rc.Resources) > 0:
			row.Receives = views.ReceivesSome
			for _, id := range rc.Resources {
				if a.Role == workflow.RoleOwner && !slices.Contains(a.OwnedResource, id) {
					continue // owners are mailed about their own resources only
				}
				row.Resources = append(row.Resources, names[id])
			}
		}
		if row.Receives != views.ReceivesNone {
			switch {
			case a.Disabled:
				row.Note = "account disabled: nothing is sent"
			case a.Email == "":
				row.Note = "no email address: nothing is sent"
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// recipient loads the admin of the :admin parameter; false when a page was
// rendered. The signed-in admin edits their own on the Notifications page.
func (h *Handler) recipient(c *gin.Context) (workflow.Admin, bool) {
	id, ok := h.idParam(c, "admin")
	if !ok {
		return workflow.Admin{}, false
	}
	if id == current(c).ID {
		c.Redirect(http.StatusSeeOther, "/admin/notifications")
		return workflow.Admin{}, false
	}
	a, err := h.Svc.Store.AdminByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return a, false
	}
	return a, true
}

// recipientChoices are the resources an admin may be mailed about: all, or
// the ones an owner owns.
func (h *Handler) recipientChoices(c *gin.Context, a workflow.Admin) ([]views.ResourceChoice, error) {
	rows, err := h.Svc.Store.ListResources(c.Request.Context())
	if err != nil {
		return nil, err
	}
	var out []views.ResourceChoice
	for _, r := range rows {
		if a.Role != workflow.RoleOwner || slices.Contains(a.OwnedResource, r.ID) {
			out = append(out, views.ResourceChoice{ID: r.ID, Name: r.Name})
		}
	}
	return out, nil
}

func (h *Handler) recipientPage(c *gin.Context) {
	a, ok := h.recipient(c)
	if !ok {
		return
	}
	all, resources, err := h.Svc.Store.Subscriptions(c.Request.Context(), a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	sub := subscribeNone
	switch {
	case all:
		sub = subscribeAll
	case len(resources) > 0:
		sub = subscribeSome
	}
	h.renderRecipient(c, a, http.StatusOK, views.Form{Values: map[string]string{"email": a.Email, "subscribe": sub}}, resources)
}

func (h *Handler) renderRecipient(c *gin.Context, a workflow.Admin, status int, f views.Form, ticked []int64) {
	choices, err := h.recipientChoices(c, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	for i := range choices {
		choices[i].On = slices.Contains(ticked, choices[i].ID)
	}
	h.page(c, status, views.RecipientPage(h.chrome(c, "settings"), views.RecipientEdit{
		ID: a.ID, Login: a.Login, Role: string(a.Role), Form: f, Resources: choices, Owner: a.Role == workflow.RoleOwner,
	}))
}

func (h *Handler) saveRecipient(c *gin.Context) {
	a, ok := h.recipient(c)
	if !ok {
		return
	}
	email, sub := c.PostForm("email"), c.PostForm("subscribe")
	values := map[string]string{"email": email, "subscribe": sub}
	choices, err := h.recipientChoices(c, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	ids, all, resources, err := readSubscription(sub, c.PostFormArray("resource_id"), choices, a.Login+" is mailed")
	if err == nil {
		err = h.Svc.SetAdminIssueSubscription(c.Request.Context(), a, email, all, resources, current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderRecipient(c, a, views.ErrorStatus(err), views.FailedForm(err, values), ids)
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/settings#recipients", "The notifications of "+a.Login+" were saved.")
}

// Mail templates.

// template reads the :name and :lang parameters; false when a 404 was
// rendered.
func (h *Handler) template(c *gin.Context) (workflow.TemplateID, bool) {
	id := workflow.TemplateID{Name: c.Param("name"), Lang: c.Param("lang")}
	if !slices.Contains(notify.Templates(), id.Name) || !slices.Contains(notify.Languages, id.Lang) {
		h.fail(c, errNotFound)
		return id, false
	}
	return id, true
}

// templatePageData is a template's page with the stored or built-in texts.
func (h *Handler) templatePageData(c *gin.Context, id workflow.TemplateID) (views.TemplateEdit, error) {
	stored, _, err := h.messaging(c)
	if err != nil {
		return views.TemplateEdit{}, err
	}
	over := stored.Templates[id]
	subject, body, _ := notify.TemplateSource(id.Name, id.Lang)
	href := views.TemplateHref(id.Name, id.Lang)
	return views.TemplateEdit{
		Name: id.Name, Label: views.TemplateLabel(id.Name), Lang: id.Lang, LangLabel: views.LanguageLabel(id.Lang),
		Overridden: over != (workflow.TemplateText{}),
		Form:       views.Form{Values: map[string]string{"subject": cmp.Or(over.Subject, subject), "body": cmp.Or(over.Body, body)}},
		Fields:     notify.TemplateFields(id.Name), Funcs: notify.TemplateFuncs(),
		Test: views.TestSend{Action: href + "/test", Form: views.Form{Values: map[string]string{"to": current(c).Email}}},
	}, nil
}

func (h *Handler) templatePage(c *gin.Context) {
	id, ok := h.template(c)
	if !ok {
		return
	}
	p, err := h.templatePageData(c, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, http.StatusOK, views.TemplatePage(h.chrome(c, "settings"), p))
}

// templateForm is a template's subject and body as typed.
type templateForm struct {
	id            workflow.TemplateID
	Subject, Body string
}

func readTemplateForm(c *gin.Context, id workflow.TemplateID) templateForm {
	return templateForm{id: id, Subject: strings.TrimSpace(c.PostForm("subject")),
		Body: strings.TrimSpace(strings.ReplaceAll(c.PostForm("body"), "\r\n", "\n"))}
}

func (f templateForm) values() map[string]string {
	return map[string]string{"subject": f.Subject, "body": f.Body}
}

// Validate parses both texts and renders them with example data, so a
// template that would fail at send time is refused now.
func (f templateForm) Validate(c *gin.Context, n *notify.Notifier) (views.TemplatePreview, map[string]string) {
	errs := map[string]string{}
	if err := notify.CheckTemplate(f.Subject); err != nil {
		errs["subject"] = "This subject does not parse: " + err.Error()
	}
	if err := notify.CheckTemplate(f.Body); err != nil {
		errs["body"] = "This body does not parse: " + err.Error()
	}
	if len(errs) > 0 {
		return views.TemplatePreview{}, errs
	}
	m := workflow.Message{Channel: workflow.ChannelEmail, Template: f.id.Name, Lang: f.id.Lang, Data: notify.SampleData(f.id.Name)}
	subject, body, err := n.Preview(c.Request.Context(), m, workflow.TemplateText{Subject: f.Subject, Body: f.Body})
	var te *notify.TemplateError
	if errors.As(err, &te) {
		errs[te.Part] = "This " + te.Part + " cannot be rendered: " + te.Err.Error()
		return views.TemplatePreview{}, errs
	}
	if err != nil {
		errs["body"] = "This template cannot be rendered."
		return views.TemplatePreview{}, errs
	}
	return views.TemplatePreview{Subject: subject, Body: body}, nil
}

// override is what to store: the parts that differ from the built-in text.
func (f templateForm) override() workflow.TemplateText {
	subject, body, _ := notify.TemplateSource(f.id.Name, f.id.Lang)
	t := workflow.TemplateText{Subject: f.Subject, Body: f.Body}
	if t.Subject == strings.TrimSpace(subject) {
		t.Subject = ""
	}
	if t.Body == strings.TrimSpace(body) {
		t.Body = ""
	}
	return t
}

// renderTemplate shows a template's page with the form as typed.
func (h *Handler) renderTemplate(c *gin.Context, id workflow.TemplateID, status int, f *views.Form, preview *views.TemplatePreview, test *views.TestSend) {
	p, err := h.templatePageData(c, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if f != nil {
		p.Form = *f
	}
	p.Preview = preview
	if test != nil {
		p.Test = *test
	}
	h.page(c, status, views.TemplatePage(h.chrome(c, "settings"), p))
}

func (h *Handler) saveTemplate(c *gin.Context) {
	id, ok := h.template(c)
	if !ok {
		return
	}
	f := readTemplateForm(c, id)
	var err error
	if _, errs := f.Validate(c, h.Notifier); len(errs) > 0 {
		err = workflow.Invalid(errs)
	} else {
		err = h.Svc.SetTemplateOverride(c.Request.Context(), id, f.override(), current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			form := views.FailedForm(err, f.values())
			h.renderTemplate(c, id, views.ErrorStatus(err), &form, nil, nil)
			return
		}
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	msg := "The template was saved; the next mail uses it."
	if f.override() == (workflow.TemplateText{}) {
		msg = "The texts are the built-in ones, so no override is stored."
	}
	h.done(c, views.TemplateHref(id.Name, id.Lang), msg)
}

func (h *Handler) previewTemplate(c *gin.Context) {
	id, ok := h.template(c)
	if !ok {
		return
	}
	f := readTemplateForm(c, id)
	preview, errs := f.Validate(c, h.Notifier)
	if len(errs) > 0 {
		form := views.FailedForm(workflow.Invalid(errs), f.values())
		h.renderTemplate(c, id, http.StatusUnprocessableEntity, &form, nil, nil)
		return
	}
	form := views.Form{Values: f.values()}
	h.renderTemplate(c, id, http.StatusOK, &form, &preview, nil)
}

func (h *Handler) resetTemplate(c *gin.Context) {
	id, ok := h.template(c)
	if !ok {
		return
	}
	if err := h.Svc.SetTemplateOverride(c.Request.Context(), id, workflow.TemplateText{}, current(c), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	h.done(c, views.TemplateHref(id.Name, id.Lang), "The built-in text applies again.")
}

func (h *Handler) testTemplate(c *gin.Context) {
	id, ok := h.template(c)
	if !ok {
		return
	}
	t, status := h.sendTest(c, id.Name, id.Lang, views.TemplateHref(id.Name, id.Lang)+"/test")
	h.renderTemplate(c, id, status, nil, nil, &t)
}
