package portal

import (
	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Shared by the account actions (SPEC §5.8–14): create_password.go,
// change_password.go, change_email.go, change_phone.go, change_login.go,
// change_name.go and manage_environment.go.

// accountFailed shows a form again after a refused change: invalid input
// gets 422 with the problems next to the fields and the named inputs kept
// (never passwords); other errors get the error page.
func (h *Handler) accountFailed(c *gin.Context, err error, keep []string, page func(views.Form) templ.Component) {
	code := workflow.ErrorCode(err)
	if code != workflow.CodeInvalid && code != workflow.CodeConflict {
		h.fail(c, err)
		return
	}
	f := views.Form{Values: map[string]string{}, Errors: i18n.ErrorFields(c.Request.Context(), err)}
	for _, k := range keep {
		f.Values[k] = c.PostForm(k)
	}
	if len(f.Errors) == 0 {
		f.Message = i18n.ErrorMessage(c.Request.Context(), err)
	}
	_ = views.Render(c.Writer, c.Request, views.ErrorStatus(err), page(f))
}

// accountPath is the path of an action of this portal.
func accountPath(c *gin.Context, id string) string { return base(c) + "/actions/" + id }
