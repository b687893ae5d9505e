package portal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/ldap/slapdtest"
)

// A directory's user in the portal (SPEC §12): they sign in with the
// directory's password, changed there and nowhere else, see the mapped
// fields as the directory's and fail closed when it is down. The only test
// of the package with a directory: its logins (user00001, …) are its own.
func TestDirectoryUserInThePortal(t *testing.T) {
	t.Parallel()
	s := slapdtest.New(t, slapdtest.Options{Users: 5, Groups: map[string][]int{"vpn": {1, 2}}})
	f := newFixture(t, nil)
	ctx := context.Background()
	svc := f.env.Svc
	d, err := svc.CreateDirectory(ctx, workflow.DirectoryInput{Name: tag("Corp LDAP "), URL: s.URL(), BindDN: s.PortalDN(),
		BindPassword: s.PortalPassword(), BaseDN: slapdtest.PeopleDN, SyncInterval: "0",
		Groups: []workflow.DirectoryGroup{{GroupDN: s.GroupDN("vpn"), ResourceID: f.resource.ID}}}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SyncDirectory(ctx, d.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if f.user, err = svc.Store.UserByLogin(ctx, slapdtest.UID(1)); err != nil {
		t.Fatal(err)
	}
	f.password = slapdtest.Password(1)

	b := f.signIn(t, "")
	home := b.Get(f.path("/home"))
	for _, hidden := range []string{"change-password", "create-password", "change-email", "change-phone", "change-login", "change-name"} {
		if home.Doc.Find(`a[href$="/actions/`+hidden+`"]`).Length() != 0 {
			t.Errorf("home offers %s to a directory user", hidden)
		}
		if p := b.Get(f.path("/actions/" + hidden)); p.Status != http.StatusNotFound {
			t.Errorf("%s answers %d to a directory user, want 404", hidden, p.Status)
		}
	}
	if home.Doc.Find(`a[href$="/actions/manage-environment"]`).Length() != 1 {
		t.Error("home lost an action that the directory does not manage")
	}

	failed := func(password string) {
		t.Helper()
		b := f.env.Browser()
		b.Post(f.path("/login"), map[string][]string{"login": {f.user.Login}})
		p := b.Post(f.path("/login"), map[string][]string{"password": {password}})
		if p.Status != http.StatusUnauthorized || p.Text(".notice.error") != "Login failed." {
			t.Fatalf("password %q: %d %q", password, p.Status, p.Text(".notice.error"))
		}
	}
	// Changed in the directory: the old password stops, the new one works
	// at the next sign-in. Nothing of it is stored here.
	if err := s.SetPassword(s.UserDN(1), "changed in the directory"); err != nil {
		t.Fatal(err)
	}
	failed(slapdtest.Password(1))
	f.password = "changed in the directory"
	f.signIn(t, "")
	var hash *string
	if err := f.env.App.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, f.user.ID).Scan(&hash); err != nil || hash != nil {
		t.Fatalf("a directory user's password stored: %v %v", hash, err)
	}

	// The directory down: "Login failed", never a fallback.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	failed(f.password)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	f.signIn(t, "")
	if strings.Contains(home.Text("main"), s.PortalPassword()) {
		t.Fatal("the bind password reached a page")
	}
}
