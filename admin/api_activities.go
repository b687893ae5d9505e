package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// The activity log over the API (SPEC §7): superadmin and helpdesk keys read
// all of it, owner keys the activities of their resource; validate keys
// nothing. Unlike the console it reaches back as far as the retention.

// apiActivity is an activity as the API shows it.
type apiActivity struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Event      string          `json:"event"`
	Actor      apiActor        `json:"actor"`
	UserID     *int64          `json:"user_id"`
	ResourceID *int64          `json:"resource_id"`
	IP         *string         `json:"ip"`
	UserAgent  string          `json:"user_agent"`
	Details    json.RawMessage `json:"details"`
}

// apiActor is who caused an activity: type user, admin, apikey or system;
// id is null for the system and for sign-in attempts of unknown logins.
type apiActor struct {
	Type string `json:"type"`
	ID   *int64 `json:"id"`
	Name string `json:"name"`
}

func apiActivityOut(r workflow.ActivityRow) apiActivity {
	a := apiActivity{ID: r.ID, At: r.At.UTC(), Event: r.Event, Actor: apiActor{Type: r.Actor.Type, Name: r.Actor.Name},
		UserID: r.UserID, ResourceID: r.ResourceID, UserAgent: r.UserAgent, Details: json.RawMessage(r.RawDetails)}
	if r.Actor.ID != 0 {
		id := r.Actor.ID
		a.Actor.ID = &id
	}
	if r.IP != "" {
		ip := r.IP
		a.IP = &ip
	}
	if len(a.Details) == 0 {
		a.Details = json.RawMessage("{}")
	}
	return a
}

// apiTimeParam reads an optional time: RFC 3339, or a date (midnight UTC).
func (h *Handler) apiTimeParam(c *gin.Context, name string) (time.Time, bool) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	h.apiBadRequest(c, workflow.M("api.time", "Name", name),
		map[string]workflow.Msg{name: workflow.M("api.time_short")})
	return time.Time{}, false
}

// apiListActivities answers GET /activities?user_id=&event=&resource_id=
// &since=&until=&before=&limit=, newest first: {"items": […],
// "next_before": the before of the next page, or null}. since is inclusive,
// until exclusive.
func (h *Handler) apiListActivities(c *gin.Context) {
	var f workflow.ActivityFilter
	var ok bool
	if f.UserID, ok = h.apiQueryID(c, "user_id"); !ok {
		return
	}
	if f.ResourceID, ok = h.apiQueryID(c, "resource_id"); !ok {
		return
	}
	if f.Since, ok = h.apiTimeParam(c, "since"); !ok {
		return
	}
	if f.Until, ok = h.apiTimeParam(c, "until"); !ok {
		return
	}
	if f.Limit, ok = h.apiLimit(c); !ok {
		return
	}
	if v := c.Query("before"); v != "" {
		cur, err := workflow.ParseActivityCursor(v)
		if err != nil {
			h.apiBadRequest(c, workflow.M("api.cursor"), map[string]workflow.Msg{"before": workflow.M("api.cursor_short")})
			return
		}
		f.Before = &cur
	}
	fields := map[string]workflow.Msg{}
	if f.Event = c.Query("event"); f.Event != "" && !workflow.ValidEventName(f.Event) {
		fields["event"] = workflow.M("api.event_name")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		fields["until"] = workflow.M("api.until_after")
	}
	if len(fields) > 0 {
		h.fail(c, workflow.FieldsInvalid(fields))
		return
	}
	if f.ResourceID, ok = h.apiScopeFilter(c, f.ResourceID); !ok {
		return
	}
	rows, next, err := h.Svc.ListActivities(c.Request.Context(), f, 0)
	if err != nil {
		h.fail(c, err)
		return
	}
	items := make([]apiActivity, 0, len(rows))
	for _, r := range rows {
		items = append(items, apiActivityOut(r))
	}
	var nextBefore any
	if next != nil {
		nextBefore = next.String()
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_before": nextBefore})
}
