package slapdtest

import (
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// Conn opens a connection to the running server bound as the rootdn, which
// may change anything. Close it.
func (s *Server) Conn() (*ldap.Conn, error) {
	conn, err := ldap.DialURL(s.URL())
	if err != nil {
		return nil, err
	}
	if err := conn.Bind(RootDN, RootPassword); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// do runs f on a new rootdn connection.
func (s *Server) do(f func(*ldap.Conn) error) error {
	conn, err := s.Conn()
	if err != nil {
		return err
	}
	defer conn.Close()
	return f(conn)
}

// Add adds an entry with the attributes given (objectClass included).
func (s *Server) Add(dn string, attrs map[string][]string) error {
	req := ldap.NewAddRequest(dn, nil)
	for name, values := range attrs {
		req.Attribute(name, values)
	}
	return s.do(func(c *ldap.Conn) error { return c.Add(req) })
}

// AddUser adds user i (a number beyond Options.Users) with the same
// attributes and password scheme as the initial users, and returns its DN.
func (s *Server) AddUser(i int, disabled bool) (string, error) {
	attrs := map[string][]string{}
	for _, a := range userAttributes(i, disabled) {
		attrs[a[0]] = append(attrs[a[0]], a[1])
	}
	return UserDN(i), s.Add(UserDN(i), attrs)
}

// Modify replaces attr of dn with values; no values delete the attribute.
func (s *Server) Modify(dn, attr string, values ...string) error {
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace(attr, values)
	return s.do(func(c *ldap.Conn) error { return c.Modify(req) })
}

// SetPassword sets the userPassword of dn (stored as given).
func (s *Server) SetPassword(dn, password string) error {
	return s.Modify(dn, "userPassword", password)
}

// Rename gives the user at dn the new uid (its RDN, the old one deleted) in
// the same parent and returns the new DN.
func (s *Server) Rename(dn, uid string) (string, error) {
	parent := ""
	if i := strings.IndexByte(dn, ','); i >= 0 {
		parent = dn[i+1:]
	}
	rdn := "uid=" + ldap.EscapeDN(uid)
	req := ldap.NewModifyDNRequest(dn, rdn, true, "")
	if err := s.do(func(c *ldap.Conn) error { return c.ModifyDN(req) }); err != nil {
		return "", err
	}
	return rdn + "," + parent, nil
}

// Delete removes the entry at dn.
func (s *Server) Delete(dn string) error {
	return s.do(func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(dn, nil)) })
}

// AddMember adds member to the group with cn name.
func (s *Server) AddMember(name, member string) error {
	req := ldap.NewModifyRequest(GroupDN(name), nil)
	req.Add("member", []string{member})
	return s.do(func(c *ldap.Conn) error { return c.Modify(req) })
}

// RemoveMember removes member from the group with cn name.
func (s *Server) RemoveMember(name, member string) error {
	req := ldap.NewModifyRequest(GroupDN(name), nil)
	req.Delete("member", []string{member})
	return s.do(func(c *ldap.Conn) error { return c.Modify(req) })
}
