// Package portal serves the self-service portals at /selfservice/<alias>:
// one file per page or action. Access rules are middleware: loadPortal
// (the alias exists and is enabled) and requireUser (a signed-in user of
// this portal).
package portal

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Handler holds what the portal pages need.
type Handler struct {
	Svc      *workflow.Service
	Sessions *scs.SessionManager
	Log      *slog.Logger
	// Secure marks cookies Secure (BASE_URL is https).
	Secure bool
}

// Session keys of the portal.
const (
	keyAlias  = "alias"
	keyUserID = "user_id"
	keyAuthAt = "auth_at"
	// keySecondFactor is set when the session proved a second factor (at
	// sign-in or by a step-up).
	keySecondFactor = "second_factor"
	// keyFactors is how the session signed in (workflow.Factor…, comma
	// separated), with "step_up" added by a step-up: an enrolment issue
	// shows it to the helpdesk (SPEC §15).
	keyFactors = "factors"
	keyFlow    = "flow"
	keyRestore = "restore"
	keyFlash   = "flash"
	// keyEnded says that a form was posted after the session had ended;
	// keyKept holds the non-secret fields it carried (keptForm).
	keyEnded = "session_ended"
	keyKept  = "kept"
)

// reauthAfter is how long a sign-in counts as recent for sensitive actions.
const reauthAfter = 10 * time.Minute

// Routes registers the portal on g (/selfservice), which already carries the
// session and cross-origin middleware.
func (h *Handler) Routes(g *gin.RouterGroup) {
	p := g.Group("/:alias", h.loadPortal)
	p.GET("", h.start)
	p.GET("/login", h.loginPage)
	p.POST("/login", h.login)
	p.POST("/logout", h.logout)
	p.POST("/language", h.chooseLanguage)
	p.GET("/restore", h.restorePage)
	p.POST("/restore", h.restore)

	in := p.Group("", h.requireUser)
	in.GET("/home", h.home)
	in.GET("/reauth", h.reauthPage)
	in.POST("/reauth", h.reauth)
	in.GET("/step-up", h.stepUpPage)
	in.POST("/step-up", h.stepUp)
	in.GET("/actions/:action", h.action)
	in.POST("/actions/:action", h.action)
}

func meta(c *gin.Context) workflow.Meta {
	m := workflow.Meta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
	if f, ok := c.Get("factors"); ok {
		m.SignIn = f.([]string)
	}
	return m
}

// addFactor records one more way the session proved itself.
func (h *Handler) addFactor(c *gin.Context, factor string) {
	ctx := c.Request.Context()
	have := h.Sessions.GetString(ctx, keyFactors)
	if have != "" {
		have += ","
	}
	h.Sessions.Put(ctx, keyFactors, have+factor)
}

func portalOf(c *gin.Context) workflow.Portal {
	v, _ := c.Get("portal")
	return v.(workflow.Portal)
}

func userOf(c *gin.Context) workflow.User {
	v, _ := c.Get("user")
	return v.(workflow.User)
}

// base is the path of the portal, /selfservice/<alias>.
func base(c *gin.Context) string { return "/selfservice/" + portalOf(c).Alias }

// loadPortal answers 404 for unknown and disabled aliases. Aliases are
// lower-case: /selfservice/Demo/… is the portal demo, and a GET is sent to
// its canonical address (the device cookie's path). Error pages of a
// portal link to its start, not to the console.
func (h *Handler) loadPortal(c *gin.Context) {
	p, ok := h.portalAt(c, c.Param("alias"))
	if !ok {
		c.Abort()
		return
	}
	if p.Alias != c.Param("alias") && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
		u := *c.Request.URL
		u.Path = "/selfservice/" + p.Alias + strings.TrimPrefix(u.Path, "/selfservice/"+c.Param("alias"))
		u.RawPath = ""
		c.Redirect(http.StatusMovedPermanently, u.RequestURI())
		c.Abort()
		return
	}
	c.Set("portal", p)
	c.Request = i18n.SwitchAt(c.Request, "/selfservice/"+p.Alias+"/language")
	c.Next()
}

// portalAt loads the enabled portal of alias, matched without regard to
// case; otherwise it answers (404, or the fault) and reports false. From
// here on the request's error pages link to the portal's start.
func (h *Handler) portalAt(c *gin.Context, alias string) (workflow.Portal, bool) {
	ctx := c.Request.Context()
	p, err := h.Svc.Store.PortalByAlias(ctx, strings.ToLower(alias))
	if err == nil && p.Enabled {
		c.Request = c.Request.WithContext(views.WithStartLink(ctx, "/selfservice/"+p.Alias+"/"))
		return p, true
	}
	// No portal here: no link to the console's sign-in either, and the
	// language switcher comes back to this page.
	c.Request = i18n.SwitchAt(c.Request.WithContext(views.WithStartLink(ctx, "")), "/language")
	if err != nil && workflow.ErrorCode(err) != workflow.CodeNotFound {
		views.Fail(c.Writer, c.Request, h.Log, err)
		return p, false
	}
	_ = views.Render(c.Writer, c.Request, http.StatusNotFound, views.ErrorPage(404, i18n.T(ctx, "portal.not_found.title"),
		i18n.T(ctx, "portal.not_found.message")))
	return p, false
}

// NotFound answers a path under /selfservice that no route serves (the
// app's NoRoute hands them here): the 404 page of the portal named by the
// path's first segment, linking to that portal's start.
func (h *Handler) NotFound(c *gin.Context) {
	alias, _, _ := strings.Cut(strings.TrimPrefix(c.Request.URL.Path, "/selfservice/"), "/")
	p, ok := h.portalAt(c, alias)
	if !ok {
		return
	}
	c.Request = i18n.SwitchAt(c.Request, "/selfservice/"+p.Alias+"/language")
	ctx := c.Request.Context()
	_ = views.Render(c.Writer, c.Request, http.StatusNotFound, views.ErrorPage(404, i18n.T(ctx, "portal.page_not_found.title"),
		i18n.T(ctx, "portal.page_not_found.message")))
}

// signedIn returns the id of the user signed in to this portal, or 0. A
// session made for another portal does not count here.
func (h *Handler) signedIn(c *gin.Context) int64 {
	ctx := c.Request.Context()
	if h.Sessions.GetString(ctx, keyAlias) != portalOf(c).Alias {
		return 0
	}
	return h.Sessions.GetInt64(ctx, keyUserID)
}

// requireUser lets through a signed-in user of this portal who is still
// enabled and assigned to its resource.
func (h *Handler) requireUser(c *gin.Context) {
	ctx := c.Request.Context()
	id := h.signedIn(c)
	if id == 0 {
		if c.Request.Method == http.MethodPost {
			h.sessionEnded(c)
		}
		c.Redirect(http.StatusSeeOther, base(c)+"/login")
		c.Abort()
		return
	}
	u, err := h.Svc.Store.UserByID(ctx, id)
	assigned := false
	if err == nil {
		assigned, err = h.Svc.Store.IsAssigned(ctx, portalOf(c).ResourceID, id)
	}
	if err != nil && workflow.ErrorCode(err) != workflow.CodeNotFound {
		h.fail(c, err)
		return
	}
	if err != nil || u.Disabled || !assigned {
		_ = h.Sessions.Destroy(ctx)
		c.Redirect(http.StatusSeeOther, base(c)+"/login")
		c.Abort()
		return
	}
	c.Request = h.userLanguage(c, u)
	c.Set("user", u)
	if f := h.Sessions.GetString(ctx, keyFactors); f != "" {
		c.Set("factors", strings.Split(f, ","))
	}
	c.Next()
}

// recent reports whether the user signed in or re-authenticated within
// reauthAfter.
func (h *Handler) recent(c *gin.Context) bool {
	at := h.Sessions.GetInt64(c.Request.Context(), keyAuthAt)
	return h.Svc.Now().Sub(time.Unix(at, 0)) <= reauthAfter
}

// flow is the sign-in in progress, if any, for this portal.
func (h *Handler) flow(c *gin.Context) (workflow.LoginFlow, bool) {
	var f workflow.LoginFlow
	b := h.Sessions.GetBytes(c.Request.Context(), keyFlow)
	if len(b) == 0 || json.Unmarshal(b, &f) != nil || f.ResourceID != portalOf(c).ResourceID || f.Expired(h.Svc.Now()) {
		return workflow.LoginFlow{}, false
	}
	return f, true
}

func (h *Handler) saveFlow(c *gin.Context, f workflow.LoginFlow) {
	b, _ := json.Marshal(f)
	h.Sessions.Put(c.Request.Context(), keyFlow, b)
}

// chrome is what every portal page shows around its content.
func (h *Handler) chrome(c *gin.Context, title string) views.PortalChrome {
	p := portalOf(c)
	ch := views.PortalChrome{Resource: p.ResourceName, Alias: p.Alias, Title: title,
		Flash: h.Sessions.PopString(c.Request.Context(), keyFlash)}
	if v, ok := c.Get("user"); ok {
		ch.Login = v.(workflow.User).Login
	}
	return ch
}

// fail answers err with the error page and stops the request; internals
// are logged, never shown.
func (h *Handler) fail(c *gin.Context, err error) {
	views.Fail(c.Writer, c.Request, h.Log, err)
	c.Abort()
}

// done redirects after a successful POST with a message for the next page.
func (h *Handler) done(c *gin.Context, path, flash string) {
	if flash != "" {
		h.Sessions.Put(c.Request.Context(), keyFlash, flash)
	}
	c.Redirect(http.StatusSeeOther, path)
}

func (h *Handler) start(c *gin.Context) {
	if h.signedIn(c) != 0 {
		c.Redirect(http.StatusSeeOther, base(c)+"/home")
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/login")
}
