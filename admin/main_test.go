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
