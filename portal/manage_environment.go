package portal

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// manage-environment (SPEC §5.14): the remembered devices of this portal,
// each revocable, and the recent sign-ins.
func init() {
	register("manage-environment", action{get: method((*Handler).environmentPage), post: method((*Handler).revokeDevices)})
}

func (h *Handler) environmentPage(c *gin.Context) {
	p := portalOf(c)
	env, err := h.Svc.ManageEnvironment(c.Request.Context(), p, userOf(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.ManageEnvironmentPage(h.chrome(c, views.ActionLabel(c.Request.Context(), "manage-environment")),
		views.NewEnvironmentPage(c.Request.Context(), p, env)))
}

// revokeDevices revokes the device posted as `device` (an id, or "all").
func (h *Handler) revokeDevices(c *gin.Context) {
	var id int64
	if v := c.PostForm("device"); v != "all" {
		var err error
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			h.fail(c, workflow.Fail(workflow.CodeNotFound, workflow.M("portal.devices.unknown")))
			return
		}
	}
	n, err := h.Svc.RevokeDevices(c.Request.Context(), portalOf(c), userOf(c), id, meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	msg := i18n.T(c.Request.Context(), "portal.flash.device_revoked")
	switch {
	case id != 0:
	case n == 0:
		msg = i18n.T(c.Request.Context(), "portal.devices.none")
	case n > 1:
		msg = i18n.T(c.Request.Context(), "portal.flash.devices_revoked", "Count", n)
	}
	h.done(c, accountPath(c, "manage-environment"), msg)
}
