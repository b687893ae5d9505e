package admin

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// Roles allowed in each area (SPEC §2). Owners are further limited to the
// resources they own, inside the handlers that take a resource.
var (
	anyAdmin   = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk, workflow.RoleOwner}
	helpdesk   = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk}
	superadmin = []workflow.Role{workflow.RoleSuperadmin}
	validators = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleValidate}
)

// allow lets only the given roles through a console route; others get a
// 403 page and an AccessDenied activity.
func (h *Handler) allow(roles ...workflow.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		a := current(c)
		if slices.Contains(roles, a.Role) {
			c.Next()
			return
		}
		h.denied(c, a.Actor())
		_ = views.Render(c.Writer, c.Request, http.StatusForbidden, views.ErrorPage(403, "Not allowed",
			"Your role ("+string(a.Role)+") may not do this. Ask a superadmin if you need it."))
		c.Abort()
	}
}

// apiAllow is allow for the JSON API.
func (h *Handler) apiAllow(roles ...workflow.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		k := currentKey(c)
		if slices.Contains(roles, k.Role) {
			c.Next()
			return
		}
		h.denied(c, k.Actor())
		h.fail(c, workflow.Fail(workflow.CodeForbidden, workflow.M("apikey.role_forbidden", "Role", string(k.Role))))
	}
}

// denied records a refused request.
func (h *Handler) denied(c *gin.Context, by workflow.Actor) {
	m := meta(c)
	h.Svc.RecordAccessDenied(c.Request.Context(), by, c.Request.Method+" "+c.FullPath(), m)
}

func currentKey(c *gin.Context) workflow.APIKey {
	v, _ := c.Get("apikey")
	return v.(workflow.APIKey)
}

// Owner scoping (SPEC §2): an owner sees the resources they own and the
// users, tokens and requests on them, nothing else. Other admins see
// everything.

// scopeOf is the resources the signed-in admin sees: nil for all, the
// owned ones (maybe none) for an owner.
func scopeOf(c *gin.Context) []int64 { return issueScope(current(c)) }

// hidden answers a thing outside an owner's resources as not found, as if
// it did not exist, and records the attempt.
func (h *Handler) hidden(c *gin.Context) {
	h.denied(c, current(c).Actor())
	h.fail(c, errNotFound)
}
