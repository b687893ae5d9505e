package portal

import "github.com/gin-gonic/gin"

// register-token (SPEC §5.1): the user picks a type; TOTP/HOTP get a new
// seed shown as QR code and text, email/SMS a code sent to the address or
// phone on record; the token exists once its first code is confirmed. With
// the user's first token come 8 recovery codes, shown once.
func init() {
	register("register-token", action{
		stepUp: true,
		get:    method(func(h *Handler, c *gin.Context) { h.enrolPage(c, "register-token", false) }),
		post:   method(func(h *Handler, c *gin.Context) { h.enrol(c, "register-token", false) }),
	})
}
