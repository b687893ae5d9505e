// Package portal serves the self-service portals at /selfservice/<alias>:
// one file per page or action.
package portal

import (
	"log/slog"
	"net/http"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// Handler holds what the portal pages need.
type Handler struct {
	Svc      *workflow.Service
	Sessions *scs.SessionManager
	Log      *slog.Logger
}

// Routes registers the portal on g (/selfservice), which already carries the
// session and cross-origin middleware.
func (h *Handler) Routes(g *gin.RouterGroup) {
	g.GET("/:alias", h.start)
}

// start is the front page of a portal; unknown and disabled aliases are 404.
func (h *Handler) start(c *gin.Context) {
	p, err := h.Svc.Store.PortalByAlias(c.Request.Context(), c.Param("alias"))
	if err != nil || !p.Enabled {
		if err != nil && workflow.ErrorCode(err) != workflow.CodeNotFound {
			h.Log.ErrorContext(c.Request.Context(), "portal lookup failed", "err", err)
			_ = views.Render(c.Writer, c.Request, http.StatusServiceUnavailable, views.ErrorPage(503, "Temporarily unavailable", workflow.ErrorMessage(err)))
			return
		}
		_ = views.Render(c.Writer, c.Request, http.StatusNotFound, views.ErrorPage(404, "Portal not found", "There is no self-service portal at this address."))
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.PortalUnavailable(p.ResourceName))
}
