package views

import "tokenportal/workflow"

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

// Nav lists the areas of the admin console (SPEC §7) a role may open.
func (c AdminChrome) Nav() []NavItem {
	items := []NavItem{
		{"dashboard", "Dashboard", "/admin/"},
		{"issues", "User Issues", "/admin/issues"},
		{"users", "Users", "/admin/users"},
		{"resources", "Resources", "/admin/resources"},
		{"tokens", "Tokens", "/admin/tokens"},
		{"activities", "Activities", "/admin/activities"},
	}
	if c.Role == workflow.RoleSuperadmin {
		items = append(items,
			NavItem{"directories", "Directories", "/admin/directories"},
			NavItem{"settings", "Settings", "/admin/settings"},
			NavItem{"admins", "Admin accounts", "/admin/admins"},
			NavItem{"apikeys", "API keys", "/admin/apikeys"},
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
