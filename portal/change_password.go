package portal

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// change-password (SPEC §5.9, sensitive): the current password and a new
// one under the policy.
func init() {
	register("change-password", action{sensitive: true,
		get: method((*Handler).changePasswordPage), post: method((*Handler).changePassword)})
}

func (h *Handler) changePasswordView(c *gin.Context, f views.Form) templ.Component {
	return views.PasswordFormPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "change-password")), views.PasswordPage{Change: true, Form: f})
}

func (h *Handler) changePasswordPage(c *gin.Context) {
	_ = views.Render(c.Writer, c.Request, http.StatusOK, h.changePasswordView(c, views.Form{}))
}

func (h *Handler) changePassword(c *gin.Context) {
	err := h.Svc.ChangePassword(c.Request.Context(), portalOf(c), userOf(c),
		workflow.PasswordChangeInput{Current: c.PostForm("password"), New: c.PostForm("new_password")}, meta(c))
	if err != nil {
		h.accountFailed(c, err, nil, func(f views.Form) templ.Component { return h.changePasswordView(c, f) })
		return
	}
	h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.password_changed"))
}
