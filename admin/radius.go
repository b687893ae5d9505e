package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The RADIUS tab of a resource (SPEC §11): its clients (NAS devices), added
// and deleted by those who edit the resource's portal settings. The tab
// shows the two RADIUS settings, which are edited on the Self-Service form
// because they are saved with the portal.

func (h *Handler) radiusRoutes(in *gin.RouterGroup) {
	in.POST("/resources/:id/radius-clients", h.allow(portalEditors...), h.addRadiusClient)
	in.GET("/resources/:id/radius-clients/:cid/delete", h.allow(portalEditors...), h.deleteRadiusClientPage)
	in.POST("/resources/:id/radius-clients/:cid/delete", h.allow(portalEditors...), h.deleteRadiusClient)
}

// radiusTab is the RADIUS tab of resource id with the add form f.
func (h *Handler) radiusTab(c *gin.Context, id int64, f views.Form) (views.ResourceRadius, error) {
	ctx := c.Request.Context()
	list, err := h.Svc.RadiusClients(ctx, id)
	if err != nil {
		return views.ResourceRadius{}, err
	}
	v := views.ResourceRadius{ResourceID: id, Form: f, FirstFactor: workflow.RadiusPassword}
	for _, rc := range list {
		v.Clients = append(v.Clients, views.RadiusClientRow{ID: rc.ID, Name: rc.Name, Address: rc.Address,
			RequireMessageAuthenticator: rc.RequireMessageAuthenticator, Added: i18n.DateTime(ctx, rc.CreatedAt)})
	}
	switch p, err := h.Svc.Store.PortalByResource(ctx, id); {
	case err == nil:
		v.HasPortal, v.FirstFactor, v.AllowWithoutToken = true, p.RadiusFirstFactor, p.RadiusAllowWithoutToken
	case workflow.ErrorCode(err) != workflow.CodeNotFound:
		return views.ResourceRadius{}, err
	}
	return v, nil
}

// newRadiusForm is the add form as a new page shows it: Message-Authenticator
// required.
func newRadiusForm() views.Form {
	return views.Form{Values: map[string]string{"require_message_authenticator": "1"}}
}

// radiusEditor loads the resource of :id for a change to its RADIUS
// clients: owners only their own (others are not found, and recorded).
func (h *Handler) radiusEditor(c *gin.Context) (workflow.Resource, bool) {
	r, ok := h.resource(c)
	if !ok {
		return r, false
	}
	if !mayEditPortal(c, r.ID) {
		h.refuseRadius(c)
		return r, false
	}
	return r, true
}

// refuseRadius answers 403 to a role that may not see RADIUS clients.
func (h *Handler) refuseRadius(c *gin.Context) {
	h.denied(c, current(c).Actor())
	ctx := c.Request.Context()
	h.page(c, http.StatusForbidden, views.ErrorPage(http.StatusForbidden, i18n.T(ctx, "console.portal.not_allowed"),
		i18n.T(ctx, "console.radius.not_allowed")))
	c.Abort()
}

// addRadiusClient adds a client from the tab's form. The secret is never
// shown again, not even when the form comes back with errors.
func (h *Handler) addRadiusClient(c *gin.Context) {
	r, ok := h.radiusEditor(c)
	if !ok {
		return
	}
	in := workflow.RadiusClientInput{Name: c.PostForm("name"), Address: c.PostForm("address"), Secret: c.PostForm("secret"),
		RequireMessageAuthenticator: c.PostForm("require_message_authenticator") == "1"}
	values := map[string]string{"name": in.Name, "address": in.Address, "require_message_authenticator": checked(in.RequireMessageAuthenticator)}
	rc, err := h.Svc.CreateRadiusClient(c.Request.Context(), r.ID, in, current(c).Actor(), meta(c))
	if err != nil {
		if !formError(err) {
			h.fail(c, err)
			return
		}
		f := views.FailedForm(c.Request.Context(), err, values)
		f.Message = i18n.T(c.Request.Context(), "console.radius.not_added") + " " + f.Message
		h.renderRadius(c, r, http.StatusUnprocessableEntity, f)
		return
	}
	h.done(c, tabHref(r.ID, "radius"), i18n.T(c.Request.Context(), "console.radius.added", "Client", rc.Name, "Address", rc.Address, "Name", r.Name))
}

// renderRadius shows the resource's page with the RADIUS tab open.
func (h *Handler) renderRadius(c *gin.Context, r workflow.Resource, status int, f views.Form) {
	v, err := h.radiusTab(c, r.ID, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, status, views.ResourcePage(h.chrome(c, "resources"), views.ResourceDetail{
		ID: r.ID, Name: r.Name, Description: r.Description, Created: i18n.DateTime(c.Request.Context(), r.CreatedAt),
		Tab: "radius", CanEdit: may(c, superadmin), ShowRadius: true, Radius: v,
	}))
}

// radiusClient loads the resource of :id and its client of :cid; a client
// of another resource is not found.
func (h *Handler) radiusClient(c *gin.Context) (workflow.Resource, workflow.RadiusClient, bool) {
	r, ok := h.radiusEditor(c)
	if !ok {
		return r, workflow.RadiusClient{}, false
	}
	cid, ok := h.idParam(c, "cid")
	if !ok {
		return r, workflow.RadiusClient{}, false
	}
	rc, err := h.Svc.Store.RadiusClientByID(c.Request.Context(), cid)
	if err == nil && rc.ResourceID != r.ID {
		h.hidden(c)
		return r, rc, false
	}
	if err != nil {
		h.fail(c, err)
		return r, rc, false
	}
	return r, rc, true
}

func (h *Handler) deleteRadiusClientPage(c *gin.Context) {
	r, rc, ok := h.radiusClient(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "resources"), views.Confirm{
		Title: i18n.T(ctx, "console.radius.delete_title", "Client", rc.Name), Lead: i18n.T(ctx, "console.tokens.cannot_undo"),
		Effects: []string{
			i18n.T(ctx, "console.radius.delete_effect", "Address", rc.Address, "Name", r.Name),
			i18n.T(ctx, "console.radius.delete_effect_secret"),
			i18n.T(ctx, "console.radius.delete_effect_log"),
		},
		Action: views.ResourceHref(r.ID) + "/radius-clients/" + idString(rc.ID) + "/delete", Button: i18n.T(ctx, "console.radius.delete_button", "Client", rc.Name),
		Cancel: tabHref(r.ID, "radius"),
	}))
}

func (h *Handler) deleteRadiusClient(c *gin.Context) {
	r, rc, ok := h.radiusClient(c)
	if !ok {
		return
	}
	if err := h.Svc.DeleteRadiusClient(c.Request.Context(), rc.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, tabHref(r.ID, "radius"), i18n.T(c.Request.Context(), "console.radius.deleted", "Client", rc.Name, "Name", r.Name))
}
