package views

import (
	"context"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// AdminChrome is what the admin layout needs to know on every page.
type AdminChrome struct {
	Login      string
	Role       workflow.Role
	Section    string // the nav entry that is current
	OpenIssues int    // the count badge of User Issues
	Flash      string
	FlashError string // an action that failed without a form to show it on
}

// NavItem is one entry of the admin navigation.
type NavItem struct {
	Section string
	Label   string
	Href    string
}

// Nav lists the areas of the admin console (SPEC §7) a role may open, in
// the language of ctx.
func (c AdminChrome) Nav(ctx context.Context) []NavItem {
	item := func(section, href string) NavItem {
		return NavItem{section, i18n.T(ctx, "console.nav."+section), href}
	}
	items := []NavItem{
		item("dashboard", "/admin/"),
		item("issues", "/admin/issues"),
		item("users", "/admin/users"),
		item("resources", "/admin/resources"),
		item("tokens", "/admin/tokens"),
		item("activities", "/admin/activities"),
	}
	if c.Role == workflow.RoleSuperadmin {
		items = append(items,
			item("directories", "/admin/directories"),
			item("settings", "/admin/settings"),
			item("admins", "/admin/admins"),
			item("apikeys", "/admin/apikeys"),
		)
	}
	return items
}

// AdminEnrol is the TOTP enrolment page's data.
type AdminEnrol struct {
	Login  string
	QRData string // data: URI of the PNG
	Secret string
	URI    string
	Form   Form
}
