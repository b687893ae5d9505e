package admin

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// The signed-in admin's own notification setting: the address they are
// mailed at and which new restore-access requests they are mailed about
// (all, some resources or none). Owners choose among the resources they own.

func (h *Handler) notificationRoutes(in *gin.RouterGroup) {
	in.GET("/notifications", h.allow(anyAdmin...), h.notificationsPage)
	in.POST("/notifications", h.allow(anyAdmin...), h.saveNotifications)
}

// Values of the subscribe radio.
const (
	subscribeNone = "none"
	subscribeAll  = "all"
	subscribeSome = "some"
)

// subscriptionForm is the form of a's stored subscription and the resources
// it ticks, for this page and an admin's recipient page in the settings.
func (h *Handler) subscriptionForm(c *gin.Context, a workflow.Admin) (views.Form, []int64, error) {
	all, resources, err := h.Svc.Store.Subscriptions(c.Request.Context(), a.ID)
	if err != nil {
		return views.Form{}, nil, err
	}
	sub := subscribeNone
	switch {
	case all:
		sub = subscribeAll
	case len(resources) > 0:
		sub = subscribeSome
	}
	return views.Form{Values: map[string]string{"email": a.Email, "subscribe": sub}}, resources, nil
}

func (h *Handler) notificationsPage(c *gin.Context) {
	f, ticked, err := h.subscriptionForm(c, current(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderNotifications(c, http.StatusOK, f, ticked)
}

// renderNotifications shows the page with the form f and the resources
// ticked.
func (h *Handler) renderNotifications(c *gin.Context, status int, f views.Form, ticked []int64) {
	choices, err := h.recipientChoices(c, current(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	for i := range choices {
		choices[i].On = slices.Contains(ticked, choices[i].ID)
	}
	h.page(c, status, views.NotificationsPage(h.chrome(c, "notifications"), views.NotificationSettings{
		Form: f, Resources: choices, Owner: current(c).Role == workflow.RoleOwner,
	}))
}

// recipientChoices are the resources an admin may be mailed about: all, or
// the ones an owner owns.
func (h *Handler) recipientChoices(c *gin.Context, a workflow.Admin) ([]views.ResourceChoice, error) {
	rows, err := h.Svc.Store.ListResources(c.Request.Context())
	if err != nil {
		return nil, err
	}
	var out []views.ResourceChoice
	for _, r := range rows {
		if a.Role != workflow.RoleOwner || slices.Contains(a.OwnedResource, r.ID) {
			out = append(out, views.ResourceChoice{ID: r.ID, Name: r.Name})
		}
	}
	return out, nil
}

func (h *Handler) saveNotifications(c *gin.Context) {
	a := current(c)
	email, sub := c.PostForm("email"), c.PostForm("subscribe")
	raw := c.PostFormArray("resource_id")
	values := map[string]string{"email": email, "subscribe": sub}

	choices, err := h.recipientChoices(c, current(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	ids, all, resources, err := readSubscription(sub, raw, choices, workflow.M("settings.subscribe_you"))
	if err == nil {
		err = h.Svc.SetIssueSubscription(c.Request.Context(), a, email, all, resources, meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderNotifications(c, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values), ids)
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/notifications", "Your notification settings were saved.")
}

// readSubscription reads the subscription form shared by the Notifications
// page and the settings' recipients: the choice (none, all, some) and the
// ticked resources, which must be among choices. choose is the message
// when no choice was made.
func readSubscription(sub string, raw []string, choices []views.ResourceChoice, choose workflow.Msg) (ids []int64, all bool, resources []int64, err error) {
	badID := false
	for _, v := range raw {
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || !slices.ContainsFunc(choices, func(r views.ResourceChoice) bool { return r.ID == id }) {
			badID = true
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case sub != subscribeNone && sub != subscribeAll && sub != subscribeSome:
		err = invalid("subscribe", choose)
	case sub == subscribeSome && badID:
		err = invalid("resource_id", workflow.M("settings.subscribe_listed"))
	case sub == subscribeSome && len(ids) == 0:
		err = invalid("resource_id", workflow.M("settings.subscribe_some"))
	case sub == subscribeAll:
		all = true
	case sub == subscribeSome:
		resources = ids
	}
	return ids, all, resources, err
}
