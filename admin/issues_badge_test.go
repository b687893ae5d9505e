package admin_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// The default User Issues view reuses its count of open requests for the
// navigation badge instead of counting them again; the badge must still be
// the number of open requests the admin may see, for a superadmin and for
// an owner, and a filtered view counts separately.
func TestIssuesBadgeOnTheDefaultView(t *testing.T) {
	// Serial: it counts rows that other tests write.
	env := apptest.New(t, nil)
	ctx := context.Background()
	mine, theirs := newResource(t, env, "Badge mine VPN"), newResource(t, env, "Badge theirs VPN")
	for i, r := range []workflow.Resource{mine, theirs, theirs} {
		u := newUser(t, env, "badge-user-"+strconv.Itoa(i))
		fileIssue(t, env, u, r, []string{workflow.LostToken}, workflow.EvidenceLost, workflow.EvidenceVerified, workflow.EvidenceVerified, time.Now())
	}
	owner := "badge-owner"
	if _, err := env.Svc.CreateAdmin(ctx, workflow.NewAdmin{Login: owner, Role: workflow.RoleOwner, Password: adminPassword, Resources: []int64{mine.ID}},
		workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	var open int
	if err := env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM user_issues WHERE status = 'open'`).Scan(&open); err != nil {
		t.Fatal(err)
	}

	super := signIn(t, env, workflow.RoleSuperadmin)
	for _, path := range []string{"/admin/issues", "/admin/issues?status=open", "/admin/issues?resource_id=" + strconv.FormatInt(mine.ID, 10), "/admin/issues?status=all"} {
		if got := super.Get(path).Text(".admin-nav .badge"); got != strconv.Itoa(open) {
			t.Errorf("superadmin's badge on %s: %q, want %d", path, got, open)
		}
	}
	ob := env.Browser()
	enrol(t, env, ob, owner)
	if got := ob.Get("/admin/issues").Text(".admin-nav .badge"); got != "1" {
		t.Errorf("owner's badge on the default view: %q, want 1", got)
	}
}
