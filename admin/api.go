package admin

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// APIRoutes registers the JSON API on g (/api/v1). Every endpoint needs an
// API key in Authorization: Bearer.
func (h *Handler) APIRoutes(g *gin.RouterGroup) {
	g.Use(h.requireKey)
	g.GET("/whoami", h.apiWhoami)
}

// apiError writes the error body of SPEC §7 with the matching status.
func (h *Handler) apiError(c *gin.Context, err error) {
	status := workflow.HTTPStatus(err)
	if status >= 500 {
		h.Log.ErrorContext(c.Request.Context(), "api request failed", "path", c.Request.URL.Path, "err", err)
	}
	fields := workflow.ErrorFields(err)
	if fields == nil {
		fields = map[string]string{}
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="tokenportal"`)
	}
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{
		"code": string(workflow.ErrorCode(err)), "message": workflow.ErrorMessage(err), "fields": fields,
	}})
}

// requireKey authenticates the bearer key and puts it on the context.
func (h *Handler) requireKey(c *gin.Context) {
	auth := c.GetHeader("Authorization")
	scheme, key, _ := strings.Cut(auth, " ")
	if auth != "" && !strings.EqualFold(scheme, "Bearer") {
		h.apiError(c, workflow.Errorf(workflow.CodeUnauthenticated, "Use 'Authorization: Bearer <key>'."))
		return
	}
	k, err := h.Svc.AuthenticateAPIKey(c.Request.Context(), strings.TrimSpace(key))
	if err != nil {
		h.apiError(c, err)
		return
	}
	c.Set("apikey", k)
	c.Next()
}

// apiWhoami tells a client which key it is using: handy when wiring up.
func (h *Handler) apiWhoami(c *gin.Context) {
	v, _ := c.Get("apikey")
	k := v.(workflow.APIKey)
	c.JSON(http.StatusOK, gin.H{"id": k.ID, "name": k.Name, "role": k.Role, "resource_id": k.ResourceID})
}
