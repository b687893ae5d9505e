// Package admin serves the admin console under /admin and the JSON API under
// /api/v1. One file per area; access rules are middleware on route groups.
package admin

import (
	"log/slog"
	"net/http"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// Handler holds what the admin pages and the API need.
type Handler struct {
	Svc      *workflow.Service
	Sessions *scs.SessionManager
	Log      *slog.Logger
	// Notifier renders and sends mail (the settings' preview and test send)
	// and caches the stored mail settings, which a save here invalidates.
	Notifier *notify.Notifier
}

// Session keys of the admin console.
const (
	keyAdminID   = "admin_id"
	keyAuthAt    = "auth_at"
	keyPendingID = "pending_admin_id"
	keyPendingAt = "pending_at"
	keyEnrol     = "enrol_secret"
	keyEnrolKey  = "enrol_key_id"
	keyStamp     = "admin_stamp" // workflow.Admin.SessionStamp at sign-in
	keyFlash     = "flash"
	keyFlashErr  = "flash_error"
)

// Routes registers the console on g (/admin), which already carries the
// session and cross-origin middleware.
func (h *Handler) Routes(g *gin.RouterGroup) {
	g.Use(func(c *gin.Context) { c.Request = i18n.SwitchAt(c.Request, "/admin/language") })
	g.POST("/language", h.chooseLanguage)
	g.GET("/login", h.loginPage)
	g.POST("/login", h.login)
	g.GET("/login/totp", h.totpPage)
	g.POST("/login/totp", h.totp)
	g.GET("/login/enrol", h.enrolPage)
	g.POST("/login/enrol", h.enrol)
	g.POST("/logout", h.logout)

	in := g.Group("", h.requireAdmin)
	in.GET("/", h.allow(anyAdmin...), h.dashboard)
	h.userRoutes(in)
	h.resourceRoutes(in)
	h.portalRoutes(in)
	h.radiusRoutes(in)
	h.directoryRoutes(in)
	h.tokenRoutes(in)
	h.issueRoutes(in)
	h.notificationRoutes(in)
	h.activityRoutes(in)
	h.adminAccountRoutes(in)
	h.apiKeyRoutes(in)
	h.settingsRoutes(in)
}

func meta(c *gin.Context) workflow.Meta {
	return workflow.Meta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
}

// current is the signed-in admin, set by requireAdmin.
func current(c *gin.Context) workflow.Admin {
	a, _ := c.Get("admin")
	return a.(workflow.Admin)
}

// requireAdmin lets only signed-in, enabled admins through; everybody else is
// sent to the sign-in page. The admin is loaded on every request, so a
// disabled account, or one whose TOTP or password was reset since this
// session signed in (the session stamp), is signed out at once.
func (h *Handler) requireAdmin(c *gin.Context) {
	ctx := c.Request.Context()
	id := h.Sessions.GetInt64(ctx, keyAdminID)
	if id == 0 {
		c.Redirect(http.StatusSeeOther, "/admin/login")
		c.Abort()
		return
	}
	a, err := h.Svc.Store.AdminByID(ctx, id)
	if err != nil && workflow.ErrorCode(err) != workflow.CodeNotFound {
		h.fail(c, err)
		return
	}
	if err != nil || a.Disabled || h.Sessions.GetString(ctx, keyStamp) != a.SessionStamp() {
		_ = h.Sessions.Destroy(ctx)
		c.Redirect(http.StatusSeeOther, "/admin/login")
		c.Abort()
		return
	}
	if a.Language != "" {
		c.Request = i18n.Use(c.Request, a.Language)
	}
	c.Set("admin", a)
	c.Next()
}

// chrome is the layout data of a signed-in page.
func (h *Handler) chrome(c *gin.Context, section string) views.AdminChrome {
	n, err := h.Svc.Store.OpenIssueCount(c.Request.Context(), scopeOf(c))
	if err != nil {
		n = 0
	}
	return h.chromeCounted(c, section, n)
}

// chromeCounted is chrome with the number of open issues in the admin's
// scope counted already (the User Issues list counts them for its pager:
// at 100,000 open issues, counting twice costs a third of the page).
func (h *Handler) chromeCounted(c *gin.Context, section string, openIssues int) views.AdminChrome {
	a := current(c)
	return views.AdminChrome{Login: a.Login, Role: a.Role, Section: section, Flash: h.Sessions.PopString(c.Request.Context(), keyFlash),
		FlashError: h.Sessions.PopString(c.Request.Context(), keyFlashErr), OpenIssues: openIssues}
}

// fail answers err, as an error page or under /api/ as the API's error
// body, and stops the request; internals are logged, never shown.
func (h *Handler) fail(c *gin.Context, err error) {
	views.Fail(c.Writer, c.Request, h.Log, err)
	c.Abort()
}
