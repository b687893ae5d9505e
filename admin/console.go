package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// Helpers shared by the console areas users.go, resources.go and tokens.go.

// pageSize is the number of rows of every console list.
const pageSize = 50

// maxQuery bounds what a search box takes.
const maxQuery = 128

// page renders a console page with status.
func (h *Handler) page(c *gin.Context, status int, component templ.Component) {
	_ = views.Render(c.Writer, c.Request, status, component)
}

// done ends a successful change: a flash message for the next page and a
// 303 to it, so reloading does not post again.
func (h *Handler) done(c *gin.Context, to, flash string) {
	h.Sessions.Put(c.Request.Context(), keyFlash, flash)
	c.Redirect(http.StatusSeeOther, to)
}

// doneFailed ends an action that did not succeed without a form to show
// it on (a connection test, a sync): an error message for the next page
// and a 303 to it.
func (h *Handler) doneFailed(c *gin.Context, to, message string) {
	h.Sessions.Put(c.Request.Context(), keyFlashErr, message)
	c.Redirect(http.StatusSeeOther, to)
}

// may reports whether the signed-in admin has one of roles.
func may(c *gin.Context, roles []workflow.Role) bool { return slices.Contains(roles, current(c).Role) }

// formError reports whether err belongs next to a form (invalid input, a
// conflict such as a taken name) rather than on an error page.
func formError(err error) bool {
	code := workflow.ErrorCode(err)
	return code == workflow.CodeInvalid || code == workflow.CodeConflict
}

// invalid is a field error raised by a handler, shown like the service's.
func invalid(field string, m workflow.Msg) error {
	return workflow.FieldsInvalid(map[string]workflow.Msg{field: m})
}

var errNotFound = workflow.Fail(workflow.CodeNotFound, workflow.M("error.nothing_at_address"))

// idParam reads a numeric path parameter; a malformed one is a 404.
func (h *Handler) idParam(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		h.fail(c, errNotFound)
		return 0, false
	}
	return id, true
}

// optionalID reads an optional numeric form or query value: 0 when empty.
func optionalID(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("not an id")
	}
	return id, nil
}

// query reads a search box, trimmed and bounded.
func query(c *gin.Context) string {
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > maxQuery {
		q = q[:maxQuery]
	}
	return q
}

// afterKey is the key a keyset-paged list continues after; an overlong one
// starts at the first page.
func afterKey(c *gin.Context) string {
	after := c.Query("after")
	if len(after) > maxQuery {
		return ""
	}
	return after
}

// pager builds the links of a keyset-paged list at base?params. The query
// parameter param carries the key: from is its value on this page ("" on
// the first), next the key of this page's last row when more rows follow
// (see workflow.NextPage).
func pager[K any](base string, params url.Values, total int, noun, param, from string, next *K) views.Pager {
	p := views.Pager{Total: total, Noun: noun}
	link := func(key string) string {
		v := url.Values{}
		for k, vs := range params {
			if k != param && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if key != "" {
			v.Set(param, key)
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if from != "" {
		p.FirstHref = link("")
	}
	if next != nil {
		p.NextHref = link(fmt.Sprint(*next))
	}
	return p
}

// resourceOptions lists the resources the signed-in admin sees, for a
// select.
func (h *Handler) resourceOptions(c *gin.Context) ([]views.Option, error) {
	rows, err := h.Svc.Store.ResourceNames(c.Request.Context())
	if err != nil {
		return nil, err
	}
	scope := scopeOf(c)
	opts := make([]views.Option, 0, len(rows))
	for _, r := range rows {
		if inScope(scope, r.ID) {
			opts = append(opts, views.Option{Value: strconv.FormatInt(r.ID, 10), Label: r.Name})
		}
	}
	return opts, nil
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func checked(b bool) string {
	if b {
		return "1"
	}
	return ""
}
