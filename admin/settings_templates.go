package admin

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// The mail templates of the Settings page: edit, preview, test send and
// reset to the built-in text of one template in one language.

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
		Name: id.Name, Label: views.TemplateLabelIn(c.Request.Context(), id.Name), Lang: id.Lang, LangLabel: views.LanguageLabelIn(c.Request.Context(), id.Lang),
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
func (f templateForm) Validate(c *gin.Context, n *notify.Notifier) (views.TemplatePreview, map[string]workflow.Msg) {
	errs := map[string]workflow.Msg{}
	if err := notify.CheckTemplate(f.Subject); err != nil {
		errs["subject"] = workflow.M("settings.template.subject_parse", "Reason", string(notify.SettingsProblem(err)))
	}
	if err := notify.CheckTemplate(f.Body); err != nil {
		errs["body"] = workflow.M("settings.template.body_parse", "Reason", string(notify.SettingsProblem(err)))
	}
	if len(errs) > 0 {
		return views.TemplatePreview{}, errs
	}
	m := workflow.Message{Channel: workflow.ChannelEmail, Template: f.id.Name, Lang: f.id.Lang, Data: notify.SampleData(f.id.Name)}
	subject, body, err := n.Preview(c.Request.Context(), m, workflow.TemplateText{Subject: f.Subject, Body: f.Body})
	var te *notify.TemplateError
	if errors.As(err, &te) {
		errs[te.Part] = templateRenderError(te.Part, string(notify.SettingsProblem(te.Err)))
		return views.TemplatePreview{}, errs
	}
	if err != nil {
		errs["body"] = workflow.M("settings.template.render")
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
		err = workflow.FieldsInvalid(errs)
	} else {
		err = h.Svc.SetTemplateOverride(c.Request.Context(), id, f.override(), current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			form := views.FailedForm(c.Request.Context(), err, f.values())
			h.renderTemplate(c, id, views.ErrorStatus(err), &form, nil, nil)
			return
		}
		h.fail(c, err)
		return
	}
	h.Notifier.Invalidate()
	msg := i18n.T(c.Request.Context(), "console.settings.template_saved")
	if f.override() == (workflow.TemplateText{}) {
		msg = i18n.T(c.Request.Context(), "console.settings.template_builtin")
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
		form := views.FailedForm(c.Request.Context(), workflow.FieldsInvalid(errs), f.values())
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
	h.done(c, views.TemplateHref(id.Name, id.Lang), i18n.T(c.Request.Context(), "console.settings.template_reset"))
}

func (h *Handler) testTemplate(c *gin.Context) {
	id, ok := h.template(c)
	if !ok {
		return
	}
	t, status := h.sendTest(c, id.Name, id.Lang, views.TemplateHref(id.Name, id.Lang)+"/test")
	h.renderTemplate(c, id, status, nil, nil, &t)
}

// templateRenderError says that part (subject or body) of a template cannot
// be rendered, and why.
func templateRenderError(part, reason string) workflow.Msg {
	if part == "subject" {
		return workflow.M("settings.template.subject_render", "Reason", reason)
	}
	return workflow.M("settings.template.body_render", "Reason", reason)
}
