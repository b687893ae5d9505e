package admin

import (
	"context"
	"errors"
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

// issueRoutes registers the User Issues queue (SPEC §6, §15). Every admin
// reads it, owners only the requests of the resources they own; the
// helpdesk and superadmins verify and delete, owners the new-token requests
// of their resources when the superadmin allows it (workflow.MayHandleIssue,
// checked by handleable). Verifying and deleting go through a confirmation.
func (h *Handler) issueRoutes(in *gin.RouterGroup) {
	in.GET("/issues", h.allow(anyAdmin...), h.issues)
	in.GET("/issues/:id", h.allow(anyAdmin...), h.issuePage)
	in.GET("/issues/:id/verify", h.allow(anyAdmin...), h.confirmIssue(true))
	in.GET("/issues/:id/delete", h.allow(anyAdmin...), h.confirmIssue(false))
	in.POST("/issues/:id/verify", h.allow(anyAdmin...), h.handleIssue(true))
	in.POST("/issues/:id/delete", h.allow(anyAdmin...), h.handleIssue(false))
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

// issueKindFilter reads the kind filter: restore, enrolment or "" for both.
func issueKindFilter(raw string) string {
	switch raw {
	case workflow.IssueRestore, workflow.IssueEnrolment:
		return raw
	}
	return ""
}

func (h *Handler) issues(c *gin.Context) {
	ctx := c.Request.Context()
	a := current(c)
	scope := issueScope(a)
	shown, status := issueStatusFilter(c.Query("status"))
	kind := issueKindFilter(c.Query("kind"))
	resourceID, _ := optionalID(c.Query("resource_id")) // a malformed one filters nothing
	before, _ := optionalID(c.Query("before"))
	list, total, err := h.Svc.Store.ListIssues(ctx, workflow.IssueFilter{
		Status: status, Kind: kind, ResourceID: resourceID, Resources: scope, Before: before, Limit: pageSize + 1,
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
	handling, err := h.Svc.IssueHandlingSettings(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Svc.Now()
	rows := make([]views.IssueRow, len(list))
	for i, is := range list {
		rows[i] = issueRow(ctx, is, now)
		rows[i].CanHandle = workflow.MayHandleIssue(a.Role, a.OwnedResource, is, handling)
	}
	caption := i18n.T(ctx, "console.issues.caption_all")
	if status != "" {
		caption = i18n.T(ctx, "console.issues.caption_"+status)
	}
	params := url.Values{"resource_id": {idString(resourceID)}}
	if shown != workflow.IssueOpen {
		params.Set("status", shown)
	}
	if kind != "" {
		params.Set("kind", kind)
	}
	var chrome views.AdminChrome
	if status == workflow.IssueOpen && resourceID == 0 && kind == "" {
		chrome = h.chromeCounted(c, "issues", total) // total is the badge's number: the open issues in scope
	} else {
		chrome = h.chrome(c, "issues")
	}
	h.page(c, http.StatusOK, views.IssuesPage(chrome, views.IssueList{
		Filter:    views.Form{Values: map[string]string{"resource_id": idString(resourceID), "status": shown, "kind": kindOrAll(kind)}},
		Filtered:  resourceID != 0 || shown != workflow.IssueOpen || kind != "",
		Resources: options,
		Statuses:  views.IssueStatuses(ctx),
		Kinds:     views.IssueKinds(ctx),
		Caption:   caption,
		Rows:      rows,
		Pager:     pager("/admin/issues", params, total, "requests", "before", idString(before), next),
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
		Kind: is.Kind, KindLabel: i18n.T(ctx, "console.issues.kind_"+is.Kind),
	}
	r.Requested = requestedOf(ctx, is)
	return r
}

// kindOrAll is the value the kind filter shows.
func kindOrAll(kind string) string {
	if kind == "" {
		return "all"
	}
	return kind
}

// requestedOf says what a request asks for, in words: "lost token", "New
// token TOTP-7KQ2M9XH (TOTP)".
func requestedOf(ctx context.Context, is workflow.Issue) []string {
	if is.Kind == workflow.IssueEnrolment {
		words := []string{i18n.T(ctx, "console.issues.new_token", "Token", tokenWords(is))}
		if is.Enrolment != nil && is.Enrolment.How == workflow.EnrolReassigned && is.Enrolment.Replaces != "" {
			words = append(words, i18n.T(ctx, "console.issues.replaces_token", "Serial", is.Enrolment.Replaces))
		}
		return words
	}
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
	d, err := h.issueDetail(c, is)
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Review = issueReview(ctx, is, review)
	h.page(c, http.StatusOK, views.IssuePage(h.chrome(c, "issues"), d))
}

// issueDetail shapes a request for its page and its confirmations: facts,
// the evidence of a new token, its history, and whether the signed-in
// admin may handle it.
func (h *Handler) issueDetail(c *gin.Context, is workflow.Issue) (views.IssueDetail, error) {
	ctx := c.Request.Context()
	handling, err := h.Svc.IssueHandlingSettings(ctx)
	if err != nil {
		return views.IssueDetail{}, err
	}
	a := current(c)
	d := views.IssueDetail{
		IssueRow: issueRow(ctx, is, h.Svc.Now()), UserAgent: is.UserAgent, Browser: views.AgentLabel(ctx, is.UserAgent),
		NewEmail: is.NewEmail, NewPassword: is.NewPasswordHash != "", Replaces: is.Replaces,
		Enrolment: enrolmentFacts(ctx, is), History: issueHistory(ctx, is),
	}
	d.CanHandle = workflow.MayHandleIssue(a.Role, a.OwnedResource, is, handling)
	if !d.Open {
		d.HandledBy, d.Handled = handledBy(ctx, is), dateTimeOr(ctx, is.HandledAt, i18n.T(ctx, "console.issues.handled_unknown_date"))
	}
	return d, nil
}

// tokenWords names the new token of an enrolment issue: "TOTP-7KQ2M9XH (TOTP)".
func tokenWords(is workflow.Issue) string {
	return is.TokenSerial + " (" + strings.ToUpper(is.TokenType) + ")"
}

// enrolmentFacts says in words what a new token is judged by; nil for a
// restore-access request.
func enrolmentFacts(ctx context.Context, is workflow.Issue) *views.EnrolmentFacts {
	if is.Kind != workflow.IssueEnrolment || is.Enrolment == nil {
		return nil
	}
	ev := is.Enrolment
	f := &views.EnrolmentFacts{Token: tokenWords(is), Proven: ev.SecondFactorProven()}
	switch ev.How {
	case workflow.EnrolReassigned:
		f.How = i18n.T(ctx, "console.issues.how_reassigned", "Serial", ev.Replaces)
	case workflow.EnrolClaimed:
		f.How = i18n.T(ctx, "console.issues.how_claimed")
	default:
		f.How = i18n.T(ctx, "console.issues.how_registered")
	}
	var factors []string
	for _, factor := range ev.SignIn {
		factors = append(factors, i18n.T(ctx, "console.issues.factor_"+factor))
	}
	if len(factors) == 0 {
		f.SignIn = i18n.T(ctx, "console.issues.factor_unknown")
	} else {
		f.SignIn = strings.Join(factors, ", ")
	}
	if !f.Proven {
		f.SignIn += " — " + i18n.T(ctx, "console.issues.factor_none_second")
	}
	ip := is.IP
	if ip == "" {
		ip = i18n.T(ctx, "console.issues.address_none")
	}
	if ev.Trusted {
		f.Address = i18n.T(ctx, "console.issues.address_trusted", "IP", ip)
	} else {
		f.Address = i18n.T(ctx, "console.issues.address_untrusted", "IP", ip)
	}
	switch {
	case ev.FirstCode && is.TokenType == string(workflow.TokenWebAuthn):
		f.FirstCode = i18n.T(ctx, "console.issues.first_code_key")
	case ev.FirstCode:
		f.FirstCode = i18n.T(ctx, "console.issues.first_code_yes")
	default:
		f.FirstCode = i18n.T(ctx, "console.issues.first_code_no")
	}
	return f
}

// issueHistory is the life of a request, oldest first: filed, the request
// it replaced, the one that replaced it, how it was handled and the note.
func issueHistory(ctx context.Context, is workflow.Issue) []views.HistoryEntry {
	browser := views.AgentLabel(ctx, is.UserAgent)
	ip := dashIfEmpty(is.IP)
	h := []views.HistoryEntry{{Kind: "filed", Text: i18n.T(ctx, "console.issues.history_filed",
		"When", i18n.DateTime(ctx, is.CreatedAt), "IP", ip, "Browser", browser)}}
	if is.Replaces != 0 {
		h = append(h, views.HistoryEntry{Kind: "replaces", Text: i18n.T(ctx, "console.issues.history_replaces"),
			Href: views.IssueHref(is.Replaces), LinkText: i18n.T(ctx, "console.issues.history_request", "ID", idString(is.Replaces))})
	}
	if is.ReplacedBy != 0 {
		h = append(h, views.HistoryEntry{Kind: "replaced", Text: i18n.T(ctx, "console.issues.history_replaced"),
			Href: views.IssueHref(is.ReplacedBy), LinkText: i18n.T(ctx, "console.issues.history_request", "ID", idString(is.ReplacedBy))})
	} else if is.Status != workflow.IssueOpen {
		h = append(h, views.HistoryEntry{Kind: "handled", Note: is.Note, Text: i18n.T(ctx, "console.issues.history_"+is.Status,
			"By", handledBy(ctx, is), "When", dateTimeOr(ctx, is.HandledAt, i18n.T(ctx, "console.issues.handled_unknown_date")))})
	}
	return h
}

// handleable loads the request of the :id parameter for verifying or
// deleting it: owners may handle only the new-token requests of their
// resources, and only when the superadmin allows it; anybody else who may
// not gets the 403 page (and the attempt is recorded).
func (h *Handler) handleable(c *gin.Context) (workflow.Issue, views.IssueDetail, bool) {
	ctx := c.Request.Context()
	handling, err := h.Svc.IssueHandlingSettings(ctx)
	if err != nil {
		h.fail(c, err)
		return workflow.Issue{}, views.IssueDetail{}, false
	}
	a := current(c)
	if !may(c, helpdesk) && (a.Role != workflow.RoleOwner || !handling.OwnersHandleEnrolment) {
		h.mayNotHandle(c) // whatever the request: no need to look it up
		return workflow.Issue{}, views.IssueDetail{}, false
	}
	is, ok := h.issue(c)
	if !ok {
		return is, views.IssueDetail{}, false
	}
	d, err := h.issueDetail(c, is)
	if err != nil {
		h.fail(c, err)
		return is, d, false
	}
	if !d.CanHandle {
		h.mayNotHandle(c)
		return is, d, false
	}
	return is, d, true
}

// mayNotHandle answers an admin who may not verify or delete a request:
// the 403 page, and the attempt recorded.
func (h *Handler) mayNotHandle(c *gin.Context) {
	h.denied(c, current(c).Actor())
	ctx := c.Request.Context()
	h.page(c, http.StatusForbidden, views.ErrorPage(403, i18n.T(ctx, "console.layout.forbidden_title"),
		i18n.T(ctx, "console.issues.may_not_handle")))
	c.Abort()
}

// confirmIssue shows what verifying (or deleting) a request does, and asks
// for an optional note.
func (h *Handler) confirmIssue(verify bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		is, d, ok := h.handleable(c)
		if !ok {
			return
		}
		if !d.Open {
			h.issueFailed(c, is.ID, workflow.Fail(workflow.CodeConflict, workflow.M("issue.handled", "Status", workflow.IssueStatusMsg(is.Status))))
			return
		}
		h.renderConfirm(c, http.StatusOK, is, d, verify, views.Form{})
	}
}

// renderConfirm shows the confirmation of verifying or deleting is.
func (h *Handler) renderConfirm(c *gin.Context, status int, is workflow.Issue, d views.IssueDetail, verify bool, f views.Form) {
	ctx := c.Request.Context()
	tokens, err := h.Svc.Store.UserTokens(ctx, is.UserID, is.ResourceID)
	if err != nil {
		h.fail(c, err)
		return
	}
	conf := views.IssueConfirm{IssueDetail: d, Verify: verify, Form: f}
	for _, e := range workflow.IssueEffects(is, tokens, verify) {
		conf.Effects = append(conf.Effects, i18n.Msg(ctx, e))
	}
	conf.NoProof = workflow.IssueNoProof(is)
	h.page(c, status, views.IssueConfirmPage(h.chrome(c, "issues"), conf))
}

// handleIssue verifies (or deletes) a request with the note of the
// confirmation; a note too long shows the confirmation again.
func (h *Handler) handleIssue(verify bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		is, d, ok := h.handleable(c)
		if !ok {
			return
		}
		ctx := c.Request.Context()
		handle := h.Svc.DeleteIssue
		if verify {
			handle = h.Svc.VerifyIssue
		}
		note := c.PostForm("note")
		done, err := handle(ctx, is.ID, current(c).Actor(), note, meta(c))
		switch {
		case workflow.ErrorCode(err) == workflow.CodeInvalid:
			h.renderConfirm(c, http.StatusUnprocessableEntity, is, d, verify, views.FailedForm(ctx, err, map[string]string{"note": note}))
			return
		case err != nil:
			h.issueFailed(c, is.ID, err)
			return
		}
		if verify {
			h.done(c, "/admin/issues", i18n.T(ctx, "console.issues.verified_flash", "Login", done.Login, "Summary", verifiedSummary(ctx, done)))
			return
		}
		if done.Kind == workflow.IssueEnrolment {
			h.done(c, "/admin/issues", i18n.T(ctx, "console.issues.deleted_enrolment_flash", "Login", done.Login, "Token", tokenWords(done),
				"Told", toldSummary(ctx, done)))
			return
		}
		h.done(c, "/admin/issues", i18n.T(ctx, "console.issues.deleted_flash", "Login", done.Login, "Told", toldSummary(ctx, done)))
	}
}

// issueReview shapes what the helpdesk needs to judge a request for the page.
func issueReview(ctx context.Context, is workflow.Issue, r workflow.IssueReview) views.IssueReview {
	v := views.IssueReview{
		NoProof: r.NoProof, Enrolment: is.Kind == workflow.IssueEnrolment, Network: r.Prefix, Browser: r.Browser,
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

// issueFailed answers a failed verify or delete: a request handled first
// by somebody else gets its own 409 page.
func (h *Handler) issueFailed(c *gin.Context, id int64, err error) {
	if workflow.ErrorCode(err) != workflow.CodeConflict {
		h.fail(c, err)
		return
	}
	handled := !errors.Is(err, workflow.ErrApprovalGone)
	h.page(c, http.StatusConflict, views.IssueHandledPage(h.chrome(c, "issues"), handled, i18n.ErrorMessage(c.Request.Context(), err), views.IssueHref(id)))
}

// verifiedSummary says what verifying changed, for the flash message.
func verifiedSummary(ctx context.Context, is workflow.Issue) string {
	var done []string
	if is.Kind == workflow.IssueEnrolment {
		done = append(done, i18n.T(ctx, "console.issues.done_token_enabled", "Token", tokenWords(is)))
	}
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
