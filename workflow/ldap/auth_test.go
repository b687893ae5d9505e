package ldap_test

import (
	"context"
	"errors"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"tokenportal/workflow"
	"tokenportal/workflow/ldap"
	"tokenportal/workflow/ldap/slapdtest"
)

// entryUUID reads user i's entryUUID as the portal account.
func entryUUID(t *testing.T, s *slapdtest.Server, i int) string {
	t.Helper()
	conn, err := goldap.DialURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(s.PortalDN(), s.PortalPassword()); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Search(goldap.NewSearchRequest(s.UserDN(i), goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"entryUUID"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return res.Entries[0].GetAttributeValue("entryUUID")
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s := server(t)
	id1, id2, id7 := entryUUID(t, s, 1), entryUUID(t, s, 2), entryUUID(t, s, 7)
	const unknownID = "00000000-0000-0000-0000-000000000000"
	tests := []struct {
		name                string
		id, login, password string
		ok                  bool
	}{
		{"by id", id1, "", slapdtest.Password(1), true},
		{"by id, the login renamed", id1, "old-login", slapdtest.Password(1), true},
		{"id wins over login", id1, slapdtest.UID(2), slapdtest.Password(1), true},
		{"id wins over login, the login's password", id1, slapdtest.UID(2), slapdtest.Password(2), false},
		// The login now names another entry (deleted and made again):
		// not the user's, whatever its password.
		{"by login, another entry's id", unknownID, slapdtest.UID(3), slapdtest.Password(3), false},
		{"by login, no id", "", slapdtest.UID(3), slapdtest.Password(3), true},
		{"login of another case", "", "USER00003", slapdtest.Password(3), true},
		{"wrong password", id1, slapdtest.UID(1), "wrong", false},
		{"another user's password", id2, "", slapdtest.Password(1), false},
		{"empty password", id1, slapdtest.UID(1), "", false},
		{"unknown login", "", "nobody", "pw-nobody", false},
		{"no id, no login", "", "", slapdtest.Password(1), false},
		{"disabled by id", id7, "", slapdtest.Password(7), false},
		{"disabled by login", "", slapdtest.UID(7), slapdtest.Password(7), false},
		{"login *", "", "*", slapdtest.Password(1), false},
		{"login wildcard", "", "user0000*", slapdtest.Password(1), false},
		{"login injection", "", "a)(uid=*", slapdtest.Password(1), false},
		{"login injection, or", "", "user00001)(|(uid=*", slapdtest.Password(1), false},
		{"id injection", "*", "", slapdtest.Password(1), false},
		{"id injection, or", unknownID + ")(|(uid=*", "", slapdtest.Password(1), false},
		{"service account by login", "", "portal", slapdtest.PortalPassword, false},
	}
	c := &ldap.Client{}
	d := directory(s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := c.Authenticate(t.Context(), d, tt.id, tt.login, tt.password)
			switch {
			case tt.ok && err != nil:
				t.Errorf("Authenticate: %v", err)
			case !tt.ok && !errors.Is(err, workflow.ErrDirectoryCredentials):
				t.Errorf("Authenticate: %v, want ErrDirectoryCredentials", err)
			}
		})
	}
}

// TestAuthenticateOverTLS checks the user's bind uses the same TLS.
func TestAuthenticateOverTLS(t *testing.T) {
	t.Parallel()
	s := server(t)
	c := &ldap.Client{}
	for name, change := range map[string]func(d *workflow.Directory){
		"ldaps":    func(d *workflow.Directory) { d.URL, d.CAPEM = s.LDAPSURL(), s.CAPEM() },
		"StartTLS": func(d *workflow.Directory) { d.StartTLS, d.CAPEM = true, s.CAPEM() },
	} {
		d := directory(s)
		change(&d)
		if err := c.Authenticate(t.Context(), d, "", slapdtest.UID(4), slapdtest.Password(4)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := c.Authenticate(t.Context(), d, "", slapdtest.UID(4), "wrong"); !errors.Is(err, workflow.ErrDirectoryCredentials) {
			t.Errorf("%s, wrong password: %v", name, err)
		}
	}
}

// TestAuthenticateDirectoryDown: a stopped directory is an error, never a
// "no", and it comes within the dial timeout; back up, it answers again.
func TestAuthenticateDirectoryDown(t *testing.T) {
	t.Parallel()
	s := slapdtest.New(t, slapdtest.Options{Users: 3})
	d := directory(s)
	d.Groups = nil
	c := &ldap.Client{DialTimeout: time.Second, OpTimeout: time.Second}
	if err := c.Authenticate(t.Context(), d, "", slapdtest.UID(1), slapdtest.Password(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := c.Authenticate(t.Context(), d, "", slapdtest.UID(1), slapdtest.Password(1))
	if err == nil || errors.Is(err, workflow.ErrDirectoryCredentials) {
		t.Errorf("directory down: %v, want an error other than credentials", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("directory down: the answer took %v", took)
	}
	if _, err := c.Read(t.Context(), d); err == nil {
		t.Error("Read of a stopped directory succeeded")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := c.Authenticate(t.Context(), d, "", slapdtest.UID(1), slapdtest.Password(1)); err != nil {
		t.Errorf("after restart: %v", err)
	}
}

func TestAuthenticateContext(t *testing.T) {
	t.Parallel()
	s := server(t)
	d := directory(s)
	c := &ldap.Client{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := c.Authenticate(ctx, d, "", slapdtest.UID(1), slapdtest.Password(1))
	if err == nil || errors.Is(err, workflow.ErrDirectoryCredentials) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if err := c.Authenticate(ctx, d, "", slapdtest.UID(1), slapdtest.Password(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
}

// TestObjectGUID reads and authenticates by a binary objectGUID, as with
// Active Directory.
func TestObjectGUID(t *testing.T) {
	t.Parallel()
	s := server(t)
	d := directory(s)
	d.Attributes.ID = "objectGUID"
	c := &ldap.Client{}
	snap, err := c.Read(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, e := range snap.Entries {
		ids[e.Login] = e.ID
	}
	for _, i := range []int{1, 2, 500, users} {
		want, err := ldap.GUIDString(slapdtest.ObjectGUID(i))
		if err != nil || ids[slapdtest.UID(i)] != want {
			t.Errorf("user %d: id %q, want %q", i, ids[slapdtest.UID(i)], want)
		}
	}
	id, _ := ldap.GUIDString(slapdtest.ObjectGUID(5))
	if err := c.Authenticate(t.Context(), d, id, "", slapdtest.Password(5)); err != nil {
		t.Errorf("by objectGUID: %v", err)
	}
	if err := c.Authenticate(t.Context(), d, id, slapdtest.UID(6), slapdtest.Password(6)); !errors.Is(err, workflow.ErrDirectoryCredentials) {
		t.Errorf("by objectGUID, another's password: %v", err)
	}
	if err := c.Authenticate(t.Context(), d, "not-a-guid", slapdtest.UID(6), slapdtest.Password(6)); !errors.Is(err, workflow.ErrDirectoryCredentials) {
		t.Errorf("not the entry's GUID, by login: %v", err)
	}
	if err := c.Authenticate(t.Context(), d, "", slapdtest.UID(6), slapdtest.Password(6)); err != nil {
		t.Errorf("no GUID, by login: %v", err)
	}
}
