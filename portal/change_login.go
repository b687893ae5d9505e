package portal

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

// change-login (SPEC §5.12, sensitive): a new unique login. The session is
// keyed by the user's id, so it stays valid.
func init() {
	register("change-login", action{sensitive: true, get: method((*Handler).changeLoginPage), post: method((*Handler).changeLogin)})
}

func (h *Handler) changeLoginView(c *gin.Context, f views.Form) templ.Component {
	return views.ChangeLoginPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "change-login")), views.LoginChangePage{Current: userOf(c).Login, Form: f})
}

func (h *Handler) changeLoginPage(c *gin.Context) {
	_ = views.Render(c.Writer, c.Request, http.StatusOK, h.changeLoginView(c, views.Form{}))
}

func (h *Handler) changeLogin(c *gin.Context) {
	u, err := h.Svc.ChangeLogin(c.Request.Context(), portalOf(c), userOf(c), c.PostForm("new_login"), meta(c))
	if err != nil {
		h.accountFailed(c, err, []string{"new_login"}, func(f views.Form) templ.Component { return h.changeLoginView(c, f) })
		return
	}
	h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.login_changed", "Login", u.Login))
}
