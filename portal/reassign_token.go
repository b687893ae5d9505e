package portal

import "github.com/gin-gonic/gin"

// reassign-token (SPEC §5.3): the user picks one of their enabled tokens
// and the type of its successor, enrolled as in register-token; once the new
// one is confirmed, the old one is disabled and taken off the resource in
// the same transaction.
func init() {
	register("reassign-token", action{
		stepUp:    true,
		sensitive: true,
		get:       method(func(h *Handler, c *gin.Context) { h.enrolPage(c, "reassign-token", true) }),
		post:      method(func(h *Handler, c *gin.Context) { h.enrol(c, "reassign-token", true) }),
	})
}
