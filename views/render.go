// Package views holds the templ components of both the admin console and the
// portals, the view models they take, and the helper that renders them.
package views

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
)

// Render writes a component as an HTML page with the given status, using the
// request's context (so cancellation and request values reach templates).
func Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	return c.Render(r.Context(), w)
}

// Form carries what a person typed and what is wrong with it, so a page can
// be shown again with their input kept and the problems next to the fields.
type Form struct {
	Values map[string]string
	Errors map[string]string
	// Message is shown above the form (a failed sign-in, a conflict).
	Message string
}

// Value returns the kept input of a field.
func (f Form) Value(name string) string { return f.Values[name] }

// Error returns the problem with a field, if any.
func (f Form) Error(name string) string { return f.Errors[name] }

// Invalid is the aria-invalid value of a field.
func (f Form) Invalid(name string) string {
	if f.Errors[name] != "" {
		return "true"
	}
	return "false"
}

// DescribedBy is the aria-describedby value of a field: its hint and its
// error, when it has them.
func (f Form) DescribedBy(name string, hasHint bool) string {
	var ids []string
	if hasHint {
		ids = append(ids, name+"-hint")
	}
	if f.Errors[name] != "" {
		ids = append(ids, name+"-error")
	}
	return strings.Join(ids, " ")
}
