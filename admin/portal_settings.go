package admin

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The Self-Service tab of a resource (SPEC §3 Portal, §7): enabling a
// portal and editing its settings. Superadmins edit every portal, owners
// only those of the resources they own; everybody else reads them.

// portalRoutes registers the tab's form; GET is the resource's page.
func (h *Handler) portalRoutes(in *gin.RouterGroup) {
	in.POST("/resources/:id/portal", h.allow(portalEditors...), h.savePortal)
}

// mayEditPortal reports whether the signed-in admin may change the portal
// of resource id.
func mayEditPortal(c *gin.Context, id int64) bool {
	a := current(c)
	return a.Role == workflow.RoleSuperadmin || a.Role == workflow.RoleOwner && slices.Contains(a.OwnedResource, id)
}

// portalForm is the settings form: the service's input, the order of all
// 14 actions as shown, and the text as typed, to show again.
type portalForm struct {
	in     workflow.PortalInput
	order  []string
	values map[string]string
	moved  string // the action a Move button moved; "" when none did
	dir    string // up or down
}

// storedPortalForm is the form filled with p's settings.
func storedPortalForm(p workflow.Portal) portalForm {
	in := p.Input()
	f := portalForm{in: in, values: map[string]string{
		"alias": in.Alias, "enabled": checked(in.Enabled), "trusted_networks": strings.Join(in.TrustedNetworks, "\n"),
		"otp_outside_trusted": checked(in.OTPOutsideTrusted), "deny_without_token_outside_trusted": checked(in.DenyWithoutTokenOutsideTrusted),
		"require_token": checked(in.RequireToken), "passkey_login": checked(in.PasskeyLogin), "remember_device_days": strconv.Itoa(in.RememberDeviceDays),
		"max_tokens_per_user": strconv.Itoa(in.MaxTokensPerUser), "pin_length": strconv.Itoa(in.PINLength),
		"radius_first_factor": in.RadiusFirstFactor, "radius_allow_without_token": checked(in.RadiusAllowWithoutToken),
		"default_country": in.DefaultCountry, "approve_new_tokens": checked(in.ApproveNewTokens),
	}}
	for _, a := range p.Actions {
		f.order = append(f.order, a.ID)
	}
	f.order = actionOrder(f.order)
	return f
}

// readPortalForm reads the posted settings form and applies its Move
// button, if one was pressed, to the order.
func readPortalForm(c *gin.Context) portalForm {
	f := portalForm{values: map[string]string{}}
	text := func(name string) string {
		v := strings.TrimSpace(c.PostForm(name))
		f.values[name] = v
		return v
	}
	flag := func(name string) bool {
		on := c.PostForm(name) == "1"
		f.values[name] = checked(on)
		return on
	}
	number := func(name string) int {
		n, err := strconv.Atoi(text(name))
		if err != nil {
			return math.MinInt // outside every range: SavePortal names the field and its range
		}
		return n
	}
	f.in = workflow.PortalInput{
		Alias: text("alias"), Enabled: flag("enabled"), TokenTypes: c.PostFormArray("token_types"),
		OTPOutsideTrusted: flag("otp_outside_trusted"), DenyWithoutTokenOutsideTrusted: flag("deny_without_token_outside_trusted"),
		RequireToken: flag("require_token"), RememberDeviceDays: number("remember_device_days"),
		MaxTokensPerUser: number("max_tokens_per_user"), PINLength: number("pin_length"),
		RadiusFirstFactor: text("radius_first_factor"), RadiusAllowWithoutToken: flag("radius_allow_without_token"),
		DefaultCountry: text("default_country"), ApproveNewTokens: flag("approve_new_tokens"), PasskeyLogin: flag("passkey_login"),
	}
	nets := c.PostForm("trusted_networks")
	f.values["trusted_networks"] = nets
	for line := range strings.Lines(nets) {
		if line = strings.TrimSpace(line); line != "" {
			f.in.TrustedNetworks = append(f.in.TrustedNetworks, line)
		}
	}

	f.order = actionOrder(c.PostFormArray("order"))
	if dir, id, ok := strings.Cut(c.PostForm("move"), ":"); ok {
		if i := slices.Index(f.order, id); i >= 0 {
			j := i - 1
			if dir == "down" {
				j = i + 1
			}
			if (dir == "up" || dir == "down") && j >= 0 && j < len(f.order) {
				f.order[i], f.order[j] = f.order[j], f.order[i]
				f.moved, f.dir = id, dir
			}
		}
	}
	ticked := c.PostFormArray("actions")
	f.in.Actions = []string{}
	for _, id := range f.order {
		if slices.Contains(ticked, id) {
			f.in.Actions = append(f.in.Actions, id)
		}
	}
	for _, id := range ticked {
		if !slices.Contains(workflow.Actions, id) {
			f.in.Actions = append(f.in.Actions, id) // for SavePortal to name
		}
	}
	return f
}

// actionOrder makes a posted order whole: unknown and repeated ids are
// dropped, missing ones follow in their default order.
func actionOrder(posted []string) []string {
	order := make([]string, 0, len(workflow.Actions))
	for _, id := range posted {
		if slices.Contains(workflow.Actions, id) && !slices.Contains(order, id) {
			order = append(order, id)
		}
	}
	for _, id := range workflow.Actions {
		if !slices.Contains(order, id) {
			order = append(order, id)
		}
	}
	return order
}

// portalView is the tab for resource id showing form f; stored is the
// portal as it is in the database (nil when the resource has none).
func portalView(c *gin.Context, id int64, stored *workflow.Portal, f portalForm) views.ResourcePortal {
	ctx := c.Request.Context()
	v := views.ResourcePortal{ResourceID: id, CanEdit: mayEditPortal(c, id), Form: views.Form{Values: f.values}}
	if stored == nil {
		return v
	}
	v.Exists, v.Alias, v.Enabled, v.Updated = true, stored.Alias, stored.Enabled, i18n.DateTime(ctx, stored.UpdatedAt)
	for _, a := range f.order {
		v.Actions = append(v.Actions, views.PortalActionRow{ID: a, On: slices.Contains(f.in.Actions, a)})
	}
	for _, t := range workflow.TokenTypes {
		v.TokenTypes = append(v.TokenTypes, views.PortalChoice{Value: t, On: slices.Contains(f.in.TokenTypes, t)})
	}
	return v
}

// portalTab is the Self-Service tab of resource id as stored.
func (h *Handler) portalTab(c *gin.Context, id int64) (views.ResourcePortal, error) {
	p, err := h.Svc.Store.PortalByResource(c.Request.Context(), id)
	switch {
	case workflow.ErrorCode(err) == workflow.CodeNotFound:
		return portalView(c, id, nil, portalForm{}), nil
	case err != nil:
		return views.ResourcePortal{}, err
	}
	return portalView(c, id, &p, storedPortalForm(p)), nil
}

// savePortal enables a portal (the resource has none: the defaults with the
// alias, switched on) or saves the settings form, after applying a Move
// button pressed in it. Nothing is saved when anything is invalid.
func (h *Handler) savePortal(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	if !mayEditPortal(c, id) {
		h.refusePortal(c)
		return
	}
	r, ok := h.resource(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	var stored *workflow.Portal
	switch p, err := h.Svc.Store.PortalByResource(ctx, r.ID); {
	case err == nil:
		stored = &p
	case workflow.ErrorCode(err) != workflow.CodeNotFound:
		h.fail(c, err)
		return
	}

	var f portalForm
	switch {
	case stored == nil:
		alias := strings.TrimSpace(c.PostForm("alias"))
		f = portalForm{in: workflow.DefaultPortalInput(alias), values: map[string]string{"alias": alias}}
		f.in.Enabled = true
	case c.PostForm("form") == "enable":
		// Another admin enabled the portal meanwhile: take the alias, keep
		// the rest.
		f = storedPortalForm(*stored)
		f.in.Alias, f.in.Enabled = strings.TrimSpace(c.PostForm("alias")), true
		f.values["alias"], f.values["enabled"] = f.in.Alias, "1"
	default:
		f = readPortalForm(c)
	}

	saved, err := h.Svc.SavePortal(ctx, r.ID, f.in, current(c).Actor(), meta(c))
	if err != nil {
		if !formError(err) {
			h.fail(c, err)
			return
		}
		v := portalView(c, r.ID, stored, f)
		v.Form = views.FailedForm(ctx, err, f.values)
		v.Form.Message = i18n.T(ctx, "console.portal.nothing_saved") + " " + v.Form.Message
		// A taken alias is a field error like any other here.
		h.page(c, http.StatusUnprocessableEntity, views.ResourcePage(h.chrome(c, "resources"), views.ResourceDetail{
			ID: r.ID, Name: r.Name, Description: r.Description, Created: i18n.DateTime(ctx, r.CreatedAt),
			Tab: "selfservice", CanEdit: may(c, superadmin), Portal: v,
		}))
		return
	}

	to := tabHref(r.ID, "selfservice")
	if stored == nil {
		h.done(c, to, i18n.T(ctx, "console.portal.enabled_at", "Name", r.Name, "Alias", saved.Alias))
		return
	}
	msg := []string{i18n.T(ctx, "console.portal.saved", "Name", r.Name)}
	if saved.Alias != stored.Alias {
		msg = append(msg, i18n.T(ctx, "console.portal.moved_address", "Alias", saved.Alias, "Old", stored.Alias))
	}
	if saved.Enabled != stored.Enabled {
		if saved.Enabled {
			msg = append(msg, i18n.T(ctx, "console.portal.now_enabled"))
		} else {
			msg = append(msg, i18n.T(ctx, "console.portal.now_disabled"))
		}
	}
	if f.moved != "" {
		msg = append(msg, moveOutcome(ctx, saved, f))
		to += "#action-" + f.moved
	}
	h.done(c, to, strings.Join(msg, " "))
}

// moveOutcome says what a Move button did. Only the switched-on actions
// keep an order of their own: the others follow them in their default
// order, so moving one of those, or moving an action across that border,
// changes nothing.
func moveOutcome(ctx context.Context, saved workflow.Portal, f portalForm) string {
	label := views.ActionLabel(ctx, f.moved)
	at := slices.IndexFunc(saved.Actions, func(a workflow.PortalAction) bool { return a.ID == f.moved })
	switch {
	case at == slices.Index(f.order, f.moved) && f.dir == "up":
		return i18n.T(ctx, "console.portal.moved_up", "Action", label, "Place", at+1)
	case at == slices.Index(f.order, f.moved):
		return i18n.T(ctx, "console.portal.moved_down", "Action", label, "Place", at+1)
	case !slices.Contains(f.in.Actions, f.moved):
		return i18n.T(ctx, "console.portal.move_off", "Action", label)
	default:
		return i18n.T(ctx, "console.portal.move_stays", "Action", label)
	}
}

// refusePortal answers 403, as allow does, to an owner changing the portal
// of a resource they do not own.
func (h *Handler) refusePortal(c *gin.Context) {
	h.denied(c, current(c).Actor())
	ctx := c.Request.Context()
	h.page(c, http.StatusForbidden, views.ErrorPage(http.StatusForbidden, i18n.T(ctx, "console.portal.not_allowed"),
		i18n.T(ctx, "console.portal.own_only")))
}
