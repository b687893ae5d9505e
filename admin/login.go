package admin

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// pendingFor is how long the second step of a sign-in may take.
const pendingFor = 5 * time.Minute

func (h *Handler) loginPage(c *gin.Context) {
	if h.Sessions.GetInt64(c.Request.Context(), keyAdminID) != 0 {
		c.Redirect(http.StatusSeeOther, "/admin/")
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.AdminLoginPage(views.Form{}))
}

func (h *Handler) login(c *gin.Context) {
	ctx := c.Request.Context()
	login, password := c.PostForm("login"), c.PostForm("password")
	a, err := h.Svc.AdminPassword(ctx, login, password, meta(c))
	if err != nil {
		_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err),
			views.AdminLoginPage(views.Form{Values: map[string]string{"login": login}, Message: i18n.ErrorMessage(c.Request.Context(), err)}))
		return
	}
	// A new token for the new privilege level: no session fixation.
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	h.Sessions.Remove(ctx, keyAdminID)
	h.Sessions.Put(ctx, keyPendingID, a.ID)
	h.Sessions.Put(ctx, keyPendingAt, h.Svc.Now().Unix())
	if a.HasTOTP() {
		c.Redirect(http.StatusSeeOther, "/admin/login/totp")
	} else {
		c.Redirect(http.StatusSeeOther, "/admin/login/enrol")
	}
}

// pendingAdmin returns the admin who passed the password step recently, or
// sends the browser back to the first step.
func (h *Handler) pendingAdmin(c *gin.Context) (workflow.Admin, bool) {
	ctx := c.Request.Context()
	id := h.Sessions.GetInt64(ctx, keyPendingID)
	at := h.Sessions.GetInt64(ctx, keyPendingAt)
	if id == 0 || h.Svc.Now().Sub(time.Unix(at, 0)) > pendingFor {
		h.Sessions.Remove(ctx, keyPendingID)
		c.Redirect(http.StatusSeeOther, "/admin/login")
		return workflow.Admin{}, false
	}
	a, err := h.Svc.Store.AdminByID(ctx, id)
	if err != nil {
		h.Sessions.Remove(ctx, keyPendingID)
		c.Redirect(http.StatusSeeOther, "/admin/login")
		return workflow.Admin{}, false
	}
	return a, true
}

func (h *Handler) totpPage(c *gin.Context) {
	a, ok := h.pendingAdmin(c)
	if !ok {
		return
	}
	if !a.HasTOTP() {
		c.Redirect(http.StatusSeeOther, "/admin/login/enrol")
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.AdminTOTPPage(a.Login, views.Form{}))
}

func (h *Handler) totp(c *gin.Context) {
	a, ok := h.pendingAdmin(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if _, err := h.Svc.AdminTOTP(ctx, a.ID, c.PostForm("code"), meta(c)); err != nil {
		_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err), views.AdminTOTPPage(a.Login, views.Form{Message: i18n.ErrorMessage(c.Request.Context(), err)}))
		return
	}
	h.signedIn(c, a)
}

// signedIn turns a pending sign-in into a session with a fresh token.
func (h *Handler) signedIn(c *gin.Context, a workflow.Admin) {
	ctx := c.Request.Context()
	// As stored now: an enrolment has just added the TOTP secret.
	a, err := h.Svc.Store.AdminByID(ctx, a.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	h.Sessions.Remove(ctx, keyPendingID)
	h.Sessions.Remove(ctx, keyPendingAt)
	h.Sessions.Remove(ctx, keyEnrol)
	h.Sessions.Remove(ctx, keyEnrolKey)
	h.Sessions.Put(ctx, keyAdminID, a.ID)
	h.Sessions.Put(ctx, keyStamp, a.SessionStamp())
	h.Sessions.Put(ctx, keyAuthAt, h.Svc.Now().Unix())
	c.Redirect(http.StatusSeeOther, "/admin/")
}

// enrolment returns the secret waiting for confirmation in this session,
// creating one on first use.
func (h *Handler) enrolment(c *gin.Context, a workflow.Admin) ([]byte, error) {
	ctx := c.Request.Context()
	if sealed := h.Sessions.GetBytes(ctx, keyEnrol); len(sealed) > 0 {
		return h.Svc.OpenEnrolmentSecret(a.ID, sealed, h.Sessions.GetString(ctx, keyEnrolKey))
	}
	secret := h.Svc.NewTOTPSecret()
	sealed, keyID, err := h.Svc.SealEnrolmentSecret(a.ID, secret)
	if err != nil {
		return nil, err
	}
	h.Sessions.Put(ctx, keyEnrol, sealed)
	h.Sessions.Put(ctx, keyEnrolKey, keyID)
	return secret, nil
}

func (h *Handler) renderEnrol(c *gin.Context, a workflow.Admin, secret []byte, status int, f views.Form) {
	e, err := h.Svc.AdminEnrolment(a, secret)
	if err != nil {
		h.fail(c, err)
		return
	}
	_ = views.Render(c.Writer, c.Request, status, views.AdminEnrolPage(views.AdminEnrol{
		Login: a.Login, Secret: e.Secret, URI: e.URI, Form: f,
		QRData: "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG),
	}))
}

// enrolling returns the pending admin who has to enrol TOTP and the secret
// offered to them; otherwise it redirects and returns false.
func (h *Handler) enrolling(c *gin.Context) (workflow.Admin, []byte, bool) {
	a, ok := h.pendingAdmin(c)
	if !ok {
		return a, nil, false
	}
	if a.HasTOTP() {
		c.Redirect(http.StatusSeeOther, "/admin/login/totp")
		return a, nil, false
	}
	secret, err := h.enrolment(c, a)
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return a, nil, false
	}
	return a, secret, true
}

func (h *Handler) enrolPage(c *gin.Context) {
	if a, secret, ok := h.enrolling(c); ok {
		h.renderEnrol(c, a, secret, http.StatusOK, views.Form{})
	}
}

func (h *Handler) enrol(c *gin.Context) {
	a, secret, ok := h.enrolling(c)
	if !ok {
		return
	}
	if _, err := h.Svc.EnrolAdminTOTP(c.Request.Context(), a.ID, secret, c.PostForm("code"), meta(c)); err != nil {
		if workflow.ErrorCode(err) == workflow.CodeInvalid {
			h.renderEnrol(c, a, secret, http.StatusUnprocessableEntity, views.Form{Errors: i18n.ErrorFields(c.Request.Context(), err)})
			return
		}
		h.fail(c, err)
		return
	}
	h.signedIn(c, a)
}

func (h *Handler) logout(c *gin.Context) {
	ctx := c.Request.Context()
	if id := h.Sessions.GetInt64(ctx, keyAdminID); id != 0 {
		if a, err := h.Svc.Store.AdminByID(ctx, id); err == nil {
			h.Svc.AdminLogoff(ctx, a, meta(c))
		}
	}
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/login")
}
