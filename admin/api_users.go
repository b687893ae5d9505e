package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// apiUser is a user as the API shows it: never a password hash.
type apiUser struct {
	ID                   int64      `json:"id"`
	Login                string     `json:"login"`
	FirstName            string     `json:"first_name"`
	LastName             string     `json:"last_name"`
	Email                string     `json:"email"`
	Phone                string     `json:"phone"`
	HasPassword          bool       `json:"has_password"`
	PasswordNeverExpires bool       `json:"password_never_expires"`
	ValidUntil           *string    `json:"valid_until"` // YYYY-MM-DD, null: no expiry
	Disabled             bool       `json:"disabled"`
	Language             string     `json:"language"`
	Locked               bool       `json:"locked"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	PasswordChangedAt    *time.Time `json:"password_changed_at"`
	Resources            []int64    `json:"resources"`
	// Source is "local" (made in tokenportal) or "directory"; a directory's
	// user names it (SPEC §12).
	Source        string `json:"source"`
	DirectoryID   *int64 `json:"directory_id"`
	DirectoryName string `json:"directory,omitempty"`
}

// apiUserOut shapes u for the API; resources are the ids of the resources
// the user is assigned to.
func (h *Handler) apiUserOut(u workflow.User, resources []int64) apiUser {
	if resources == nil {
		resources = []int64{}
	}
	out := apiUser{
		ID: u.ID, Login: u.Login, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Phone: u.Phone,
		HasPassword: u.HasPassword(), PasswordNeverExpires: u.PasswordNeverExpires, Disabled: u.Disabled,
		Language: u.Language, Locked: u.LockedUntil != nil && h.Svc.Now().Before(*u.LockedUntil),
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), PasswordChangedAt: apiTime(u.PasswordChangedAt),
		Resources: resources, Source: "local", DirectoryID: u.DirectoryID, DirectoryName: u.DirectoryName,
	}
	if u.FromDirectory() {
		out.Source = "directory"
	}
	if d := apiDate(u.ValidUntil); d != "" {
		out.ValidUntil = &d
	}
	return out
}

// apiDate is the calendar date of a date column ("" when null).
func apiDate(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// apiUsersOut shapes a list of users with their resources, in one query.
// An owner key sees only its own resource among them.
func (h *Handler) apiUsersOut(c *gin.Context, users []workflow.User) ([]apiUser, error) {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	res, err := h.Svc.Store.UserResourceIDs(c.Request.Context(), ids)
	if err != nil {
		return nil, err
	}
	own, bound := apiOwnerResource(currentKey(c))
	items := make([]apiUser, 0, len(users))
	for _, u := range users {
		r := res[u.ID]
		if bound {
			r = slices.DeleteFunc(r, func(id int64) bool { return id != own })
		}
		items = append(items, h.apiUserOut(u, r))
	}
	return items, nil
}

// apiOpt is a field of a partial update: Set tells whether the request
// named it at all, Null whether it gave null.
type apiOpt[T any] struct {
	Set, Null bool
	V         T
}

func (o *apiOpt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

func (h *Handler) apiCreateUser(c *gin.Context) {
	var in struct {
		Login                string  `json:"login"`
		FirstName            string  `json:"first_name"`
		LastName             string  `json:"last_name"`
		Email                string  `json:"email"`
		Phone                string  `json:"phone"`
		Password             string  `json:"password"` // empty or absent: no password (sign-in by emailed code)
		Language             string  `json:"language"`
		PasswordNeverExpires bool    `json:"password_never_expires"`
		ValidUntil           *string `json:"valid_until"`
		Disabled             bool    `json:"disabled"`
	}
	if !h.apiDecode(c, &in) {
		return
	}
	ui := workflow.UserInput{
		Login: in.Login, FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Phone: in.Phone,
		Password: in.Password, Language: in.Language, PasswordNeverExpires: in.PasswordNeverExpires, Disabled: in.Disabled,
	}
	if in.ValidUntil != nil {
		ui.ValidUntil = strings.TrimSpace(*in.ValidUntil)
	}
	u, err := h.Svc.CreateUser(c.Request.Context(), ui, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, h.apiUserOut(u, nil))
}

// apiUserFor loads the user of the path, as far as the key may see it.
func (h *Handler) apiUserFor(c *gin.Context) (workflow.User, bool) {
	id, ok := h.apiPathID(c, "id", "The user")
	if !ok {
		return workflow.User{}, false
	}
	ctx := c.Request.Context()
	u, err := h.Svc.Store.UserByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return workflow.User{}, false
	}
	if own, bound := apiOwnerResource(currentKey(c)); bound {
		assigned, err := h.Svc.Store.IsAssigned(ctx, own, u.ID)
		if err != nil {
			h.fail(c, workflow.Internal(err))
			return workflow.User{}, false
		}
		if !assigned {
			h.apiHidden(c, "The user")
			return workflow.User{}, false
		}
	}
	return u, true
}

func (h *Handler) apiGetUser(c *gin.Context) {
	u, ok := h.apiUserFor(c)
	if !ok {
		return
	}
	h.apiUserReply(c, http.StatusOK, u)
}

func (h *Handler) apiUserReply(c *gin.Context, status int, u workflow.User) {
	items, err := h.apiUsersOut(c, []workflow.User{u})
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	c.JSON(status, items[0])
}

// apiListUsers answers GET /users?login= (exact, ignoring case: zero or one
// item) or a page of users by login: ?limit=&after=&q=&resource_id=, where
// after is the next_after of the previous page.
func (h *Handler) apiListUsers(c *gin.Context) {
	ctx := c.Request.Context()
	resourceID, ok := h.apiQueryID(c, "resource_id")
	if !ok {
		return
	}
	if resourceID, ok = h.apiScopeFilter(c, resourceID); !ok {
		return
	}

	if login, named := c.GetQuery("login"); named {
		users := []workflow.User{}
		u, err := h.Svc.Store.UserByLogin(ctx, strings.TrimSpace(login))
		switch {
		case workflow.ErrorCode(err) == workflow.CodeNotFound:
		case err != nil:
			h.fail(c, err)
			return
		default:
			visible := true
			if resourceID != 0 {
				if visible, err = h.Svc.Store.IsAssigned(ctx, resourceID, u.ID); err != nil {
					h.fail(c, workflow.Internal(err))
					return
				}
			}
			if visible {
				users = append(users, u)
			}
		}
		items, err := h.apiUsersOut(c, users)
		if err != nil {
			h.fail(c, workflow.Internal(err))
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": items, "next_after": nil, "total": len(items)})
		return
	}

	limit, ok := h.apiLimit(c)
	if !ok {
		return
	}
	source := strings.TrimSpace(c.Query("source"))
	if id, err := strconv.ParseInt(source, 10, 64); source != "" && source != "local" && (err != nil || id <= 0) {
		h.apiBadRequest(c, workflow.M("api.source"),
			map[string]workflow.Msg{"source": workflow.M("api.source_short")})
		return
	}
	rows, total, err := h.Svc.Store.ListUsers(ctx, workflow.UserFilter{
		Query: strings.TrimSpace(c.Query("q")), ResourceID: resourceID, Source: source,
		After: strings.ToLower(c.Query("after")), Limit: limit + 1,
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, next := workflow.NextPage(rows, limit, workflow.UserRow.Cursor)
	users := make([]workflow.User, len(rows))
	for i, r := range rows {
		users[i] = r.User
	}
	items, err := h.apiUsersOut(c, users)
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_after": next, "total": total})
}

// apiUserPatch is a partial update: only the fields present change.
type apiUserPatch struct {
	Login                apiOpt[string] `json:"login"`
	FirstName            apiOpt[string] `json:"first_name"`
	LastName             apiOpt[string] `json:"last_name"`
	Email                apiOpt[string] `json:"email"`
	Phone                apiOpt[string] `json:"phone"`
	Language             apiOpt[string] `json:"language"`
	Password             apiOpt[string] `json:"password"`
	RemovePassword       apiOpt[bool]   `json:"remove_password"`
	PasswordNeverExpires apiOpt[bool]   `json:"password_never_expires"`
	ValidUntil           apiOpt[string] `json:"valid_until"` // null removes the expiry
	Disabled             apiOpt[bool]   `json:"disabled"`
}

// present names the fields the request gave, and those given as null
// where null means nothing.
func (p apiUserPatch) present() (set, null []string) {
	add := func(name string, isSet, isNull, nullable bool) {
		if isSet {
			set = append(set, name)
		}
		if isNull && !nullable {
			null = append(null, name)
		}
	}
	add("login", p.Login.Set, p.Login.Null, false)
	add("first_name", p.FirstName.Set, p.FirstName.Null, false)
	add("last_name", p.LastName.Set, p.LastName.Null, false)
	add("email", p.Email.Set, p.Email.Null, false)
	add("phone", p.Phone.Set, p.Phone.Null, false)
	add("language", p.Language.Set, p.Language.Null, false)
	add("password", p.Password.Set, p.Password.Null, false)
	add("remove_password", p.RemovePassword.Set, p.RemovePassword.Null, false)
	add("password_never_expires", p.PasswordNeverExpires.Set, p.PasswordNeverExpires.Null, false)
	add("valid_until", p.ValidUntil.Set, p.ValidUntil.Null, true)
	add("disabled", p.Disabled.Set, p.Disabled.Null, false)
	return set, null
}

// apiPatchUser changes the fields present in the body. "password" sets a
// new one (an empty string is refused); "remove_password": true removes it.
func (h *Handler) apiPatchUser(c *gin.Context) {
	var p apiUserPatch
	if !h.apiDecode(c, &p) {
		return
	}
	_, null := p.present()
	if len(null) > 0 {
		f := map[string]workflow.Msg{}
		for _, n := range null {
			f[n] = workflow.M("api.not_null_short")
		}
		h.apiBadRequest(c, workflow.M("api.not_null", "Field", null[0]), f)
		return
	}
	k := currentKey(c)
	u, ok := h.apiUserFor(c)
	if !ok {
		return
	}

	// Only the fields sent change; the role rule is the service's.
	in := u.Input()
	overlay := func(dst *string, o apiOpt[string]) {
		if o.Set {
			*dst = o.V
		}
	}
	overlay(&in.Login, p.Login)
	overlay(&in.FirstName, p.FirstName)
	overlay(&in.LastName, p.LastName)
	overlay(&in.Email, p.Email)
	overlay(&in.Phone, p.Phone)
	overlay(&in.Language, p.Language)
	overlay(&in.ValidUntil, p.ValidUntil) // null leaves "": no expiry
	in.ValidUntil = strings.TrimSpace(in.ValidUntil)
	if p.PasswordNeverExpires.Set {
		in.PasswordNeverExpires = p.PasswordNeverExpires.V
	}
	if p.Disabled.Set {
		in.Disabled = p.Disabled.V
	}
	switch {
	case p.Password.Set && p.RemovePassword.V:
		h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"remove_password": workflow.M("api.password_both")}))
		return
	case p.Password.Set && p.Password.V == "":
		h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"password": workflow.M("api.password_empty")}))
		return
	case p.Password.Set:
		in.Password = p.Password.V
	case p.RemovePassword.V:
		in.ClearPassword = true
	}

	u, err := h.Svc.UpdateUserAs(c.Request.Context(), k.Role, u.ID, in, k.Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.apiUserReply(c, http.StatusOK, u)
}

// apiDeleteUser removes a user; their tokens return to stock, disabled. It
// answers 200 with {"deleted": true, "id": …} rather than 204, so every
// endpoint answers a JSON body.
func (h *Handler) apiDeleteUser(c *gin.Context) {
	id, ok := h.apiPathID(c, "id", "The user")
	if !ok {
		return
	}
	if err := h.Svc.DeleteUser(c.Request.Context(), id, currentKey(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": true, "id": id})
}
