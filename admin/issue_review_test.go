package admin_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// attackerUA is the browser of a stranger filing a request in somebody
// else's name.
const attackerUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestIssuePageShowsFraudSignals: the helpdesk sees, beside a request, the
// user's earlier requests, their recent sign-ins, whether the request came
// from a network and browser the user signs in from, a warning when nothing
// was proved and the change of email domain; the API lists the request's
// new address, address, browser and the request it replaced.
func TestIssuePageShowsFraudSignals(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	helpdesk := signIn(t, env, workflow.RoleHelpdesk)
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	tag := apiTag(t) + "sig"
	w := newIssueWorld(t, env, tag)
	now := env.Clock.Now()
	day := 24 * time.Hour

	// The user signs in from 198.51.100.0/24 with Firefox on Linux.
	const homeUA = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	if _, err := env.App.Pool.Exec(ctx, `INSERT INTO user_environments (user_id, ip_prefix, browser, first_seen, last_seen)
		VALUES ($1, '198.51.100.0/24', 'Firefox', $2, $3)`, w.u.ID, now.Add(-30*day), now.Add(-day)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Pool.Exec(ctx, `INSERT INTO activities (at, actor_type, actor_id, actor_name, user_id, resource_id, event, ip, user_agent)
		VALUES ($1, 'user', $2, $3, $2, $4, 'UserLogin', '198.51.100.23', $5)`, now.Add(-day), w.u.ID, w.u.Login, w.r.ID, homeUA); err != nil {
		t.Fatal(err)
	}

	// Earlier requests: one replaced by the next, which was deleted; one
	// verified. Then the request under review, from elsewhere.
	replaced := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "verified", now.Add(-5*day))
	deleted := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "failed", "failed", now.Add(-4*day))
	if _, err := env.Svc.DeleteIssue(ctx, deleted.ID, workflow.SystemActor, "", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	verified := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "absent", now.Add(-3*day))
	if _, err := env.Svc.VerifyIssue(ctx, verified.ID, workflow.SystemActor, "", workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	suspect := workflow.Issue{UserID: w.u.ID, ResourceID: w.r.ID, Lost: []string{"token", "email"}, Token: "lost", Password: "failed", Email: "lost",
		NewEmail: tag + "@evil.example", IP: "203.0.113.9", UserAgent: attackerUA}
	if _, err := env.Svc.Store.CreateIssue(ctx, &suspect, now); err != nil {
		t.Fatal(err)
	}

	p := helpdesk.Get(issuePath(suspect.ID))
	wantStatus(t, "issue page", p, 200, issuePath(suspect.ID))
	if got := p.Text(".review .no-proof"); !strings.Contains(got, "No proof was verified.") {
		t.Errorf("no-proof warning %q", got)
	}
	if got := p.Text(".review .email-change.warning"); !strings.Contains(got, "The email domain changes from example.com to evil.example") {
		t.Errorf("email change %q", got)
	}
	if got := p.Text(".environment .network.unseen"); !strings.Contains(got, "203.0.113.0/24: never seen at a sign-in of this user") {
		t.Errorf("network %q", got)
	}
	if got := p.Text(".environment .browser.unseen"); !strings.Contains(got, "Browser Chrome: never seen") {
		t.Errorf("browser %q", got)
	}
	for _, c := range []struct {
		is      workflow.Issue
		outcome string
	}{{verified, "verified"}, {deleted, "deleted"}, {replaced, "replaced by a newer request"}} {
		row := p.Text("#earlier-" + strconv.FormatInt(c.is.ID, 10))
		if !strings.Contains(row, i18n.DateTimeIn("en", c.is.CreatedAt)) || !strings.Contains(row, c.outcome) || !strings.Contains(row, "lost token") {
			t.Errorf("earlier request %d: %q, want %q", c.is.ID, row, c.outcome)
		}
	}
	var cells []string
	p.Doc.Find(".review table.sign-ins tbody tr").First().Find("td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
	if !slices.Equal(cells, []string{i18n.DateTimeIn("en", now.Add(-day)), "198.51.100.23", "Firefox 140 on Linux", w.r.Name}) {
		t.Errorf("sign-ins %q", cells)
	}
	// The replacing request links the one it replaced.
	if href, _ := helpdesk.Get(issuePath(deleted.ID)).Doc.Find(`a[href="` + issuePath(replaced.ID) + `"]`).Attr("href"); href == "" {
		t.Error("the replacing request does not link the replaced one")
	}

	// A request from home, with a proof, raises no alarm.
	home := workflow.Issue{UserID: w.u.ID, ResourceID: w.other.ID, Lost: []string{"token"}, Token: "lost", Password: "verified", Email: "absent",
		IP: "198.51.100.77", UserAgent: homeUA}
	if _, err := env.Svc.Store.CreateIssue(ctx, &home, now); err != nil {
		t.Fatal(err)
	}
	p = helpdesk.Get(issuePath(home.ID))
	if p.Doc.Find(".no-proof, .email-change, .unseen").Length() != 0 {
		t.Errorf("alarms on a request from home:\n%s", p.Text(".review"))
	}
	if got := p.Text(".environment .network.seen"); !strings.Contains(got, "198.51.100.0/24: the user signed in from it before (last "+i18n.DateTimeIn("en", now.Add(-day))+")") {
		t.Errorf("home network %q", got)
	}

	// The API gives the same facts.
	var list struct {
		Items []struct {
			ID        int64  `json:"id"`
			NewEmail  string `json:"new_email"`
			IP        string `json:"ip"`
			UserAgent string `json:"user_agent"`
			Replaces  *int64 `json:"replaces"`
		} `json:"items"`
	}
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/issues?status=all&resource_id="+strconv.FormatInt(w.r.ID, 10), key, nil)
	apiWant(t, status, body, 200, &list)
	got := map[int64]int{}
	for i, it := range list.Items {
		got[it.ID] = i
	}
	s, d, r := list.Items[got[suspect.ID]], list.Items[got[deleted.ID]], list.Items[got[replaced.ID]]
	if s.NewEmail != suspect.NewEmail || s.IP != "203.0.113.9" || s.UserAgent != attackerUA || s.Replaces != nil {
		t.Errorf("suspect in the API: %+v", s)
	}
	if d.Replaces == nil || *d.Replaces != replaced.ID || r.Replaces != nil || r.NewEmail != "" {
		t.Errorf("replaces in the API: %+v, %+v\n%s", d, r, body)
	}
}
