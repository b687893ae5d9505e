package ldap

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	goldap "github.com/go-ldap/ldap/v3"

	"tokenportal/workflow"
)

// attributeName is an LDAP attribute description without options: a name
// or a numeric OID.
var attributeName = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$`)

// Check checks the settings without a connection and returns field errors
// keyed by the API's field names; an empty map: all fine. The bind password
// is not checked here: it is refused when empty at connect time.
func (c *Client) Check(d workflow.Directory) map[string]workflow.Msg {
	errs := map[string]workflow.Msg{}
	checkURL(d, errs)
	if d.CAPEM != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(d.CAPEM)) {
		errs["ca_pem"] = workflow.M("directory.check.ca_pem")
	}
	checkDN(errs, "bind_dn", d.BindDN, true)
	checkDN(errs, "base_dn", d.BaseDN, true)
	checkFilter(errs, "user_filter", d.UserFilter, true)
	checkFilter(errs, "disabled_filter", d.DisabledFilter, false)
	a := d.Attributes
	for _, f := range []struct {
		key, name string
		required  bool
	}{
		{"attributes.login", a.Login, true},
		{"attributes.id", a.ID, true},
		{"attributes.email", a.Email, false},
		{"attributes.phone", a.Phone, false},
		{"attributes.first_name", a.FirstName, false},
		{"attributes.last_name", a.LastName, false},
	} {
		switch {
		case f.name == "" && f.required:
			errs[f.key] = workflow.M("directory.check.required")
		case f.name != "" && !attributeName.MatchString(f.name):
			errs[f.key] = workflow.M("directory.check.attribute")
		}
	}
	for i, g := range d.Groups {
		checkDN(errs, fmt.Sprintf("groups[%d].group_dn", i), g.GroupDN, true)
	}
	return errs
}

func checkURL(d workflow.Directory, errs map[string]workflow.Msg) {
	if d.URL == "" {
		errs["url"] = workflow.M("directory.check.url_required")
		return
	}
	u, err := url.Parse(d.URL)
	switch {
	case err != nil || u.Opaque != "":
		errs["url"] = workflow.M("directory.check.url_invalid")
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		errs["url"] = workflow.M("directory.check.url_scheme")
	case u.Hostname() == "":
		errs["url"] = workflow.M("directory.check.url_host")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		errs["url"] = workflow.M("directory.check.url_only")
	case u.Port() != "" && !validPort(u.Port()):
		errs["url"] = workflow.M("directory.check.url_port")
	case d.StartTLS && u.Scheme == "ldaps":
		errs["start_tls"] = workflow.M("directory.check.start_tls")
	}
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}

func checkDN(errs map[string]workflow.Msg, key, dn string, required bool) {
	if dn == "" {
		if required {
			errs[key] = workflow.M("directory.check.required")
		}
		return
	}
	if _, err := goldap.ParseDN(dn); err != nil {
		errs[key] = workflow.M("directory.check.dn", "Reason", err.Error())
	}
}

func checkFilter(errs map[string]workflow.Msg, key, filter string, required bool) {
	if filter == "" {
		if required {
			errs[key] = workflow.M("directory.check.required")
		}
		return
	}
	if _, err := goldap.CompileFilter(filter); err != nil {
		errs[key] = workflow.M("directory.check.filter", "Reason", err.Error())
	}
}
