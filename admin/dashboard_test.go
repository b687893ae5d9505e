package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// statValue is the number of the dashboard card named name.
func statValue(t *testing.T, p *apptest.Page, name string) string {
	t.Helper()
	var v string
	found := false
	p.Doc.Find(".stat").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Find(".name").Text()) == name {
			v, found = strings.TrimSpace(s.Find(".value").Text()), true
		}
	})
	if !found {
		t.Fatalf("no card %q", name)
	}
	return v
}

// chartTable reads the hidden table of a chart: label → "ok/failed".
func chartTable(t *testing.T, p *apptest.Page, id string) map[string]string {
	t.Helper()
	rows := p.Doc.Find("figure#" + id + " table tbody tr")
	if rows.Length() == 0 {
		t.Fatalf("chart %s has no table", id)
	}
	out := map[string]string{}
	rows.Each(func(_ int, r *goquery.Selection) {
		tds := r.Find("td")
		out[strings.TrimSpace(r.Find("th").Text())] = strings.TrimSpace(tds.Eq(0).Text()) + "/" + strings.TrimSpace(tds.Eq(1).Text())
	})
	return out
}

// wantBuckets checks a chart's buckets: those in want, and 0/0 elsewhere.
func wantBuckets(t *testing.T, p *apptest.Page, id string, n int, want map[string]string) {
	t.Helper()
	got := chartTable(t, p, id)
	if len(got) != n {
		t.Errorf("%s: %d buckets, want %d", id, len(got), n)
	}
	for label, v := range got {
		w, ok := want[label]
		if !ok {
			w = "0/0"
		}
		if v != w {
			t.Errorf("%s %s: %s, want %s", id, label, v, w)
		}
	}
	for label := range want {
		if _, ok := got[label]; !ok {
			t.Errorf("%s: no bucket %s (have %v)", id, label, got)
		}
	}
}

func TestDashboard(t *testing.T) {
	// Serial: it counts rows that other tests write.
	env := apptest.New(t, nil)
	ctx := context.Background()
	super := signIn(t, env, workflow.RoleSuperadmin)
	helpdesk := signIn(t, env, workflow.RoleHelpdesk)
	ownerB := signIn(t, env, workflow.RoleOwner)
	owner := adminOf(t, env, ownerB)
	tag := apiTag(t)

	r1, r2 := newResource(t, env, tag+" Dash VPN"), newResource(t, env, tag+" Dash Citrix")
	if _, err := env.App.Pool.Exec(ctx, "INSERT INTO resource_owners (resource_id, admin_id) VALUES ($1, $2)", r1.ID, owner.ID); err != nil {
		t.Fatal(err)
	}
	u1, u2, u3 := newUser(t, env, tag+"-dash1"), newUser(t, env, tag+"-dash2"), newUser(t, env, tag+"-dash3")
	for _, a := range []struct {
		u workflow.User
		r workflow.Resource
	}{{u1, r1}, {u2, r1}, {u3, r2}} {
		if err := env.Svc.AssignUser(ctx, a.r.ID, a.u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range []struct {
		serial    string
		u         workflow.User
		r         workflow.Resource
		failcount int
	}{{tag + "-DA", u1, r1, workflow.MaxFailcount}, {tag + "-DB", u2, r1, 3}, {tag + "-DC", u3, r2, 12}} {
		importHOTP(t, env, tok.serial)
		giveToken(t, env, tok.serial, tok.u, tok.r)
		if _, err := env.App.Pool.Exec(ctx, "UPDATE tokens SET failcount = $2 WHERE serial = $1", tok.serial, tok.failcount); err != nil {
			t.Fatal(err)
		}
	}
	fileIssue(t, env, u1, r1, []string{"token"}, "lost", "verified", "absent", env.Clock.Now())
	fileIssue(t, env, u3, r2, []string{"token"}, "lost", "verified", "absent", env.Clock.Now())

	// From here on the clock stands years ahead, so the charts' windows hold
	// only the activities below, whatever other tests wrote.
	now := time.Date(time.Now().Year()+5, 3, 15, 10, 30, 0, 0, time.UTC)
	env.Clock.Set(now)
	for _, u := range []workflow.User{u1, u3} {
		if _, err := env.App.Pool.Exec(ctx, "UPDATE users SET locked_until = $2 WHERE id = $1", u.ID, now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// u2 was locked once, but the lock is over.
	if _, err := env.App.Pool.Exec(ctx, "UPDATE users SET locked_until = $2 WHERE id = $1", u2.ID, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	add := func(n int, event string, ago time.Duration, u *workflow.User, r *workflow.Resource) {
		t.Helper()
		for range n {
			a := workflow.Activity{At: now.Add(-ago), Actor: workflow.Actor{Type: workflow.ActorUser, Name: "dash"}, Event: event}
			if u != nil {
				a.UserID = &u.ID
			}
			if r != nil {
				a.ResourceID = &r.ID
			}
			if err := env.Svc.Store.AddActivity(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	day := 24 * time.Hour
	add(1, workflow.EventUserLogin, 40*day, &u1, &r1) // outside the month
	add(2, workflow.EventUserLoginAttempt, 10*day, &u1, &r1)
	add(2, workflow.EventUserLogin, 3*day, &u1, &r1)
	add(1, workflow.EventUserLogin, 5*time.Hour, &u1, &r1)
	add(4, workflow.EventUserLogin, time.Hour, &u3, &r2)
	add(3, workflow.EventUserLogin, 30*time.Minute, &u1, &r1)
	add(1, workflow.EventUserLoginAttempt, 30*time.Minute, &u2, &r1)
	add(1, workflow.EventAdminLoginFail, 20*day, nil, nil)
	add(2, workflow.EventAdminLogin, 2*time.Hour, nil, nil)
	add(1, workflow.EventAdminLoginFail, 2*time.Hour, nil, nil)

	hour := func(ago time.Duration) string { return now.Add(-ago).Truncate(time.Hour).Format("2006-01-02 15:04") }
	date := func(ago time.Duration) string { return now.Add(-ago).Format("2006-01-02") }

	// Superadmin and helpdesk: everything.
	for name, b := range map[string]*apptest.Browser{"superadmin": super, "helpdesk": helpdesk} {
		t.Run(name, func(t *testing.T) {
			p := b.Get("/admin/")
			wantStatus(t, "dashboard", p, 200, "/admin/")
			var want workflow.DashboardCounts
			if err := env.App.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM resources),
				(SELECT count(*) FROM tokens), (SELECT count(*) FROM user_issues WHERE status = 'open'),
				(SELECT count(*) FROM users WHERE locked_until > $1), (SELECT count(*) FROM tokens WHERE failcount >= 10)`, now).
				Scan(&want.Users, &want.Resources, &want.Tokens, &want.OpenIssues, &want.LockedUsers, &want.LockedTokens); err != nil {
				t.Fatal(err)
			}
			if want.LockedUsers < 2 || want.LockedTokens < 2 || want.OpenIssues < 2 {
				t.Fatalf("fixture: %+v", want)
			}
			for card, n := range map[string]int{"Users": want.Users, "Resources": want.Resources, "Tokens": want.Tokens,
				"Open user issues": want.OpenIssues, "Locked users": want.LockedUsers, "Locked tokens": want.LockedTokens} {
				if got := statValue(t, p, card); got != fmt.Sprint(n) {
					t.Errorf("%s: %s, want %d", card, got, n)
				}
			}
			wantBuckets(t, p, "chart-users-24h", 24, map[string]string{
				hour(30 * time.Minute): "3/1", hour(time.Hour): "4/0", hour(5 * time.Hour): "1/0"})
			wantBuckets(t, p, "chart-users-30d", 30, map[string]string{
				date(0): "8/1", date(3 * day): "2/0", date(10 * day): "0/2"})
			wantBuckets(t, p, "chart-admins-24h", 24, map[string]string{hour(2 * time.Hour): "2/1"})
			wantBuckets(t, p, "chart-admins-30d", 30, map[string]string{date(0): "2/1", date(20 * day): "0/1"})
			if got := p.Text("#chart-users-30d .chart-totals"); got != "10 sign-ins, 3 failed attempts" {
				t.Errorf("totals %q", got)
			}
			if rows := p.Doc.Find("table.recent tbody tr"); rows.Length() != 10 || !strings.Contains(rows.First().Text(), r1.Name) {
				t.Errorf("recent: %d rows, first %q", rows.Length(), rows.First().Text())
			}
		})
	}

	// The charts: SVG drawn on the server, labelled, with a text alternative.
	p := super.Get("/admin/")
	for _, id := range []string{"chart-users-24h", "chart-users-30d", "chart-admins-24h", "chart-admins-30d"} {
		svg := p.Doc.Find("figure#" + id + " svg")
		if svg.Length() != 1 || svg.AttrOr("role", "") != "img" {
			t.Fatalf("%s: no svg image", id)
		}
		title, desc := svg.Find("title#"+id+"-title"), svg.Find("desc#"+id+"-desc")
		if title.Text() == "" || !strings.Contains(desc.Text(), "sign-ins") || svg.AttrOr("aria-labelledby", "") != id+"-title "+id+"-desc" {
			t.Errorf("%s: title %q, desc %q", id, title.Text(), desc.Text())
		}
		labels := svg.Find("text").Text()
		for _, want := range []string{"UTC)", "Sign-ins"} {
			if !strings.Contains(labels, want) {
				t.Errorf("%s: axis labels %q lack %q", id, labels, want)
			}
		}
		if p.Doc.Find("figure#"+id+" table.visually-hidden caption").Text() == "" {
			t.Errorf("%s: the table has no caption", id)
		}
	}
	if n := p.Doc.Find("figure#chart-users-24h rect.bar-ok").Length(); n != 3 {
		t.Errorf("%d green bars in the hourly chart, want 3", n)
	}
	if n := p.Doc.Find("figure#chart-users-24h rect.bar-failed").Length(); n != 1 {
		t.Errorf("%d red bars in the hourly chart, want 1", n)
	}
	if p.Doc.Find("[style], script:not([src^='/assets/']), link[href*='://']").Length() != 0 || strings.Contains(p.Body, "style=") {
		t.Error("the dashboard uses inline styles, scripts or external files")
	}
	if href, _ := p.Doc.Find(`a[href="/admin/activities"]`).Attr("href"); href == "" {
		t.Error("no link to the Activities page")
	}

	// An owner: their resource only, and no admin sign-ins.
	p = ownerB.Get("/admin/")
	wantStatus(t, "owner", p, 200, "/admin/")
	for card, want := range map[string]string{"Users": "2", "Resources": "1", "Tokens": "2", "Open user issues": "1",
		"Locked users": "1", "Locked tokens": "1"} {
		if got := statValue(t, p, card); got != want {
			t.Errorf("owner %s: %s, want %s", card, got, want)
		}
	}
	wantBuckets(t, p, "chart-users-24h", 24, map[string]string{hour(30 * time.Minute): "3/1", hour(5 * time.Hour): "1/0"})
	wantBuckets(t, p, "chart-users-30d", 30, map[string]string{date(0): "4/1", date(3 * day): "2/0", date(10 * day): "0/2"})
	if p.Doc.Find("#chart-admins-24h, #chart-admins-30d").Length() != 0 {
		t.Error("an owner sees admin sign-ins")
	}
	rows := p.Doc.Find("table.recent tbody tr")
	if rows.Length() != 10 {
		t.Errorf("owner's recent activity: %d rows", rows.Length())
	}
	rows.Each(func(_ int, r *goquery.Selection) {
		if got := strings.TrimSpace(r.Find("td").Last().Text()); got != r1.Name {
			t.Errorf("owner sees an activity of %q", got)
		}
	})

	// An owner of nothing sees zeros, not everybody's numbers.
	if _, err := env.App.Pool.Exec(ctx, "DELETE FROM resource_owners WHERE admin_id = $1", owner.ID); err != nil {
		t.Fatal(err)
	}
	p = ownerB.Get("/admin/")
	for _, card := range []string{"Users", "Resources", "Tokens", "Open user issues", "Locked users", "Locked tokens"} {
		if got := statValue(t, p, card); got != "0" {
			t.Errorf("owner of nothing, %s: %s", card, got)
		}
	}
	if got := p.Text("#chart-users-30d .chart-totals"); got != "0 sign-ins, 0 failed attempts" {
		t.Errorf("owner of nothing: %q", got)
	}
	if p.Doc.Find("table.recent").Length() != 0 {
		t.Error("owner of nothing sees activities")
	}
}
