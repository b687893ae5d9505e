package slapdtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"tokenportal/workflow/ldap/slapdtest"
)

func bind(t *testing.T, url, dn, password string, opts ...ldap.DialOpt) *ldap.Conn {
	t.Helper()
	conn, err := ldap.DialURL(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Bind(dn, password); err != nil {
		t.Fatalf("bind %s: %v", dn, err)
	}
	return conn
}

func countPeople(t *testing.T, conn *ldap.Conn, attrs ...string) []*ldap.Entry {
	t.Helper()
	req := ldap.NewSearchRequest(slapdtest.PeopleDN, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=inetOrgPerson)", attrs, nil)
	res, err := conn.SearchWithPaging(req, 500)
	if err != nil {
		t.Fatal(err)
	}
	return res.Entries
}

func TestServer(t *testing.T) {
	start := time.Now()
	s := slapdtest.New(t, slapdtest.Options{
		Users:    1200,
		Groups:   map[string][]int{"staff": {1, 2, 3}},
		Disabled: []int{5},
	})
	t.Logf("started with 1,200 users in %v", time.Since(start))

	conn := bind(t, s.URL(), s.PortalDN(), s.PortalPassword())
	entries := countPeople(t, conn, "uid", "mail", "mobile", "userPassword", "entryUUID", "employeeType")
	if len(entries) != 1200 {
		t.Fatalf("portal finds %d people, want 1200", len(entries))
	}
	disabled := 0
	for _, e := range entries {
		if e.GetAttributeValue("userPassword") != "" {
			t.Fatalf("%s: the portal reads userPassword", e.DN)
		}
		if e.GetAttributeValue("entryUUID") == "" {
			t.Fatalf("%s: no entryUUID", e.DN)
		}
		if e.GetAttributeValue("employeeType") == "disabled" {
			disabled++
		}
	}
	if disabled != 1 {
		t.Errorf("%d disabled, want 1", disabled)
	}
	e := entries[0]
	if e.DN != s.UserDN(1) || e.GetAttributeValue("uid") != slapdtest.UID(1) ||
		e.GetAttributeValue("mail") != slapdtest.Email(1) || e.GetAttributeValue("mobile") != slapdtest.Mobile(1) {
		t.Errorf("first entry: %s uid=%s mail=%s mobile=%s", e.DN, e.GetAttributeValue("uid"),
			e.GetAttributeValue("mail"), e.GetAttributeValue("mobile"))
	}

	group, err := conn.Search(ldap.NewSearchRequest(s.GroupDN("staff"), ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"member"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := group.Entries[0].GetAttributeValues("member"); len(got) != 3 || got[2] != s.UserDN(3) {
		t.Errorf("staff members: %v", got)
	}

	// The limited account hits its size limit, also when paging.
	limited := bind(t, s.URL(), s.LimitedDN(), s.LimitedPassword())
	_, err = limited.SearchWithPaging(ldap.NewSearchRequest(slapdtest.PeopleDN, ldap.ScopeSingleLevel,
		ldap.NeverDerefAliases, 0, 0, false, "(objectClass=inetOrgPerson)", []string{"1.1"}, nil), 50)
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		t.Errorf("limited paged search: %v, want sizeLimitExceeded", err)
	}

	// Users bind with their passwords; a wrong one is refused.
	bind(t, s.URL(), s.UserDN(7), slapdtest.Password(7))
	c, err := ldap.DialURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(s.UserDN(7), "wrong"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Errorf("wrong password: %v", err)
	}

	// LDAPS and StartTLS with the CA.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.CAPEM())) {
		t.Fatal("CAPEM has no certificate")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	tlsConn := bind(t, s.LDAPSURL(), s.PortalDN(), s.PortalPassword(), ldap.DialWithTLSConfig(cfg))
	if n := len(countPeople(t, tlsConn, "1.1")); n != 1200 {
		t.Errorf("over ldaps: %d people", n)
	}
	st, err := ldap.DialURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.StartTLS(cfg); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}

	// Changes while it runs.
	dn, err := s.AddUser(1201, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Modify(dn, "mail", "new@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(dn, "changed"); err != nil {
		t.Fatal(err)
	}
	bind(t, s.URL(), dn, "changed")
	renamed, err := s.Rename(dn, "renamed")
	if err != nil {
		t.Fatal(err)
	}
	if renamed != "uid=renamed,"+slapdtest.PeopleDN {
		t.Errorf("renamed to %s", renamed)
	}
	if err := s.AddMember("staff", renamed); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember("staff", s.UserDN(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(s.UserDN(2)); err != nil {
		t.Fatal(err)
	}
	if n := len(countPeople(t, conn, "1.1")); n != 1200 {
		t.Errorf("after add and delete: %d people", n)
	}

	// Stopped, it refuses connections; started again it has the same data.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := ldap.DialURL(s.URL()); err == nil {
		c.Close()
		t.Fatal("connected to a stopped server")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	again := bind(t, s.URL(), s.PortalDN(), s.PortalPassword())
	if n := len(countPeople(t, again, "1.1")); n != 1200 {
		t.Errorf("after restart: %d people", n)
	}
	bind(t, s.URL(), renamed, "changed")
}

func TestGroupNeedsMembers(t *testing.T) {
	slapdtest.Require(t)
	if _, err := slapdtest.Start(slapdtest.Options{Users: 1, Groups: map[string][]int{"empty": nil}}); err == nil {
		t.Fatal("a group without members started")
	}
}
