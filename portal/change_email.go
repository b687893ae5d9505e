package portal

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// change-email (SPEC §5.10, sensitive): a code goes to the new address; the
// address changes only when the code comes back. The pending address lives
// with the code (its target), not in the session.
func init() {
	register("change-email", action{sensitive: true, get: method((*Handler).changeEmailPage), post: method((*Handler).changeEmail)})
}

func (h *Handler) changeEmailView(c *gin.Context, pending string, f views.Form) templ.Component {
	return views.ChangeEmailPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "change-email")), views.EmailPage{Current: userOf(c).Email, Pending: pending, Form: f})
}

func (h *Handler) changeEmailPage(c *gin.Context) {
	pending := ""
	if c.Query("restart") == "" {
		var err error
		if pending, _, err = h.Svc.PendingEmailChange(c.Request.Context(), userOf(c)); err != nil {
			h.fail(c, err)
			return
		}
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, h.changeEmailView(c, pending, h.prefill(c, "change-email", views.Form{})))
}

func (h *Handler) changeEmail(c *gin.Context) {
	ctx := c.Request.Context()
	p, u, m := portalOf(c), userOf(c), meta(c)
	if code, ok := c.GetPostForm("email_code"); ok {
		u, err := h.Svc.ConfirmEmailChange(ctx, p, u, code, m)
		if err == nil {
			h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.email_changed", "Email", u.Email))
			return
		}
		// A wrong code asks again; an expired or used-up one starts over.
		pending := ""
		if _, wrong := workflow.ErrorFieldMsgs(err)["email_code"]; wrong {
			var perr error
			if pending, _, perr = h.Svc.PendingEmailChange(ctx, u); perr != nil {
				h.fail(c, perr)
				return
			}
		}
		h.accountFailed(c, err, nil, func(f views.Form) templ.Component { return h.changeEmailView(c, pending, f) })
		return
	}
	if err := h.Svc.RequestEmailChange(ctx, p, u, c.PostForm("new_email"), m); err != nil {
		h.accountFailed(c, err, []string{"new_email"}, func(f views.Form) templ.Component { return h.changeEmailView(c, "", f) })
		return
	}
	h.done(c, accountPath(c, "change-email"), i18n.T(c.Request.Context(), "portal.flash.email_code_sent"))
}
