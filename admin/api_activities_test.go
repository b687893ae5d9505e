package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// apiActivityPage is GET /api/v1/activities as the tests read it.
type apiActivityPage struct {
	Items []struct {
		ID    int64     `json:"id"`
		At    time.Time `json:"at"`
		Event string    `json:"event"`
		Actor struct {
			Type string `json:"type"`
			ID   *int64 `json:"id"`
			Name string `json:"name"`
		} `json:"actor"`
		UserID     *int64         `json:"user_id"`
		ResourceID *int64         `json:"resource_id"`
		IP         *string        `json:"ip"`
		UserAgent  string         `json:"user_agent"`
		Details    map[string]any `json:"details"`
	} `json:"items"`
	NextBefore *string `json:"next_before"`
}

func apiActivities(t *testing.T, env *apptest.Env, key string, q url.Values) apiActivityPage {
	t.Helper()
	var page apiActivityPage
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/activities?"+q.Encode(), key, nil)
	apiWant(t, status, body, http.StatusOK, &page)
	if page.Items == nil {
		t.Fatalf("items is not a list: %s", body)
	}
	return page
}

// TestAPIActivities: paging without duplicates or gaps, each filter, the
// shape of an item, the roles, and the errors.
func TestAPIActivities(t *testing.T) {
	// Serial: it depends on the activity retention, which every test shares, and counts every API key's denials.
	env := apptest.New(t, nil)
	tag := apiTag(t)
	r, other := newResource(t, env, "API log "+tag), newResource(t, env, "API log other "+tag)
	u, v := newUser(t, env, "apilog-"+tag), newUser(t, env, "apilog-other-"+tag)
	forgetActivities(t, env, r.ID, other.ID, u.ID, v.ID)
	now := env.Clock.Now()
	day := 24 * time.Hour
	var rows []act
	for i := range 120 {
		rows = append(rows, act{at: now.Add(-time.Duration(i/2) * time.Minute), actorType: workflow.ActorAPIKey, actorID: 77, actorName: "vpn",
			user: u.ID, resource: r.ID, event: workflow.EventValidate, ip: "192.0.2.9", ua: "radius/1", details: fmt.Sprintf(`{"n": %d, "result": true}`, i)})
	}
	rows = append(rows,
		act{at: now.Add(-5 * day), user: v.ID, resource: r.ID, event: workflow.EventTokenSynced, details: `{"n": 1000}`},
		act{at: now.Add(-6 * day), user: v.ID, resource: other.ID, event: workflow.EventUserLogin, details: `{"n": 1001}`},
		act{at: now.Add(-200 * day), user: v.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 1002}`},
		act{at: now.Add(-400 * day), user: v.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 1003}`}, // past the retention
	)
	copyActivities(t, env, rows)
	super := apiNewKey(t, env, workflow.RoleSuperadmin, 0)

	// Paging: 120 rows in pages of 50, newest first, each once.
	q := url.Values{"user_id": {strconv.FormatInt(u.ID, 10)}, "limit": {"50"}}
	var got []int
	pages := 0
	for {
		page := apiActivities(t, env, super, q)
		pages++
		for _, it := range page.Items {
			got = append(got, int(it.Details["n"].(float64)))
		}
		if page.NextBefore == nil {
			break
		}
		q.Set("before", *page.NextBefore)
	}
	var want []int
	for i := range 120 {
		want = append(want, i)
	}
	// Two rows a minute; within a minute the later id (odd n) comes first.
	slices.SortFunc(want, func(a, b int) int {
		if a/2 != b/2 {
			return a/2 - b/2
		}
		return b - a
	})
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("%d pages, n %v\nwant %v", pages, got, want)
	}

	// The shape of an item.
	first := apiActivities(t, env, super, url.Values{"user_id": {strconv.FormatInt(u.ID, 10)}, "limit": {"1"}}).Items[0]
	if first.Event != workflow.EventValidate || first.Actor.Type != "apikey" || first.Actor.ID == nil || *first.Actor.ID != 77 ||
		first.Actor.Name != "vpn" || *first.UserID != u.ID || *first.ResourceID != r.ID || *first.IP != "192.0.2.9" ||
		first.UserAgent != "radius/1" || first.Details["result"] != true || first.At.Location() != time.UTC {
		t.Fatalf("item %+v", first)
	}

	vid, rid := strconv.FormatInt(v.ID, 10), strconv.FormatInt(r.ID, 10)
	ns := func(p apiActivityPage) []int {
		var out []int
		for _, it := range p.Items {
			out = append(out, int(it.Details["n"].(float64)))
		}
		return out
	}
	filters := []struct {
		name string
		q    url.Values
		want []int
	}{
		{"user, back to the retention", url.Values{"user_id": {vid}}, []int{1000, 1001, 1002}},
		{"event", url.Values{"user_id": {vid}, "event": {workflow.EventUserLogin}}, []int{1001, 1002}},
		{"resource", url.Values{"user_id": {vid}, "resource_id": {rid}}, []int{1000, 1002}},
		{"since date", url.Values{"user_id": {vid}, "since": {now.Add(-5 * day).Format(time.DateOnly)}}, []int{1000}}, // the day of 1000, from midnight
		{"since and until", url.Values{"user_id": {vid}, "since": {now.Add(-300 * day).Format(time.RFC3339)},
			"until": {now.Add(-5*day - time.Second).Format(time.RFC3339)}}, []int{1001, 1002}},
	}
	for _, f := range filters {
		if got := ns(apiActivities(t, env, super, f.q)); !slices.Equal(got, f.want) {
			t.Errorf("%s: n %v, want %v", f.name, got, f.want)
		}
	}

	// Roles: helpdesk reads all, an owner key its resource only, a
	// validate key nothing.
	helpdesk := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	if got := ns(apiActivities(t, env, helpdesk, url.Values{"user_id": {vid}})); !slices.Equal(got, []int{1000, 1001, 1002}) {
		t.Errorf("helpdesk: %v", got)
	}
	owner := apiNewKey(t, env, workflow.RoleOwner, r.ID)
	if got := ns(apiActivities(t, env, owner, url.Values{"user_id": {vid}})); !slices.Equal(got, []int{1000, 1002}) {
		t.Errorf("owner key: %v", got)
	}
	for _, it := range apiActivities(t, env, owner, url.Values{"limit": {"200"}}).Items {
		if it.ResourceID == nil || *it.ResourceID != r.ID {
			t.Fatalf("owner key sees %+v", it)
		}
	}
	denials := apiDenials(t, env)
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/activities?resource_id="+strconv.FormatInt(other.ID, 10), owner, nil)
	apiWantError(t, status, body, http.StatusForbidden, string(workflow.CodeForbidden))
	validate := apiNewKey(t, env, workflow.RoleValidate, 0)
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/activities", validate, nil)
	apiWantError(t, status, body, http.StatusForbidden, string(workflow.CodeForbidden))
	if got := apiDenials(t, env); got != denials+2 {
		t.Errorf("%d AccessDenied activities, want %d", got, denials+2)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/activities", "", nil)
	apiWantError(t, status, body, http.StatusUnauthorized, string(workflow.CodeUnauthenticated))

	// Malformed parameters are 400, invalid ones 422.
	errs := []struct {
		query  string
		status int
		field  string
	}{
		{"user_id=abc", http.StatusBadRequest, "user_id"},
		{"resource_id=-1", http.StatusBadRequest, "resource_id"},
		{"since=yesterday", http.StatusBadRequest, "since"},
		{"until=2026-13-01", http.StatusBadRequest, "until"},
		{"before=xyz", http.StatusBadRequest, "before"},
		{"limit=ten", http.StatusBadRequest, "limit"},
		{"limit=0", http.StatusUnprocessableEntity, "limit"},
		{"limit=201", http.StatusUnprocessableEntity, "limit"},
		{"event=not%20an%20event", http.StatusUnprocessableEntity, "event"},
		{"since=2026-02-01&until=2026-01-01", http.StatusUnprocessableEntity, "until"},
	}
	for _, e := range errs {
		status, body := apiDo(t, env, http.MethodGet, "/api/v1/activities?"+e.query, super, nil)
		if status != e.status {
			t.Errorf("%s: %d, want %d: %s", e.query, status, e.status, body)
			continue
		}
		code := string(workflow.CodeInvalid)
		if e.status == http.StatusBadRequest {
			code = "bad_request"
		}
		apiWantError(t, status, body, e.status, code, e.field)
	}
}
