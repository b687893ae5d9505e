package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// sync-token (SPEC §5.5): two consecutive codes realign a TOTP/HOTP token.
func init() {
	register("sync-token", action{get: method((*Handler).syncTokenPage), post: method((*Handler).syncToken)})
}

func (h *Handler) syncTokenPage(c *gin.Context) {
	h.tokenPage(c, "sync-token", http.StatusOK, queryForm(c), "", views.SyncTokenPage)
}

func (h *Handler) syncToken(c *gin.Context) {
	t, err := h.Svc.SyncToken(c.Request.Context(), portalOf(c), userOf(c),
		workflow.SyncInput{Serial: c.PostForm("serial"), OTP1: c.PostForm("otp1"), OTP2: c.PostForm("otp2")}, meta(c))
	if err != nil {
		h.tokenFailed(c, "sync-token", err, views.SyncTokenPage, "serial")
		return
	}
	h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.synced", "Serial", t.Serial))
}
