package admin

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Who is mailed about new user issues: the Recipients section of the
// Settings page and an admin's recipient page. (The signed-in admin edits
// their own on the Notifications page, notifications.go.)

// recipientRows lists every admin and which new issues they are mailed about.
func (h *Handler) recipientRows(c *gin.Context) ([]views.RecipientRow, error) {
	ctx := c.Request.Context()
	rcs, err := h.Svc.Store.IssueRecipients(ctx)
	if err != nil {
		return nil, err
	}
	resources, err := h.Svc.Store.ListResources(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, r := range resources {
		names[r.ID] = r.Name
	}
	self := current(c).ID
	out := make([]views.RecipientRow, 0, len(rcs))
	for _, rc := range rcs {
		a := rc.Admin
		row := views.RecipientRow{ID: a.ID, Login: a.Login, Role: string(a.Role), Email: a.Email, Disabled: a.Disabled,
			Receives: views.ReceivesNone, Self: a.ID == self}
		switch {
		case rc.All:
			row.Receives = views.ReceivesAll
		case len(rc.Resources) > 0:
			row.Receives = views.ReceivesSome
			for _, id := range rc.Resources {
				if a.Role == workflow.RoleOwner && !slices.Contains(a.OwnedResource, id) {
					continue // owners are mailed about their own resources only
				}
				row.Resources = append(row.Resources, names[id])
			}
		}
		if row.Receives != views.ReceivesNone {
			switch {
			case a.Disabled:
				row.Note = i18n.T(ctx, "console.settings.note_disabled")
			case a.Email == "":
				row.Note = i18n.T(ctx, "console.settings.note_no_email")
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// recipient loads the admin of the :admin parameter; false when a page was
// rendered. The signed-in admin edits their own on the Notifications page.
func (h *Handler) recipient(c *gin.Context) (workflow.Admin, bool) {
	a, ok := h.adminParam(c, "admin")
	if ok && a.ID == current(c).ID {
		c.Redirect(http.StatusSeeOther, "/admin/notifications")
		return workflow.Admin{}, false
	}
	return a, ok
}

func (h *Handler) recipientPage(c *gin.Context) {
	a, ok := h.recipient(c)
	if !ok {
		return
	}
	f, ticked, err := h.subscriptionForm(c, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderRecipient(c, a, http.StatusOK, f, ticked)
}

func (h *Handler) renderRecipient(c *gin.Context, a workflow.Admin, status int, f views.Form, ticked []int64) {
	choices, err := h.recipientChoices(c, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	for i := range choices {
		choices[i].On = slices.Contains(ticked, choices[i].ID)
	}
	h.page(c, status, views.RecipientPage(h.chrome(c, "settings"), views.RecipientEdit{
		ID: a.ID, Login: a.Login, Role: string(a.Role), Form: f, Resources: choices, Owner: a.Role == workflow.RoleOwner,
	}))
}

func (h *Handler) saveRecipient(c *gin.Context) {
	a, ok := h.recipient(c)
	if !ok {
		return
	}
	email, sub := c.PostForm("email"), c.PostForm("subscribe")
	values := map[string]string{"email": email, "subscribe": sub}
	choices, err := h.recipientChoices(c, a)
	if err != nil {
		h.fail(c, err)
		return
	}
	ids, all, resources, err := readSubscription(sub, c.PostFormArray("resource_id"), choices, workflow.M("settings.subscribe_admin", "Login", a.Login))
	if err == nil {
		err = h.Svc.SetAdminIssueSubscription(c.Request.Context(), a, email, all, resources, current(c), meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderRecipient(c, a, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values), ids)
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/settings#recipients", i18n.T(c.Request.Context(), "console.settings.recipient_saved", "Login", a.Login))
}
