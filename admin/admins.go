package admin

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// adminAccountRoutes registers the Admin accounts area (SPEC §2, §7):
// superadmins only.
func (h *Handler) adminAccountRoutes(in *gin.RouterGroup) {
	g := in.Group("/admins", h.allow(superadmin...))
	g.GET("", h.admins)
	g.GET("/new", h.newAdminPage)
	g.POST("", h.createAdmin)
	g.GET("/:id", h.adminPage)
	g.POST("/:id", h.updateAdmin)
	g.POST("/:id/disable", h.switchAdmin(true))
	g.POST("/:id/enable", h.switchAdmin(false))
	g.GET("/:id/reset-totp", h.resetAdminTOTPPage)
	g.POST("/:id/reset-totp", h.resetAdminTOTP)
	g.GET("/:id/reset-password", h.resetAdminPasswordPage)
	g.POST("/:id/reset-password", h.resetAdminPassword)
}

// adminStatus names what keeps an admin from signing in, in words.
func (h *Handler) adminStatus(a workflow.Admin) []views.Status {
	var s []views.Status
	if a.Disabled {
		s = append(s, views.Status{Label: "disabled", Kind: "bad"})
	}
	if a.Locked(h.Svc.Now()) {
		s = append(s, views.Status{Label: "locked", Kind: "warn"})
	}
	return s
}

// adminRow shapes a for the list; names maps resource ids to names.
func (h *Handler) adminRow(c *gin.Context, a workflow.Admin, names map[int64]string) views.AdminRow {
	r := views.AdminRow{
		ID: a.ID, Login: a.Login, Role: string(a.Role), Email: a.Email, TOTP: a.HasTOTP(), Status: h.adminStatus(a),
		LastLogin: views.TimeUTCOr(a.LastLoginAt, "never"), Self: a.ID == current(c).ID,
	}
	for _, id := range a.OwnedResource {
		r.Resources = append(r.Resources, views.ResourceRef{ID: id, Name: names[id]})
	}
	return r
}

// resourceNames maps every resource's id to its name.
func (h *Handler) resourceNames(c *gin.Context) (map[int64]string, []workflow.ResourceRow, error) {
	rows, err := h.Svc.Store.ListResources(c.Request.Context())
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	return names, rows, nil
}

func (h *Handler) admins(c *gin.Context) {
	list, err := h.Svc.Store.ListAdmins(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	names, _, err := h.resourceNames(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	l := views.AdminList{}
	for _, a := range list {
		l.Rows = append(l.Rows, h.adminRow(c, a, names))
	}
	h.page(c, http.StatusOK, views.AdminsPage(h.chrome(c, "admins"), l))
}

// adminForm is the create or edit form with f, the resources ticked.
func (h *Handler) adminForm(c *gin.Context, f views.Form, ticked []int64) (views.AdminForm, error) {
	_, rows, err := h.resourceNames(c)
	if err != nil {
		return views.AdminForm{}, err
	}
	out := views.AdminForm{Form: f}
	for _, r := range rows {
		out.Resources = append(out.Resources, views.ResourceChoice{ID: r.ID, Name: r.Name, On: slices.Contains(ticked, r.ID)})
	}
	return out, nil
}

// postedAccount reads the email, role and ticked resources of the form;
// values are what to show again.
func postedAccount(c *gin.Context) (workflow.AdminAccount, map[string]string) {
	acct := workflow.AdminAccount{Email: c.PostForm("email"), Role: workflow.Role(c.PostForm("role"))}
	for _, v := range c.PostFormArray("resource_id") {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			acct.Resources = append(acct.Resources, id)
		}
	}
	return acct, map[string]string{"email": acct.Email, "role": string(acct.Role)}
}

func (h *Handler) newAdminPage(c *gin.Context) {
	f, err := h.adminForm(c, views.Form{Values: map[string]string{"role": string(workflow.RoleHelpdesk)}}, nil)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, http.StatusOK, views.AdminNewPage(h.chrome(c, "admins"), f))
}

func (h *Handler) createAdmin(c *gin.Context) {
	acct, values := postedAccount(c)
	login := c.PostForm("login")
	values["login"] = login
	a, password, err := h.Svc.CreateAdminAccount(c.Request.Context(), login, c.PostForm("password"), acct, current(c).Actor(), meta(c))
	if err != nil {
		if !formError(err) {
			h.fail(c, err)
			return
		}
		f, ferr := h.adminForm(c, views.FailedForm(c.Request.Context(), err, values), acct.Resources)
		if ferr != nil {
			h.fail(c, ferr)
			return
		}
		h.page(c, views.ErrorStatus(err), views.AdminNewPage(h.chrome(c, "admins"), f))
		return
	}
	if c.PostForm("password") != "" {
		// They know the password they typed: no need to show it.
		h.done(c, views.AdminHref(a.ID), "Admin "+a.Login+" was created with the password you typed. "+
			"They set up an authenticator app at the first sign-in.")
		return
	}
	h.showPassword(c, views.AdminPassword{ID: a.ID, Login: a.Login, Password: password, Created: true})
}

// showPassword answers with the page that shows a password once: it is
// not put in the session for a redirect, and must not be cached.
func (h *Handler) showPassword(c *gin.Context, p views.AdminPassword) {
	c.Header("Cache-Control", "no-store")
	h.page(c, http.StatusOK, views.AdminPasswordPage(h.chrome(c, "admins"), p))
}

// adminOf loads the admin account of the :id parameter; false when a page
// was rendered.
func (h *Handler) adminOf(c *gin.Context) (workflow.Admin, bool) { return h.adminParam(c, "id") }

// adminParam loads the admin whose id is the path parameter name; false
// when a page was rendered.
func (h *Handler) adminParam(c *gin.Context, name string) (workflow.Admin, bool) {
	id, ok := h.idParam(c, name)
	if !ok {
		return workflow.Admin{}, false
	}
	a, err := h.Svc.Store.AdminByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return a, false
	}
	return a, true
}

func (h *Handler) adminPage(c *gin.Context) {
	if a, ok := h.adminOf(c); ok {
		h.renderAdmin(c, a, http.StatusOK, views.Form{Values: map[string]string{"email": a.Email, "role": string(a.Role)}}, a.OwnedResource)
	}
}

// renderAdmin shows an admin's page with the edit form f and the resources
// ticked.
func (h *Handler) renderAdmin(c *gin.Context, a workflow.Admin, status int, f views.Form, ticked []int64) {
	names, _, err := h.resourceNames(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	edit, err := h.adminForm(c, f, ticked)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := views.AdminDetail{
		AdminRow: h.adminRow(c, a, names), Disabled: a.Disabled, Created: views.TimeUTC(a.CreatedAt),
		FailedLogins: a.FailedLogins, Edit: edit,
	}
	if a.Locked(h.Svc.Now()) {
		d.LockedUntil = views.TimeUTC(*a.LockedUntil)
	}
	h.page(c, status, views.AdminPage(h.chrome(c, "admins"), d))
}

func (h *Handler) updateAdmin(c *gin.Context) {
	a, ok := h.adminOf(c)
	if !ok {
		return
	}
	acct, values := postedAccount(c)
	updated, err := h.Svc.UpdateAdminAccount(c.Request.Context(), a.ID, acct, current(c).Actor(), meta(c))
	if err != nil {
		if !formError(err) {
			h.fail(c, err)
			return
		}
		h.renderAdmin(c, a, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values), acct.Resources)
		return
	}
	if updated.ID == current(c).ID && updated.Role != workflow.RoleSuperadmin {
		// They gave up their own superadmin role: this area is closed to
		// them from now on.
		h.done(c, "/admin/", "Your role is now "+string(updated.Role)+".")
		return
	}
	h.done(c, views.AdminHref(a.ID), "The changes to "+a.Login+" were saved.")
}

func (h *Handler) switchAdmin(disable bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		a, ok := h.adminOf(c)
		if !ok {
			return
		}
		_, err := h.Svc.SetAdminDisabled(c.Request.Context(), a.ID, disable, current(c).Actor(), meta(c))
		if workflow.ErrorCode(err) == workflow.CodeConflict {
			h.renderAdmin(c, a, http.StatusConflict, views.Form{Values: map[string]string{"email": a.Email, "role": string(a.Role)},
				Message: i18n.ErrorMessage(c.Request.Context(), err)}, a.OwnedResource)
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		msg := a.Login + " is enabled and may sign in again."
		if disable {
			msg = a.Login + " is disabled: signed out at once and can no longer sign in."
		}
		h.done(c, views.AdminHref(a.ID), msg)
	}
}

func (h *Handler) resetAdminTOTPPage(c *gin.Context) {
	a, ok := h.adminOf(c)
	if !ok {
		return
	}
	effects := []string{
		"The authenticator app enrolled for " + a.Login + " stops working for this console at once.",
		"Every session of " + a.Login + " ends now; the next sign-in asks for the password and then sets up a new authenticator app.",
		"The password and the role stay as they are.",
	}
	if !a.HasTOTP() {
		effects[0] = a.Login + " has no authenticator enrolled yet, so none stops working."
	}
	if a.ID == current(c).ID {
		effects = append(effects, "This is your own account: you are signed out too.")
	}
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "admins"), views.Confirm{
		Title: "Reset the TOTP of " + a.Login + "?", Lead: "This is what happens, at once:", Effects: effects,
		Action: views.AdminHref(a.ID) + "/reset-totp", Button: "Reset TOTP", Cancel: views.AdminHref(a.ID),
	}))
}

func (h *Handler) resetAdminTOTP(c *gin.Context) {
	a, ok := h.adminOf(c)
	if !ok {
		return
	}
	if _, err := h.Svc.ResetAdminTOTP(c.Request.Context(), a.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, views.AdminHref(a.ID), "The TOTP of "+a.Login+" was reset: their sessions have ended, and they set up a new authenticator app at the next sign-in.")
}

func (h *Handler) resetAdminPasswordPage(c *gin.Context) {
	a, ok := h.adminOf(c)
	if !ok {
		return
	}
	effects := []string{
		"A new password is generated for " + a.Login + " and shown to you once; the current one stops working.",
		"Every session of " + a.Login + " ends now, and a lock after failed sign-ins is lifted.",
		"The authenticator app and the role stay as they are.",
	}
	if a.ID == current(c).ID {
		effects[1] = "Your other sessions end now; this one goes on."
	}
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "admins"), views.Confirm{
		Title: "Reset the password of " + a.Login + "?", Lead: "This is what happens, at once:", Effects: effects,
		Action: views.AdminHref(a.ID) + "/reset-password", Button: "Reset password", Cancel: views.AdminHref(a.ID),
	}))
}

func (h *Handler) resetAdminPassword(c *gin.Context) {
	a, ok := h.adminOf(c)
	if !ok {
		return
	}
	updated, password, err := h.Svc.ResetAdminPassword(c.Request.Context(), a.ID, current(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	if updated.ID == current(c).ID {
		// Keep the session that did it.
		h.Sessions.Put(c.Request.Context(), keyStamp, updated.SessionStamp())
	}
	h.showPassword(c, views.AdminPassword{ID: a.ID, Login: a.Login, Password: password, TOTP: updated.HasTOTP()})
}
