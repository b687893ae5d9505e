package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// issueRoutes registers the User Issues queue (SPEC §6). Every admin reads
// it, owners only the requests of the resources they own; the helpdesk and
// superadmins verify and delete.
func (h *Handler) issueRoutes(in *gin.RouterGroup) {
	in.GET("/issues", h.allow(anyAdmin...), h.issues)
	in.GET("/issues/:id", h.allow(anyAdmin...), h.issuePage)
	in.POST("/issues/:id/verify", h.allow(helpdesk...), h.verifyIssue)
	in.POST("/issues/:id/delete", h.allow(helpdesk...), h.deleteIssue)
}

// issueScope is the resources whose requests a has in view: nil for all,
// the owned ones (maybe none) for an owner.
func issueScope(a workflow.Admin) []int64 {
	if a.Role != workflow.RoleOwner {
		return nil
	}
	return append([]int64{}, a.OwnedResource...)
}

// inScope reports whether a resource is in view of scope.
func inScope(scope []int64, resourceID int64) bool {
	return scope == nil || slices.Contains(scope, resourceID)
}

// issueStatusFilter reads the status filter: the value the select shows and
// the status to list ("" for all). Open requests are the default.
func issueStatusFilter(raw string) (shown, status string) {
	switch raw {
	case "all":
		return raw, ""
	case workflow.IssueOpen, workflow.IssueVerified, workflow.IssueDeleted, workflow.IssueWithdrawn:
		return raw, raw
	}
	return workflow.IssueOpen, workflow.IssueOpen
}

func (h *Handler) issues(c *gin.Context) {
	ctx := c.Request.Context()
	scope := issueScope(current(c))
	shown, status := issueStatusFilter(c.Query("status"))
	resourceID, _ := optionalID(c.Query("resource_id")) // a malformed one filters nothing
	before, _ := optionalID(c.Query("before"))
	list, total, err := h.Svc.Store.ListIssues(ctx, workflow.IssueFilter{
		Status: status, ResourceID: resourceID, Resources: scope, Before: before, Limit: pageSize + 1,
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	list, next := workflow.NextPage(list, pageSize, workflow.Issue.Cursor)
	options, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	options = slices.DeleteFunc(options, func(o views.Option) bool {
		id, _ := strconv.ParseInt(o.Value, 10, 64)
		return !inScope(scope, id)
	})
	now := h.Svc.Now()
	rows := make([]views.IssueRow, len(list))
	for i, is := range list {
		rows[i] = issueRow(ctx, is, now)
	}
	caption := i18n.T(ctx, "console.issues.caption_all")
	if status != "" {
		caption = i18n.T(ctx, "console.issues.caption_"+status)
	}
	params := url.Values{"resource_id": {idString(resourceID)}}
	if shown != workflow.IssueOpen {
		params.Set("status", shown)
	}
	var chrome views.AdminChrome
	if status == workflow.IssueOpen && resourceID == 0 {
		chrome = h.chromeCounted(c, "issues", total) // total is the badge's number: the open issues in scope
	} else {
		chrome = h.chrome(c, "issues")
	}
	h.page(c, http.StatusOK, views.IssuesPage(chrome, views.IssueList{
		Filter:    views.Form{Values: map[string]string{"resource_id": idString(resourceID), "status": shown}},
		Filtered:  resourceID != 0 || shown != workflow.IssueOpen,
		Resources: options,
		Statuses:  views.IssueStatuses(ctx),
		Caption:   caption,
		Rows:      rows,
		Pager:     pager("/admin/issues", params, total, "requests", "before", idString(before), next),
		CanHandle: may(c, helpdesk),
	}))
}

// issueStatus shows a request's status as a tag.
func issueStatus(ctx context.Context, status string) views.Status {
	switch status {
	case workflow.IssueOpen:
		return views.Status{Label: i18n.T(ctx, "console.issues.status_open"), Kind: "warn"}
	case workflow.IssueVerified:
		return views.Status{Label: i18n.T(ctx, "console.issues.status_verified"), Kind: "ok"}
	case workflow.IssueDeleted:
		return views.Status{Label: i18n.T(ctx, "console.issues.status_deleted"), Kind: "bad"}
	case workflow.IssueWithdrawn:
		return views.Status{Label: i18n.T(ctx, "console.issues.status_withdrawn"), Kind: "plain"}
	}
	return views.Status{Label: status, Kind: "plain"}
}

func issueRow(ctx context.Context, is workflow.Issue, now time.Time) views.IssueRow {
	r := views.IssueRow{
		ID: is.ID, UserID: is.UserID, Login: is.Login, Name: strings.TrimSpace(is.FirstName + " " + is.LastName),
		ResourceID: is.ResourceID, Resource: is.ResourceName,
		Authenticators: []views.Authenticator{
			{Kind: "token", Evidence: is.Token}, {Kind: "password", Evidence: is.Password}, {Kind: "email", Evidence: is.Email},
		},
		Email: is.UserEmail, Phone: is.UserPhone, IP: is.IP,
		Age: views.Age(ctx, now, is.CreatedAt), Created: i18n.DateTime(ctx, is.CreatedAt), CreatedISO: is.CreatedAt.UTC().Format(time.RFC3339),
		Status: issueStatus(ctx, is.Status), Open: is.Status == workflow.IssueOpen,
	}
	r.Requested = requestedOf(ctx, is)
	return r
}

// requestedOf says what a request asks for, in words: "lost token".
func requestedOf(ctx context.Context, is workflow.Issue) []string {
	var words []string
	for _, item := range []string{workflow.LostToken, workflow.LostPassword, workflow.LostEmail} {
		if slices.Contains(is.Lost, item) {
			words = append(words, i18n.T(ctx, "console.issues.lost_"+item))
		}
	}
	return words
}

// issue loads the request of the :id parameter as far as the signed-in
// admin may see it; false when a page was rendered. Requests of resources
// an owner does not own are not found (the attempt is recorded).
func (h *Handler) issue(c *gin.Context) (workflow.Issue, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return workflow.Issue{}, false
	}
	is, err := h.Svc.Store.IssueByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return is, false
	}
	if a := current(c); !inScope(issueScope(a), is.ResourceID) {
		h.denied(c, a.Actor())
		h.fail(c, errNotFound)
		return is, false
	}
	return is, true
}

func (h *Handler) issuePage(c *gin.Context) {
	is, ok := h.issue(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	review, err := h.Svc.ReviewIssue(ctx, is, issueScope(current(c)))
	if err != nil {
		h.fail(c, err)
		return
	}
	d := views.IssueDetail{
		IssueRow: issueRow(ctx, is, h.Svc.Now()), UserAgent: is.UserAgent, Browser: views.AgentLabel(ctx, is.UserAgent),
		NewEmail: is.NewEmail, NewPassword: is.NewPasswordHash != "",
		CanHandle: may(c, helpdesk), Replaces: is.Replaces, Review: issueReview(ctx, is, review),
	}
	if is.Status == workflow.IssueOpen {
		tokens, err := h.Svc.Store.UserTokens(ctx, is.UserID, is.ResourceID)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, e := range workflow.PlanIssue(is, tokens).Describe(is) {
			d.Effects = append(d.Effects, i18n.Msg(ctx, e))
		}
	} else {
		d.HandledBy, d.Handled = handledBy(ctx, is), i18n.T(ctx, "console.issues.handled_unknown_date")
		if is.HandledAt != nil {
			d.Handled = i18n.DateTime(ctx, *is.HandledAt)
		}
	}
	h.page(c, http.StatusOK, views.IssuePage(h.chrome(c, "issues"), d))
}

// issueReview shapes what the helpdesk needs to judge a request for the page.
func issueReview(ctx context.Context, is workflow.Issue, r workflow.IssueReview) views.IssueReview {
	v := views.IssueReview{
		NoProof: r.NoProof, Network: r.Prefix, Browser: r.Browser,
		NetworkSeen: r.PrefixSeen, BrowserSeen: r.BrowserSeen, PairSeen: r.PairSeen,
		NetworkLast: dateTimeOr(ctx, r.PrefixLastSeen, ""), BrowserLast: dateTimeOr(ctx, r.BrowserLastSeen, ""),
		NoHistory: r.KnownEnvironments == 0,
	}
	if v.Browser == workflow.UnknownBrowser {
		v.Browser = i18n.T(ctx, "console.activities.agent_unknown")
	}
	if r.NewEmailDomain != "" {
		v.EmailChange = &views.EmailChange{From: is.UserEmail, To: is.NewEmail, FromDomain: r.OldEmailDomain, ToDomain: r.NewEmailDomain,
			DomainChanged: r.EmailDomainChanged, WasAbsent: r.EmailWasMissing}
	}
	for _, e := range r.Earlier {
		row := views.EarlierIssue{ID: e.ID, Resource: e.ResourceName, Requested: requestedOf(ctx, e), Status: issueStatus(ctx, e.Status),
			Filed: i18n.DateTime(ctx, e.CreatedAt), Handled: dateTimeOr(ctx, e.HandledAt, "")}
		if e.ReplacedBy != 0 {
			row.Status = views.Status{Label: i18n.T(ctx, "console.issues.status_replaced"), Kind: "plain"}
		}
		v.Earlier = append(v.Earlier, row)
	}
	for _, s := range r.SignIns {
		v.SignIns = append(v.SignIns, views.SignInRow{Time: s.At, IP: dashIfEmpty(s.IP),
			Browser: dashIfEmpty(views.AgentLabel(ctx, s.UserAgent)), Resource: dashIfEmpty(s.Resource)})
	}
	return v
}

// handledBy names who closed a request.
func handledBy(ctx context.Context, is workflow.Issue) string {
	switch {
	case is.HandledByLogin != "":
		return is.HandledByLogin
	case is.Status == workflow.IssueWithdrawn:
		return i18n.T(ctx, "console.issues.handled_withdrawn")
	}
	return i18n.T(ctx, "console.issues.handled_api")
}

func (h *Handler) verifyIssue(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	is, err := h.Svc.VerifyIssue(c.Request.Context(), id, current(c).Actor(), c.PostForm("note"), meta(c))
	if err != nil {
		h.issueFailed(c, id, err)
		return
	}
	ctx := c.Request.Context()
	h.done(c, "/admin/issues", i18n.T(ctx, "console.issues.verified_flash", "Login", is.Login, "Summary", verifiedSummary(ctx, is)))
}

func (h *Handler) deleteIssue(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	is, err := h.Svc.DeleteIssue(c.Request.Context(), id, current(c).Actor(), c.PostForm("note"), meta(c))
	if err != nil {
		h.issueFailed(c, id, err)
		return
	}
	ctx := c.Request.Context()
	h.done(c, "/admin/issues", i18n.T(ctx, "console.issues.deleted_flash", "Login", is.Login, "Told", toldSummary(ctx, is)))
}

// issueFailed answers a failed verify or delete: a request handled first
// by somebody else gets its own 409 page.
func (h *Handler) issueFailed(c *gin.Context, id int64, err error) {
	if workflow.ErrorCode(err) != workflow.CodeConflict {
		h.fail(c, err)
		return
	}
	h.page(c, http.StatusConflict, views.IssueHandledPage(h.chrome(c, "issues"), i18n.ErrorMessage(c.Request.Context(), err), views.IssueHref(id)))
}

// verifiedSummary says what verifying changed, for the flash message.
func verifiedSummary(ctx context.Context, is workflow.Issue) string {
	var done []string
	if slices.Contains(is.Lost, workflow.LostToken) {
		done = append(done, i18n.T(ctx, "console.issues.done_tokens", "Resource", is.ResourceName))
	}
	if slices.Contains(is.Lost, workflow.LostPassword) {
		done = append(done, i18n.T(ctx, "console.issues.done_password"))
	}
	if slices.Contains(is.Lost, workflow.LostEmail) {
		done = append(done, i18n.T(ctx, "console.issues.done_email", "Email", is.NewEmail))
	}
	return strings.Join(append(done, toldSummary(ctx, is)), "; ")
}

// toldSummary says where the user was told of the outcome of a request.
func toldSummary(ctx context.Context, is workflow.Issue) string {
	if to, ok := workflow.OutcomeContactsMsg(is); ok {
		return i18n.T(ctx, "console.issues.told", "To", i18n.Msg(ctx, to))
	}
	return i18n.T(ctx, "console.issues.told_nobody")
}

// dashIfEmpty shows a missing value as a dash.
func dashIfEmpty(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// dateTimeOr is the date and time of t in the language of ctx, or none when
// there is no time.
func dateTimeOr(ctx context.Context, t *time.Time, none string) string {
	if t == nil || t.IsZero() {
		return none
	}
	return i18n.DateTime(ctx, *t)
}
