package slapdtest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
)

// config is slapd.conf for a server in dir.
func config(dir string) string {
	var b bytes.Buffer
	for _, s := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&b, "include %q\n", filepath.Join(SchemaDir, s+".schema"))
	}
	p := func(name string) string { return fmt.Sprintf("%q", filepath.Join(dir, name)) }
	fmt.Fprintf(&b, `%s
modulepath %q
moduleload back_mdb
pidfile %s
argsfile %s
loglevel none
TLSCACertificateFile %s
TLSCertificateFile %s
TLSCertificateKeyFile %s

database mdb
# room for some 20,000 entries with their indexes
maxsize 268435456
dbnosync
suffix %q
rootdn %q
rootpw %q
directory %s
index objectClass eq
index uid,mail eq
index entryUUID eq
index objectGUID eq
index member,uniqueMember eq
index employeeType eq

limits dn.exact=%q size=unlimited size.prtotal=unlimited time=unlimited
limits dn.exact=%q size.soft=%d size.hard=%d size.prtotal=%d

access to attrs=userPassword
	by anonymous auth
	by self write
	by * none
access to *
	by dn.exact=%q read
	by dn.exact=%q read
	by * none
`, guidSchema, ModulePath, p("slapd.pid"), p("slapd.args"), p("ca.pem"), p("server.pem"), p("server-key.pem"),
		BaseDN, RootDN, RootPassword, p("data"),
		PortalDN, LimitedDN, LimitedSizeLimit, LimitedSizeLimit, LimitedSizeLimit,
		PortalDN, LimitedDN)
	return b.String()
}

// guidSchema gives users Active Directory's binary objectGUID (AD's OID),
// searchable by equality, through an auxiliary class of the example
// enterprise number 32473.
const guidSchema = `attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID'
	EQUALITY octetStringMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.32473.1.1 NAME 'slapdtestGUID' SUP top AUXILIARY
	MAY objectGUID )`

// initialLDIF is the data slapadd loads: the tree, the service accounts,
// the users and the groups of opts.
func initialLDIF(opts Options) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(300 * (opts.Users + 10))
	fmt.Fprintf(&b, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n", BaseDN)
	for _, ou := range []string{"people", "groups", "services"} {
		fmt.Fprintf(&b, "dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n", ou, BaseDN, ou)
	}
	for _, a := range [][2]string{{"portal", PortalPassword}, {"limited", LimitedPassword}} {
		fmt.Fprintf(&b, "dn: cn=%s,%s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: %s\nuserPassword: %s\n\n", a[0], ServicesDN, a[0], a[1])
	}
	for i := 1; i <= opts.Users; i++ {
		b.WriteString(userLDIF(i, slices.Contains(opts.Disabled, i)))
	}
	names := make([]string, 0, len(opts.Groups))
	for name := range opts.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		members := opts.Groups[name]
		if len(members) == 0 {
			return nil, fmt.Errorf("slapdtest: group %q has no members (groupOfNames needs one)", name)
		}
		fmt.Fprintf(&b, "dn: %s\nobjectClass: groupOfNames\ncn: %s\n", GroupDN(name), name)
		for _, i := range members {
			if i < 1 || i > opts.Users {
				return nil, fmt.Errorf("slapdtest: group %q: no user %d", name, i)
			}
			fmt.Fprintf(&b, "member: %s\n", UserDN(i))
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

func userLDIF(i int, disabled bool) string {
	s := fmt.Sprintf("dn: %s\n", UserDN(i))
	for _, a := range userAttributes(i, disabled) {
		if a[0] == "objectGUID" {
			s += "objectGUID:: " + base64.StdEncoding.EncodeToString([]byte(a[1])) + "\n"
			continue
		}
		s += fmt.Sprintf("%s: %s\n", a[0], a[1])
	}
	return s + "\n"
}

// userAttributes are user i's attributes as (name, value) pairs.
func userAttributes(i int, disabled bool) [][2]string {
	attrs := [][2]string{
		{"objectClass", "inetOrgPerson"},
		{"objectClass", "slapdtestGUID"},
		{"objectGUID", string(ObjectGUID(i))},
		{"uid", UID(i)},
		{"cn", fmt.Sprintf("Test User %05d", i)},
		{"givenName", "Test"},
		{"sn", fmt.Sprintf("User %05d", i)},
		{"mail", Email(i)},
		{"mobile", Mobile(i)},
		{"userPassword", Password(i)},
	}
	if disabled {
		attrs = append(attrs, [2]string{"employeeType", "disabled"})
	}
	return attrs
}

// Mobile is the mobile number of user i: +31610000001 for 1.
func Mobile(i int) string { return fmt.Sprintf("+3161%07d", i) }

// ObjectGUID is user i's objectGUID: 16 bytes, the first six of them bytes
// a filter must escape (*, (, ), backslash, NUL and 0xff), the last four i.
func ObjectGUID(i int) []byte {
	b := []byte{'*', '(', ')', '\\', 0, 0xff, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[12:], uint32(i))
	return b
}

// Email is the mail of user i: user00001@example.org for 1.
func Email(i int) string { return UID(i) + "@example.org" }
