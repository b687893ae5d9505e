package views

import (
	"context"
	"strconv"

	"tokenportal/views/i18n"
)

// The view models of the superadmin's Admin accounts and API keys areas.

// AdminHref is the address of an admin account's page.
func AdminHref(id int64) string { return "/admin/admins/" + strconv.FormatInt(id, 10) }

// APIKeyHref is the address of an API key (its revoke confirmation hangs
// below it).
func APIKeyHref(id int64) string { return "/admin/apikeys/" + strconv.FormatInt(id, 10) }

// AdminRoleOptions are the roles of an admin account, for a select.
var AdminRoleOptions = []Option{
	{"helpdesk", "Helpdesk: users, tokens, user issues, activities"},
	{"owner", "Resource owner: the resources ticked below"},
	{"superadmin", "Superadmin: everything"},
}

// AdminRoleChoices are AdminRoleOptions in the language of ctx.
func AdminRoleChoices(ctx context.Context) []Option {
	return roleChoices(ctx, AdminRoleOptions, "console.admins.role_option_")
}

// APIKeyRoleChoices are APIKeyRoleOptions in the language of ctx.
func APIKeyRoleChoices(ctx context.Context) []Option {
	return roleChoices(ctx, APIKeyRoleOptions, "console.apikeys.role_option_")
}

func roleChoices(ctx context.Context, opts []Option, prefix string) []Option {
	out := make([]Option, len(opts))
	for i, o := range opts {
		out[i] = Option{o.Value, i18n.T(ctx, prefix+o.Value)}
	}
	return out
}

// APIKeyRoleOptions are the roles of an API key, for a select.
var APIKeyRoleOptions = []Option{
	{"validate", "Validate: checks codes (POST /api/v1/validate) only"},
	{"owner", "Resource owner: one resource, its users, tokens and portal"},
	{"helpdesk", "Helpdesk: users, tokens, user issues"},
	{"superadmin", "Superadmin: everything"},
}

// AdminRow is an admin account in the list.
type AdminRow struct {
	ID        int64
	Login     string
	Role      string
	Email     string
	Resources []ResourceRef // owned, for owners
	TOTP      bool          // an authenticator is enrolled
	Status    []Status
	LastLogin string
	Self      bool // the signed-in admin
}

// AdminList is the Admin accounts page.
type AdminList struct {
	Rows []AdminRow
}

// AdminForm is the form that creates (with login and password) or edits an
// admin account: email, role and, for owners, the owned resources.
type AdminForm struct {
	Form      Form // login, password (new only), email, role
	Resources []ResourceChoice
}

// AdminDetail is an admin account's page.
type AdminDetail struct {
	AdminRow
	Disabled     bool
	Created      string
	FailedLogins int
	LockedUntil  string // "" when not locked
	Edit         AdminForm
}

// AdminPassword is the page that shows a new admin password, once.
type AdminPassword struct {
	ID       int64
	Login    string
	Password string
	Created  bool // a new account, rather than a reset password
	TOTP     bool // the account has an authenticator enrolled
}

// APIKeyView is an API key in the list.
type APIKeyView struct {
	ID         int64
	Name       string
	Prefix     string // the public part: tpk_<prefix>_…
	Role       string
	ResourceID int64 // 0: not bound
	Resource   string
	Created    string
	CreatedBy  string
	LastUsed   string
	Revoked    string // "" while live
}

// Shown is the key as far as it is known after creation: its prefix only.
func (k APIKeyView) Shown() string { return "tpk_" + k.Prefix + "_…" }

// APIKeyList is the API keys page.
type APIKeyList struct {
	Rows []APIKeyView
}

// APIKeyNew is the page that creates an API key.
type APIKeyNew struct {
	Form      Form // name, role, resource
	Resources []Option
}

// APIKeyCreated shows a new key, the one time it is visible.
type APIKeyCreated struct {
	APIKeyView
	Key string
}
