package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// set-pin (SPEC §5.6): a PIN of pin_length digits, before or after the
// code, confirmed with a current code of the token. An email/SMS token gets
// its code sent first ("Send me a code": serial and send=1).
func init() {
	register("set-pin", action{get: method((*Handler).setPINPage), post: method((*Handler).setPIN)})
}

func (h *Handler) setPINPage(c *gin.Context) {
	h.tokenPage(c, "set-pin", http.StatusOK, queryForm(c), "", views.SetPINPage)
}

func (h *Handler) setPIN(c *gin.Context) {
	if c.PostForm("send") != "" {
		h.sendActionCode(c, "set-pin", views.SetPINPage)
		return
	}
	in := workflow.PINInput{Serial: c.PostForm("serial"), PIN: c.PostForm("pin"), Position: c.PostForm("pin_position"), OTP: c.PostForm("otp")}
	if in.PIN != c.PostForm("pin_confirm") {
		// Typed twice to catch a slip: nothing changes until both agree.
		h.tokenFailed(c, "set-pin", workflow.FieldsInvalid(map[string]workflow.Msg{"pin_confirm": workflow.M("portal.pin.mismatch")}),
			views.SetPINPage, "serial", "pin_position")
		return
	}
	t, err := h.Svc.SetPIN(c.Request.Context(), portalOf(c), userOf(c), in, meta(c))
	if err != nil {
		h.tokenFailed(c, "set-pin", err, views.SetPINPage, "serial", "pin_position")
		return
	}
	msg := i18n.T(c.Request.Context(), "portal.flash.pin_set_after", "Serial", t.Serial)
	if in.Position == "before" {
		msg = i18n.T(c.Request.Context(), "portal.flash.pin_set_before", "Serial", t.Serial)
	}
	h.done(c, base(c)+"/home", msg)
}
