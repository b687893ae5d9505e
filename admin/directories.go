package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The Directories area (SPEC §12), for superadmins: the LDAP and Active
// Directory connections, a connection test and a sync on demand. The bind
// password goes in and is never shown back, not even on a form with errors.

func (h *Handler) directoryRoutes(in *gin.RouterGroup) {
	in.GET("/directories", h.allow(superadmin...), h.directories)
	in.GET("/directories/new", h.allow(superadmin...), h.newDirectoryPage)
	in.POST("/directories", h.allow(superadmin...), h.createDirectory)
	in.GET("/directories/:id", h.allow(superadmin...), h.directoryPage)
	in.POST("/directories/:id", h.allow(superadmin...), h.updateDirectory)
	in.POST("/directories/:id/test", h.allow(superadmin...), h.testDirectory)
	in.POST("/directories/:id/sync", h.allow(superadmin...), h.syncDirectory)
	in.GET("/directories/:id/delete", h.allow(superadmin...), h.deleteDirectoryPage)
	in.POST("/directories/:id/delete", h.allow(superadmin...), h.deleteDirectory)
}

// syncProblemsShown bounds the problems of the last sync the list shows.
const syncProblemsShown = 20

func (h *Handler) directories(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := h.Svc.Store.Directories(ctx)
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	users, err := h.Svc.Store.DirectoryUsers(ctx)
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	rows := make([]views.DirectoryRow, 0, len(list))
	for _, d := range list {
		rows = append(rows, views.DirectoryRow{ID: d.ID, Name: d.Name, URL: d.URL, Users: users[d.ID],
			Unencrypted: !d.Encrypted(), Interval: syncInterval(ctx, d.SyncInterval), LastSync: lastSync(ctx, d.LastSync)})
	}
	h.page(c, http.StatusOK, views.DirectoriesPage(h.chrome(c, "directories"), rows))
}

func syncInterval(ctx context.Context, d time.Duration) string {
	if d == 0 {
		return i18n.T(ctx, "console.directories.by_hand")
	}
	return i18n.T(ctx, "console.directories.every", "Interval", shortDuration(d))
}

// shortDuration writes d as people would type it: 15m, 1h30m, 2h.
func shortDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// lastSync shapes the outcome of a directory's last sync for the list.
func lastSync(ctx context.Context, run *workflow.DirectorySyncRun) *views.DirectorySync {
	if run == nil {
		return nil
	}
	s := &views.DirectorySync{At: i18n.DateTime(ctx, run.At), OK: run.OK, Error: run.Error, Counts: syncCounts(ctx, run.Counts),
		Problems: run.Problems}
	if len(s.Problems) > syncProblemsShown {
		s.More = len(s.Problems) - syncProblemsShown
		s.Problems = s.Problems[:syncProblemsShown]
	}
	return s
}

// syncCounts words the changes of a sync.
func syncCounts(ctx context.Context, n workflow.DirectorySyncCounts) string {
	return i18n.T(ctx, "console.directories.counts", "Created", n.Created, "Updated", n.Updated, "Disabled", n.Disabled,
		"Enabled", n.Enabled, "Assigned", n.Assigned, "Unassigned", n.Unassigned, "Skipped", n.Skipped)
}

// directoryForm reads the directory form: the input for the service and
// the values to show again (never the password). Empty group rows are
// left out.
func directoryForm(c *gin.Context) (workflow.DirectoryInput, map[string]string) {
	in := workflow.DirectoryInput{Name: c.PostForm("name"), Kind: c.PostForm("kind"), URL: c.PostForm("url"),
		StartTLS: c.PostForm("start_tls") == "1", CAPEM: c.PostForm("ca_pem"), BindDN: c.PostForm("bind_dn"),
		BindPassword: c.PostForm("bind_password"), BaseDN: c.PostForm("base_dn"), UserFilter: c.PostForm("user_filter"),
		Attributes: workflow.DirectoryAttributes{Login: c.PostForm("attributes.login"), Email: c.PostForm("attributes.email"),
			Phone: c.PostForm("attributes.phone"), FirstName: c.PostForm("attributes.first_name"),
			LastName: c.PostForm("attributes.last_name"), ID: c.PostForm("attributes.id")},
		DisabledFilter: c.PostForm("disabled_filter"), NestedGroups: c.PostForm("nested_groups") == "1",
		SyncInterval: c.PostForm("sync_interval")}
	values := directoryValues(in)
	for i := range workflow.MaxDirectoryGroups + 1 { // one more, for the service to refuse
		dn := c.PostForm(views.DirectoryGroupField(i, "group_dn"))
		res := c.PostForm(views.DirectoryGroupField(i, "resource_id"))
		if strings.TrimSpace(dn) == "" && strings.TrimSpace(res) == "" {
			continue // an empty row, or none
		}
		id, err := optionalID(res)
		if err != nil {
			id = -1 // not a resource: the service says so
		}
		in.Groups = append(in.Groups, workflow.DirectoryGroup{GroupDN: dn, ResourceID: id})
	}
	// The kept rows are renumbered as in.Groups, so the service's errors
	// ("groups[1].resource_id") land on the row they are about.
	for i, g := range in.Groups {
		values[views.DirectoryGroupField(i, "group_dn")] = g.GroupDN
		if g.ResourceID > 0 {
			values[views.DirectoryGroupField(i, "resource_id")] = idString(g.ResourceID)
		}
	}
	return in, values
}

// directoryValues fills the form from input, without the password.
func directoryValues(in workflow.DirectoryInput) map[string]string {
	a := in.Attributes
	v := map[string]string{"name": in.Name, "kind": in.Kind, "url": in.URL, "start_tls": checked(in.StartTLS),
		"ca_pem": in.CAPEM, "bind_dn": in.BindDN, "base_dn": in.BaseDN, "user_filter": in.UserFilter,
		"attributes.login": a.Login, "attributes.email": a.Email, "attributes.phone": a.Phone,
		"attributes.first_name": a.FirstName, "attributes.last_name": a.LastName, "attributes.id": a.ID,
		"disabled_filter": in.DisabledFilter, "nested_groups": checked(in.NestedGroups), "sync_interval": in.SyncInterval}
	for i, g := range in.Groups {
		v[views.DirectoryGroupField(i, "group_dn")], v[views.DirectoryGroupField(i, "resource_id")] = g.GroupDN, idString(g.ResourceID)
	}
	return v
}

// groupRows counts the group rows of a form: those filled, and 3 empty.
func groupRows(values map[string]string) int {
	n := 0
	for {
		if _, ok := values[views.DirectoryGroupField(n, "group_dn")]; !ok {
			return n + 3
		}
		n++
	}
}

// errorKeys is the service's field keys as the form names them:
// "groups[0].group_dn" is the input groups.0.group_dn.
var errorKeys = strings.NewReplacer("[", ".", "]", "")

// failedDirectoryForm is the form of err with the field errors on the inputs.
func failedDirectoryForm(ctx context.Context, err error, values map[string]string) views.Form {
	f := views.FailedForm(ctx, err, values)
	fields := make(map[string]string, len(f.Errors))
	for k, v := range f.Errors {
		fields[errorKeys.Replace(k)] = v
	}
	f.Errors = fields
	return f
}

// renderDirectoryForm shows the new (d.ID 0) or edit form of a directory.
func (h *Handler) renderDirectoryForm(c *gin.Context, status int, d workflow.Directory, f views.Form) {
	resources, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, status, views.DirectoryFormPage(h.chrome(c, "directories"), views.DirectoryEdit{
		ID: d.ID, Name: d.Name, Form: f, Groups: groupRows(f.Values), Resources: resources}))
}

func (h *Handler) newDirectoryPage(c *gin.Context) {
	h.renderDirectoryForm(c, http.StatusOK, workflow.Directory{}, views.Form{Values: map[string]string{"kind": "ldap", "sync_interval": "15m"}})
}

func (h *Handler) createDirectory(c *gin.Context) {
	in, values := directoryForm(c)
	d, err := h.Svc.CreateDirectory(c.Request.Context(), in, current(c).Actor(), meta(c))
	if err != nil {
		if !formError(err) {
			h.fail(c, err)
			return
		}
		h.renderDirectoryForm(c, views.ErrorStatus(err), workflow.Directory{}, failedDirectoryForm(c.Request.Context(), err, values))
		return
	}
	h.done(c, "/admin/directories", i18n.T(c.Request.Context(), "console.directories.added", "Name", d.Name))
}

// directory loads the directory of :id, without its password.
func (h *Handler) directory(c *gin.Context) (workflow.Directory, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return workflow.Directory{}, false
	}
	d, err := h.Svc.Directory(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return d, false
	}
	return d, true
}

func (h *Handler) directoryPage(c *gin.Context) {
	if d, ok := h.directory(c); ok {
		v := directoryValues(d.Input())
		v["sync_interval"] = shortDuration(d.SyncInterval)
		h.renderDirectoryForm(c, http.StatusOK, d, views.Form{Values: v})
	}
}

func (h *Handler) updateDirectory(c *gin.Context) {
	d, ok := h.directory(c)
	if !ok {
		return
	}
	in, values := directoryForm(c)
	updated, err := h.Svc.UpdateDirectory(c.Request.Context(), d.ID, in, current(c).Actor(), meta(c))
	if err != nil {
		if !formError(err) {
			h.fail(c, err)
			return
		}
		h.renderDirectoryForm(c, views.ErrorStatus(err), d, failedDirectoryForm(c.Request.Context(), err, values))
		return
	}
	h.done(c, "/admin/directories", i18n.T(c.Request.Context(), "console.directories.saved", "Name", updated.Name))
}

// outcome reports whether err is how a test or sync turned out (the
// directory or its client unavailable, a sync already running), told in a
// flash on the list rather than an error page.
func outcome(err error) bool {
	code := workflow.ErrorCode(err)
	return code == workflow.CodeUnavailable || code == workflow.CodeConflict
}

func (h *Handler) testDirectory(c *gin.Context) {
	d, ok := h.directory(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	res, err := h.Svc.TestDirectory(ctx, d.ID)
	switch {
	case err != nil && !outcome(err):
		h.fail(c, err)
	case err != nil:
		h.doneFailed(c, "/admin/directories", i18n.T(ctx, "console.directories.outcome", "Name", d.Name, "Message", i18n.ErrorMessage(c.Request.Context(), err)))
	case !res.OK:
		h.doneFailed(c, "/admin/directories", i18n.T(ctx, "console.directories.outcome", "Name", d.Name, "Message", i18n.Msg(ctx, res.Msg)))
	default:
		h.done(c, "/admin/directories", i18n.T(ctx, "console.directories.outcome", "Name", d.Name, "Message", i18n.Msg(ctx, res.Msg)))
	}
}

func (h *Handler) syncDirectory(c *gin.Context) {
	d, ok := h.directory(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	run, err := h.Svc.SyncDirectory(ctx, d.ID, current(c).Actor(), meta(c))
	switch {
	case err != nil && !outcome(err):
		h.fail(c, err)
	case err != nil:
		h.doneFailed(c, "/admin/directories", i18n.T(ctx, "console.directories.outcome", "Name", d.Name, "Message", i18n.ErrorMessage(c.Request.Context(), err)))
	default:
		h.done(c, "/admin/directories", i18n.T(ctx, "console.directories.synced", "Name", d.Name, "Counts", syncCounts(ctx, run.Counts)))
	}
}

func (h *Handler) deleteDirectoryPage(c *gin.Context) {
	d, ok := h.directory(c)
	if !ok {
		return
	}
	users, err := h.Svc.Store.DirectoryUsers(c.Request.Context())
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	n, ctx := users[d.ID], c.Request.Context()
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "directories"), views.Confirm{
		Title: i18n.T(ctx, "console.directories.delete_title", "Name", d.Name), Lead: i18n.T(ctx, "console.tokens.cannot_undo"),
		Effects: []string{
			i18n.T(ctx, "console.directories.delete_effect_users", "Count", n, "Name", d.Name),
			i18n.T(ctx, "console.directories.delete_effect_groups"),
			i18n.T(ctx, "console.directories.delete_effect_settings"),
		},
		Action: views.DirectoryHref(d.ID) + "/delete", Button: i18n.T(ctx, "console.resources.delete_button", "Name", d.Name), Cancel: "/admin/directories",
	}))
}

func (h *Handler) deleteDirectory(c *gin.Context) {
	d, ok := h.directory(c)
	if !ok {
		return
	}
	n, err := h.Svc.DeleteDirectory(c.Request.Context(), d.ID, current(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/directories", i18n.T(c.Request.Context(), "console.directories.deleted", "Name", d.Name, "Count", n))
}
