package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
)

func (h *Handler) home(c *gin.Context) {
	home, err := h.Svc.Home(c.Request.Context(), portalOf(c), userOf(c), h.implemented)
	if err != nil {
		h.fail(c, err)
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.PortalHome(h.chrome(c, "Start"),
		views.Home{User: home.User, Tokens: home.Tokens, Actions: home.Actions}))
}
