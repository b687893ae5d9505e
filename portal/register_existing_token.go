package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// register-existing-token (SPEC §5.2): serial and code of a stock token on
// this resource make it the user's. Every failure gets the same answer.
func init() {
	register("register-existing-token", action{stepUp: true, get: method((*Handler).claimTokenPage), post: method((*Handler).claimToken)})
}

func (h *Handler) claimTokenPage(c *gin.Context) {
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.ClaimTokenPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "register-existing-token")), views.Form{}))
}

func (h *Handler) claimToken(c *gin.Context) {
	reg, err := h.Svc.ClaimToken(c.Request.Context(), portalOf(c), userOf(c), tokenCodeForm(c), meta(c))
	if err != nil && workflow.IsFault(err) {
		h.fail(c, err)
		return
	}
	if err != nil {
		f := failedForm(c, err, nil)
		f.Values = formValues(c, "serial")
		_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err), views.ClaimTokenPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "register-existing-token")), f))
		return
	}
	h.registered(c, reg)
}
