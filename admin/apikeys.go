package admin

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// apiKeyRoutes registers the API keys area (SPEC §2, §7): superadmins
// only.
func (h *Handler) apiKeyRoutes(in *gin.RouterGroup) {
	g := in.Group("/apikeys", h.allow(superadmin...))
	g.GET("", h.apiKeys)
	g.GET("/new", h.newAPIKeyPage)
	g.POST("", h.createAPIKey)
	g.GET("/:id/revoke", h.revokeAPIKeyPage)
	g.POST("/:id/revoke", h.revokeAPIKey)
}

func apiKeyView(k workflow.APIKeyRow) views.APIKeyView {
	v := views.APIKeyView{
		ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: string(k.Role), Resource: k.ResourceName,
		Created: views.TimeUTC(k.CreatedAt), CreatedBy: k.CreatedByLogin, LastUsed: views.TimeUTCOr(k.LastUsedAt, "never"),
		Revoked: views.TimeUTCOr(k.RevokedAt, ""),
	}
	if k.ResourceID != nil {
		v.ResourceID = *k.ResourceID
	}
	if v.CreatedBy == "" {
		v.CreatedBy = "command line"
		if k.CreatedBy != nil {
			v.CreatedBy = "a deleted admin"
		}
	}
	return v
}

func (h *Handler) apiKeys(c *gin.Context) {
	keys, err := h.Svc.Store.ListAPIKeys(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	l := views.APIKeyList{Rows: make([]views.APIKeyView, len(keys))}
	for i, k := range keys {
		l.Rows[i] = apiKeyView(k)
	}
	h.page(c, http.StatusOK, views.APIKeysPage(h.chrome(c, "apikeys"), l))
}

func (h *Handler) newAPIKeyPage(c *gin.Context) {
	h.renderNewAPIKey(c, http.StatusOK, views.Form{Values: map[string]string{"role": string(workflow.RoleValidate)}})
}

func (h *Handler) renderNewAPIKey(c *gin.Context, status int, f views.Form) {
	resources, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, status, views.APIKeyNewPage(h.chrome(c, "apikeys"), views.APIKeyNew{Form: f, Resources: resources}))
}

func (h *Handler) createAPIKey(c *gin.Context) {
	values := map[string]string{"name": c.PostForm("name"), "role": c.PostForm("role"), "resource": c.PostForm("resource")}
	n := workflow.NewAPIKey{Name: values["name"], Role: workflow.Role(values["role"])}
	var err error
	// The API binds owner and validate keys only; a resource on another
	// key would suggest a limit that does not exist.
	unbound := n.Role == workflow.RoleSuperadmin || n.Role == workflow.RoleHelpdesk
	if id, perr := optionalID(values["resource"]); perr != nil {
		err = invalid("resource", workflow.M("resource.choose_listed"))
	} else if id != 0 && unbound {
		err = invalid("resource", workflow.M("apikey.unbound_role"))
	} else if id != 0 {
		resources, lerr := h.resourceOptions(c)
		if lerr != nil {
			h.fail(c, lerr)
			return
		}
		if !slices.ContainsFunc(resources, func(o views.Option) bool { return o.Value == idString(id) }) {
			err = invalid("resource", workflow.M("resource.choose_listed_gone"))
		}
		n.ResourceID = &id
	}
	var key string
	var k workflow.APIKey
	if err == nil {
		key, k, err = h.Svc.CreateAPIKey(c.Request.Context(), n, current(c).Actor(), meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderNewAPIKey(c, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values))
			return
		}
		h.fail(c, err)
		return
	}
	created, err := h.Svc.Store.APIKeyByID(c.Request.Context(), k.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Shown once: not put in the session for a redirect, and not cached.
	c.Header("Cache-Control", "no-store")
	h.page(c, http.StatusOK, views.APIKeyCreatedPage(h.chrome(c, "apikeys"), views.APIKeyCreated{APIKeyView: apiKeyView(created), Key: key}))
}

// apiKeyOf loads the key of the :id parameter; false when a page was
// rendered.
func (h *Handler) apiKeyOf(c *gin.Context) (workflow.APIKeyRow, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return workflow.APIKeyRow{}, false
	}
	k, err := h.Svc.Store.APIKeyByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return k, false
	}
	return k, true
}

func (h *Handler) revokeAPIKeyPage(c *gin.Context) {
	k, ok := h.apiKeyOf(c)
	if !ok {
		return
	}
	if k.RevokedAt != nil {
		h.done(c, "/admin/apikeys", "The API key "+k.Name+" was revoked already.")
		return
	}
	v := apiKeyView(k)
	effects := []string{
		"The key " + v.Shown() + " (" + v.Role + ") is refused from now on: every program that uses it gets 401 at once on this server, and within a few seconds on every other instance.",
		"The key cannot be brought back; a program that still needs access needs a new key.",
		"The key stays in the list as revoked, and the activity log keeps its entries.",
	}
	if k.ResourceName != "" {
		effects[0] = strings.Replace(effects[0], ")", ", for "+k.ResourceName+")", 1)
	}
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "apikeys"), views.Confirm{
		Title: "Revoke the API key " + k.Name + "?", Lead: "This cannot be undone:", Effects: effects,
		Action: views.APIKeyHref(k.ID) + "/revoke", Button: "Revoke " + k.Name, Cancel: "/admin/apikeys",
	}))
}

func (h *Handler) revokeAPIKey(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	k, err := h.Svc.RevokeAPIKey(c.Request.Context(), id, current(c).Actor(), meta(c))
	if workflow.ErrorCode(err) == workflow.CodeConflict {
		h.done(c, "/admin/apikeys", i18n.ErrorMessage(c.Request.Context(), err))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/apikeys", "The API key "+k.Name+" was revoked: it no longer works.")
}
