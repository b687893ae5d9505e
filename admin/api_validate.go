package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// apiValidate checks a second factor for a resource: {resource_id, login,
// pass} → {"result": true|false}, with the rules of the portal (PIN, window,
// replay, failcount, disabled tokens).
//
// Unknown logins, users not assigned, unknown resources and — for a validate
// key bound to a resource — any other resource all answer 200
// {"result": false}, exactly like a wrong code, so the endpoint tells
// nobody which logins or resources exist. (The bound key's attempt on
// another resource is recorded as AccessDenied.) Only a request that cannot
// be read is an error: 400 for malformed JSON or a wrong type, 422 for a
// missing field.
func (h *Handler) apiValidate(c *gin.Context) {
	var in struct {
		ResourceID *int64  `json:"resource_id"`
		Login      *string `json:"login"`
		Pass       *string `json:"pass"`
	}
	if !h.apiDecode(c, &in) {
		return
	}
	f := map[string]workflow.Msg{}
	if in.ResourceID == nil {
		f["resource_id"] = workflow.M("api.validate.resource")
	}
	if in.Login == nil || *in.Login == "" {
		f["login"] = workflow.M("api.validate.login")
	}
	if in.Pass == nil {
		f["pass"] = workflow.M("api.validate.pass")
	}
	if len(f) > 0 {
		h.fail(c, workflow.FieldsInvalid(f))
		return
	}
	k := currentKey(c)
	if k.Role == workflow.RoleValidate && k.ResourceID != nil && *k.ResourceID != *in.ResourceID {
		h.denied(c, k.Actor())
		h.validated(c, false)
		return
	}
	ok, err := h.Svc.Validate(c.Request.Context(), *in.ResourceID, *in.Login, *in.Pass, k.Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.validated(c, ok)
}

// validated answers validate and counts the answer (metrics): here is the
// one place that knows every answer the API gives.
func (h *Handler) validated(c *gin.Context, result bool) {
	h.Svc.Observe().Validated(result)
	c.JSON(http.StatusOK, gin.H{"result": result})
}
