package portal

// Helpers of the token actions (SPEC §5.1–7): the enrolment of a new token
// shared by register-token and reassign-token, and the pages of actions on
// one of the user's tokens.

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Enrolling a new token (register-token, reassign-token) takes two posts:
// the choice of type (with the token to replace), then the first code of the
// new token. Between them the enrolment waits in the session, sealed to the
// user and portal, so its seed is never stored readable.

// Session keys of the enrolment in progress.
const (
	keyEnrol    = "enrol"
	keyEnrolKey = "enrol_key"
)

// enrolment returns the enrolment in progress for this user and portal,
// if it belongs to this action (reassign or not).
func (h *Handler) enrolment(c *gin.Context, reassign bool) (workflow.Enrolment, bool) {
	ctx := c.Request.Context()
	sealed := h.Sessions.GetBytes(ctx, keyEnrol)
	if len(sealed) == 0 {
		return workflow.Enrolment{}, false
	}
	e, err := h.Svc.OpenEnrolment(portalOf(c), userOf(c), sealed, h.Sessions.GetString(ctx, keyEnrolKey))
	if err != nil || (e.Replace != "") != reassign {
		return workflow.Enrolment{}, false
	}
	return e, true
}

func (h *Handler) keepEnrolment(c *gin.Context, e workflow.Enrolment) error {
	sealed, keyID, err := h.Svc.SealEnrolment(portalOf(c), userOf(c), e)
	if err != nil {
		return err
	}
	h.Sessions.Put(c.Request.Context(), keyEnrol, sealed)
	h.Sessions.Put(c.Request.Context(), keyEnrolKey, keyID)
	return nil
}

func (h *Handler) dropEnrolment(c *gin.Context) {
	h.Sessions.Remove(c.Request.Context(), keyEnrol)
	h.Sessions.Remove(c.Request.Context(), keyEnrolKey)
}

// enrolPage shows the enrolment in progress, or the choice of type when
// there is none (or the user starts over).
func (h *Handler) enrolPage(c *gin.Context, id string, reassign bool) {
	if c.Query("restart") != "" {
		h.dropEnrolment(c)
	}
	if e, ok := h.enrolment(c, reassign); ok && !e.Expired(h.Svc.Now()) {
		h.renderConfirm(c, id, e, http.StatusOK, views.Form{})
		return
	}
	h.renderEnrolStart(c, id, reassign, http.StatusOK, queryForm(c))
}

// queryForm chooses the token named by the query's serial, as the links
// on the rows of the start page do.
func queryForm(c *gin.Context) views.Form {
	if s := c.Query("serial"); s != "" {
		return views.Form{Values: map[string]string{"serial": s}}
	}
	return views.Form{}
}

// enrol handles both posts: with otp it confirms the enrolment in progress,
// otherwise it starts one from type (and serial, when exchanging).
func (h *Handler) enrol(c *gin.Context, id string, reassign bool) {
	ctx := c.Request.Context()
	p, u := portalOf(c), userOf(c)
	if answer, keyed := c.GetPostForm("credential"); keyed {
		// A security key: the browser's answer and the name given to it.
		cer := h.takeCeremony(c)
		h.confirm(c, id, reassign, func(e workflow.Enrolment) (workflow.Registered, error) {
			return h.Svc.ConfirmKeyEnrolment(ctx, p, u, e, cer, []byte(answer), c.PostForm("name"), meta(c))
		})
		return
	}
	if _, confirming := c.GetPostForm("otp"); confirming {
		h.confirm(c, id, reassign, func(e workflow.Enrolment) (workflow.Registered, error) {
			return h.Svc.ConfirmEnrolment(ctx, p, u, e, c.PostForm("otp"), meta(c))
		})
		return
	}
	typ, serial := c.PostForm("type"), c.PostForm("serial")
	var e workflow.Enrolment
	var err error
	if reassign {
		e, err = h.Svc.StartReassign(ctx, p, u, serial, typ)
	} else {
		e, err = h.Svc.StartEnrolment(ctx, p, u, typ)
	}
	if err == nil {
		err = h.keepEnrolment(c, e)
	}
	if err != nil && workflow.IsFault(err) {
		h.fail(c, err)
		return
	}
	if err != nil {
		f := failedForm(c, err, map[string]string{"type": typ, "serial": serial})
		h.renderEnrolStart(c, id, reassign, views.ErrorStatus(err), f)
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/actions/"+id)
}

// registered ends a registration (the confirmed token counts as the
// session's second factor from now on): the recovery codes of a first token are
// shown in this response only, so they never wait in the session; otherwise
// the user goes home with a message.
func (h *Handler) registered(c *gin.Context, reg workflow.Registered) {
	if reg.Pending {
		// Not a second factor until the helpdesk approves it (SPEC §15):
		// the session stays as it signed in.
		msg := i18n.T(c.Request.Context(), "portal.flash.pending", "Serial", reg.Token.Serial)
		if reg.Replaced != "" {
			msg = i18n.T(c.Request.Context(), "portal.flash.pending_replace", "Serial", reg.Token.Serial, "Replaced", reg.Replaced)
		}
		h.done(c, base(c)+"/home", msg)
		return
	}
	// The user just proved a code of the new token in this session.
	h.Sessions.Put(c.Request.Context(), keySecondFactor, true)
	if len(reg.RecoveryCodes) > 0 {
		c.Header("Cache-Control", "no-store")
		_ = views.Render(c.Writer, c.Request, http.StatusOK, views.TokenRegisteredPage(h.chrome(c, i18n.T(c.Request.Context(), "portal.registered.title")),
			views.TokenRegistered{Serial: reg.Token.Serial, Type: reg.Token.Type, Replaced: reg.Replaced, RecoveryCodes: reg.RecoveryCodes}))
		return
	}
	msg := i18n.T(c.Request.Context(), "portal.flash.registered", "Serial", reg.Token.Serial)
	if reg.Replaced != "" {
		msg = i18n.T(c.Request.Context(), "portal.flash.replaced", "Serial", reg.Token.Serial, "Replaced", reg.Replaced)
	}
	h.done(c, base(c)+"/home", msg)
}

func (h *Handler) renderEnrolStart(c *gin.Context, id string, reassign bool, status int, f views.Form) {
	v := views.EnrolStart{Action: id, Replace: reassign, Types: portalOf(c).TokenTypes, Form: f}
	if reassign {
		v.Tokens = views.TokenOptions(workflow.ActionTokens(id, tokensOf(c)))
	}
	_ = views.Render(c.Writer, c.Request, status, views.EnrolStartPage(h.chrome(c, views.ActionLabel(c.Request.Context(), id)), v))
}

func (h *Handler) renderConfirm(c *gin.Context, id string, e workflow.Enrolment, status int, f views.Form) {
	v := views.EnrolConfirm{Action: id, Type: e.Type, Replace: e.Replace, SentTo: e.SentTo, Form: f}
	if e.Type.Key() {
		v.KeyOptions = h.beginKey(c, func(ctx context.Context) ([]byte, workflow.Ceremony, error) {
			return h.Svc.KeyRegistrationOptions(ctx, portalOf(c), userOf(c), e)
		})
	}
	if e.Software() {
		en, err := h.Svc.Enrolment(portalOf(c), userOf(c), e)
		if err != nil {
			h.fail(c, err)
			return
		}
		v.Secret, v.URI = en.Secret, en.URI
		v.QRData = "data:image/png;base64," + base64.StdEncoding.EncodeToString(en.QRPNG)
		// The page carries the secret: no cache may keep it.
		c.Header("Cache-Control", "no-store")
	}
	_ = views.Render(c.Writer, c.Request, status, views.EnrolConfirmPage(h.chrome(c, views.ActionLabel(c.Request.Context(), id)), v))
}

// formValues keeps what was typed into the named fields.
func formValues(c *gin.Context, names ...string) map[string]string {
	v := make(map[string]string, len(names))
	for _, n := range names {
		v[n] = c.PostForm(n)
	}
	return v
}

// tokenPage renders the page of an action on one of the user's tokens,
// offering the tokens the action works on.
func (h *Handler) tokenPage(c *gin.Context, id string, status int, f views.Form, sentTo string,
	page func(views.PortalChrome, views.TokenAction) templ.Component) {
	v := views.TokenAction{Tokens: views.TokenOptions(workflow.ActionTokens(id, tokensOf(c))),
		PINLength: portalOf(c).PINLength, CodeSentTo: sentTo, Form: f}
	_ = views.Render(c.Writer, c.Request, status, page(h.chrome(c, views.ActionLabel(c.Request.Context(), id)), v))
}

// tokenFailed shows the page of a token action again after err, with what
// was typed in fields kept; internal errors get the error page.
func (h *Handler) tokenFailed(c *gin.Context, id string, err error, page func(views.PortalChrome, views.TokenAction) templ.Component, fields ...string) {
	if workflow.IsFault(err) {
		h.fail(c, err)
		return
	}
	f := failedForm(c, err, formValues(c, fields...))
	h.tokenPage(c, id, views.ErrorStatus(err), f, "", page)
}

// sendActionCode sends the code of the chosen email/SMS token and shows
// the action's page again with that token chosen.
func (h *Handler) sendActionCode(c *gin.Context, id string, page func(views.PortalChrome, views.TokenAction) templ.Component) {
	to, err := h.Svc.SendActionCode(c.Request.Context(), portalOf(c), userOf(c), id, c.PostForm("serial"))
	if err != nil {
		h.tokenFailed(c, id, err, page, "serial")
		return
	}
	h.tokenPage(c, id, http.StatusOK, views.Form{Values: formValues(c, "serial")}, to, page)
}

// tokenCodeForm reads the `serial` and `otp` of register-existing-token
// and remove-pin.
func tokenCodeForm(c *gin.Context) workflow.TokenCodeInput {
	return workflow.TokenCodeInput{Serial: c.PostForm("serial"), OTP: c.PostForm("otp")}
}

// confirm finishes the enrolment in progress with confirm (its first code,
// or a security key's answer).
func (h *Handler) confirm(c *gin.Context, id string, reassign bool, confirm func(workflow.Enrolment) (workflow.Registered, error)) {
	e, ok := h.enrolment(c, reassign)
	if !ok {
		h.renderEnrolStart(c, id, reassign, http.StatusUnprocessableEntity, failedForm(c, workflow.ErrEnrolExpired, nil))
		return
	}
	reg, err := confirm(e)
	switch {
	case err == nil:
	case workflow.IsFault(err):
		h.fail(c, err)
		return
	case workflow.ErrorCode(err) == workflow.CodeInvalid && len(workflow.ErrorFieldMsgs(err)) > 0,
		errors.Is(err, workflow.ErrKeyRegistered):
		// A wrong code, a key without a name, a key registered already:
		// the same enrolment again, nothing stored.
		h.renderConfirm(c, id, e, views.ErrorStatus(err), failedForm(c, err, formValues(c, "name")))
		return
	default:
		// Too late, or the tokens changed meanwhile: start again.
		h.dropEnrolment(c)
		h.renderEnrolStart(c, id, reassign, views.ErrorStatus(err), failedForm(c, err, nil))
		return
	}
	h.dropEnrolment(c)
	h.registered(c, reg)
}
