package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// resourceRoutes registers the Resources area (SPEC §7). Every admin reads
// (owners need their resources, everybody needs the names); only
// superadmins change resources and their assignments.
func (h *Handler) resourceRoutes(in *gin.RouterGroup) {
	in.GET("/resources", h.allow(anyAdmin...), h.resources)
	in.POST("/resources", h.allow(superadmin...), h.createResource)
	in.GET("/resources/:id", h.allow(anyAdmin...), h.resourcePage)
	in.POST("/resources/:id", h.allow(superadmin...), h.updateResource)
	in.GET("/resources/:id/delete", h.allow(superadmin...), h.deleteResourcePage)
	in.POST("/resources/:id/delete", h.allow(superadmin...), h.deleteResource)
	in.POST("/resources/:id/users", h.allow(superadmin...), h.assignResourceUser)
	in.GET("/resources/:id/users/:uid/remove", h.allow(superadmin...), h.removeResourceUserPage)
	in.POST("/resources/:id/users/:uid/remove", h.allow(superadmin...), h.removeResourceUser)
}

func (h *Handler) resources(c *gin.Context) {
	h.renderResources(c, http.StatusOK, views.Form{})
}

// renderResources shows the list of the request's query with the create
// form f.
func (h *Handler) renderResources(c *gin.Context, status int, f views.Form) {
	q := query(c)
	after := afterKey(c)
	rows, total, err := h.Svc.Store.ListResourcesPage(c.Request.Context(), workflow.ResourceFilter{
		Query: q, Resources: scopeOf(c), After: after, Limit: pageSize + 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, next := workflow.NextPage(rows, pageSize, workflow.ResourceRow.Cursor)
	l := views.ResourceList{
		Filter: views.Form{Values: map[string]string{"q": q}}, Filtered: q != "",
		Pager:   pager("/admin/resources", url.Values{"q": {q}}, total, "resources", "after", after, next),
		CanEdit: may(c, superadmin), Form: f,
	}
	for _, r := range rows {
		l.Rows = append(l.Rows, views.ResourceRow{ID: r.ID, Name: r.Name, Description: r.Description, Users: r.Users,
			Tokens: r.Tokens, Alias: r.PortalAlias, PortalOn: r.PortalOn})
	}
	h.page(c, status, views.ResourcesPage(h.chrome(c, "resources"), l))
}

func resourceForm(c *gin.Context) (workflow.ResourceInput, map[string]string) {
	in := workflow.ResourceInput{Name: c.PostForm("name"), Description: c.PostForm("description")}
	return in, map[string]string{"name": in.Name, "description": in.Description}
}

func (h *Handler) createResource(c *gin.Context) {
	in, values := resourceForm(c)
	r, err := h.Svc.CreateResource(c.Request.Context(), in, current(c).Actor(), meta(c))
	if err != nil {
		if formError(err) {
			h.renderResources(c, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values))
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, views.ResourceHref(r.ID), i18n.T(c.Request.Context(), "console.resources.created", "Name", r.Name))
}

// resource loads the resource of the :id parameter as far as the signed-in
// admin may see it; false when a page was rendered. An owner's foreign
// resources are not found (the attempt is recorded).
func (h *Handler) resource(c *gin.Context) (workflow.Resource, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return workflow.Resource{}, false
	}
	if !inScope(scopeOf(c), id) {
		h.hidden(c)
		return workflow.Resource{}, false
	}
	r, err := h.Svc.Store.ResourceByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return r, false
	}
	return r, true
}

func (h *Handler) resourcePage(c *gin.Context) {
	if r, ok := h.resource(c); ok {
		h.renderResource(c, r, c.Query("tab"), http.StatusOK,
			views.Form{Values: map[string]string{"name": r.Name, "description": r.Description}}, views.Form{})
	}
}

// tabHref is the address of a tab of a resource's page.
func tabHref(id int64, tab string) string { return views.ResourceHref(id) + "?tab=" + tab }

// renderResource shows a resource's page with tab open; f is the details
// form, assign the form that assigns a user by login.
func (h *Handler) renderResource(c *gin.Context, r workflow.Resource, tab string, status int, f, assign views.Form) {
	ctx := c.Request.Context()
	d := views.ResourceDetail{
		ID: r.ID, Name: r.Name, Description: r.Description, Created: i18n.DateTime(ctx, r.CreatedAt),
		Tab: tab, Form: f, AssignForm: assign, CanEdit: may(c, superadmin), ShowRadius: mayEditPortal(c, r.ID),
	}
	after := afterKey(c)
	base, params := views.ResourceHref(r.ID), url.Values{"tab": {tab}}
	switch tab {
	case "users":
		rows, total, err := h.Svc.Store.ListUsers(ctx, workflow.UserFilter{ResourceID: r.ID, After: after, Limit: pageSize + 1})
		if err != nil {
			h.fail(c, err)
			return
		}
		rows, next := workflow.NextPage(rows, pageSize, workflow.UserRow.Cursor)
		d.Users = h.userRows(rows)
		d.Pager = pager(base, params, total, "users", "after", after, next)
	case "tokens":
		rows, total, err := h.Svc.Store.ListTokens(ctx, workflow.TokenFilter{ResourceID: r.ID, WithUser: true, After: after, Limit: pageSize + 1})
		if err != nil {
			h.fail(c, err)
			return
		}
		rows, next := workflow.NextPage(rows, pageSize, workflow.Token.Cursor)
		d.Tokens = h.tokenRows(c.Request.Context(), rows)
		d.Pager = pager(base, params, total, "tokens", "after", after, next)
	case "selfservice":
		var err error
		if d.Portal, err = h.portalTab(c, r.ID); err != nil {
			h.fail(c, err)
			return
		}
	case "radius":
		if !d.ShowRadius {
			h.refuseRadius(c)
			return
		}
		var err error
		if d.Radius, err = h.radiusTab(c, r.ID, newRadiusForm()); err != nil {
			h.fail(c, err)
			return
		}
	default:
		d.Tab = "details"
	}
	h.page(c, status, views.ResourcePage(h.chrome(c, "resources"), d))
}

func (h *Handler) updateResource(c *gin.Context) {
	r, ok := h.resource(c)
	if !ok {
		return
	}
	in, values := resourceForm(c)
	updated, err := h.Svc.UpdateResource(c.Request.Context(), r.ID, in, current(c).Actor(), meta(c))
	if err != nil {
		if formError(err) {
			h.renderResource(c, r, "details", views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values), views.Form{})
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, tabHref(r.ID, "details"), i18n.T(c.Request.Context(), "console.resources.saved", "Name", updated.Name))
}

func (h *Handler) deleteResourcePage(c *gin.Context) {
	r, ok := h.resource(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	_, users, err := h.Svc.Store.ListUsers(ctx, workflow.UserFilter{ResourceID: r.ID, Limit: 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	_, tokens, err := h.Svc.Store.ListTokens(ctx, workflow.TokenFilter{ResourceID: r.ID, Limit: 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	effects := []string{i18n.T(ctx, "console.resources.delete_effect", "Name", r.Name)}
	if p, err := h.Svc.Store.PortalByResource(ctx, r.ID); err == nil {
		effects = append(effects, i18n.T(ctx, "console.resources.delete_effect_portal", "Alias", p.Alias))
	} else if workflow.ErrorCode(err) != workflow.CodeNotFound {
		h.fail(c, err)
		return
	}
	effects = append(effects,
		i18n.T(ctx, "console.resources.delete_effect_users", "Count", users),
		i18n.T(ctx, "console.resources.delete_effect_tokens", "Count", tokens),
		i18n.T(ctx, "console.resources.delete_effect_issues", "Name", r.Name),
		i18n.T(ctx, "console.resources.delete_effect_log", "Name", r.Name))
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "resources"), views.Confirm{
		Title: i18n.T(ctx, "console.resources.delete_title", "Name", r.Name), Lead: i18n.T(ctx, "console.tokens.cannot_undo"), Effects: effects,
		Action: views.ResourceHref(r.ID) + "/delete", Button: i18n.T(ctx, "console.resources.delete_button", "Name", r.Name), Cancel: tabHref(r.ID, "details"),
	}))
}

func (h *Handler) deleteResource(c *gin.Context) {
	r, ok := h.resource(c)
	if !ok {
		return
	}
	if err := h.Svc.DeleteResource(c.Request.Context(), r.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/resources", i18n.T(c.Request.Context(), "console.resources.deleted", "Name", r.Name))
}

func (h *Handler) assignResourceUser(c *gin.Context) {
	r, ok := h.resource(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	login := strings.TrimSpace(c.PostForm("login"))
	var u workflow.User
	var err error
	if login == "" {
		err = invalid("login", workflow.M("resource.assign_login"))
	} else if u, err = h.Svc.Store.UserByLogin(ctx, login); workflow.ErrorCode(err) == workflow.CodeNotFound {
		err = invalid("login", workflow.M("account.no_such_login"))
	}
	if err == nil {
		err = h.Svc.AssignUser(ctx, r.ID, u.ID, current(c).Actor(), meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderResource(c, r, "users", views.ErrorStatus(err), views.Form{}, views.FailedForm(c.Request.Context(), err, map[string]string{"login": login}))
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, tabHref(r.ID, "users"), i18n.T(ctx, "console.resources.assigned", "Login", u.Login, "Name", r.Name))
}

// resourceUser loads the resource of :id and its assigned user of :uid;
// false when a page was rendered.
func (h *Handler) resourceUser(c *gin.Context) (workflow.Resource, workflow.User, bool) {
	r, ok := h.resource(c)
	if !ok {
		return r, workflow.User{}, false
	}
	uid, ok := h.idParam(c, "uid")
	if !ok {
		return r, workflow.User{}, false
	}
	u, err := h.Svc.Store.UserByID(c.Request.Context(), uid)
	if err != nil {
		h.fail(c, err)
		return r, u, false
	}
	return r, u, h.assigned(c, u, r)
}

func (h *Handler) removeResourceUserPage(c *gin.Context) {
	r, u, ok := h.resourceUser(c)
	if !ok {
		return
	}
	h.unassignConfirm(c, "resources", u, r, views.ResourceHref(r.ID)+"/users/"+idString(u.ID)+"/remove", tabHref(r.ID, "users"), nil)
}

func (h *Handler) removeResourceUser(c *gin.Context) {
	r, u, ok := h.resourceUser(c)
	if !ok {
		return
	}
	if err := h.Svc.UnassignUser(c.Request.Context(), r.ID, u.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, tabHref(r.ID, "users"), i18n.T(c.Request.Context(), "console.resources.removed", "Login", u.Login, "Name", r.Name))
}
