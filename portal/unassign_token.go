package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

// unassign-token (SPEC §5.4): a token leaves this resource and stays the
// user's.
func init() {
	register("unassign-token", action{sensitive: true, stepUp: true, get: method((*Handler).unassignTokenPage), post: method((*Handler).unassignToken)})
}

func (h *Handler) unassignTokenPage(c *gin.Context) {
	h.tokenPage(c, "unassign-token", http.StatusOK, queryForm(c), "", views.UnassignTokenPage)
}

func (h *Handler) unassignToken(c *gin.Context) {
	t, err := h.Svc.UnassignToken(c.Request.Context(), portalOf(c), userOf(c), c.PostForm("serial"), meta(c))
	if err != nil {
		h.tokenFailed(c, "unassign-token", err, views.UnassignTokenPage, "serial")
		return
	}
	h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.unassigned", "Serial", t.Serial, "Resource", portalOf(c).ResourceName))
}
