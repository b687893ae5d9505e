package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// userRoutes registers the Users area (SPEC §7). Everybody reads; the
// helpdesk edits contact data, unlocks and resets 2FA; the rest is for
// superadmins.
func (h *Handler) userRoutes(in *gin.RouterGroup) {
	in.GET("/users", h.allow(anyAdmin...), h.users)
	in.GET("/users/new", h.allow(superadmin...), h.newUserPage)
	in.POST("/users", h.allow(superadmin...), h.createUser)
	in.GET("/users/:id", h.allow(anyAdmin...), h.userPage)
	in.POST("/users/:id", h.allow(helpdesk...), h.updateUser)
	in.POST("/users/:id/assign", h.allow(superadmin...), h.assignUser)
	in.GET("/users/:id/unassign", h.allow(superadmin...), h.unassignUserPage)
	in.POST("/users/:id/unassign", h.allow(superadmin...), h.unassignUser)
	in.POST("/users/:id/unlock", h.allow(helpdesk...), h.unlockUser)
	in.GET("/users/:id/reset-2fa", h.allow(helpdesk...), h.reset2FAPage)
	in.POST("/users/:id/reset-2fa", h.allow(helpdesk...), h.reset2FA)
	in.GET("/users/:id/delete", h.allow(superadmin...), h.deleteUserPage)
	in.POST("/users/:id/delete", h.allow(superadmin...), h.deleteUser)
}

func (h *Handler) users(c *gin.Context) {
	ctx := c.Request.Context()
	q := query(c)
	resourceID, _ := optionalID(c.Query("resource_id"))
	sources, err := h.sourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	source := c.Query("source")
	if !slices.ContainsFunc(sources, func(o views.Option) bool { return o.Value == source }) {
		source = ""
	}
	after := afterKey(c)
	rows, total, err := h.Svc.Store.ListUsers(ctx, workflow.UserFilter{
		Query: q, ResourceID: resourceID, Resources: scopeOf(c), Source: source, After: after, Limit: pageSize + 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, next := workflow.NextPage(rows, pageSize, workflow.UserRow.Cursor)
	resources, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	params := url.Values{"q": {q}, "resource_id": {idString(resourceID)}, "source": {source}}
	h.page(c, http.StatusOK, views.UsersPage(h.chrome(c, "users"), views.UserList{
		Filter:    views.Form{Values: map[string]string{"q": q, "resource_id": idString(resourceID), "source": source}},
		Filtered:  q != "" || resourceID != 0 || source != "",
		Resources: resources,
		Sources:   sources,
		Rows:      h.userRowsIn(ctx, rows),
		Pager:     pager("/admin/users", params, total, "users", "after", after, next),
		CanCreate: may(c, superadmin),
	}))
}

// userRows is userRowsIn in English.
// TODO(i18n): callers pass the request's context to userRowsIn.
func (h *Handler) userRows(rows []workflow.UserRow) []views.UserRow {
	return h.userRowsIn(context.Background(), rows)
}

// userRowsIn shapes users for a list in the language of ctx.
func (h *Handler) userRowsIn(ctx context.Context, rows []workflow.UserRow) []views.UserRow {
	now := h.Svc.Now()
	out := make([]views.UserRow, len(rows))
	for i, r := range rows {
		out[i] = views.UserRow{
			ID: r.ID, Login: r.Login, Name: strings.TrimSpace(r.FirstName + " " + r.LastName), Email: r.Email, Phone: r.Phone,
			Resources: r.Resources, Tokens: r.Tokens, Status: userStatus(ctx, r.User, now), Source: userSource(r.User),
		}
	}
	return out
}

// sourceOptions are the choices of the users' source filter: all, those
// made in tokenportal, and those of each directory.
func (h *Handler) sourceOptions(c *gin.Context) ([]views.Option, error) {
	dirs, err := h.Svc.Store.Directories(c.Request.Context())
	if err != nil {
		return nil, workflow.Internal(err)
	}
	ctx := c.Request.Context()
	opts := []views.Option{{Value: "", Label: i18n.T(ctx, "console.users.source_all")}, {Value: "local", Label: i18n.T(ctx, "console.users.source_local")}}
	for _, d := range dirs {
		opts = append(opts, views.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	return opts, nil
}

// userSource names where a user comes from: their directory, or
// tokenportal.
func userSource(u workflow.User) string {
	if u.FromDirectory() {
		return u.DirectoryName
	}
	return "tokenportal"
}

// userStatus names what keeps a user from signing in, in words.
func userStatus(ctx context.Context, u workflow.User, now time.Time) []views.Status {
	var s []views.Status
	if u.Disabled {
		s = append(s, views.Status{Label: i18n.T(ctx, "console.users.status_disabled"), Kind: "bad"})
	}
	if u.Expired(now) {
		s = append(s, views.Status{Label: i18n.T(ctx, "console.users.status_expired"), Kind: "bad"})
	}
	if u.Locked(now) {
		s = append(s, views.Status{Label: i18n.T(ctx, "console.users.status_locked"), Kind: "warn"})
	}
	return s
}

func (h *Handler) newUserPage(c *gin.Context) {
	h.page(c, http.StatusOK, views.UserNewPage(h.chrome(c, "users"), views.UserNew{Form: views.Form{Values: map[string]string{"language": "en"}}}))
}

// userForm reads the user form: the input for the service and the values
// to show again (never the password).
func userForm(c *gin.Context) (workflow.UserInput, map[string]string) {
	in := workflow.UserInput{
		Login: c.PostForm("login"), FirstName: c.PostForm("first_name"), LastName: c.PostForm("last_name"),
		Email: c.PostForm("email"), Phone: c.PostForm("phone"), Password: c.PostForm("password"),
		ClearPassword: c.PostForm("clear_password") == "1", PasswordNeverExpires: c.PostForm("password_never_expires") == "1",
		ValidUntil: strings.TrimSpace(c.PostForm("valid_until")), TemporaryUntil: strings.TrimSpace(c.PostForm("temporary_until")),
		Disabled: c.PostForm("disabled") == "1", Language: c.PostForm("language"),
	}
	values := map[string]string{
		"login": in.Login, "first_name": in.FirstName, "last_name": in.LastName, "email": in.Email, "phone": in.Phone,
		"clear_password": checked(in.ClearPassword), "password_never_expires": checked(in.PasswordNeverExpires),
		"valid_until": in.ValidUntil, "temporary_until": in.TemporaryUntil, "disabled": checked(in.Disabled), "language": in.Language,
	}
	return in, values
}

// userValues fills the edit form from a stored user.
func userValues(u workflow.User) map[string]string {
	in := u.Input()
	v := map[string]string{
		"login": in.Login, "first_name": in.FirstName, "last_name": in.LastName, "email": in.Email, "phone": in.Phone,
		"password_never_expires": checked(in.PasswordNeverExpires), "valid_until": in.ValidUntil,
		"disabled": checked(in.Disabled), "language": in.Language,
	}
	if u.TemporaryUntil != nil {
		v["temporary_until"] = u.TemporaryUntil.UTC().Format("2006-01-02T15:04")
	}
	return v
}

func (h *Handler) createUser(c *gin.Context) {
	in, values := userForm(c)
	u, err := h.Svc.CreateUser(c.Request.Context(), in, current(c).Actor(), meta(c))
	if err != nil {
		if formError(err) {
			h.page(c, views.ErrorStatus(err), views.UserNewPage(h.chrome(c, "users"), views.UserNew{Form: views.FailedForm(c.Request.Context(), err, values)}))
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, views.UserHref(u.ID), i18n.T(c.Request.Context(), "console.users.created_flash", "Login", u.Login))
}

// user loads the user of the :id parameter as far as the signed-in admin
// may see them; false when a page was rendered. Users assigned to none of
// an owner's resources are not found (the attempt is recorded).
func (h *Handler) user(c *gin.Context) (workflow.User, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return workflow.User{}, false
	}
	ctx := c.Request.Context()
	u, err := h.Svc.Store.UserByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return u, false
	}
	if scope := scopeOf(c); scope != nil {
		assigned, err := h.Svc.Store.UserResourceIDs(ctx, []int64{u.ID})
		if err != nil {
			h.fail(c, err)
			return u, false
		}
		if !slices.ContainsFunc(assigned[u.ID], func(id int64) bool { return inScope(scope, id) }) {
			h.hidden(c)
			return u, false
		}
	}
	return u, true
}

func (h *Handler) userPage(c *gin.Context) {
	if u, ok := h.user(c); ok {
		h.renderUser(c, u, http.StatusOK, views.Form{Values: userValues(u)}, views.Form{})
	}
}

// userTokensShown bounds the tokens listed on a user's page.
const userTokensShown = 100

// renderUser shows a user's page with the edit form f and the assign form.
func (h *Handler) renderUser(c *gin.Context, u workflow.User, status int, f, assign views.Form) {
	ctx := c.Request.Context()
	assigned, err := h.Svc.Store.UserResources(ctx, u.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	all, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	scope := scopeOf(c)
	tokens, total, err := h.Svc.Store.ListTokens(ctx, workflow.TokenFilter{UserID: u.ID, Resources: scope, Limit: userTokensShown})
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Svc.Now()
	d := views.UserDetail{
		ID: u.ID, Login: u.Login, Form: f, Status: userStatus(ctx, u, now), Locked: u.Locked(now),
		LockedUntil: dateTimeOr(ctx, u.LockedUntil, ""), FailedLogins: u.FailedLogins, HasPassword: u.PasswordHash != "",
		PasswordChanged: dateTimeOr(ctx, u.PasswordChangedAt, i18n.T(ctx, "console.users.unknown")),
		ValidUntil:      i18n.T(ctx, "console.users.no_limit"), TemporaryUntil: i18n.T(ctx, "console.users.not_temporary"),
		Disabled: u.Disabled, Created: i18n.DateTime(ctx, u.CreatedAt), Updated: i18n.DateTime(ctx, u.UpdatedAt),
		AssignForm: assign, Tokens: h.tokenRows(ctx, tokens), TokensTotal: total,
		Can: views.UserPerms{
			EditAccount: may(c, superadmin), EditContact: may(c, helpdesk), Assign: may(c, superadmin),
			Unlock: may(c, helpdesk), Reset2FA: may(c, helpdesk), Delete: may(c, superadmin),
		},
	}
	if u.FromDirectory() {
		d.Managed = views.UserManaged{By: u.DirectoryName, Fields: map[string]bool{}}
		for _, name := range []string{"login", "email", "phone", "first_name", "last_name"} {
			d.Managed.Fields[name] = u.Managed(name)
		}
	}
	if u.ValidUntil != nil {
		d.ValidUntil = i18n.Date(ctx, *u.ValidUntil)
	}
	if u.TemporaryUntil != nil {
		d.TemporaryUntil = i18n.DateTime(ctx, *u.TemporaryUntil)
	}
	in := map[int64]bool{}
	for _, r := range assigned {
		in[r.ID] = true
		if inScope(scope, r.ID) {
			d.Resources = append(d.Resources, views.ResourceRef{ID: r.ID, Name: r.Name})
		}
	}
	for _, o := range all {
		if id, _ := strconv.ParseInt(o.Value, 10, 64); !in[id] {
			d.Assignable = append(d.Assignable, o)
		}
	}
	h.page(c, status, views.UserPage(h.chrome(c, "users"), d))
}

func (h *Handler) updateUser(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	by, m := current(c).Actor(), meta(c)
	var (
		values  map[string]string
		updated workflow.User
		err     error
	)
	in := u.Input()
	if may(c, superadmin) {
		in, values = userForm(c)
	} else {
		// The fields sent change, the others stay; the service refuses a
		// change beyond contact data (SPEC §2) for this role.
		values = userValues(u)
		for _, name := range []string{"login", "first_name", "last_name", "email", "phone", "language", "valid_until", "temporary_until"} {
			if v, ok := c.GetPostForm(name); ok {
				values[name] = v
			}
		}
		in.Login, in.FirstName, in.LastName, in.Email, in.Phone, in.Language =
			values["login"], values["first_name"], values["last_name"], values["email"], values["phone"], values["language"]
		if v, ok := c.GetPostForm("valid_until"); ok {
			in.ValidUntil = strings.TrimSpace(v)
		}
		if v, ok := c.GetPostForm("temporary_until"); ok {
			in.TemporaryUntil = strings.TrimSpace(v)
		}
		in.Password = c.PostForm("password")
		in.ClearPassword = c.PostForm("clear_password") == "1"
		for name, dst := range map[string]*bool{"disabled": &in.Disabled, "password_never_expires": &in.PasswordNeverExpires} {
			if v, ok := c.GetPostForm(name); ok {
				*dst = v == "1"
			}
		}
	}
	updated, err = h.Svc.UpdateUserAs(c.Request.Context(), current(c).Role, u.ID, in, by, m)
	if err != nil {
		if formError(err) {
			h.renderUser(c, u, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values), views.Form{})
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, views.UserHref(u.ID), i18n.T(c.Request.Context(), "console.users.saved_flash", "Login", updated.Login))
}

func (h *Handler) assignUser(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	resourceID, err := optionalID(c.PostForm("resource_id"))
	if err != nil || resourceID == 0 {
		err = invalid("resource_id", workflow.M("resource.choose"))
	} else if _, err = h.Svc.Store.ResourceByID(ctx, resourceID); err != nil && workflow.ErrorCode(err) == workflow.CodeNotFound {
		err = invalid("resource_id", workflow.M("resource.unknown"))
	}
	if err == nil {
		err = h.Svc.AssignUser(ctx, resourceID, u.ID, current(c).Actor(), meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderUser(c, u, views.ErrorStatus(err), views.Form{Values: userValues(u)},
				views.FailedForm(c.Request.Context(), err, map[string]string{"resource_id": c.PostForm("resource_id")}))
			return
		}
		h.fail(c, err)
		return
	}
	r, _ := h.Svc.Store.ResourceByID(ctx, resourceID)
	h.done(c, views.UserHref(u.ID), i18n.T(ctx, "console.users.assigned_flash", "Login", u.Login, "Resource", r.Name))
}

// resourceOf loads the resource whose id is raw (a form or query value);
// false when a page was rendered.
func (h *Handler) resourceOf(c *gin.Context, raw string) (workflow.Resource, bool) {
	id, err := optionalID(raw)
	if err != nil || id == 0 {
		h.fail(c, errNotFound)
		return workflow.Resource{}, false
	}
	r, err := h.Svc.Store.ResourceByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return r, false
	}
	return r, true
}

// assigned checks that u is assigned to r; false when a page was rendered.
func (h *Handler) assigned(c *gin.Context, u workflow.User, r workflow.Resource) bool {
	ok, err := h.Svc.Store.IsAssigned(c.Request.Context(), r.ID, u.ID)
	if err == nil && !ok {
		err = workflow.Fail(workflow.CodeNotFound, workflow.M("resource.login_not_assigned", "Login", u.Login, "Resource", r.Name))
	}
	if err != nil {
		h.fail(c, err)
		return false
	}
	return true
}

// unassignConfirm is the confirmation of removing a user from a resource,
// reached from the user's page and from the resource's Users tab.
func (h *Handler) unassignConfirm(c *gin.Context, section string, u workflow.User, r workflow.Resource, action, cancel string, hidden []views.Hidden) {
	_, onResource, err := h.Svc.Store.ListTokens(c.Request.Context(), workflow.TokenFilter{UserID: u.ID, ResourceID: r.ID, Limit: 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	effects := []string{i18n.T(ctx, "console.confirm.unassign_portal", "Login", u.Login, "Resource", r.Name)}
	if onResource > 0 {
		effects = append(effects, i18n.T(ctx, "console.confirm.unassign_tokens", "Count", onResource,
			"N", i18n.Number(ctx, onResource), "Login", u.Login, "Resource", r.Name))
	}
	effects = append(effects, i18n.T(ctx, "console.confirm.unassign_rest"))
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, section), views.Confirm{
		Title: i18n.T(ctx, "console.confirm.unassign_title", "Login", u.Login, "Resource", r.Name),
		Lead:  i18n.T(ctx, "console.confirm.lead"), Effects: effects,
		Action: action, Hidden: hidden, Button: i18n.T(ctx, "console.confirm.unassign_button", "Resource", r.Name), Cancel: cancel,
	}))
}

func (h *Handler) unassignUserPage(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	r, ok := h.resourceOf(c, c.Query("resource_id"))
	if !ok || !h.assigned(c, u, r) {
		return
	}
	h.unassignConfirm(c, "users", u, r, views.UserHref(u.ID)+"/unassign", views.UserHref(u.ID),
		[]views.Hidden{{Name: "resource_id", Value: strconv.FormatInt(r.ID, 10)}})
}

func (h *Handler) unassignUser(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	r, ok := h.resourceOf(c, c.PostForm("resource_id"))
	if !ok {
		return
	}
	if err := h.Svc.UnassignUser(c.Request.Context(), r.ID, u.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, views.UserHref(u.ID), i18n.T(c.Request.Context(), "console.users.removed_flash", "Login", u.Login, "Resource", r.Name))
}

func (h *Handler) unlockUser(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	if err := h.Svc.UnlockUser(c.Request.Context(), u.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, views.UserHref(u.ID), i18n.T(c.Request.Context(), "console.users.unlocked_flash", "Login", u.Login))
}

// resetListed bounds the tokens a confirmation names one by one.
const resetListed = 100

func (h *Handler) reset2FAPage(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	tokens, total, err := h.Svc.Store.ListTokens(ctx, workflow.TokenFilter{UserID: u.ID, Limit: resetListed})
	if err != nil {
		h.fail(c, err)
		return
	}
	var effects []string
	if total == 0 {
		effects = append(effects, i18n.T(ctx, "console.confirm.reset_no_token", "Login", u.Login))
	}
	for _, t := range tokens {
		if t.ResourceName != "" {
			effects = append(effects, i18n.T(ctx, "console.confirm.reset_token_on", "Serial", t.Serial, "Type", string(t.Type), "Resource", t.ResourceName))
		} else {
			effects = append(effects, i18n.T(ctx, "console.confirm.reset_token", "Serial", t.Serial, "Type", string(t.Type)))
		}
	}
	if more := total - len(tokens); more > 0 {
		effects = append(effects, i18n.T(ctx, "console.confirm.reset_more", "Count", more, "N", i18n.Number(ctx, more)))
	}
	effects = append(effects,
		i18n.T(ctx, "console.confirm.reset_codes", "Login", u.Login),
		i18n.T(ctx, "console.confirm.reset_devices", "Login", u.Login),
		i18n.T(ctx, "console.confirm.reset_then", "Login", u.Login))
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "users"), views.Confirm{
		Title: i18n.T(ctx, "console.confirm.reset_title", "Login", u.Login), Lead: i18n.T(ctx, "console.confirm.lead_now"), Effects: effects,
		Action: views.UserHref(u.ID) + "/reset-2fa", Button: i18n.T(ctx, "console.users.reset_2fa"), Cancel: views.UserHref(u.ID),
	}))
}

func (h *Handler) reset2FA(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	serials, err := h.Svc.ResetUser2FA(c.Request.Context(), u.ID, current(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	h.done(c, views.UserHref(u.ID), i18n.T(ctx, "console.users.reset_flash", "Login", u.Login, "Count", len(serials), "N", i18n.Number(ctx, len(serials))))
}

func (h *Handler) deleteUserPage(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	resources, err := h.Svc.Store.UserResources(ctx, u.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	_, tokens, err := h.Svc.Store.ListTokens(ctx, workflow.TokenFilter{UserID: u.ID, Limit: 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	effects := []string{
		i18n.T(ctx, "console.confirm.delete_account", "Login", u.Login),
		i18n.T(ctx, "console.confirm.delete_assignments", "Count", len(resources), "N", i18n.Number(ctx, len(resources))),
		i18n.T(ctx, "console.confirm.delete_tokens", "Count", tokens, "N", i18n.Number(ctx, tokens)),
		i18n.T(ctx, "console.confirm.delete_log", "Login", u.Login),
	}
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "users"), views.Confirm{
		Title: i18n.T(ctx, "console.confirm.delete_title", "Login", u.Login), Lead: i18n.T(ctx, "console.confirm.lead_final"), Effects: effects,
		Action: views.UserHref(u.ID) + "/delete", Button: i18n.T(ctx, "console.confirm.delete_button", "Name", u.Login), Cancel: views.UserHref(u.ID),
	}))
}

func (h *Handler) deleteUser(c *gin.Context) {
	u, ok := h.user(c)
	if !ok {
		return
	}
	if err := h.Svc.DeleteUser(c.Request.Context(), u.ID, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/users", i18n.T(c.Request.Context(), "console.users.deleted_flash", "Login", u.Login))
}
