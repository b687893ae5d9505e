package ldap_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/ldap"
)

// testCA is a certificate in PEM, made once.
var testCA = func() string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

func valid() workflow.Directory {
	return workflow.Directory{
		URL:        "ldaps://dc1.example.org:636",
		CAPEM:      testCA,
		BindDN:     "CN=svc portal,OU=Services,DC=example,DC=org",
		BaseDN:     "DC=example,DC=org",
		UserFilter: "(&(objectCategory=person)(objectClass=user))",
		Attributes: workflow.DirectoryAttributes{
			Login: "sAMAccountName", Email: "mail", Phone: "mobile",
			FirstName: "givenName", LastName: "sn", ID: "objectGUID",
		},
		DisabledFilter: "(userAccountControl:1.2.840.113556.1.4.803:=2)",
		NestedGroups:   true,
		Groups:         []workflow.DirectoryGroup{{GroupDN: "CN=VPN,OU=Groups,DC=example,DC=org", ResourceID: 1}},
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(d *workflow.Directory)
		fields []string
	}{
		{"valid", func(d *workflow.Directory) {}, nil},
		{"ldap without port, trailing slash", func(d *workflow.Directory) { d.URL = "ldap://127.0.0.1/"; d.StartTLS = true }, nil},
		{"ipv6 host", func(d *workflow.Directory) { d.URL = "ldap://[::1]:389" }, nil},
		{"numeric oid attribute", func(d *workflow.Directory) { d.Attributes.ID = "1.3.6.1.1.16.4" }, nil},
		{"no url", func(d *workflow.Directory) { d.URL = "" }, []string{"url"}},
		{"http", func(d *workflow.Directory) { d.URL = "https://dc1.example.org" }, []string{"url"}},
		{"no host", func(d *workflow.Directory) { d.URL = "ldap://:389" }, []string{"url"}},
		{"not a url", func(d *workflow.Directory) { d.URL = "dc1.example.org:389" }, []string{"url"}},
		{"path", func(d *workflow.Directory) { d.URL = "ldap://dc1/dc=example,dc=org" }, []string{"url"}},
		{"query", func(d *workflow.Directory) { d.URL = "ldap://dc1/?uid" }, []string{"url"}},
		{"user info", func(d *workflow.Directory) { d.URL = "ldap://admin:pw@dc1" }, []string{"url"}},
		{"bad port", func(d *workflow.Directory) { d.URL = "ldap://dc1:70000" }, []string{"url"}},
		{"start_tls with ldaps", func(d *workflow.Directory) { d.StartTLS = true }, []string{"start_tls"}},
		{"ca not pem", func(d *workflow.Directory) { d.CAPEM = "MIIB..." }, []string{"ca_pem"}},
		{"no bind dn", func(d *workflow.Directory) { d.BindDN = "" }, []string{"bind_dn"}},
		{"bad bind dn", func(d *workflow.Directory) { d.BindDN = "svc portal" }, []string{"bind_dn"}},
		{"no base dn", func(d *workflow.Directory) { d.BaseDN = "" }, []string{"base_dn"}},
		{"bad base dn", func(d *workflow.Directory) { d.BaseDN = "dc=example,dc" }, []string{"base_dn"}},
		{"no user filter", func(d *workflow.Directory) { d.UserFilter = "" }, []string{"user_filter"}},
		{"user filter without parens", func(d *workflow.Directory) { d.UserFilter = "objectClass=user" }, []string{"user_filter"}},
		{"unbalanced user filter", func(d *workflow.Directory) { d.UserFilter = "(&(objectClass=user)" }, []string{"user_filter"}},
		{"bad disabled filter", func(d *workflow.Directory) { d.DisabledFilter = "(a=b))" }, []string{"disabled_filter"}},
		{"no login, no id", func(d *workflow.Directory) { d.Attributes.Login, d.Attributes.ID = "", "" },
			[]string{"attributes.id", "attributes.login"}},
		{"bad attribute names", func(d *workflow.Directory) {
			d.Attributes.Email, d.Attributes.Phone, d.Attributes.FirstName, d.Attributes.LastName = "e mail", "1phone", "given_name", "sn;x"
		}, []string{"attributes.email", "attributes.first_name", "attributes.last_name", "attributes.phone"}},
		{"bad group dn", func(d *workflow.Directory) {
			d.Groups = append(d.Groups, workflow.DirectoryGroup{GroupDN: "VPN users"}, workflow.DirectoryGroup{})
		}, []string{"groups[1].group_dn", "groups[2].group_dn"}},
	}
	c := &ldap.Client{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := valid()
			tt.change(&d)
			errs := c.Check(d)
			if got := slices.Sorted(maps.Keys(errs)); !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v: %v", got, tt.fields, errs)
			}
			for k, msg := range errs {
				if msg.ID == "" {
					t.Errorf("%s: empty message", k)
				}
			}
		})
	}
}
