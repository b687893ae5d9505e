package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// APIRoutes registers the JSON API on g (/api/v1). Every endpoint but its
// OpenAPI document needs an API key in Authorization: Bearer.
//
// Role rules (SPEC §2): superadmin keys may do everything; helpdesk keys
// read users, resources and tokens, change users' contact fields, enable,
// disable, reset and check tokens, and verify or delete user issues; owner
// keys are bound to one resource and read it, its users, tokens and user
// issues and set its portal and RADIUS clients; directories are the
// superadmin's; validate keys only call /validate. Anything
// else is 403 with an AccessDenied activity. Out of an owner key's
// resource, users, tokens and issues answer 404 as if they did not exist
// (the attempt is still recorded), so a key cannot probe for them.
func (h *Handler) APIRoutes(g *gin.RouterGroup) {
	g.GET("/openapi.json", h.apiOpenAPI) // before requireKey: public
	g.Use(h.requireKey)
	g.GET("/whoami", h.apiAllow(anyAdmin...), h.apiWhoami)

	g.POST("/users", h.apiAllow(superadmin...), h.apiCreateUser)
	g.GET("/users", h.apiAllow(anyAdmin...), h.apiListUsers)
	g.GET("/users/:id", h.apiAllow(anyAdmin...), h.apiGetUser)
	g.PATCH("/users/:id", h.apiAllow(helpdesk...), h.apiPatchUser)
	g.DELETE("/users/:id", h.apiAllow(superadmin...), h.apiDeleteUser)

	g.POST("/resources", h.apiAllow(superadmin...), h.apiCreateResource)
	g.GET("/resources", h.apiAllow(anyAdmin...), h.apiListResources)
	g.GET("/resources/:id", h.apiAllow(anyAdmin...), h.apiGetResource)
	g.PUT("/resources/:id/users/:user_id", h.apiAllow(superadmin...), h.apiAssignUser)
	g.DELETE("/resources/:id/users/:user_id", h.apiAllow(superadmin...), h.apiUnassignUser)
	g.GET("/resources/:id/portal", h.apiAllow(anyAdmin...), h.apiGetPortal)
	g.PUT("/resources/:id/portal", h.apiAllow(portalEditors...), h.apiPutPortal)
	g.POST("/resources/:id/radius-clients", h.apiAllow(portalEditors...), h.apiCreateRadiusClient)
	g.GET("/resources/:id/radius-clients", h.apiAllow(portalEditors...), h.apiListRadiusClients)
	g.DELETE("/radius-clients/:id", h.apiAllow(portalEditors...), h.apiDeleteRadiusClient)

	g.POST("/tokens/import", h.apiAllow(superadmin...), h.apiImportTokens)
	g.GET("/tokens", h.apiAllow(anyAdmin...), h.apiListTokens)
	g.GET("/tokens/:serial", h.apiAllow(anyAdmin...), h.apiGetToken)
	g.POST("/tokens/:serial/enable", h.apiAllow(helpdesk...), h.apiSetTokenEnabled(true))
	g.POST("/tokens/:serial/disable", h.apiAllow(helpdesk...), h.apiSetTokenEnabled(false))
	g.POST("/tokens/:serial/reset", h.apiAllow(helpdesk...), h.apiResetToken)
	g.POST("/tokens/:serial/check", h.apiAllow(helpdesk...), h.apiCheckToken)
	g.POST("/tokens/:serial/assign", h.apiAllow(superadmin...), h.apiAssignToken)

	g.GET("/issues", h.apiAllow(anyAdmin...), h.apiListIssues)
	g.GET("/issues/:id", h.apiAllow(anyAdmin...), h.apiGetIssue)
	g.POST("/issues/:id/verify", h.apiAllow(anyAdmin...), h.apiHandleIssue(true)) // owners: workflow.MayHandleIssue
	g.DELETE("/issues/:id", h.apiAllow(anyAdmin...), h.apiHandleIssue(false))

	g.GET("/activities", h.apiAllow(anyAdmin...), h.apiListActivities)

	g.POST("/directories", h.apiAllow(superadmin...), h.apiCreateDirectory)
	g.GET("/directories", h.apiAllow(superadmin...), h.apiListDirectories)
	g.GET("/directories/:id", h.apiAllow(superadmin...), h.apiGetDirectory)
	g.PATCH("/directories/:id", h.apiAllow(superadmin...), h.apiPatchDirectory)
	g.DELETE("/directories/:id", h.apiAllow(superadmin...), h.apiDeleteDirectory)
	g.POST("/directories/:id/test", h.apiAllow(superadmin...), h.apiTestDirectory)
	g.POST("/directories/:id/sync", h.apiAllow(superadmin...), h.apiSyncDirectory)

	g.POST("/validate", h.apiAllow(validators...), h.apiValidate)
}

// portalEditors may PUT a portal; owners only their own resource's.
var portalEditors = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleOwner}

// requireKey authenticates the bearer key and puts it on the context.
func (h *Handler) requireKey(c *gin.Context) {
	auth := c.GetHeader("Authorization")
	scheme, key, _ := strings.Cut(auth, " ")
	if auth != "" && !strings.EqualFold(scheme, "Bearer") {
		h.fail(c, workflow.Fail(workflow.CodeUnauthenticated, workflow.M("api.bearer")))
		return
	}
	k, err := h.Svc.AuthenticateAPIKey(c.Request.Context(), strings.TrimSpace(key))
	if err != nil {
		h.fail(c, err)
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

// apiBadRequest answers 400 for a request that cannot be read: malformed
// JSON, a wrong type, an unknown field, an unparsable query parameter.
func (h *Handler) apiBadRequest(c *gin.Context, msg workflow.Msg, fields map[string]workflow.Msg) {
	h.fail(c, &workflow.Error{Code: workflow.CodeBadRequest, Msg: msg, FieldMsgs: fields})
}

// jsonHasNUL reports whether a string or key of the JSON document doc holds
// a NUL character (written \u0000). Text that is not UTF-8 is no matter:
// encoding/json reads it as U+FFFD.
func jsonHasNUL(doc []byte) bool {
	if !bytes.Contains(doc, []byte(`\u0000`)) {
		return false // the one way to write NUL in valid JSON
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
			return true
		}
	}
}

// apiDecode reads the JSON body into v: one object, no unknown fields, no
// trailing data. On failure it answers (400, or 413 past the body limit)
// and returns false.
func (h *Handler) apiDecode(c *gin.Context, v any) bool {
	var raw bytes.Buffer
	dec := json.NewDecoder(io.TeeReader(c.Request.Body, &raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			h.apiBadRequest(c, workflow.M("api.one_object"), nil)
			return false
		}
		if jsonHasNUL(raw.Bytes()) {
			// PostgreSQL cannot store it: a query would fail with a 500.
			h.apiBadRequest(c, workflow.M("api.nul"), nil)
			return false
		}
		return true
	}
	var (
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		h.fail(c, workflow.Fail(workflow.CodeTooLarge, workflow.M("error.too_large", "KiB", tooLarge.Limit>>10)))
	case errors.Is(err, io.EOF):
		h.apiBadRequest(c, workflow.M("api.object"), nil)
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		h.apiBadRequest(c, workflow.M("api.invalid_json"), nil)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			h.apiBadRequest(c, workflow.M("api.object"), nil)
			return false
		}
		h.apiBadRequest(c, workflow.M("api.wrong_type", "Field", field), map[string]workflow.Msg{field: workflow.M("api.wrong_type_field", "Type", jsonTypeName(typ.Type))})
	default:
		if _, name, ok := strings.Cut(err.Error(), "unknown field "); ok {
			name = strings.Trim(name, `"`)
			h.apiBadRequest(c, workflow.M("api.unknown_field", "Field", name), map[string]workflow.Msg{name: workflow.M("api.unknown_field_short")})
			return false
		}
		h.apiBadRequest(c, workflow.M("api.unreadable"), nil)
	}
	return false
}

// jsonTypeName says in JSON terms what a Go type expects.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of another type"
}

// apiPathID reads the numeric path parameter name; anything else is no such
// thing (404), since no id like it can exist.
func (h *Handler) apiPathID(c *gin.Context, name, what string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		h.fail(c, workflow.NotFound(what))
		return 0, false
	}
	return id, true
}

// apiQueryID reads an optional positive id from the query string (0 when
// absent); a value that is not one is 400.
func (h *Handler) apiQueryID(c *gin.Context, name string) (int64, bool) {
	v := c.Query(name)
	if v == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		h.apiBadRequest(c, workflow.M("api.positive", "Name", name), map[string]workflow.Msg{name: workflow.M("api.positive_short")})
		return 0, false
	}
	return id, true
}

// API page sizes: a page is fetched with one row more than asked, to know
// whether there is a next one.
const (
	apiDefaultLimit = 50
	apiMaxLimit     = 200
)

// apiLimit reads the limit query parameter.
func (h *Handler) apiLimit(c *gin.Context) (int, bool) {
	v := c.Query("limit")
	if v == "" {
		return apiDefaultLimit, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		h.apiBadRequest(c, workflow.M("api.limit_integer"), map[string]workflow.Msg{"limit": workflow.M("api.integer_short")})
		return 0, false
	}
	if n < 1 || n > apiMaxLimit {
		h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"limit": workflow.M("api.limit_range", "Max", apiMaxLimit)}))
		return 0, false
	}
	return n, true
}

// apiOwnerResource is the resource an owner key is bound to; ok is false
// for other roles, which are not bound.
func apiOwnerResource(k workflow.APIKey) (int64, bool) {
	if k.Role != workflow.RoleOwner {
		return 0, false
	}
	if k.ResourceID == nil {
		return -1, true // an owner key without a resource may see nothing
	}
	return *k.ResourceID, true
}

// apiScopeFilter narrows a list's resource filter (0: all) to an owner
// key's resource; an owner asking for another resource gets 403 and ok is
// false. Other roles keep the filter as asked.
func (h *Handler) apiScopeFilter(c *gin.Context, resourceID int64) (int64, bool) {
	own, bound := apiOwnerResource(currentKey(c))
	if !bound {
		return resourceID, true
	}
	if resourceID != 0 && !h.apiResourceAllowed(c, resourceID) {
		return 0, false
	}
	return own, true
}

// apiResourceAllowed lets an owner key at its own resource only; others
// get 403 and an AccessDenied activity.
func (h *Handler) apiResourceAllowed(c *gin.Context, resourceID int64) bool {
	k := currentKey(c)
	if own, bound := apiOwnerResource(k); !bound || own == resourceID {
		return true
	}
	h.denied(c, k.Actor())
	h.fail(c, workflow.Fail(workflow.CodeForbidden, workflow.M("apikey.own_resource")))
	return false
}

// apiHidden answers a thing outside an owner key's resource as not found,
// and records the attempt.
func (h *Handler) apiHidden(c *gin.Context, what string) {
	h.denied(c, currentKey(c).Actor())
	h.fail(c, workflow.NotFound(what))
}

// apiTime formats an optional time for JSON (null when unset).
func apiTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
