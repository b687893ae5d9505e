package portal

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

// change-phone (SPEC §5.11): a number in E.164, or none.
func init() {
	register("change-phone", action{get: method((*Handler).changePhonePage), post: method((*Handler).changePhone)})
}

func (h *Handler) changePhoneView(c *gin.Context, f views.Form) templ.Component {
	return views.ChangePhonePage(h.chrome(c, views.ActionLabel(c.Request.Context(), "change-phone")), views.PhonePage{Current: userOf(c).Phone, Form: f, Country: portalOf(c).DefaultCountry})
}

func (h *Handler) changePhonePage(c *gin.Context) {
	f := views.Form{Values: map[string]string{"phone": userOf(c).Phone}}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, h.changePhoneView(c, h.prefill(c, "change-phone", f)))
}

func (h *Handler) changePhone(c *gin.Context) {
	u, changed, err := h.Svc.ChangePhone(c.Request.Context(), portalOf(c), userOf(c), c.PostForm("phone"), meta(c))
	switch {
	case err != nil:
		h.accountFailed(c, err, []string{"phone"}, func(f views.Form) templ.Component { return h.changePhoneView(c, f) })
	case !changed:
		h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.phone_same"))
	case u.Phone == "":
		h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.phone_removed"))
	default:
		h.done(c, base(c)+"/home", i18n.T(c.Request.Context(), "portal.flash.phone_changed", "Phone", u.Phone))
	}
}
