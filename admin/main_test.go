package admin_test

import (
	"context"
	"os"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const adminPassword = "plum-orbit-canvas-71"

// bundle is what a test of the console starts with: the running app, its
// service and its clock.
type bundle struct {
	env   *apptest.Env
	svc   *workflow.Service
	clock *apptest.Clock
}

// setup starts the app for a test that runs in parallel with the others
// (t.Parallel): its browsers and API calls come from a client address of
// their own, so sign-in throttles never add up across tests. Tests that use
// what the package's tests share (the settings, the mail queue, counts or
// lists of every row) use apptest.New and run serially.
func setup(t *testing.T) *bundle {
	t.Helper()
	env := apptest.NewParallel(t, nil)
	return &bundle{env: env, svc: env.Svc, clock: env.Clock}
}

// newAdmin creates an admin account with adminPassword.
func newAdmin(t *testing.T, env *apptest.Env, login string, role workflow.Role) workflow.Admin {
	t.Helper()
	a, err := env.Svc.CreateAdmin(context.Background(), workflow.NewAdmin{Login: login, Role: role, Password: adminPassword},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
