package admin_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

func init() {
	accessCases = append(accessCases,
		accessCase{method: "GET", path: "/admin/activities", allowed: anyAdminRoles},
		accessCase{method: "GET", path: "/admin/activities.csv", allowed: anyAdminRoles},
		accessCase{method: "POST", path: "/admin/activities/retention", allowed: []workflow.Role{workflow.RoleSuperadmin},
			body: "retention_days=365"},
		accessCase{method: "GET", path: "/api/v1/activities", allowed: anyAdminRoles},
	)
}

var anyAdminRoles = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk, workflow.RoleOwner}

// act is an activity row for copyActivities.
type act struct {
	at        time.Time
	actorType string
	actorID   int64
	actorName string
	user      int64 // 0: none
	resource  int64 // 0: none
	event     string
	ip, ua    string
	details   string // JSON; "" is {}
}

// copyActivities inserts rows with COPY, as a busy log would hold them.
func copyActivities(t testing.TB, env *apptest.Env, rows []act) {
	t.Helper()
	_, err := env.App.Pool.CopyFrom(context.Background(), pgx.Identifier{"activities"},
		[]string{"at", "actor_type", "actor_id", "actor_name", "user_id", "resource_id", "event", "ip", "user_agent", "details"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			opt := func(id int64) *int64 {
				if id == 0 {
					return nil
				}
				return &id
			}
			var ip *netip.Addr
			if r.ip != "" {
				a := netip.MustParseAddr(r.ip)
				ip = &a
			}
			details := []byte(r.details)
			if r.details == "" {
				details = []byte("{}")
			}
			actorType := r.actorType
			if actorType == "" {
				actorType = workflow.ActorUser
			}
			return []any{r.at, actorType, opt(r.actorID), r.actorName, opt(r.user), opt(r.resource), r.event, ip, r.ua, details}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
}

// forgetActivities removes what creating the test's users and resources
// wrote, so a test sees only the activities it inserts.
func forgetActivities(t testing.TB, env *apptest.Env, ids ...int64) {
	t.Helper()
	if _, err := env.App.Pool.Exec(context.Background(), `DELETE FROM activities WHERE user_id = ANY($1) OR resource_id = ANY($1)`, ids); err != nil {
		t.Fatal(err)
	}
}

// signInAs is signIn that also returns the admin account.
func signInAs(t *testing.T, env *apptest.Env, role workflow.Role) (*apptest.Browser, workflow.Admin) {
	t.Helper()
	b := signIn(t, env, role)
	login := strings.TrimSpace(b.Get("/admin/").Text(".admin-top .who strong"))
	a, err := env.Svc.Store.AdminByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return b, a
}

// shownRow is a row of the Detailed table.
type shownRow struct {
	event, actor, user, resource, ip, ua, details string
}

func detailedRows(p *apptest.Page) []shownRow {
	var out []shownRow
	p.Doc.Find("table.activities tbody tr").Each(func(_ int, tr *goquery.Selection) {
		td := tr.Find("td")
		cell := func(i int) string { return strings.Join(strings.Fields(td.Eq(i).Text()), " ") }
		ua, _ := td.Eq(6).Attr("title")
		details, _ := td.Eq(7).Find("code").Attr("title")
		out = append(out, shownRow{event: cell(1), actor: cell(2), user: cell(3), resource: cell(4), ip: cell(5), ua: ua, details: details})
	})
	return out
}

func nextHref(p *apptest.Page) string {
	href, _ := p.Doc.Find(`nav.pager a[rel="next"]`).Attr("href")
	return href
}

// n is the "n" of a row's details.
func detailN(t *testing.T, details string) int {
	t.Helper()
	var d struct{ N int }
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		t.Fatalf("details %q: %v", details, err)
	}
	return d.N
}

// TestActivitiesDetailedPaging walks 250 activities of a resource page by
// page: every row once, in the log's order (time, then id, newest first),
// also where several rows share a time.
func TestActivitiesDetailedPaging(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	r := newResource(t, env, "Paging "+apiTag(t))
	u := newUser(t, env, "paging-"+apiTag(t))
	forgetActivities(t, env, r.ID, u.ID)
	now := env.Clock.Now()
	rows := make([]act, 250)
	for i := range rows {
		// Three rows a second: ties on time are ordered by id.
		rows[i] = act{at: now.Add(-time.Duration(i/3) * time.Second), actorID: u.ID, actorName: u.Login, user: u.ID, resource: r.ID,
			event: workflow.ActivityEvents[i%len(workflow.ActivityEvents)], ip: "192.0.2.1", ua: "paging", details: fmt.Sprintf(`{"n": %d}`, i)}
	}
	copyActivities(t, env, rows)
	var want []int
	dbRows, err := env.App.Pool.Query(context.Background(), `SELECT (details->>'n')::int FROM activities WHERE resource_id = $1 ORDER BY at DESC, id DESC`, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want, err = pgx.CollectRows(dbRows, pgx.RowTo[int]); err != nil {
		t.Fatal(err)
	}

	b := signIn(t, env, workflow.RoleHelpdesk)
	path := "/admin/activities?resource_id=" + strconv.FormatInt(r.ID, 10)
	var got []int
	pages := 0
	for path != "" {
		p := b.Get(path)
		wantStatus(t, "activities page", p, http.StatusOK, "/admin/activities")
		pages++
		shown := detailedRows(p)
		if len(shown) > 50 {
			t.Fatalf("page %d has %d rows", pages, len(shown))
		}
		for _, s := range shown {
			got = append(got, detailN(t, s.details))
			if s.resource != r.Name || s.user != u.Login || s.ip != "192.0.2.1" || s.ua != "paging" || !strings.Contains(s.actor, u.Login) {
				t.Fatalf("row %+v", s)
			}
		}
		if pages > 1 && p.Doc.Find(`nav.pager a:contains("First page")`).Length() != 1 {
			t.Errorf("page %d has no link to the first", pages)
		}
		path = nextHref(p)
	}
	if pages != 5 || !slices.Equal(got, want) {
		t.Fatalf("%d pages, rows %v\nwant %v", pages, got, want)
	}
}

// TestActivitiesFilters checks each filter and the 90-day window.
func TestActivitiesFilters(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tag := apiTag(t)
	r := newResource(t, env, "Filters "+tag)
	other := newResource(t, env, "Filters other "+tag)
	u := newUser(t, env, "Filter-"+tag)
	v := newUser(t, env, "filter-other-"+tag)
	forgetActivities(t, env, r.ID, other.ID, u.ID, v.ID)
	now := env.Clock.Now()
	day := 24 * time.Hour
	copyActivities(t, env, []act{
		{at: now.Add(-time.Hour), user: u.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 1}`},
		{at: now.Add(-2 * time.Hour), user: u.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 2}`},
		{at: now.Add(-10 * day), user: u.ID, resource: r.ID, event: workflow.EventTokenSynced, details: `{"n": 3}`},
		{at: now.Add(-20 * day), user: u.ID, resource: other.ID, event: workflow.EventUserLogin, details: `{"n": 4}`},
		{at: now.Add(-89 * day), user: u.ID, resource: r.ID, event: workflow.EventUserLogoff, details: `{"n": 5}`},
		{at: now.Add(-91 * day), user: u.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 6}`},
		{at: now.Add(-200 * day), user: u.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 7}`},
		{at: now.Add(-3 * time.Hour), user: v.ID, resource: r.ID, event: workflow.EventUserLogin, details: `{"n": 8}`},
	})
	b := signIn(t, env, workflow.RoleSuperadmin)
	date := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.DateOnly) }
	uid, rid := strconv.FormatInt(u.ID, 10), strconv.FormatInt(r.ID, 10)
	tests := []struct {
		name  string
		query url.Values
		want  []int
	}{
		{"login in another case", url.Values{"user": {strings.ToUpper(u.Login)}}, []int{1, 2, 3, 4, 5}},
		{"user id", url.Values{"user": {uid}}, []int{1, 2, 3, 4, 5}},
		{"user and event", url.Values{"user": {uid}, "event": {workflow.EventTokenSynced}}, []int{3}},
		{"user and resource", url.Values{"user": {uid}, "resource_id": {strconv.FormatInt(other.ID, 10)}}, []int{4}},
		{"resource", url.Values{"resource_id": {rid}}, []int{1, 2, 8, 3, 5}},
		{"resource and event", url.Values{"resource_id": {rid}, "event": {workflow.EventUserLogin}}, []int{1, 2, 8}},
		{"date range", url.Values{"user": {uid}, "from": {date(21 * day)}, "to": {date(10 * day)}}, []int{3, 4}},
		{"from before the window", url.Values{"user": {uid}, "from": {date(150 * day)}, "to": {date(80 * day)}}, []int{5}},
		{"range outside the window", url.Values{"user": {uid}, "to": {date(95 * day)}}, nil},
		{"event nobody had", url.Values{"user": {uid}, "event": {workflow.EventTokenPinSet}}, nil},
		{"unknown user", url.Values{"user": {"nobody-" + tag}}, nil},
		{"unknown user id", url.Values{"user": {"999999999"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.Get("/admin/activities?" + tt.query.Encode())
			wantStatus(t, tt.name, p, http.StatusOK, "/admin/activities")
			var got []int
			for _, s := range detailedRows(p) {
				got = append(got, detailN(t, s.details))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("rows %v, want %v", got, tt.want)
			}
			// The filters are kept in the form and the export link.
			for k, v := range tt.query {
				if k == "user" || k == "from" || k == "to" {
					if got := attrValue(p, "#"+k); got != v[0] {
						t.Errorf("%s shows %q, want %q", k, got, v[0])
					}
				}
			}
			csvHref, _ := p.Doc.Find(`a[href^="/admin/activities.csv"]`).Attr("href")
			if q, _ := url.Parse(csvHref); q == nil || q.Query().Encode() != tt.query.Encode() {
				t.Errorf("export link %q does not keep the filters %v", csvHref, tt.query)
			}
		})
	}

	bad := []struct {
		name  string
		query url.Values
		field string
	}{
		{"not an event", url.Values{"event": {"drop table"}}, "event"},
		{"malformed date", url.Values{"from": {"yesterday"}}, "from"},
		{"end before start", url.Values{"from": {date(day)}, "to": {date(2 * day)}}, "to"},
		{"malformed resource", url.Values{"resource_id": {"abc"}}, "resource_id"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p := b.Get("/admin/activities?" + tt.query.Encode())
			if p.Status != http.StatusUnprocessableEntity || p.Doc.Find("#"+tt.field+"-error, #filter-"+strings.TrimSuffix(tt.field, "_id")+"-error").Length() != 1 {
				t.Fatalf("status %d, want 422 with an error at %s: %s", p.Status, tt.field, mainText(p))
			}
		})
	}
}

// TestActivitiesGrouped checks the exact counts per user and event, the
// order by total, and that rows without a user are left out.
func TestActivitiesGrouped(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tag := apiTag(t)
	r := newResource(t, env, "Grouped "+tag)
	a, bb, c := newUser(t, env, "ga-"+tag), newUser(t, env, "gb-"+tag), newUser(t, env, "gc-"+tag)
	forgetActivities(t, env, r.ID, a.ID, bb.ID, c.ID)
	now := env.Clock.Now()
	var rows []act
	add := func(u workflow.User, event string, n int) {
		for i := range n {
			rows = append(rows, act{at: now.Add(-time.Duration(len(rows)+i) * time.Minute), user: u.ID, resource: r.ID, event: event})
		}
	}
	add(a, workflow.EventUserLogin, 3)
	add(a, workflow.EventTokenSynced, 1)
	add(bb, workflow.EventUserLogin, 1)
	add(c, workflow.EventValidate, 5)
	add(c, workflow.EventUserLogin, 1)
	rows = append(rows, act{at: now, actorType: workflow.ActorAdmin, resource: r.ID, event: workflow.EventPortalChanged},
		act{at: now.Add(-100 * 24 * time.Hour), user: bb.ID, resource: r.ID, event: workflow.EventUserLogin}) // outside the window
	copyActivities(t, env, rows)

	b := signIn(t, env, workflow.RoleHelpdesk)
	p := b.Get("/admin/activities?tab=grouped&resource_id=" + strconv.FormatInt(r.ID, 10))
	wantStatus(t, "grouped", p, http.StatusOK, "/admin/activities")
	if cur := p.Text(`.tabs a[aria-current="page"]`); cur != "Grouped" {
		t.Errorf("current tab %q", cur)
	}
	// The columns name the events in words; the names stay in data-event.
	var head, names []string
	p.Doc.Find("table.activity-groups thead th").Each(func(_ int, s *goquery.Selection) {
		head = append(head, s.Text())
		if e, ok := s.Attr("data-event"); ok {
			names = append(names, e)
		}
	})
	wantHead := []string{"User", "Total", "User signed in", "Token resynced", "Code validated"}
	if !slices.Equal(head, wantHead) {
		t.Fatalf("columns %q, want %q", head, wantHead)
	}
	if want := []string{workflow.EventUserLogin, workflow.EventTokenSynced, workflow.EventValidate}; !slices.Equal(names, want) {
		t.Fatalf("column events %q, want %q", names, want)
	}
	var got [][]string
	p.Doc.Find("table.activity-groups tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Children().Each(func(_ int, s *goquery.Selection) { cells = append(cells, strings.TrimSpace(s.Text())) })
		got = append(got, cells)
	})
	want := [][]string{
		{c.Login, "6", "1", "", "5"},
		{a.Login, "4", "3", "1", ""},
		{bb.Login, "1", "1", "", ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("grouped rows %q\nwant %q", got, want)
	}
	// A user's row leads to their Detailed view with the same filters.
	href, _ := p.Doc.Find("table.activity-groups tbody tr th a").First().Attr("href")
	d := b.Get(href)
	if n := len(detailedRows(d)); n != 6 {
		t.Fatalf("%s shows %d rows, want 6", href, n)
	}
}

// TestActivitiesGroupedPaging pages through more users than fit a page.
func TestActivitiesGroupedPaging(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tag := apiTag(t)
	r := newResource(t, env, "Grouped paging "+tag)
	now := env.Clock.Now()
	var rows []act
	const users = 130
	for i := range users {
		u := newUser(t, env, fmt.Sprintf("gp%d-%s", i, tag))
		for j := range 1 + i%3 { // totals 1, 2 and 3: many ties
			rows = append(rows, act{at: now.Add(-time.Duration(j) * time.Second), user: u.ID, resource: r.ID, event: workflow.EventUserLogin})
		}
	}
	copyActivities(t, env, rows)
	b := signIn(t, env, workflow.RoleSuperadmin)
	path := "/admin/activities?tab=grouped&resource_id=" + strconv.FormatInt(r.ID, 10)
	seen := map[string]bool{}
	lastTotal := 1 << 30
	pages := 0
	for path != "" {
		p := b.Get(path)
		wantStatus(t, "grouped page", p, http.StatusOK, "/admin/activities")
		pages++
		p.Doc.Find("table.activity-groups tbody tr").Each(func(_ int, tr *goquery.Selection) {
			login := tr.Find("th").Text()
			total, _ := strconv.Atoi(tr.Find("td").First().Text())
			if seen[login] || total > lastTotal {
				t.Fatalf("%s (total %d) again or out of order", login, total)
			}
			seen[login], lastTotal = true, total
		})
		path = nextHref(p)
	}
	if pages != 2 || len(seen) != users {
		t.Fatalf("%d pages, %d users", pages, len(seen))
	}
}

// TestActivitiesCSV exports 10,000 rows: header, order, RFC 4180 quoting,
// formula injection defused, sent in chunks as it is written.
func TestActivitiesCSV(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tag := apiTag(t)
	r := newResource(t, env, "CSV "+tag)
	u := newUser(t, env, "csv-"+tag)
	forgetActivities(t, env, r.ID, u.ID)
	now := env.Clock.Now()
	nasty := []string{`=HYPERLINK("http://evil","x")`, "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "\rCR", `plain, "quoted"` + "\nnext line"}
	const n = 10_000
	rows := make([]act, n)
	for i := range rows {
		rows[i] = act{at: now.Add(-time.Duration(i) * time.Second), actorID: u.ID, actorName: nasty[i%len(nasty)], user: u.ID, resource: r.ID,
			event: workflow.EventValidate, ip: "2001:db8::1", ua: nasty[(i+1)%len(nasty)],
			details: fmt.Sprintf(`{"n": %d, "note": %q}`, i, nasty[(i+2)%len(nasty)])}
	}
	copyActivities(t, env, rows)

	b := signIn(t, env, workflow.RoleHelpdesk)
	resp, err := b.Client.Get(env.Server.URL + "/admin/activities.csv?resource_id=" + strconv.FormatInt(r.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	// Streamed: no length known in advance, sent in chunks.
	if resp.ContentLength != -1 || !slices.Contains(resp.TransferEncoding, "chunked") {
		t.Errorf("not streamed: length %d, transfer encoding %v", resp.ContentLength, resp.TransferEncoding)
	}
	cr := csv.NewReader(resp.Body)
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(header, ",") != "id,time_utc,event,actor_type,actor_id,actor_name,user_id,user_login,resource_id,resource,ip,user_agent,details" {
		t.Fatalf("header %q", header)
	}
	count := 0
	lastN := -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("record %d: %v", count, err)
		}
		i := count
		count++
		safe := func(s string) string {
			if strings.ContainsAny(s[:1], "=+-@\t\r") {
				return "'" + s
			}
			return s
		}
		if rec[2] != workflow.EventValidate || rec[3] != "user" || rec[4] != strconv.FormatInt(u.ID, 10) ||
			rec[6] != strconv.FormatInt(u.ID, 10) || rec[7] != u.Login || rec[9] != r.Name || rec[10] != "2001:db8::1" {
			t.Fatalf("record %d: %q", i, rec)
		}
		if rec[5] != safe(nasty[i%len(nasty)]) || rec[11] != safe(nasty[(i+1)%len(nasty)]) {
			t.Fatalf("record %d: actor %q, user agent %q not defused", i, rec[5], rec[11])
		}
		var d struct {
			N    int
			Note string
		}
		if err := json.Unmarshal([]byte(rec[12]), &d); err != nil || d.N != i || d.Note != nasty[(i+2)%len(nasty)] {
			t.Fatalf("record %d: details %q (%v)", i, rec[12], err)
		}
		if _, err := time.Parse(time.RFC3339Nano, rec[1]); err != nil {
			t.Fatalf("record %d: time %q", i, rec[1])
		}
		lastN = d.N
	}
	if count != n || lastN != n-1 {
		t.Fatalf("%d records, last n %d", count, lastN)
	}

	// An empty export still has its header; a bad filter is refused.
	resp2 := b.Get("/admin/activities.csv?event=TokenPinSet&resource_id=" + strconv.FormatInt(r.ID, 10))
	if resp2.Status != http.StatusOK || strings.TrimSpace(resp2.Body) != strings.Join(header, ",") {
		t.Fatalf("empty export: %d %q", resp2.Status, resp2.Body)
	}
	if p := b.Get("/admin/activities.csv?from=soon"); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad filter: %d", p.Status)
	}
}

// TestActivitiesOwnerScope: an owner reads the activities of the resources
// they own, in every view, and nothing else.
func TestActivitiesOwnerScope(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tag := apiTag(t)
	mine, theirs := newResource(t, env, "Owned "+tag), newResource(t, env, "Not owned "+tag)
	u := newUser(t, env, "scope-"+tag)
	forgetActivities(t, env, mine.ID, theirs.ID, u.ID)
	b, owner := signInAs(t, env, workflow.RoleOwner)
	if _, err := env.App.Pool.Exec(context.Background(), "INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)", mine.ID, owner.ID); err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now()
	copyActivities(t, env, []act{
		{at: now.Add(-time.Minute), user: u.ID, resource: mine.ID, event: workflow.EventUserLogin, details: `{"n": 1}`},
		{at: now.Add(-2 * time.Minute), user: u.ID, resource: theirs.ID, event: workflow.EventUserLogin, details: `{"n": 2}`},
		{at: now.Add(-3 * time.Minute), user: u.ID, resource: mine.ID, event: workflow.EventTokenSynced, details: `{"n": 3}`},
		{at: now.Add(-4 * time.Minute), user: u.ID, event: workflow.EventUserLoginChange, details: `{"n": 4}`}, // no resource
	})
	uid := strconv.FormatInt(u.ID, 10)

	p := b.Get("/admin/activities?user=" + uid)
	var got []int
	for _, s := range detailedRows(p) {
		got = append(got, detailN(t, s.details))
	}
	if !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("owner sees %v, want [1 3]", got)
	}
	var options []string
	p.Doc.Find(`#filter-resource option`).Each(func(_ int, s *goquery.Selection) { options = append(options, s.Text()) })
	if !slices.Equal(options, []string{"All resources", mine.Name}) {
		t.Errorf("resource choices %q", options)
	}
	// Without a user filter too, every row is on the owned resource.
	for _, s := range detailedRows(b.Get("/admin/activities")) {
		if s.resource != mine.Name {
			t.Fatalf("owner sees a row of %q", s.resource)
		}
	}

	before := deniedCount(t, env, owner.ID)
	p = b.Get("/admin/activities?resource_id=" + strconv.FormatInt(theirs.ID, 10))
	if p.Status != http.StatusOK || len(detailedRows(p)) != 0 {
		t.Fatalf("another resource: %d, %d rows", p.Status, len(detailedRows(p)))
	}
	if deniedCount(t, env, owner.ID) != before+1 {
		t.Error("asking for another resource's activities is not recorded")
	}

	g := b.Get("/admin/activities?tab=grouped&user=" + uid)
	if total := g.Text("table.activity-groups tbody td.num"); !strings.HasPrefix(total, "2") {
		t.Errorf("grouped total %q, want 2", total)
	}
	resp := b.Get("/admin/activities.csv?user=" + uid)
	lines := strings.Split(strings.TrimSpace(resp.Body), "\n")
	if resp.Status != http.StatusOK || len(lines) != 3 || !strings.Contains(lines[1], mine.Name) || !strings.Contains(lines[2], mine.Name) {
		t.Fatalf("owner export: %d %q", resp.Status, resp.Body)
	}
	if p.Doc.Find("#retention_days").Length() != 0 {
		t.Error("an owner is offered the retention")
	}

	// An owner of nothing sees nothing.
	nb := signIn(t, env, workflow.RoleOwner)
	if rows := detailedRows(nb.Get("/admin/activities?user=" + uid)); len(rows) != 0 {
		t.Fatalf("an owner of nothing sees %d rows", len(rows))
	}
}

func deniedCount(t *testing.T, env *apptest.Env, adminID int64) int {
	t.Helper()
	var n int
	if err := env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM activities WHERE event = 'AccessDenied' AND actor_type = 'admin' AND actor_id = $1`, adminID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestActivityRetentionForm: superadmins set the retention within its
// bounds; others are not offered it.
func TestActivityRetentionForm(t *testing.T) {
	// Serial: it changes the activity retention, which every test shares.
	env := apptest.New(t, nil)
	t.Cleanup(func() {
		_ = env.Svc.SetActivityRetention(context.Background(), workflow.DefaultRetentionDays, workflow.SystemActor, workflow.Meta{})
	})
	b := signIn(t, env, workflow.RoleSuperadmin)
	p := b.Get("/admin/activities")
	if attrValue(p, "#retention_days") == "" {
		t.Fatalf("no retention form: %s", mainText(p))
	}
	for _, bad := range []string{"30", "3651", "a year", ""} {
		p = b.Post("/admin/activities/retention", apptest.Form("retention_days", bad))
		if p.Status != http.StatusUnprocessableEntity || p.Doc.Find("#retention_days-error").Length() != 1 || attrValue(p, "#retention_days") != bad {
			t.Fatalf("retention %q: %d %s", bad, p.Status, mainText(p))
		}
	}
	p = b.Post("/admin/activities/retention", apptest.Form("retention_days", "400"))
	wantStatus(t, "save retention", p, http.StatusOK, "/admin/activities")
	if !strings.Contains(flashOf(p), "400 days") || attrValue(p, "#retention_days") != "400" {
		t.Fatalf("after saving: %q, field %q", flashOf(p), attrValue(p, "#retention_days"))
	}
	if days, err := env.Svc.ActivityRetention(context.Background()); err != nil || days != 400 {
		t.Fatalf("retention %d %v", days, err)
	}
	h := signIn(t, env, workflow.RoleHelpdesk)
	if h.Get("/admin/activities").Doc.Find("#retention_days").Length() != 0 {
		t.Error("the helpdesk is offered the retention")
	}
}

// TestActivitiesUserFilterRevealsNoLogins: an owner filters the activities
// by (a) a login nobody has, (b) the login of a user of another resource,
// with activities there, and (c) the login of a user of their own resource
// without activities. Each tab, the export and the API (by user id) answer
// all three exactly alike, apart from showing the filter again, so the
// filter tells an owner nothing of the users outside their resources
// (before, (a) answered 422 "There is no user with this login or id").
func TestActivitiesUserFilterRevealsNoLogins(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tag := apiTag(t)
	mine, theirs := newResource(t, env, "Probe mine "+tag), newResource(t, env, "Probe theirs "+tag)
	quiet, busy := newUser(t, env, "probe-quiet-"+tag), newUser(t, env, "probe-busy-"+tag)
	for _, a := range []struct{ r, u int64 }{{mine.ID, quiet.ID}, {theirs.ID, busy.ID}} {
		if err := env.Svc.AssignUser(context.Background(), a.r, a.u, workflow.SystemActor, workflow.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	forgetActivities(t, env, mine.ID, theirs.ID, quiet.ID, busy.ID)
	now := env.Clock.Now()
	copyActivities(t, env, []act{
		{at: now.Add(-time.Hour), user: busy.ID, resource: theirs.ID, event: workflow.EventUserLogin},
		{at: now.Add(-2 * time.Hour), user: busy.ID, event: workflow.EventUserLoginChange}, // no resource
	})
	b, owner := signInAs(t, env, workflow.RoleOwner)
	if _, err := env.App.Pool.Exec(context.Background(), "INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)", mine.ID, owner.ID); err != nil {
		t.Fatal(err)
	}
	// The helpdesk sees the busy user's activities: there is something to hide.
	if n := len(detailedRows(signIn(t, env, workflow.RoleHelpdesk).Get("/admin/activities?user=" + busy.Login))); n != 2 {
		t.Fatalf("the helpdesk sees %d activities of the busy user, want 2", n)
	}

	probes := []struct{ name, login string }{
		{"unknown login", "probe-nobody-" + tag},
		{"login of another resource", busy.Login},
		{"own login without activities", quiet.Login},
	}
	answer := func(path, login string) (int, string) {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		p := b.Get(path + sep + url.Values{"user": {login}}.Encode())
		body := strings.ReplaceAll(p.Body, url.QueryEscape(login), "LOGIN")
		return p.Status, strings.ReplaceAll(body, login, "LOGIN")
	}
	for _, path := range []string{"/admin/activities", "/admin/activities?tab=grouped", "/admin/activities.csv"} {
		t.Run(path, func(t *testing.T) {
			_, want := answer(path, quiet.Login)
			for _, pr := range probes {
				status, got := answer(path, pr.login)
				if status != http.StatusOK || strings.Contains(got, "There is no user") {
					t.Fatalf("%s: status %d, want 200 and no word of whether the user exists:\n%.2000s", pr.name, status, got)
				}
				if got != want {
					t.Fatalf("%s answers differently from a login without activities:\n%s\n---- want ----\n%s", pr.name, got, want)
				}
			}
		})
	}

	// The API filters by user id: an owner key answers alike too.
	key := apiNewKey(t, env, workflow.RoleOwner, mine.ID)
	var want string
	for i, id := range []int64{999999999, busy.ID, quiet.ID} {
		status, body := apiDo(t, env, http.MethodGet, "/api/v1/activities?user_id="+strconv.FormatInt(id, 10), key, nil)
		if status != http.StatusOK {
			t.Fatalf("API, %s: status %d", probes[i].name, status)
		}
		if i == 0 {
			want = string(body)
		} else if string(body) != want {
			t.Fatalf("API, %s: %s, but %s: %s", probes[i].name, body, probes[0].name, want)
		}
	}
}
