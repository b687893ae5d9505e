package portal

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// change-name (SPEC §5.13): first and last name.
func init() {
	register("change-name", action{get: method((*Handler).changeNamePage), post: method((*Handler).changeName)})
}

func (h *Handler) changeNameView(c *gin.Context, f views.Form) templ.Component {
	return views.ChangeNamePage(h.chrome(c, views.ActionLabel(c.Request.Context(), "change-name")), views.NamePage{Form: f})
}

func (h *Handler) changeNamePage(c *gin.Context) {
	u := userOf(c)
	f := views.Form{Values: map[string]string{"first_name": u.FirstName, "last_name": u.LastName}}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, h.changeNameView(c, h.prefill(c, "change-name", f)))
}

func (h *Handler) changeName(c *gin.Context) {
	_, changed, err := h.Svc.ChangeName(c.Request.Context(), portalOf(c), userOf(c),
		workflow.NameInput{First: c.PostForm("first_name"), Last: c.PostForm("last_name")}, meta(c))
	switch {
	case err != nil:
		h.accountFailed(c, err, []string{"first_name", "last_name"}, func(f views.Form) templ.Component { return h.changeNameView(c, f) })
	case !changed:
		h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.nothing_changed"))
	default:
		h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.name_saved"))
	}
}
