package admin

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// The User Issues queue over the API (SPEC §7): list restore-access
// requests, verify or delete one. Everybody but validate keys reads, owner
// keys only the requests of their resource; superadmin and helpdesk keys
// handle them. Of two concurrent handlings one wins, the other gets 409.

// apiIssue is a request as the API shows it: never the new password's hash.
type apiIssue struct {
	ID             int64             `json:"id"`
	UserID         int64             `json:"user_id"`
	Login          string            `json:"login"`
	ResourceID     int64             `json:"resource_id"`
	Lost           []string          `json:"lost"`
	Authenticators map[string]string `json:"authenticators"` // token, password, email → verified, failed, lost, absent
	NewEmail       string            `json:"new_email"`      // the address asked for; "" unless email access was lost
	IP             string            `json:"ip"`             // where the request was filed from
	UserAgent      string            `json:"user_agent"`     // the browser it was filed with
	Replaces       *int64            `json:"replaces"`       // the open request it replaced; null when none
	Status         string            `json:"status"`
	CreatedAt      time.Time         `json:"created_at"`
	HandledAt      *time.Time        `json:"handled_at"`
	HandledBy      *int64            `json:"handled_by"` // the admin's id; null when open, withdrawn or handled by an API key
}

func apiIssueOut(is workflow.Issue) apiIssue {
	lost := is.Lost
	if lost == nil {
		lost = []string{}
	}
	var replaces *int64
	if is.Replaces != 0 {
		replaces = &is.Replaces
	}
	return apiIssue{
		ID: is.ID, UserID: is.UserID, Login: is.Login, ResourceID: is.ResourceID, Lost: lost,
		Authenticators: map[string]string{"token": is.Token, "password": is.Password, "email": is.Email},
		NewEmail:       is.NewEmail, IP: is.IP, UserAgent: is.UserAgent, Replaces: replaces,
		Status: is.Status, CreatedAt: is.CreatedAt.UTC(), HandledAt: apiTime(is.HandledAt), HandledBy: is.HandledBy,
	}
}

// apiListIssues answers GET /issues?status=&resource_id=&before=&limit=,
// newest first. status is open, verified, deleted or withdrawn; absent (or
// "all") lists every status. before is the next_before of the previous
// page.
func (h *Handler) apiListIssues(c *gin.Context) {
	status := c.Query("status")
	switch status {
	case "", "all":
		status = ""
	case workflow.IssueOpen, workflow.IssueVerified, workflow.IssueDeleted, workflow.IssueWithdrawn:
	default:
		h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"status": workflow.M("api.issue_status")}))
		return
	}
	resourceID, ok := h.apiQueryID(c, "resource_id")
	if !ok {
		return
	}
	before, ok := h.apiQueryID(c, "before")
	if !ok {
		return
	}
	limit, ok := h.apiLimit(c)
	if !ok {
		return
	}
	if resourceID, ok = h.apiScopeFilter(c, resourceID); !ok {
		return
	}
	list, total, err := h.Svc.Store.ListIssues(c.Request.Context(), workflow.IssueFilter{
		Status: status, ResourceID: resourceID, Before: before, Limit: limit + 1,
	})
	if err != nil {
		h.fail(c, workflow.Internal(err))
		return
	}
	list, next := workflow.NextPage(list, limit, workflow.Issue.Cursor)
	items := make([]apiIssue, 0, len(list))
	for _, is := range list {
		items = append(items, apiIssueOut(is))
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_before": next, "total": total})
}

// apiIssueFor loads the request of the path, as far as the key may see it.
func (h *Handler) apiIssueFor(c *gin.Context) (workflow.Issue, bool) {
	id, ok := h.apiPathID(c, "id", "The request")
	if !ok {
		return workflow.Issue{}, false
	}
	is, err := h.Svc.Store.IssueByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return is, false
	}
	if own, bound := apiOwnerResource(currentKey(c)); bound && own != is.ResourceID {
		h.apiHidden(c, "The request")
		return is, false
	}
	return is, true
}

func (h *Handler) apiGetIssue(c *gin.Context) {
	if is, ok := h.apiIssueFor(c); ok {
		c.JSON(http.StatusOK, apiIssueOut(is))
	}
}

// apiHandleIssue answers POST /issues/{id}/verify and DELETE /issues/{id}:
// 200 with the request as it now is, 409 when it was handled already.
func (h *Handler) apiHandleIssue(verify bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := h.apiPathID(c, "id", "The request")
		if !ok {
			return
		}
		handle := h.Svc.DeleteIssue
		if verify {
			handle = h.Svc.VerifyIssue
		}
		is, err := handle(c.Request.Context(), id, currentKey(c).Actor(), "", meta(c))
		if err != nil {
			h.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, apiIssueOut(is))
	}
}
