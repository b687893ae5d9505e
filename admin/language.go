package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views/i18n"
)

// chooseLanguage is the console's language switcher: the choice is kept in
// the cookie and, for a signed-in admin, stored as their own language.
func (h *Handler) chooseLanguage(c *gin.Context) {
	var store func(string) error
	if id := h.Sessions.GetInt64(c.Request.Context(), keyAdminID); id != 0 {
		store = func(lang string) error { return h.Svc.SetAdminLanguage(c.Request.Context(), id, lang) }
	}
	next, err := i18n.Switch(c.Writer, c.Request, h.Sessions.Cookie.Secure, "/admin/", store)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}
