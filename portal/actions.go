package portal

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// An action is one of the 14 things a portal may offer (SPEC §5); each
// lives in a file of its own and registers here.
type action struct {
	// sensitive actions need a sign-in or re-authentication within the
	// last 10 minutes (SPEC §5: 3, 4, 7, 9, 10, 12).
	sensitive bool
	// stepUp actions add, replace or remove a token: a session that signed
	// in without a second factor (trusted network, remembered device) must
	// prove one first, unless the user has no usable token.
	stepUp    bool
	get, post gin.HandlerFunc
}

// actions are the implemented actions by id.
var actions = map[string]action{}

func register(id string, a action) {
	if _, dup := actions[id]; dup {
		panic("portal action registered twice: " + id)
	}
	actions[id] = a
}

// implemented reports whether this build offers action id.
func (h *Handler) implemented(id string) bool {
	_, ok := actions[id]
	return ok
}

// action dispatches /actions/:action. An action the portal has switched
// off, or that this user cannot use, does not exist for them (404).
func (h *Handler) action(c *gin.Context) {
	id := c.Param("action")
	a, ok := actions[id]
	p, u := portalOf(c), userOf(c)
	if !ok || !p.ActionEnabled(id) {
		h.notFound(c)
		return
	}
	tokens, err := h.Svc.Store.UserTokens(c.Request.Context(), u.ID, p.ResourceID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !workflow.ActionApplies(id, p, u, tokens) {
		h.notFound(c)
		return
	}
	if a.sensitive && !h.recent(c) {
		c.Redirect(http.StatusSeeOther, base(c)+"/reauth?next="+url.QueryEscape("/actions/"+id))
		return
	}
	if a.stepUp && !h.Sessions.GetBool(c.Request.Context(), keySecondFactor) && workflow.HasUsableToken(tokens) {
		c.Redirect(http.StatusSeeOther, base(c)+"/step-up?next="+url.QueryEscape("/actions/"+id))
		return
	}
	c.Set("tokens", tokens)
	c.Set("handler", h)
	if c.Request.Method == http.MethodPost {
		a.post(c)
	} else {
		a.get(c)
	}
}

// method adapts a Handler method for register: actions register in init,
// before there is a Handler, and action hands its Handler to them.
func method(f func(*Handler, *gin.Context)) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _ := c.Get("handler")
		f(v.(*Handler), c)
	}
}

// tokensOf are the user's tokens on this resource, loaded by action.
func tokensOf(c *gin.Context) []workflow.Token {
	v, _ := c.Get("tokens")
	t, _ := v.([]workflow.Token)
	return t
}

func (h *Handler) notFound(c *gin.Context) {
	_ = views.Render(c.Writer, c.Request, http.StatusNotFound, views.PortalMessage(h.chrome(c, i18n.T(c.Request.Context(), "portal.not_available.title")),
		i18n.T(c.Request.Context(), "portal.not_available.title"), i18n.T(c.Request.Context(), "portal.not_available.message")))
}

// safeNext keeps a redirect target inside this portal.
func safeNext(c *gin.Context, next string) string {
	if !strings.HasPrefix(next, "/actions/") || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") {
		return base(c) + "/home"
	}
	return base(c) + next
}

// reauthPage asks for the password, or an OTP; a user with neither password
// nor token gets a code by email (sent each time the page is shown).
func (h *Handler) reauthPage(c *gin.Context) {
	ctx := c.Request.Context()
	u := userOf(c)
	v := views.Reauth{Next: c.Query("next"), Password: u.PasswordHash != ""}
	byEmail, err := h.Svc.ReauthByEmail(ctx, portalOf(c), u)
	if err == nil && byEmail {
		v.CodeSentTo, err = h.Svc.SendReauthCode(ctx, portalOf(c), u)
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if !v.Password && !byEmail {
		v.KeyOptions = h.stepUpKey(c)
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.ReauthPage(h.chrome(c, i18n.T(ctx, "portal.reauth.title")), v))
}

func (h *Handler) reauth(c *gin.Context) {
	ctx := c.Request.Context()
	u := userOf(c)
	next := c.PostForm("next")
	if answer, ok := keyAnswer(c); ok && u.PasswordHash == "" {
		// No password: a security key confirms, as a token's code does.
		cer := h.takeCeremony(c)
		if err := h.Svc.StepUpKey(ctx, portalOf(c), u, cer, answer, meta(c)); err != nil {
			v := views.Reauth{Next: next, KeyOptions: h.stepUpKey(c), Form: views.Form{Message: i18n.ErrorMessage(ctx, err)}}
			_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err), views.ReauthPage(h.chrome(c, i18n.T(ctx, "portal.reauth.title")), v))
			return
		}
		h.Sessions.Put(ctx, keyAuthAt, h.Svc.Now().Unix())
		h.Sessions.Put(ctx, keySecondFactor, true)
		h.addFactor(c, workflow.FactorStepUp)
		c.Redirect(http.StatusSeeOther, safeNext(c, next))
		return
	}
	secret := c.PostForm("password")
	byEmail := false
	if u.PasswordHash == "" {
		secret = c.PostForm("otp")
		var err error
		if byEmail, err = h.Svc.ReauthByEmail(ctx, portalOf(c), u); err != nil {
			h.fail(c, err)
			return
		}
		if byEmail {
			secret = c.PostForm("email_code")
		}
	}
	if err := h.Svc.Reauthenticate(ctx, portalOf(c), u, secret, meta(c)); err != nil {
		v := views.Reauth{Next: next, Password: u.PasswordHash != "", Form: views.Form{Message: i18n.ErrorMessage(c.Request.Context(), err)}}
		if byEmail {
			v.CodeSentTo = workflow.MaskEmail(u.Email)
		} else if !v.Password {
			v.KeyOptions = h.stepUpKey(c)
		}
		_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err), views.ReauthPage(h.chrome(c, i18n.T(ctx, "portal.reauth.title")), v))
		return
	}
	h.Sessions.Put(ctx, keyAuthAt, h.Svc.Now().Unix())
	if u.PasswordHash == "" && !byEmail {
		h.Sessions.Put(ctx, keySecondFactor, true) // confirmed with a token's code
		h.addFactor(c, workflow.FactorStepUp)
	}
	c.Redirect(http.StatusSeeOther, safeNext(c, next))
}

// stepUpPage asks a session without a proven second factor for an OTP or
// a recovery code before a token action (action.stepUp).
func (h *Handler) stepUpPage(c *gin.Context) {
	sentTo, err := h.Svc.StepUpStart(c.Request.Context(), portalOf(c), userOf(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	v := views.StepUp{Next: c.Query("next"), CodeSentTo: sentTo, KeyOptions: h.stepUpKey(c)}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.StepUpPage(h.chrome(c, i18n.T(c.Request.Context(), "portal.step_up.title")), v))
}

func (h *Handler) stepUp(c *gin.Context) {
	ctx := c.Request.Context()
	next := c.PostForm("next")
	prove := func() error { return h.Svc.StepUp(ctx, portalOf(c), userOf(c), c.PostForm("otp"), meta(c)) }
	if answer, ok := keyAnswer(c); ok {
		cer := h.takeCeremony(c)
		prove = func() error { return h.Svc.StepUpKey(ctx, portalOf(c), userOf(c), cer, answer, meta(c)) }
	}
	if err := prove(); err != nil {
		msg := i18n.T(ctx, "portal.step_up.wrong")
		if workflow.IsFault(err) {
			msg = i18n.ErrorMessage(ctx, err)
		}
		v := views.StepUp{Next: next, KeyOptions: h.stepUpKey(c), Form: views.Form{Errors: map[string]string{"otp": msg}}}
		_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err), views.StepUpPage(h.chrome(c, i18n.T(ctx, "portal.step_up.title")), v))
		return
	}
	h.Sessions.Put(ctx, keySecondFactor, true)
	h.Sessions.Put(ctx, keyAuthAt, h.Svc.Now().Unix())
	h.addFactor(c, workflow.FactorStepUp)
	c.Redirect(http.StatusSeeOther, safeNext(c, next))
}
