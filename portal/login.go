package portal

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// deviceCookie remembers a browser (SPEC §4.4); it is scoped to one portal.
const deviceCookie = "tp_device"

func (h *Handler) loginView(c *gin.Context, f workflow.LoginFlow, form views.Form) views.Login {
	p := portalOf(c)
	v := views.Login{Step: string(f.Step), Login: f.Login, CodeSentTo: f.CodeSentTo, Form: form,
		Remember: p.RememberDeviceDays > 0, RememberDays: p.RememberDeviceDays}
	switch {
	case f.Step == workflow.StepOTP && f.Keys:
		v.KeyOptions = h.beginKey(c, func(ctx context.Context) ([]byte, workflow.Ceremony, error) {
			return h.Svc.KeySignInOptions(ctx, p, f)
		})
	case f.Step == workflow.StepLogin && p.PasskeyLogin:
		v.PasskeyOptions = h.beginKey(c, func(ctx context.Context) ([]byte, workflow.Ceremony, error) {
			return h.Svc.PasskeyOptions(ctx, p)
		})
	}
	return v
}

func (h *Handler) loginPage(c *gin.Context) {
	if h.signedIn(c) != 0 {
		c.Redirect(http.StatusSeeOther, base(c)+"/home")
		return
	}
	f, ok := h.flow(c)
	if !ok || c.Query("restart") != "" {
		h.Sessions.Remove(c.Request.Context(), keyFlow)
		f = workflow.LoginFlow{Step: workflow.StepLogin}
	}
	v := h.loginView(c, f, views.Form{})
	v.Notice = h.endedNotice(c)
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.LoginPage(h.chrome(c, i18n.T(c.Request.Context(), "portal.sign_in.title")), v))
}

// login advances the sign-in by one step; each step is a POST of its form
// followed by a redirect to the next page (or the failure page).
func (h *Handler) login(c *gin.Context) {
	ctx := c.Request.Context()
	p, m := portalOf(c), meta(c)
	f, ok := h.flow(c)
	var err error
	if c.PostForm("passkey") != "" {
		// "Sign in with a passkey": the key names the user.
		answer, _ := keyAnswer(c)
		if f, err = h.Svc.LoginPasskey(ctx, p, h.takeCeremony(c), answer, m); err != nil {
			h.loginFailed(c, workflow.LoginFlow{Step: workflow.StepLogin}, views.Form{}, err)
			return
		}
		h.complete(c, f)
		return
	}
	if !ok || c.PostForm("login") != "" {
		login := c.PostForm("login")
		if f, err = h.Svc.LoginStart(ctx, p, login, m); err != nil {
			h.loginFailed(c, workflow.LoginFlow{Step: workflow.StepLogin}, views.Form{Values: map[string]string{"login": login}}, err)
			return
		}
		h.saveFlow(c, f)
		c.Redirect(http.StatusSeeOther, base(c)+"/login")
		return
	}
	device := ""
	if ck, err := c.Request.Cookie(deviceCookie); err == nil {
		device = ck.Value
	}
	switch {
	case f.Step == workflow.StepPassword && c.PostForm("send_code") != "":
		// "Email me a sign-in code instead", offered to everyone.
		f, err = h.Svc.LoginRequestCode(ctx, p, f, m)
	case f.Step == workflow.StepPassword:
		f, err = h.Svc.LoginFirstFactor(ctx, p, f, c.PostForm("password"), device, m)
	case f.Step == workflow.StepEmailCode:
		f, err = h.Svc.LoginFirstFactor(ctx, p, f, c.PostForm("email_code"), device, m)
	case f.Step == workflow.StepNewPassword:
		f, err = h.Svc.LoginNewPassword(ctx, p, f, c.PostForm("new_password"), device, m)
	case f.Step == workflow.StepOTP && c.PostForm("credential") != "":
		answer, _ := keyAnswer(c)
		f, err = h.Svc.LoginSecurityKey(ctx, p, f, h.takeCeremony(c), answer, m)
	case f.Step == workflow.StepOTP:
		f, err = h.Svc.LoginSecondFactor(ctx, p, f, c.PostForm("otp"), m)
	default:
		err = workflow.ErrLoginFailed
	}
	if err != nil {
		if workflow.ErrorCode(err) == workflow.CodeInvalid {
			// A new password that breaks the policy, or a right code that
			// was used already: same step, with hints.
			_ = views.Render(c.Writer, c.Request, http.StatusUnprocessableEntity,
				views.LoginPage(h.chrome(c, i18n.T(c.Request.Context(), "portal.sign_in.title")), h.loginView(c, f, views.Form{Errors: i18n.ErrorFields(c.Request.Context(), err)})))
			return
		}
		h.loginFailed(c, workflow.LoginFlow{Step: workflow.StepLogin}, views.Form{}, err)
		return
	}
	if f.Step != workflow.StepDone {
		h.saveFlow(c, f)
		c.Redirect(http.StatusSeeOther, base(c)+"/login")
		return
	}
	h.complete(c, f)
}

// loginFailed ends the sign-in and shows the first step again with the
// message: "Login failed." for every failure, whatever failed.
func (h *Handler) loginFailed(c *gin.Context, f workflow.LoginFlow, form views.Form, err error) {
	h.Sessions.Remove(c.Request.Context(), keyFlow)
	status := views.ErrorStatus(err)
	if status >= 500 {
		h.Log.ErrorContext(c.Request.Context(), "portal sign-in failed", "err", err)
	}
	form.Message = i18n.ErrorMessage(c.Request.Context(), err)
	if workflow.ErrorCode(err) == workflow.CodeInvalid && len(workflow.ErrorFieldMsgs(err)) > 0 {
		form.Errors, form.Message = i18n.ErrorFields(c.Request.Context(), err), ""
	}
	_ = views.Render(c.Writer, c.Request, status, views.LoginPage(h.chrome(c, i18n.T(c.Request.Context(), "portal.sign_in.title")), h.loginView(c, f, form)))
}

// complete turns a finished flow into a session: a new session token (no
// fixation) bound to this portal, the device remembered when asked.
func (h *Handler) complete(c *gin.Context, f workflow.LoginFlow) {
	ctx := c.Request.Context()
	p, m := portalOf(c), meta(c)
	u, err := h.Svc.LoginComplete(ctx, p, f, m)
	if err != nil {
		h.loginFailed(c, workflow.LoginFlow{Step: workflow.StepLogin}, views.Form{}, err)
		return
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	h.Sessions.Remove(ctx, keyFlow)
	h.Sessions.Put(ctx, keyAlias, p.Alias)
	h.Sessions.Put(ctx, keyUserID, u.ID)
	h.Sessions.Put(ctx, keyAuthAt, h.Svc.Now().Unix())
	h.Sessions.Put(ctx, keySecondFactor, f.SecondFactor)
	h.Sessions.Put(ctx, keyFactors, strings.Join(f.Factors, ","))
	if c.PostForm("remember") == "1" && f.SecondFactor && p.RememberDeviceDays > 0 {
		token, expires, err := h.Svc.RememberDevice(ctx, p, u, m)
		if err != nil {
			h.Log.ErrorContext(ctx, "device not remembered", "err", err)
		} else {
			http.SetCookie(c.Writer, &http.Cookie{Name: deviceCookie, Value: token, Path: base(c), Expires: expires,
				MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
		}
	}
	tokens, err := h.Svc.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err == nil && workflow.NeedsToken(p, tokens) && h.implemented("register-token") {
		c.Redirect(http.StatusSeeOther, base(c)+"/actions/register-token")
		return
	}
	if k, ok := h.keptAction(c); ok {
		// A form posted after the session ended: back to it, with its input.
		c.Redirect(http.StatusSeeOther, safeNext(c, "/actions/"+k.Action))
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/home")
}

func (h *Handler) logout(c *gin.Context) {
	ctx := c.Request.Context()
	if id := h.signedIn(c); id != 0 {
		if u, err := h.Svc.Store.UserByID(ctx, id); err == nil {
			h.Svc.UserLogoff(ctx, portalOf(c), u, meta(c))
		}
	}
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/login")
}
