package admin

import (
	"encoding/csv"
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

// activityRoutes registers the Activities area (SPEC §7): superadmins and
// the helpdesk read the whole log, owners the activities of the resources
// they own; superadmins set the retention.
func (h *Handler) activityRoutes(in *gin.RouterGroup) {
	in.GET("/activities", h.allow(anyAdmin...), h.activities)
	in.GET("/activities.csv", h.allow(anyAdmin...), h.activitiesCSV)
	in.POST("/activities/retention", h.allow(superadmin...), h.saveRetention)
}

// Sizes of the Activities views.
const (
	activityPageSize = 50
	groupPageSize    = 100
	// csvFlushRows is how many CSV rows are sent at a time.
	csvFlushRows = 1000
)

// activityScope is the resources whose activities a has in view: nil for
// all, the owned ones (maybe none) for an owner.
func activityScope(a workflow.Admin) []int64 {
	if a.Role != workflow.RoleOwner {
		return nil
	}
	return append([]int64{}, a.OwnedResource...)
}

// activityQuery is the filter of the Activities page as read from the
// query string: the filter, the values to show again, their problems and
// the parameters for links.
type activityQuery struct {
	filter workflow.ActivityFilter
	values map[string]string
	errors map[string]workflow.Msg
	params url.Values // the filters, for links
}

// readActivityQuery reads user, event, resource_id, from and to. The user
// is a login (exact, without regard to case) or a user id; one that names
// no user is no error, it selects no activities.
func (h *Handler) readActivityQuery(c *gin.Context) activityQuery {
	ctx := c.Request.Context()
	q := activityQuery{values: map[string]string{}, errors: map[string]workflow.Msg{}, params: url.Values{}}
	q.filter.Resources = activityScope(current(c))
	keep := func(name, v string) {
		q.values[name] = v
		if v != "" {
			q.params.Set(name, v)
		}
	}
	if user := strings.TrimSpace(c.Query("user")); user != "" {
		keep("user", truncateRunes(user, maxQuery))
		id, err := h.resolveUser(c, user)
		switch {
		case err != nil && workflow.ErrorCode(err) != workflow.CodeNotFound:
			q.errors["user"] = workflow.M("activity.filter.user_lookup")
			h.Log.ErrorContext(ctx, "activity filter: user lookup failed", "err", err)
		case err != nil:
			// A login or id of nobody selects nothing, the same answer as a
			// user without activities (for an owner: without any on their
			// resources), so the filter tells no one which logins exist.
			q.filter.NoUser = true
		default:
			q.filter.UserID = id
		}
	}
	if event := strings.TrimSpace(c.Query("event")); event != "" {
		keep("event", truncateRunes(event, 64))
		if workflow.ValidEventName(event) {
			q.filter.Event = event
		} else {
			q.errors["event"] = workflow.M("activity.filter.event")
		}
	}
	if raw := strings.TrimSpace(c.Query("resource_id")); raw != "" {
		keep("resource_id", truncateRunes(raw, 20))
		id, err := optionalID(raw)
		if err != nil {
			q.errors["resource_id"] = workflow.M("activity.filter.resource")
		} else {
			q.filter.ResourceID = id
			if !inScope(q.filter.Resources, id) {
				// An owner asking for another resource's activities sees
				// none; the attempt is recorded.
				h.denied(c, current(c).Actor())
			}
		}
	}
	from, to := strings.TrimSpace(c.Query("from")), strings.TrimSpace(c.Query("to"))
	if from != "" {
		keep("from", truncateRunes(from, 20))
		if d, err := time.Parse(time.DateOnly, from); err != nil {
			q.errors["from"] = workflow.M("activity.filter.date")
		} else {
			q.filter.Since = d
		}
	}
	if to != "" {
		keep("to", truncateRunes(to, 20))
		if d, err := time.Parse(time.DateOnly, to); err != nil {
			q.errors["to"] = workflow.M("activity.filter.date")
		} else {
			q.filter.Until = d.AddDate(0, 0, 1) // the whole day
		}
	}
	if q.errors["from"].ID == "" && q.errors["to"].ID == "" && !q.filter.Since.IsZero() && !q.filter.Until.IsZero() && !q.filter.Until.After(q.filter.Since) {
		q.errors["to"] = workflow.M("activity.filter.order")
	}
	return q
}

// resolveUser finds the user a filter names: a login first, then an id.
func (h *Handler) resolveUser(c *gin.Context, s string) (int64, error) {
	ctx := c.Request.Context()
	if len(s) <= workflow.MaxLoginLength {
		u, err := h.Svc.Store.UserByLogin(ctx, s)
		if err == nil {
			return u.ID, nil
		} else if workflow.ErrorCode(err) != workflow.CodeNotFound {
			return 0, err
		}
	}
	id, err := optionalID(s)
	if err != nil || id == 0 {
		return 0, workflow.Fail(workflow.CodeNotFound, workflow.M("account.unknown_user"))
	}
	u, err := h.Svc.Store.UserByID(ctx, id)
	return u.ID, err
}

// truncateRunes bounds what a filter shows again.
func truncateRunes(s string, n int) string { return views.Shorten(s, n) }

// activitiesHref is the Activities page (or the CSV export, at base) with
// params and extra.
func activitiesHref(base string, params url.Values, extra ...string) string {
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

func (h *Handler) activities(c *gin.Context) {
	h.renderActivities(c, http.StatusOK, nil)
}

// renderActivities shows the Activities page for the query string, with
// retention (when not nil) as the retention form that was posted.
func (h *Handler) renderActivities(c *gin.Context, status int, retention *views.Form) {
	ctx := c.Request.Context()
	q := h.readActivityQuery(c)
	tab := views.ActivityTabDetailed
	if c.Query("tab") == views.ActivityTabGrouped {
		tab = views.ActivityTabGrouped
	}
	now := h.Svc.Now()
	p := views.ActivityPage{
		Tab: tab,
		TabHrefs: map[string]string{
			views.ActivityTabDetailed: activitiesHref("/admin/activities", q.params),
			views.ActivityTabGrouped:  activitiesHref("/admin/activities", q.params, "tab", views.ActivityTabGrouped),
		},
		Filter:    views.Form{Values: q.values, Errors: i18n.Fields(i18n.Lang(c.Request.Context()), q.errors)},
		Filtered:  len(q.params) > 0,
		ClearHref: activitiesHref("/admin/activities", nil, tabParam(tab)...),
		Events:    eventOptions(q.values["event"]),
		Window: "The console shows the last 90 days (since " + views.TimeUTC(now.Add(-workflow.ActivityWindow)) +
			"); times are in UTC. Older activities are kept for the retention and can be read through the API.",
	}
	resources, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	scope := q.filter.Resources
	p.Resources = slices.DeleteFunc(resources, func(o views.Option) bool {
		id, _ := strconv.ParseInt(o.Value, 10, 64)
		return !inScope(scope, id)
	})
	if may(c, superadmin) {
		days, err := h.Svc.ActivityRetention(ctx)
		if err != nil {
			h.fail(c, err)
			return
		}
		r := &views.RetentionForm{Days: days, Min: workflow.MinRetentionDays, Max: workflow.MaxRetentionDays,
			Form: views.Form{Values: map[string]string{"retention_days": strconv.Itoa(days)}}}
		if retention != nil {
			r.Form = *retention
		}
		p.Retention = r
	}
	if len(q.errors) > 0 {
		p.Filter.Message = "Please correct the filters."
		h.page(c, http.StatusUnprocessableEntity, views.ActivitiesPage(h.chrome(c, "activities"), p))
		return
	}
	p.CSVHref = activitiesHref("/admin/activities.csv", q.params)
	if tab == views.ActivityTabGrouped {
		err = h.groupedActivities(c, q, &p)
	} else {
		err = h.detailedActivities(c, q, &p)
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, status, views.ActivitiesPage(h.chrome(c, "activities"), p))
}

func tabParam(tab string) []string {
	if tab == views.ActivityTabGrouped {
		return []string{"tab", tab}
	}
	return nil
}

// detailedActivities fills the Detailed tab: a page of activities, newest
// first, keyset-paged by (time, id).
func (h *Handler) detailedActivities(c *gin.Context, q activityQuery, p *views.ActivityPage) error {
	f := q.filter
	f.Limit = activityPageSize
	if before, err := workflow.ParseActivityCursor(c.Query("before")); err == nil {
		f.Before = &before
		p.FirstHref = activitiesHref("/admin/activities", q.params)
	}
	rows, next, err := h.Svc.ListActivities(c.Request.Context(), f, workflow.ActivityWindow)
	if err != nil {
		return err
	}
	if next != nil {
		p.NextHref = activitiesHref("/admin/activities", q.params, "before", next.String())
	}
	p.Rows = make([]views.ActivityRow, len(rows))
	for i, r := range rows {
		p.Rows[i] = activityRow(r)
	}
	return nil
}

func activityRow(r workflow.ActivityRow) views.ActivityRow {
	v := views.ActivityRow{
		Time: r.At.UTC().Format("2006-01-02 15:04:05"), Event: r.Event, ActorType: r.Actor.Type, ActorName: r.Actor.Name,
		IP: r.IP, UserAgent: r.UserAgent, AgentText: views.Shorten(r.UserAgent, 40),
	}
	if r.UserID != nil {
		v.UserID, v.UserLabel = *r.UserID, r.UserLogin
		if v.UserLabel == "" {
			v.UserLabel = "user " + strconv.FormatInt(*r.UserID, 10)
		}
	}
	if r.ResourceID != nil {
		v.Resource = r.ResourceName
		if v.Resource == "" {
			v.Resource = "resource " + strconv.FormatInt(*r.ResourceID, 10)
		}
	}
	if d := string(r.RawDetails); d != "{}" {
		v.Details, v.DetailsText = d, views.Shorten(d, 160)
	}
	return v
}

// groupedActivities fills the Grouped tab: a page of users with a count per
// event, the most active first.
func (h *Handler) groupedActivities(c *gin.Context, q activityQuery, p *views.ActivityPage) error {
	var after *workflow.GroupCursor
	if a, err := workflow.ParseGroupCursor(c.Query("after")); err == nil {
		after = &a
		p.FirstHref = activitiesHref("/admin/activities", q.params, "tab", views.ActivityTabGrouped)
	}
	groups, next, err := h.Svc.GroupActivities(c.Request.Context(), q.filter, workflow.ActivityWindow, after, groupPageSize)
	if err != nil {
		return err
	}
	if next != nil {
		p.NextHref = activitiesHref("/admin/activities", q.params, "tab", views.ActivityTabGrouped, "after", next.String())
	}
	p.Groups = activityGroups(groups, q.params)
	return nil
}

// activityGroups shapes the Grouped table: the columns are the events that
// occur, in the order of workflow.ActivityEvents (others after, by name).
func activityGroups(groups []workflow.ActivityGroup, params url.Values) views.ActivityGroups {
	seen := map[string]bool{}
	for _, g := range groups {
		for e := range g.Counts {
			seen[e] = true
		}
	}
	var events []string
	for _, e := range workflow.ActivityEvents {
		if seen[e] {
			events = append(events, e)
			delete(seen, e)
		}
	}
	var others []string
	for e := range seen {
		others = append(others, e)
	}
	slices.Sort(others)
	events = append(events, others...)
	out := views.ActivityGroups{Events: events, Rows: make([]views.ActivityGroupRow, len(groups))}
	for i, g := range groups {
		row := views.ActivityGroupRow{UserID: g.UserID, Login: g.Login, Total: g.Total, Counts: make([]int64, len(events))}
		if row.Login == "" {
			row.Login = "user " + strconv.FormatInt(g.UserID, 10)
		}
		for j, e := range events {
			row.Counts[j] = g.Counts[e]
		}
		userParams := url.Values{}
		for k, vs := range params {
			userParams[k] = vs
		}
		userParams.Set("user", strconv.FormatInt(g.UserID, 10))
		row.DetailedHref = activitiesHref("/admin/activities", userParams)
		out.Rows[i] = row
	}
	return out
}

// eventOptions lists the known events, and the chosen one when the list
// does not know it.
func eventOptions(chosen string) []views.Option {
	opts := make([]views.Option, 0, len(workflow.ActivityEvents)+1)
	for _, e := range workflow.ActivityEvents {
		opts = append(opts, views.Option{Value: e, Label: e})
	}
	if chosen != "" && !slices.Contains(workflow.ActivityEvents, chosen) {
		opts = append(opts, views.Option{Value: chosen, Label: chosen})
	}
	return opts
}

// csvHeader names the columns of the CSV export.
var csvHeader = []string{"id", "time_utc", "event", "actor_type", "actor_id", "actor_name", "user_id", "user_login",
	"resource_id", "resource", "ip", "user_agent", "details"}

// activitiesCSV streams the filtered Detailed view as CSV (RFC 4180): rows
// are written as they come from the database and sent every csvFlushRows,
// so an export of millions of rows needs no more memory than one of ten.
func (h *Handler) activitiesCSV(c *gin.Context) {
	ctx := c.Request.Context()
	q := h.readActivityQuery(c)
	if len(q.errors) > 0 {
		h.fail(c, workflow.FieldsInvalid(q.errors))
		return
	}
	rc := http.NewResponseController(c.Writer)
	w := csv.NewWriter(c.Writer)
	started := false
	n := 0
	start := func() {
		started = true
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="activities-`+h.Svc.Now().UTC().Format("20060102-150405")+`.csv"`)
		c.Header("Cache-Control", "no-store")
		c.Status(http.StatusOK)
		_ = w.Write(csvHeader)
	}
	record := make([]string, len(csvHeader))
	err := h.Svc.ExportActivities(ctx, q.filter, workflow.ActivityWindow, func(r workflow.ActivityRow) error {
		if !started {
			start()
		}
		csvRecord(record, r)
		if err := w.Write(record); err != nil {
			return err
		}
		if n++; n%csvFlushRows == 0 {
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			// A long export may take longer than the server's write
			// timeout: each flush buys it another minute.
			_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
			c.Writer.Flush()
		}
		return nil
	})
	if err != nil {
		if !started {
			h.fail(c, err)
			return
		}
		// Rows were sent already: cut the connection, so the client sees a
		// broken download rather than a silently shortened file.
		h.Log.ErrorContext(ctx, "activity export failed", "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	if !started {
		start()
	}
	w.Flush()
}

// csvRecord fills record with r.
func csvRecord(record []string, r workflow.ActivityRow) {
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	actorID := ""
	if r.Actor.ID != 0 {
		actorID = strconv.FormatInt(r.Actor.ID, 10)
	}
	record[0] = strconv.FormatInt(r.ID, 10)
	record[1] = r.At.UTC().Format("2006-01-02T15:04:05.000000Z")
	record[2] = csvSafe(r.Event)
	record[3] = csvSafe(r.Actor.Type)
	record[4] = actorID
	record[5] = csvSafe(r.Actor.Name)
	record[6] = id(r.UserID)
	record[7] = csvSafe(r.UserLogin)
	record[8] = id(r.ResourceID)
	record[9] = csvSafe(r.ResourceName)
	record[10] = csvSafe(r.IP)
	record[11] = csvSafe(r.UserAgent)
	record[12] = csvSafe(string(r.RawDetails))
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (CSV
// injection): a cell starting with = + - @ tab or carriage return gets a
// leading single quote.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// saveRetention sets how many days activities are kept (superadmins).
func (h *Handler) saveRetention(c *gin.Context) {
	raw := strings.TrimSpace(c.PostForm("retention_days"))
	values := map[string]string{"retention_days": truncateRunes(raw, 12)}
	days, err := strconv.Atoi(raw)
	if err != nil || len(raw) > 6 {
		err = invalid("retention_days", workflow.M("activity.retention_whole", "Min", workflow.MinRetentionDays, "Max", workflow.MaxRetentionDays))
	} else {
		err = h.Svc.SetActivityRetention(c.Request.Context(), days, current(c).Actor(), meta(c))
	}
	if err != nil {
		if formError(err) {
			f := views.FailedForm(c.Request.Context(), err, values)
			h.renderActivities(c, views.ErrorStatus(err), &f)
			return
		}
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/activities", "Activities are now kept for "+strconv.Itoa(days)+" days.")
}
