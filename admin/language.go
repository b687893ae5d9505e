package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// chooseLanguage is the console's language switcher: the choice is kept in
// the cookie and, for a signed-in admin, stored as their own language.
func (h *Handler) chooseLanguage(c *gin.Context) {
	ch, ok := i18n.ReadChoice(c.Request)
	if !ok {
		h.fail(c, workflow.Fail(workflow.CodeBadRequest, workflow.M("lang.unknown")))
		return
	}
	i18n.Remember(c.Writer, ch.Lang, h.Sessions.Cookie.Secure)
	if id := h.Sessions.GetInt64(c.Request.Context(), keyAdminID); id != 0 {
		if err := h.Svc.SetAdminLanguage(c.Request.Context(), id, ch.Lang); err != nil {
			h.fail(c, err)
			return
		}
	}
	c.Redirect(http.StatusSeeOther, i18n.LocalPath(ch.Next, "/admin/"))
}
