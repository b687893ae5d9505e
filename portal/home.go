package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

func (h *Handler) home(c *gin.Context) {
	ctx := c.Request.Context()
	if h.Sessions.GetBool(ctx, keySecondFactor) {
		// The recovery codes of a first token the helpdesk approved: shown
		// here, once, in a session that proved a second factor.
		codes, err := h.Svc.DueRecoveryCodes(ctx, portalOf(c), userOf(c), meta(c))
		if err != nil {
			h.fail(c, err)
			return
		}
		if len(codes) > 0 {
			c.Header("Cache-Control", "no-store")
			_ = views.Render(c.Writer, c.Request, http.StatusOK, views.TokenApprovedPage(h.chrome(c, i18n.T(ctx, "portal.approved.title")), codes))
			return
		}
	}
	home, err := h.Svc.Home(c.Request.Context(), portalOf(c), userOf(c), h.implemented)
	if err != nil {
		h.fail(c, err)
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.PortalHome(h.chrome(c, i18n.T(c.Request.Context(), "portal.home.title")),
		views.Home{User: home.User, Tokens: home.Tokens, Actions: home.Actions}))
}
