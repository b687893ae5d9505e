package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

// remove-pin (SPEC §5.7): confirmed with PIN and code together.
func init() {
	register("remove-pin", action{sensitive: true, get: method((*Handler).removePINPage), post: method((*Handler).removePIN)})
}

func (h *Handler) removePINPage(c *gin.Context) {
	h.tokenPage(c, "remove-pin", http.StatusOK, queryForm(c), "", views.RemovePINPage)
}

func (h *Handler) removePIN(c *gin.Context) {
	if c.PostForm("send") != "" {
		h.sendActionCode(c, "remove-pin", views.RemovePINPage)
		return
	}
	t, err := h.Svc.RemovePIN(c.Request.Context(), portalOf(c), userOf(c), tokenCodeForm(c), meta(c))
	if err != nil {
		h.tokenFailed(c, "remove-pin", err, views.RemovePINPage, "serial")
		return
	}
	h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.pin_removed", "Serial", t.Serial))
}
