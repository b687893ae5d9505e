package ldap_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/ldap"
	"tokenportal/workflow/ldap/slapdtest"
)

func TestTest(t *testing.T) {
	t.Parallel()
	s := server(t)
	tests := []struct {
		name    string
		change  func(d *workflow.Directory)
		wantErr string // "" : users found
	}{
		{"ldap", func(d *workflow.Directory) {}, ""},
		{"ldaps with the CA", func(d *workflow.Directory) { d.URL, d.CAPEM = s.LDAPSURL(), s.CAPEM() }, ""},
		{"ldaps by localhost", func(d *workflow.Directory) {
			d.URL, d.CAPEM = strings.Replace(s.LDAPSURL(), "127.0.0.1", "localhost", 1), s.CAPEM()
		}, ""},
		{"StartTLS with the CA", func(d *workflow.Directory) { d.StartTLS, d.CAPEM = true, s.CAPEM() }, ""},
		{"ldaps without the CA", func(d *workflow.Directory) { d.URL = s.LDAPSURL() }, "TLS: "},
		{"StartTLS without the CA", func(d *workflow.Directory) { d.StartTLS = true }, "TLS: "},
		{"ldaps with another CA", func(d *workflow.Directory) { d.URL, d.CAPEM = s.LDAPSURL(), testCA }, "TLS: "},
		{"wrong bind password", func(d *workflow.Directory) { d.BindPassword = "wrong" }, "refused the bind DN or password"},
		{"unknown bind DN", func(d *workflow.Directory) { d.BindDN = "cn=nobody," + s.BaseDN() }, "refused the bind DN or password"},
		{"empty bind password", func(d *workflow.Directory) { d.BindPassword = "" }, "bind password is empty"},
		{"nothing listens", func(d *workflow.Directory) { d.URL = "ldap://127.0.0.1:1" }, "cannot connect to ldap://127.0.0.1:1: "},
		{"unknown base", func(d *workflow.Directory) { d.BaseDN = "dc=example,dc=com" }, "search failed: "},
		{"invalid settings", func(d *workflow.Directory) { d.UserFilter = "uid=*" }, "user_filter"},
	}
	c := &ldap.Client{DialTimeout: 2 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := directory(s)
			tt.change(&d)
			n, err := c.Test(t.Context(), d)
			switch {
			case tt.wantErr == "" && (err != nil || n != users):
				t.Errorf("Test: %d, %v; want %d users", n, err, users)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Test: %d, %v; want an error with %q", n, err, tt.wantErr)
			}
		})
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	s := server(t)
	d := directory(s)
	// Small pages: many round trips.
	snap, err := (&ldap.Client{PageSize: 100}).Read(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entries) != users {
		t.Fatalf("%d entries, want %d", len(snap.Entries), users)
	}
	ids := map[string]bool{}
	byLogin := map[string]workflow.DirectoryEntry{}
	for _, e := range snap.Entries {
		if e.ID == "" || ids[e.ID] {
			t.Fatalf("%s: id %q empty or not unique", e.DN, e.ID)
		}
		ids[e.ID] = true
		byLogin[e.Login] = e
	}
	want := workflow.DirectoryEntry{
		DN: s.UserDN(1), Login: slapdtest.UID(1), Email: slapdtest.Email(1), Phone: slapdtest.Mobile(1),
		FirstName: "Test", LastName: "User 00001",
	}
	got := byLogin[slapdtest.UID(1)]
	got.ID, got.Groups = "", nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("user 1: %+v\nwant %+v", got, want)
	}

	groupMembers := map[string][]int{}
	var disabledUsers []int
	for i := 1; i <= users; i++ {
		e := byLogin[slapdtest.UID(i)]
		if e.Disabled {
			disabledUsers = append(disabledUsers, i)
		}
		for _, g := range e.Groups {
			groupMembers[g] = append(groupMembers[g], i)
		}
	}
	if !slices.Equal(disabledUsers, disabled) {
		t.Errorf("disabled %v, want %v", disabledUsers, disabled)
	}
	for dn, members := range map[string][]int{
		s.GroupDN("staff"): staff, s.GroupDN("admins"): admins, s.GroupDN("unique"): {10, 11},
	} {
		if !slices.Equal(groupMembers[dn], members) {
			t.Errorf("%s: members %v, want %v", dn, groupMembers[dn], members)
		}
	}
	// A group configured twice (for two resources) is listed once.
	if g := byLogin[slapdtest.UID(1)].Groups; !slices.Equal(g, []string{s.GroupDN("staff"), s.GroupDN("admins")}) {
		t.Errorf("user 1 groups %v", g)
	}
}

func TestReadFails(t *testing.T) {
	t.Parallel()
	s := server(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		client  ldap.Client
		ctx     context.Context
		change  func(d *workflow.Directory)
		wantErr string
	}{
		{"missing group", ldap.Client{}, nil, func(d *workflow.Directory) {
			d.Groups = append(d.Groups, workflow.DirectoryGroup{GroupDN: "cn=gone," + slapdtest.GroupsDN})
		}, "cn=gone,ou=groups,dc=example,dc=org: not found"},
		{"missing group, nested", ldap.Client{}, nil, func(d *workflow.Directory) {
			d.NestedGroups = true
			d.Groups = []workflow.DirectoryGroup{{GroupDN: "cn=gone," + slapdtest.GroupsDN}}
		}, "cn=gone,ou=groups,dc=example,dc=org: not found"},
		{"size limit of the account", ldap.Client{PageSize: 50}, nil, func(d *workflow.Directory) {
			d.BindDN, d.BindPassword = s.LimitedDN(), s.LimitedPassword()
		}, "Size Limit Exceeded"},
		{"size limit of the account, one page", ldap.Client{}, nil, func(d *workflow.Directory) {
			d.BindDN, d.BindPassword = s.LimitedDN(), s.LimitedPassword()
		}, "Size Limit Exceeded"},
		{"more than MaxEntries", ldap.Client{PageSize: 200, MaxEntries: users - 1}, nil, func(d *workflow.Directory) {},
			"more than 1199 entries"},
		{"wrong bind password", ldap.Client{}, nil, func(d *workflow.Directory) { d.BindPassword = "x" }, "refused"},
		{"context cancelled", ldap.Client{}, cancelled, func(d *workflow.Directory) {}, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := directory(s)
			tt.change(&d)
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			snap, err := tt.client.Read(ctx, d)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Read: %v; want an error with %q", err, tt.wantErr)
			}
			if len(snap.Entries) != 0 {
				t.Errorf("a failed read returned %d entries", len(snap.Entries))
			}
		})
	}
}

// TestReadCancelled: a context that ends during a read ends it with an
// error.
func TestReadCancelled(t *testing.T) {
	t.Parallel()
	s := server(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	// Pages of one entry: the read takes far longer than the context.
	snap, err := (&ldap.Client{PageSize: 1}).Read(ctx, directory(s))
	if !errors.Is(err, context.DeadlineExceeded) || len(snap.Entries) != 0 {
		t.Errorf("Read: %d entries, %v; want a deadline error", len(snap.Entries), err)
	}
}

// TestReadFollowsChanges: a renamed entry keeps its id, a deleted one is
// gone, group changes show.
func TestReadFollowsChanges(t *testing.T) {
	t.Parallel()
	s := slapdtest.New(t, slapdtest.Options{Users: 5, Groups: map[string][]int{"staff": {1, 2}}})
	d := directory(s)
	d.Groups = []workflow.DirectoryGroup{{GroupDN: s.GroupDN("staff"), ResourceID: 1}}
	c := &ldap.Client{}
	read := func() map[string]workflow.DirectoryEntry {
		t.Helper()
		snap, err := c.Read(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]workflow.DirectoryEntry{}
		for _, e := range snap.Entries {
			byID[e.ID] = e
		}
		return byID
	}
	before := read()
	id := func(i int) string {
		for id, e := range before {
			if e.Login == slapdtest.UID(i) {
				return id
			}
		}
		t.Fatalf("no user %d", i)
		return ""
	}
	id1, id2, id3 := id(1), id(2), id(3)

	renamed, err := s.Rename(s.UserDN(1), "anna")
	if err != nil {
		t.Fatal(err)
	}
	// A member DN is not renamed with its entry (no referential integrity).
	if err := s.RemoveMember("staff", s.UserDN(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember("staff", renamed); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember("staff", s.UserDN(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Modify(s.UserDN(3), "mail", "new@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(s.UserDN(4)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser(6, true); err != nil {
		t.Fatal(err)
	}

	after := read()
	if len(after) != 5 {
		t.Errorf("%d entries, want 5", len(after))
	}
	if e := after[id1]; e.Login != "anna" || e.DN != renamed || len(e.Groups) != 1 {
		t.Errorf("renamed: %+v", e)
	}
	if e := after[id2]; len(e.Groups) != 0 {
		t.Errorf("removed from the group: %+v", e)
	}
	if e := after[id3]; e.Email != "new@example.org" {
		t.Errorf("new mail: %+v", e)
	}
	for _, e := range after {
		if e.Login == slapdtest.UID(4) {
			t.Errorf("deleted user read: %+v", e)
		}
		if e.Login == slapdtest.UID(6) && !e.Disabled {
			t.Errorf("added disabled user: %+v", e)
		}
	}
}

// TestReadNestedGroupsFallBack: with nested groups on, a directory that
// does not know Active Directory's matching rule 1.2.840.113556.1.4.1941
// (OpenLDAP finds nobody with it) still yields the direct members: turning
// the option on by mistake never unassigns everyone.
func TestReadNestedGroupsFallBack(t *testing.T) {
	t.Parallel()
	s := server(t)
	d := directory(s)
	d.NestedGroups = true
	snap, err := (&ldap.Client{}).Read(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range snap.Entries {
		if slices.Contains(e.Groups, s.GroupDN("staff")) {
			n++
		}
	}
	if n != len(staff) {
		t.Fatalf("%d members of staff with nested groups, want the %d direct ones", n, len(staff))
	}
}
