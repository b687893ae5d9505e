package portal

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

// create-password (SPEC §5.8): a user who signs in by emailed code chooses
// a password under the policy.
func init() {
	register("create-password", action{get: method((*Handler).createPasswordPage), post: method((*Handler).createPassword)})
}

func (h *Handler) createPasswordView(c *gin.Context, f views.Form) templ.Component {
	return views.PasswordFormPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "create-password")), views.PasswordPage{Form: f})
}

func (h *Handler) createPasswordPage(c *gin.Context) {
	_ = views.Render(c.Writer, c.Request, http.StatusOK, h.createPasswordView(c, views.Form{}))
}

func (h *Handler) createPassword(c *gin.Context) {
	err := h.Svc.CreatePassword(c.Request.Context(), portalOf(c), userOf(c), c.PostForm("new_password"), meta(c))
	if err != nil {
		h.accountFailed(c, err, nil, func(f views.Form) templ.Component { return h.createPasswordView(c, f) })
		return
	}
	h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.password_created"))
}
