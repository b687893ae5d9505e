package admin

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// The User Issues queue over the API (SPEC §7, §15): list restore-access
// requests and new tokens waiting for approval, verify or delete one.
// Everybody but validate keys reads, owner keys only the requests of their
// resource; superadmin and helpdesk keys handle them, owner keys the
// enrolment issues of their resource when the superadmin allows it. Of two
// concurrent handlings one wins, the other gets 409.

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
	Kind           string            `json:"kind"`       // restore or enrolment
	Note           string            `json:"note"`       // the helpdesk's note on handling it; "" when none
	Token          *apiIssueToken    `json:"token"`      // the new token of an enrolment issue; null for restore
	// Enrolment is what an enrolment issue is judged by; null for restore.
	Enrolment *workflow.EnrolmentEvidence `json:"enrolment"`
}

// apiIssueToken names the new token of an enrolment issue.
type apiIssueToken struct {
	Serial string `json:"serial"`
	Type   string `json:"type"`
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
	var tok *apiIssueToken
	if is.Kind == workflow.IssueEnrolment {
		tok = &apiIssueToken{Serial: is.TokenSerial, Type: is.TokenType}
	}
	ev := is.Enrolment
	if ev != nil && ev.SignIn == nil {
		e := *ev
		e.SignIn = []string{}
		ev = &e
	}
	return apiIssue{
		Kind: is.Kind, Note: is.Note, Token: tok, Enrolment: ev,
		ID: is.ID, UserID: is.UserID, Login: is.Login, ResourceID: is.ResourceID, Lost: lost,
		Authenticators: map[string]string{"token": is.Token, "password": is.Password, "email": is.Email},
		NewEmail:       is.NewEmail, IP: is.IP, UserAgent: is.UserAgent, Replaces: replaces,
		Status: is.Status, CreatedAt: is.CreatedAt.UTC(), HandledAt: apiTime(is.HandledAt), HandledBy: is.HandledBy,
	}
}

// apiListIssues answers GET /issues?status=&kind=&resource_id=&before=&limit=,
// newest first. status is open, verified, deleted or withdrawn; absent (or
// "all") lists every status. kind is restore or enrolment; absent (or
// "all") lists both. before is the next_before of the previous page.
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
	kind := c.Query("kind")
	switch kind {
	case "", "all":
		kind = ""
	case workflow.IssueRestore, workflow.IssueEnrolment:
	default:
		h.apiBadRequest(c, workflow.M("api.issue_kind"), map[string]workflow.Msg{"kind": workflow.M("api.issue_kind")})
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
		Status: status, Kind: kind, ResourceID: resourceID, Before: before, Limit: limit + 1,
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

// apiIssueNote is the optional body of verify and delete.
type apiIssueNote struct {
	Note string `json:"note"`
}

// apiHandleIssue answers POST /issues/{id}/verify and DELETE /issues/{id}
// with an optional body {"note": "…"}: 200 with the request as it now is,
// 409 when it was handled already, 403 when the key may not handle it.
func (h *Handler) apiHandleIssue(verify bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		k := currentKey(c)
		handling, err := h.Svc.IssueHandlingSettings(ctx)
		if err != nil {
			h.fail(c, err)
			return
		}
		if k.Role == workflow.RoleOwner && !handling.OwnersHandleEnrolment {
			h.apiMayNotHandle(c) // whatever the request: no need to look it up
			return
		}
		is, ok := h.apiIssueFor(c)
		if !ok {
			return
		}
		var body apiIssueNote
		if !h.apiDecodeOptional(c, &body) {
			return
		}
		var owned []int64
		if own, bound := apiOwnerResource(k); bound {
			owned = []int64{own}
		}
		if !workflow.MayHandleIssue(k.Role, owned, is, handling) {
			h.apiMayNotHandle(c)
			return
		}
		handle := h.Svc.DeleteIssue
		if verify {
			handle = h.Svc.VerifyIssue
		}
		is, err = handle(ctx, is.ID, k.Actor(), body.Note, meta(c))
		if err != nil {
			h.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, apiIssueOut(is))
	}
}

// apiMayNotHandle answers a key that may not verify or delete a request:
// 403, and the attempt recorded.
func (h *Handler) apiMayNotHandle(c *gin.Context) {
	h.denied(c, currentKey(c).Actor())
	h.fail(c, workflow.Fail(workflow.CodeForbidden, workflow.M("api.issue_forbidden")))
}

// apiDecodeOptional is apiDecode for a body that may be left out: an empty
// body leaves v as it is.
func (h *Handler) apiDecodeOptional(c *gin.Context, v any) bool {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return true
	}
	r := bufio.NewReader(c.Request.Body)
	if _, err := r.Peek(1); errors.Is(err, io.EOF) {
		return true
	}
	c.Request.Body = io.NopCloser(r)
	return h.apiDecode(c, v)
}
