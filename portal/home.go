package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

func (h *Handler) home(c *gin.Context) {
	home, err := h.Svc.Home(c.Request.Context(), portalOf(c), userOf(c), h.implemented)
	if err != nil {
		h.fail(c, err)
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.PortalHome(h.chrome(c, i18n.T(c.Request.Context(), "portal.home.title")),
		views.Home{User: home.User, Tokens: home.Tokens, Actions: home.Actions}))
}
