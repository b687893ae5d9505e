package workflow

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The directories a superadmin connects (SPEC §12): settings, the sealed
// bind password, the connection test.

// Directory defaults (SPEC §12).
const (
	DefaultUserFilter    = "(objectClass=inetOrgPerson)"
	ADUserFilter         = "(&(objectCategory=person)(objectClass=user))"
	ADDisabledFilter     = "(userAccountControl:1.2.840.113556.1.4.803:=2)"
	DefaultSyncInterval  = 15 * time.Minute
	MinSyncInterval      = time.Minute
	MaxSyncInterval      = 7 * 24 * time.Hour
	MaxDirectoryGroups   = 200
	directorySealContext = "directory bind password"
)

// DefaultAttributes map an OpenLDAP inetOrgPerson; ADAttributes Active
// Directory's user.
var (
	DefaultAttributes = DirectoryAttributes{Login: "uid", Email: "mail", Phone: "mobile", FirstName: "givenName", LastName: "sn", ID: "entryUUID"}
	ADAttributes      = DirectoryAttributes{Login: "sAMAccountName", Email: "mail", Phone: "mobile", FirstName: "givenName", LastName: "sn", ID: "objectGUID"}
)

// DirectoryInput is a directory as an administrator sets it. An empty
// BindPassword on an update keeps the stored one. Kind "ad" fills what is
// left empty with Active Directory's defaults (else OpenLDAP's); a field
// set to "-" in Attributes is not mapped.
type DirectoryInput struct {
	Name           string
	Kind           string // "ldap" (default) or "ad"
	URL            string
	StartTLS       bool
	CAPEM          string
	BindDN         string
	BindPassword   string
	BaseDN         string
	UserFilter     string
	Attributes     DirectoryAttributes
	DisabledFilter string
	NestedGroups   bool
	Groups         []DirectoryGroup
	SyncInterval   string // Go duration; empty: 15m; "0": only by hand
}

// Input returns d as input that changes nothing (the password kept).
func (d Directory) Input() DirectoryInput {
	a := d.Attributes
	for _, f := range []*string{&a.Email, &a.Phone, &a.FirstName, &a.LastName} {
		if *f == "" {
			*f = "-"
		}
	}
	return DirectoryInput{Name: d.Name, URL: d.URL, StartTLS: d.StartTLS, CAPEM: d.CAPEM, BindDN: d.BindDN,
		BaseDN: d.BaseDN, UserFilter: d.UserFilter, Attributes: a, DisabledFilter: d.DisabledFilter,
		NestedGroups: d.NestedGroups, Groups: d.Groups, SyncInterval: d.SyncInterval.String()}
}

// Encrypted reports whether passwords travel encrypted to the directory.
func (d Directory) Encrypted() bool {
	return d.StartTLS || strings.HasPrefix(strings.ToLower(d.URL), "ldaps://")
}

// directory builds the Directory the input describes, with field errors;
// a Directory's own fields (ID, sealed password) are kept from was.
func (s *Service) directory(ctx context.Context, in DirectoryInput, was Directory) (Directory, map[string]Msg) {
	f := map[string]Msg{}
	d := was
	trim := strings.TrimSpace
	d.Name, d.URL, d.BindDN, d.BaseDN = trim(in.Name), trim(in.URL), trim(in.BindDN), trim(in.BaseDN)
	d.CAPEM, d.UserFilter, d.DisabledFilter = trim(in.CAPEM), trim(in.UserFilter), trim(in.DisabledFilter)
	d.StartTLS, d.NestedGroups = in.StartTLS, in.NestedGroups
	if n := utf8.RuneCountInString(d.Name); n == 0 || n > 100 || strings.ContainsAny(d.Name, "\r\n\t") {
		f["name"] = M("directory.name")
	}
	ad := strings.EqualFold(trim(in.Kind), "ad")
	if k := trim(in.Kind); k != "" && !ad && !strings.EqualFold(k, "ldap") {
		f["kind"] = M("directory.kind")
	}
	defaults, filter := DefaultAttributes, DefaultUserFilter
	if ad {
		defaults, filter = ADAttributes, ADUserFilter
		if d.DisabledFilter == "" && was.ID == 0 {
			d.DisabledFilter = ADDisabledFilter
		}
	}
	if d.UserFilter == "" {
		d.UserFilter = filter
	}
	pick := func(v, def string) string {
		switch v = trim(v); v {
		case "":
			return def
		case "-":
			return ""
		}
		return v
	}
	a := in.Attributes
	d.Attributes = DirectoryAttributes{Login: pick(a.Login, defaults.Login), Email: pick(a.Email, defaults.Email),
		Phone: pick(a.Phone, defaults.Phone), FirstName: pick(a.FirstName, defaults.FirstName),
		LastName: pick(a.LastName, defaults.LastName), ID: pick(a.ID, defaults.ID)}
	if in.BindPassword != "" {
		d.BindPassword = in.BindPassword
	}
	if d.BindPassword == "" && was.ID == 0 {
		f["bind_password"] = M("directory.bind_password")
	}
	if len(in.BindPassword) > MaxSecretLength {
		f["bind_password"] = M("directory.bind_password_long")
	}
	d.SyncInterval = DefaultSyncInterval
	if v := trim(in.SyncInterval); v != "" {
		iv, err := time.ParseDuration(v)
		if v == "0" {
			iv, err = 0, nil
		}
		switch {
		case err != nil:
			f["sync_interval"] = M("directory.sync_interval")
		case iv != 0 && (iv < MinSyncInterval || iv > MaxSyncInterval):
			f["sync_interval"] = M("directory.sync_interval_range")
		default:
			d.SyncInterval = iv.Truncate(time.Second)
		}
	}
	if len(in.Groups) > MaxDirectoryGroups {
		f["groups"] = M("directory.groups_max", "Count", MaxDirectoryGroups)
	}
	d.Groups = nil
	for i, g := range in.Groups {
		if i >= MaxDirectoryGroups {
			break
		}
		key := "groups[" + strconv.Itoa(i) + "]"
		g.GroupDN = trim(g.GroupDN)
		if g.GroupDN == "" && g.ResourceID == 0 {
			continue // an empty row of the form
		}
		if _, err := s.Store.ResourceByID(ctx, g.ResourceID); err != nil {
			if IsFault(err) {
				f[key+".resource_id"] = M("directory.resource_unchecked")
			} else {
				f[key+".resource_id"] = M("directory.resource")
			}
		}
		d.Groups = append(d.Groups, g)
	}
	for _, long := range []struct{ key, v string }{{"url", d.URL}, {"bind_dn", d.BindDN}, {"base_dn", d.BaseDN}} {
		if len(long.v) > 1000 {
			f[long.key] = M("error.max_chars", "Count", 1000)
		}
	}
	if len(d.UserFilter) > 4000 || len(d.DisabledFilter) > 4000 {
		f["user_filter"] = M("error.max_chars", "Count", 4000)
	}
	if len(d.CAPEM) > 65536 {
		f["ca_pem"] = M("directory.ca_pem_long")
	}
	if s.Directories != nil {
		for k, v := range s.Directories.Check(d) {
			if _, set := f[k]; !set {
				f[k] = v
			}
		}
	}
	return d, f
}

func directoryActivity(by Actor, m Meta, d Directory, event string, details map[string]any) Activity {
	if details == nil {
		details = map[string]any{}
	}
	details["directory"], details["directory_id"] = d.Name, d.ID
	return Activity{Actor: by, Event: event, IP: m.IP, UserAgent: m.UserAgent, Details: details}
}

// seal keeps d's bind password sealed for the store.
func (s *Service) sealDirectory(d *Directory) error {
	sealed, keyID, err := s.Sealer.Seal([]byte(d.BindPassword), directorySealContext)
	if err != nil {
		return Internal(err)
	}
	d.SealedPassword, d.KeyID = sealed, keyID
	return nil
}

// CreateDirectory connects a directory (superadmin).
func (s *Service) CreateDirectory(ctx context.Context, in DirectoryInput, by Actor, m Meta) (Directory, error) {
	d, f := s.directory(ctx, in, Directory{})
	if len(f) > 0 {
		return Directory{}, FieldsInvalid(f)
	}
	if err := s.sealDirectory(&d); err != nil {
		return Directory{}, err
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.CreateDirectory(ctx, &d); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(directoryActivity(by, m, d, EventDirectoryCreated, map[string]any{"url": d.URL})))
	})
	d.BindPassword = ""
	return d, err
}

// UpdateDirectory changes a directory's settings; an empty bind password
// keeps the stored one.
func (s *Service) UpdateDirectory(ctx context.Context, id int64, in DirectoryInput, by Actor, m Meta) (Directory, error) {
	was, err := s.openDirectory(ctx, id)
	if err != nil {
		return Directory{}, err
	}
	d, f := s.directory(ctx, in, was)
	if !strings.EqualFold(d.Attributes.ID, was.Attributes.ID) {
		// The users are linked by the old attribute's values: under another
		// one every user would be missing, disabled, and made again.
		users, err := s.Store.DirectoryUsers(ctx)
		if err != nil {
			return Directory{}, Internal(err)
		}
		if n := users[id]; n > 0 {
			f["attributes.id"] = M("directory.id_attribute_linked", "Count", n, "Attribute", was.Attributes.ID)
		}
	}
	if len(f) > 0 {
		return Directory{}, FieldsInvalid(f)
	}
	if err := s.sealDirectory(&d); err != nil {
		return Directory{}, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.UpdateDirectory(ctx, &d); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(directoryActivity(by, m, d, EventDirectoryUpdated,
			map[string]any{"url": d.URL, "password_changed": in.BindPassword != ""})))
	})
	d.BindPassword = ""
	return d, err
}

// DeleteDirectory removes a directory. Its users stay (tokens, issues and
// history with them) but are detached and disabled: without the directory
// they have no password, and an administrator decides about each; the
// assignments its groups made become ordinary ones.
func (s *Service) DeleteDirectory(ctx context.Context, id int64, by Actor, m Meta) (int, error) {
	d, err := s.Store.DirectoryByID(ctx, id)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.Store.Tx(ctx, func(st Store) error {
		if n, err = st.DeleteDirectory(ctx, id); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(directoryActivity(by, m, d, EventDirectoryDeleted, map[string]any{"users_disabled": n})))
	})
	return n, err
}

// Directory loads a directory without its password.
func (s *Service) Directory(ctx context.Context, id int64) (Directory, error) {
	d, err := s.Store.DirectoryByID(ctx, id)
	d.SealedPassword, d.KeyID = nil, ""
	return d, err
}

// openDirectory loads a directory with its bind password opened, for the
// client.
func (s *Service) openDirectory(ctx context.Context, id int64) (Directory, error) {
	d, err := s.Store.DirectoryByID(ctx, id)
	if err != nil {
		return d, err
	}
	pw, err := s.Sealer.Open(d.SealedPassword, d.KeyID, directorySealContext)
	if err != nil {
		return d, Internal(err)
	}
	d.BindPassword = string(pw)
	return d, nil
}

// DirectoryTest is the answer of a connection test.
type DirectoryTest struct {
	OK         bool   `json:"ok"`
	UsersFound int    `json:"users_found"`
	Message    string `json:"message"` // in English, for the API
	// Msg is Message for pages.
	Msg Msg `json:"-"`
}

// TestDirectory connects, binds and counts the users the filter finds.
func (s *Service) TestDirectory(ctx context.Context, id int64) (DirectoryTest, error) {
	d, err := s.openDirectory(ctx, id)
	if err != nil {
		return DirectoryTest{}, err
	}
	if s.Directories == nil {
		return DirectoryTest{}, Fail(CodeUnavailable, M("directory.no_client"))
	}
	n, err := s.Directories.Test(ctx, d)
	if err != nil {
		return DirectoryTest{Message: err.Error(), Msg: M("directory.test_failed", "Reason", err.Error())}, nil
	}
	return DirectoryTest{OK: true, UsersFound: n,
		Message: "Connected and bound as " + d.BindDN + "; " + strconv.Itoa(n) + " users found.",
		Msg:     M("directory.test_ok", "BindDN", d.BindDN, "Count", n)}, nil
}
