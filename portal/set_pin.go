package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// set-pin (SPEC §5.6): a PIN of pin_length digits, before or after the
// code, confirmed with a current code of the token. An email/SMS token gets
// its code sent first ("Send me a code": serial and send=1).
func init() {
	register("set-pin", action{get: method((*Handler).setPINPage), post: method((*Handler).setPIN)})
}

func (h *Handler) setPINPage(c *gin.Context) {
	h.tokenPage(c, "set-pin", http.StatusOK, views.Form{}, "", views.SetPINPage)
}

func (h *Handler) setPIN(c *gin.Context) {
	if c.PostForm("send") != "" {
		h.sendActionCode(c, "set-pin", views.SetPINPage)
		return
	}
	in := workflow.PINInput{Serial: c.PostForm("serial"), PIN: c.PostForm("pin"), Position: c.PostForm("pin_position"), OTP: c.PostForm("otp")}
	t, err := h.Svc.SetPIN(c.Request.Context(), portalOf(c), userOf(c), in, meta(c))
	if err != nil {
		h.tokenFailed(c, "set-pin", err, views.SetPINPage, "serial", "pin_position")
		return
	}
	h.done(c, base(c)+"/home", "Token "+t.Serial+" has a PIN now: type it "+in.Position+" the code when you sign in.")
}
