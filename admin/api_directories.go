package admin

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// The directories (SPEC §12), for superadmin keys: settings, a connection
// test and a sync on demand. The bind password goes in and never comes out.

// apiDirectoryIn is a directory as the API takes it. A PATCH decodes onto
// the stored directory's values, so only the fields sent change (an absent
// or empty bind_password keeps the stored one).
type apiDirectoryIn struct {
	Name           string                       `json:"name"`
	Kind           string                       `json:"kind"`
	URL            string                       `json:"url"`
	StartTLS       bool                         `json:"start_tls"`
	CAPEM          string                       `json:"ca_pem"`
	BindDN         string                       `json:"bind_dn"`
	BindPassword   string                       `json:"bind_password"`
	BaseDN         string                       `json:"base_dn"`
	UserFilter     string                       `json:"user_filter"`
	Attributes     workflow.DirectoryAttributes `json:"attributes"`
	DisabledFilter string                       `json:"disabled_filter"`
	NestedGroups   bool                         `json:"nested_groups"`
	Groups         []workflow.DirectoryGroup    `json:"groups"`
	SyncInterval   string                       `json:"sync_interval"`
}

func (in apiDirectoryIn) input() workflow.DirectoryInput {
	return workflow.DirectoryInput{Name: in.Name, Kind: in.Kind, URL: in.URL, StartTLS: in.StartTLS, CAPEM: in.CAPEM,
		BindDN: in.BindDN, BindPassword: in.BindPassword, BaseDN: in.BaseDN, UserFilter: in.UserFilter,
		Attributes: in.Attributes, DisabledFilter: in.DisabledFilter, NestedGroups: in.NestedGroups, Groups: in.Groups,
		SyncInterval: in.SyncInterval}
}

// apiDirectory is a directory as the API shows it: never its password.
type apiDirectory struct {
	ID             int64                        `json:"id"`
	Name           string                       `json:"name"`
	URL            string                       `json:"url"`
	StartTLS       bool                         `json:"start_tls"`
	CAPEM          string                       `json:"ca_pem"`
	BindDN         string                       `json:"bind_dn"`
	BaseDN         string                       `json:"base_dn"`
	UserFilter     string                       `json:"user_filter"`
	Attributes     workflow.DirectoryAttributes `json:"attributes"`
	DisabledFilter string                       `json:"disabled_filter"`
	NestedGroups   bool                         `json:"nested_groups"`
	Groups         []workflow.DirectoryGroup    `json:"groups"`
	SyncInterval   string                       `json:"sync_interval"`
	Users          int                          `json:"users"`
	LastSync       *workflow.DirectorySyncRun   `json:"last_sync"`
	CreatedAt      time.Time                    `json:"created_at"`
	UpdatedAt      time.Time                    `json:"updated_at"`
}

func apiDirectoryOut(d workflow.Directory, users int) apiDirectory {
	groups := d.Groups
	if groups == nil {
		groups = []workflow.DirectoryGroup{}
	}
	return apiDirectory{ID: d.ID, Name: d.Name, URL: d.URL, StartTLS: d.StartTLS, CAPEM: d.CAPEM, BindDN: d.BindDN,
		BaseDN: d.BaseDN, UserFilter: d.UserFilter, Attributes: d.Attributes, DisabledFilter: d.DisabledFilter,
		NestedGroups: d.NestedGroups, Groups: groups, SyncInterval: d.SyncInterval.String(), Users: users,
		LastSync: d.LastSync, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

func (h *Handler) apiCreateDirectory(c *gin.Context) {
	var in apiDirectoryIn
	if !h.apiDecode(c, &in) {
		return
	}
	d, err := h.Svc.CreateDirectory(c.Request.Context(), in.input(), currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiDirectoryOut(d, 0))
}

func (h *Handler) apiListDirectories(c *gin.Context) {
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
	items := make([]apiDirectory, 0, len(list))
	for _, d := range list {
		items = append(items, apiDirectoryOut(d, users[d.ID]))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// apiDirectoryFor loads the directory of the path.
func (h *Handler) apiDirectoryFor(c *gin.Context) (workflow.Directory, bool) {
	id, ok := h.apiPathID(c, "id", "The directory")
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

func (h *Handler) apiGetDirectory(c *gin.Context) {
	if d, ok := h.apiDirectoryFor(c); ok {
		h.apiDirectoryAnswer(c, d)
	}
}

// apiDirectoryAnswer answers d with the number of its users.
func (h *Handler) apiDirectoryAnswer(c *gin.Context, d workflow.Directory) {
	users, err := h.Svc.Store.DirectoryUsers(c.Request.Context())
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	c.JSON(http.StatusOK, apiDirectoryOut(d, users[d.ID]))
}

func (h *Handler) apiPatchDirectory(c *gin.Context) {
	d, ok := h.apiDirectoryFor(c)
	if !ok {
		return
	}
	was := d.Input()
	in := apiDirectoryIn{Name: was.Name, URL: was.URL, StartTLS: was.StartTLS, CAPEM: was.CAPEM, BindDN: was.BindDN,
		BaseDN: was.BaseDN, UserFilter: was.UserFilter, Attributes: was.Attributes, DisabledFilter: was.DisabledFilter,
		NestedGroups: was.NestedGroups, Groups: was.Groups, SyncInterval: was.SyncInterval}
	if !h.apiDecode(c, &in) {
		return
	}
	d, err := h.Svc.UpdateDirectory(c.Request.Context(), d.ID, in.input(), currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.apiDirectoryAnswer(c, d)
}

func (h *Handler) apiDeleteDirectory(c *gin.Context) {
	id, ok := h.apiPathID(c, "id", "The directory")
	if !ok {
		return
	}
	n, err := h.Svc.DeleteDirectory(c.Request.Context(), id, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": true, "id": id, "users_disabled": n})
}

func (h *Handler) apiTestDirectory(c *gin.Context) {
	id, ok := h.apiPathID(c, "id", "The directory")
	if !ok {
		return
	}
	res, err := h.Svc.TestDirectory(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// apiSyncDirectory runs a sync now and answers its counts; a failed sync
// (nothing changed) is 503 with the reason, one already running 409.
func (h *Handler) apiSyncDirectory(c *gin.Context) {
	id, ok := h.apiPathID(c, "id", "The directory")
	if !ok {
		return
	}
	run, err := h.Svc.SyncDirectory(c.Request.Context(), id, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"created": run.Counts.Created, "updated": run.Counts.Updated,
		"disabled": run.Counts.Disabled, "enabled": run.Counts.Enabled, "assigned": run.Counts.Assigned,
		"unassigned": run.Counts.Unassigned, "skipped": run.Counts.Skipped, "problems": nonNil(run.Problems)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
