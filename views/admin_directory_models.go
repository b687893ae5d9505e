package views

import (
	"context"
	"strconv"

	"tokenportal/views/i18n"
)

// The view models of the Directories area (SPEC §12).

// DirectoryHref is the address of a directory's page.
func DirectoryHref(id int64) string { return "/admin/directories/" + strconv.FormatInt(id, 10) }

// DirectoryRow is a directory in the list.
type DirectoryRow struct {
	ID          int64
	Name        string
	URL         string
	Users       int
	Unencrypted bool   // passwords travel in clear text
	Interval    string // "every 15m0s", "only by hand"
	LastSync    *DirectorySync
}

// Href is the address of the directory's page.
func (d DirectoryRow) Href() string { return DirectoryHref(d.ID) }

// DirectorySync is the outcome of a directory's last sync.
type DirectorySync struct {
	At       string
	OK       bool
	Error    string
	Counts   string   // "3 created, 0 updated, …"
	Problems []string // the first ones
	More     int      // problems not shown
}

// DirectoryEdit is the new (ID 0) or edit form of a directory.
type DirectoryEdit struct {
	ID        int64
	Name      string // as stored, for the title of the edit page
	Form      Form   // never the bind password
	Groups    int    // group rows to show
	Resources []Option
}

// Action is where the form posts.
func (d DirectoryEdit) Action() string {
	if d.ID == 0 {
		return "/admin/directories"
	}
	return DirectoryHref(d.ID)
}

// Title is the page's heading in the language of ctx.
func (d DirectoryEdit) Title(ctx context.Context) string {
	if d.ID == 0 {
		return i18n.T(ctx, "console.directories.new")
	}
	return i18n.T(ctx, "console.directories.directory_title", "Name", d.Name)
}

// DirectoryKinds are the choices of the form's kind.
func DirectoryKinds(ctx context.Context) []Option {
	return []Option{{"ldap", i18n.T(ctx, "console.directories.kind_ldap")}, {"ad", i18n.T(ctx, "console.directories.kind_ad")}}
}

// directoryAttributes are the attribute inputs of the form, in order.
func directoryAttributes(ctx context.Context) []struct{ Field, Label string } {
	return []struct{ Field, Label string }{
		{"login", i18n.T(ctx, "console.directories.attr_login")}, {"email", i18n.T(ctx, "console.directories.attr_email")},
		{"phone", i18n.T(ctx, "console.directories.attr_phone")}, {"first_name", i18n.T(ctx, "console.directories.attr_first_name")},
		{"last_name", i18n.T(ctx, "console.directories.attr_last_name")}, {"id", i18n.T(ctx, "console.directories.attr_id")},
	}
}

// DirectoryGroupField is the form name of a group row's field:
// groups.0.group_dn.
func DirectoryGroupField(i int, field string) string {
	return "groups." + strconv.Itoa(i) + "." + field
}
