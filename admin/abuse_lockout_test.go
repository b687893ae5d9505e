package admin_test

import (
	"context"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// An attacker who tries one wrong password every few minutes must not keep
// an admin out for good: tries while locked neither count nor extend the
// lock, and the count starts again when it ends.
func TestAbuseAdminLockoutEnds(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	newAdmin(t, env, "dora", workflow.RoleHelpdesk)
	try := func(password string) *apptest.Page {
		return env.Browser().Post("/admin/login", apptest.Form("login", "dora", "password", password))
	}
	for range workflow.DefaultLimits.LockAfter {
		try("wrong-password-1")
	}
	a, err := env.Svc.Store.AdminByLogin(context.Background(), "dora")
	if err != nil || a.LockedUntil == nil {
		t.Fatalf("not locked: %v", err)
	}
	until := *a.LockedUntil
	for range 2 {
		env.Clock.Advance(6 * time.Minute)
		if p := try("wrong-password-1"); p.Status != 401 {
			t.Fatalf("a try while locked: %d", p.Status)
		}
	}
	a, _ = env.Svc.Store.AdminByLogin(context.Background(), "dora")
	if a.LockedUntil == nil || !a.LockedUntil.Equal(until) || a.FailedLogins != workflow.DefaultLimits.LockAfter {
		t.Fatalf("tries while locked moved the lock: %v, %d failures", a.LockedUntil, a.FailedLogins)
	}
	env.Clock.Set(until.Add(time.Second))
	try("wrong-password-1")
	a, _ = env.Svc.Store.AdminByLogin(context.Background(), "dora")
	if a.FailedLogins != 1 || a.LockedUntil != nil {
		t.Fatalf("after the lock: %d failures, locked until %v", a.FailedLogins, a.LockedUntil)
	}
	if p := try(adminPassword); p.URL.Path != "/admin/login/enrol" {
		t.Fatalf("the admin is still kept out: %d %s", p.Status, p.URL.Path)
	}
}
