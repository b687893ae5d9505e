package ldap_test

import (
	"fmt"
	"os"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/ldap/slapdtest"
)

// users is the number of people in the shared server: more than two pages
// of the default page size.
const users = 1200

// Users in groups and disabled ones, by number.
var (
	staff    = seq(1, 60)
	admins   = []int{1, 2, 3}
	disabled = []int{7, 8, 9}
)

// srv is the slapd all tests share; they only read from it (tests that
// change or stop a directory start their own). nil: slapd is missing.
var srv *slapdtest.Server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if slapdtest.Available() == nil {
		var err error
		srv, err = slapdtest.Start(slapdtest.Options{
			Users:    users,
			Groups:   map[string][]int{"staff": staff, "admins": admins},
			Disabled: disabled,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer srv.Close()
		// uniqueMember values may carry a unique id, and DNs are compared
		// without regard to case and spaces.
		err = srv.Add(slapdtest.GroupDN("unique"), map[string][]string{
			"objectClass": {"groupOfUniqueNames"},
			"cn":          {"unique"},
			"uniqueMember": {
				slapdtest.UserDN(10) + "#'0101'B",
				"UID=User00011, OU=People, DC=Example, DC=Org",
				"uid=nobody,ou=people,dc=example,dc=org",
			},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// server is the shared slapd; the test skips (or fails, with
// LDAP_REQUIRE_SLAPD) without one.
func server(t *testing.T) *slapdtest.Server {
	t.Helper()
	slapdtest.Require(t)
	if srv == nil {
		t.Fatal("no slapd")
	}
	return srv
}

// directory is the settings of s as the portal account sees it.
func directory(s *slapdtest.Server) workflow.Directory {
	return workflow.Directory{
		Name:         "example",
		URL:          s.URL(),
		BindDN:       s.PortalDN(),
		BindPassword: s.PortalPassword(),
		BaseDN:       s.BaseDN(),
		UserFilter:   "(objectClass=inetOrgPerson)",
		Attributes: workflow.DirectoryAttributes{
			Login: "uid", Email: "mail", Phone: "mobile",
			FirstName: "givenName", LastName: "sn", ID: "entryUUID",
		},
		DisabledFilter: "(employeeType=disabled)",
		Groups: []workflow.DirectoryGroup{
			{GroupDN: s.GroupDN("staff"), ResourceID: 1},
			{GroupDN: s.GroupDN("admins"), ResourceID: 2},
			{GroupDN: s.GroupDN("unique"), ResourceID: 3},
			{GroupDN: s.GroupDN("admins"), ResourceID: 4},
		},
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}
