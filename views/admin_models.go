package views

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The view models of the console's Users, Resources and Tokens areas: data
// shaped like the pages, filled by the admin handlers.

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Hidden is a hidden input of a form.
type Hidden struct {
	Name  string
	Value string
}

// Status is a state shown as a tag: the text says it, the colour (Kind:
// "bad", "warn", "ok") only underlines it.
type Status struct {
	Label string
	Kind  string
}

// Pager links the pages of a list that is paged by key: there is a next
// page and a way back to the first, not page numbers.
type Pager struct {
	Total     int
	Noun      string // what the list counts: users, tokens, resources, requests
	FirstHref string // set when this is not the first page
	NextHref  string // set when more rows follow
}

// Summary is the count of the whole list, e.g. "1 user", "60 users".
func (p Pager) Summary(ctx context.Context) string {
	id := "console.layout.pager_" + p.Noun
	if s := i18n.T(ctx, id, "Count", p.Total, "N", i18n.Number(ctx, p.Total)); s != id {
		return s
	}
	return i18n.Number(ctx, p.Total) + " " + p.Noun
}

// PagerNouns are the nouns a Pager counts in words.
var PagerNouns = []string{"users", "tokens", "resources", "requests"}

// Confirm is the page before a destructive action: it says exactly what
// will happen and posts only when the admin confirms.
type Confirm struct {
	Title   string
	Lead    string
	Effects []string
	Action  string // where the form posts
	Hidden  []Hidden
	Button  string
	Cancel  string // where Cancel leads
}

// YesNo spells a flag for a table cell, in English; Flag says it in the
// page's language.
func YesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// Flag spells a flag for a table cell in the language of ctx.
func Flag(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "common.yes")
	}
	return i18n.T(ctx, "common.no")
}

// withEmpty puts a first choice with an empty value before opts.
func withEmpty(label string, opts []Option) []Option {
	return append([]Option{{"", label}}, opts...)
}

// describedBy is the aria-describedby of a control with the given id.
func describedBy(id string, hint, err bool) string {
	var ids []string
	if hint {
		ids = append(ids, id+"-hint")
	}
	if err {
		ids = append(ids, id+"-error")
	}
	return strings.Join(ids, " ")
}

// UserHref is the address of a user's page.
func UserHref(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

// ResourceHref is the address of a resource's page.
func ResourceHref(id int64) string { return "/admin/resources/" + strconv.FormatInt(id, 10) }

// TokenHref is the address of a token's page.
func TokenHref(serial string) string { return "/admin/tokens/" + url.PathEscape(serial) }

// UserRow is a user in a list.
type UserRow struct {
	ID        int64
	Login     string
	Name      string
	Email     string
	Phone     string
	Resources int
	Tokens    int
	Status    []Status
	Source    string // the directory's name, or "tokenportal"
}

// UserList is the Users page.
type UserList struct {
	Filter    Form // q, resource_id and source as typed
	Filtered  bool
	Resources []Option
	Sources   []Option // all, local, each directory
	Rows      []UserRow
	Pager     Pager
	CanCreate bool
}

// UserPerms says which forms of a user's page the signed-in role may use.
type UserPerms struct {
	EditAccount bool // login, password, validity, disabled
	EditContact bool // names, email, phone, language
	Assign      bool // add to and remove from resources
	Unlock      bool
	Reset2FA    bool
	Delete      bool
}

// ResourceRef names a resource with a link.
type ResourceRef struct {
	ID   int64
	Name string
}

// UserDetail is a user's page.
type UserDetail struct {
	ID              int64
	Login           string
	Form            Form // the edit form
	Status          []Status
	Locked          bool
	LockedUntil     string
	FailedLogins    int
	HasPassword     bool
	PasswordChanged string
	ValidUntil      string
	TemporaryUntil  string
	Disabled        bool
	Created         string
	Updated         string
	Resources       []ResourceRef
	Assignable      []Option
	AssignForm      Form
	Tokens          []TokenRow
	TokensTotal     int
	Can             UserPerms
	Managed         UserManaged
}

// UserManaged is what a directory user's directory keeps (SPEC §12); the
// zero value is a user made in tokenportal.
type UserManaged struct {
	By     string          // the directory's name
	Fields map[string]bool // login, email, phone, first_name, last_name
}

// Field reports whether the directory keeps the field.
func (m UserManaged) Field(name string) bool { return m.By != "" && m.Fields[name] }

// UserNew is the page that creates a user.
type UserNew struct {
	Form Form
}

// TokenRow is a token in a list.
type TokenRow struct {
	Serial     string
	Type       string
	Key        KeyInfo // a security key's (SPEC §14)
	OwnerID    int64   // 0: in stock
	Owner      string
	ResourceID int64 // 0: on no resource
	Resource   string
	Enabled    bool
	Disabled   string // why, when not enabled
	Pending    bool   // waits for the helpdesk's approval (SPEC §15)
	Failcount  int
	Locked     bool
	PIN        bool
	LastUsed   string
}

// Href is the address of the token's page.
func (t TokenRow) Href() string { return TokenHref(t.Serial) }

// TokenList is the Tokens page.
type TokenList struct {
	Filter    Form // q, resource_id, with_user as typed
	Filtered  bool
	Resources []Option
	Rows      []TokenRow
	Pager     Pager
	CanImport bool
	Import    Form // the import form: resource_id, and errors of file and psk_hex
}

// TokenPerms says which forms of a token's page the signed-in role may use.
type TokenPerms struct {
	Operate bool // Check OTP, enable/disable, reset failcount
	Manage  bool // assign, delete
}

// CheckView is the result of Check OTP.
type CheckView struct {
	Valid   bool
	Outcome string
	Hint    string
}

// TokenDetail is a token's page.
type TokenDetail struct {
	TokenRow
	Algorithm   string
	Digits      int
	Moving      string // "Period" or "Counter"
	MovingValue string
	PINPosition string
	Created     string
	Check       *CheckView
	CheckForm   Form
	AssignForm  Form
	Resources   []Option
	Can         TokenPerms
	Issue       int64 // the open request of a pending token; 0 when none
}

// IssueHref is the address of the request a pending token waits on.
func (t TokenDetail) IssueHref() string { return IssueHref(t.Issue) }

// ResourceRow is a resource in the list.
type ResourceRow struct {
	ID          int64
	Name        string
	Description string
	Users       int
	Tokens      int
	Alias       string
	PortalOn    bool
}

// ResourceList is the Resources page.
type ResourceList struct {
	Filter   Form // q as typed
	Filtered bool
	Rows     []ResourceRow
	Pager    Pager
	CanEdit  bool
	Form     Form // the create form
}

// ResourcePortal is the Self-Service tab: the form that enables a portal
// when the resource has none, else its settings form, or a summary for a
// role that may only read them.
type ResourcePortal struct {
	ResourceID int64
	Exists     bool   // the resource has a portal
	Alias      string // as stored: the portal's address
	Enabled    bool   // as stored
	Updated    string
	CanEdit    bool // superadmin, or an owner of this resource
	// Form holds alias, enabled, trusted_networks and the policies as typed
	// (or stored); its errors are keyed by the JSON names of the settings.
	Form       Form
	Actions    []PortalActionRow // all 14, in display order
	TokenTypes []PortalChoice    // totp, hotp, email, sms
}

// Href is where the tab's forms post.
func (p ResourcePortal) Href() string { return ResourceHref(p.ResourceID) + "/portal" }

// URL is the portal's address on this server.
func (p ResourcePortal) URL() string { return "/selfservice/" + p.Alias }

// PortalActionRow is one of the 14 portal actions with its switch.
type PortalActionRow struct {
	ID string
	On bool
}

// Label is the action's human name.
func (a PortalActionRow) Label(ctx context.Context) string { return ActionLabel(ctx, a.ID) }

// PortalChoice is one ticked or unticked value of a group of checkboxes.
type PortalChoice struct {
	Value string
	On    bool
}

// Tab is one tab of a resource's page.
type Tab struct {
	Key   string
	Label string
	Href  string
}

// ResourceDetail is a resource's page with one of its tabs open.
type ResourceDetail struct {
	ID          int64
	Name        string
	Description string
	Created     string
	Tab         string // details, users, tokens, selfservice, radius
	Form        Form   // details: the edit form
	Users       []UserRow
	Tokens      []TokenRow
	Pager       Pager
	AssignForm  Form // users: assign by login
	Portal      ResourcePortal
	Radius      ResourceRadius
	CanEdit     bool
	ShowRadius  bool // superadmin, or an owner of this resource
}

// Tabs are the tabs of a resource's page, in order.
func (r ResourceDetail) Tabs() []Tab {
	base := ResourceHref(r.ID) + "?tab="
	tabs := []Tab{
		{"details", "Details", base + "details"},
		{"users", "Users", base + "users"},
		{"tokens", "Tokens with users", base + "tokens"},
		{"selfservice", "Self-Service", base + "selfservice"},
	}
	if r.ShowRadius {
		tabs = append(tabs, Tab{"radius", "RADIUS", base + "radius"})
	}
	return tabs
}

// ResourceRadius is the RADIUS tab: the resource's clients, the form that
// adds one, and the two RADIUS settings kept with the portal.
type ResourceRadius struct {
	ResourceID        int64
	Clients           []RadiusClientRow
	Form              Form // name, address, require_message_authenticator; never the secret
	HasPortal         bool
	FirstFactor       string // password or otp
	AllowWithoutToken bool
}

// Href is where the add form posts.
func (r ResourceRadius) Href() string { return ResourceHref(r.ResourceID) + "/radius-clients" }

// RadiusClientRow is a client in the tab's table; it has no secret.
type RadiusClientRow struct {
	ID                          int64
	Name                        string
	Address                     string
	RequireMessageAuthenticator bool
	Added                       string
}

// LanguageOptions are the choices of a user's language.
var LanguageOptions = []Option{{"en", "English"}, {"de", "German"}, {"nl", "Dutch"}}

// LanguageChoices are LanguageOptions in the language of ctx.
func LanguageChoices(ctx context.Context) []Option {
	return []Option{
		{"", i18n.T(ctx, "console.users.lang_unset")},
		{"en", i18n.T(ctx, "console.users.lang_en")},
		{"de", i18n.T(ctx, "console.users.lang_de")},
		{"nl", i18n.T(ctx, "console.users.lang_nl")},
	}
}

// KeyInfo describes a security key or passkey in the console.
type KeyInfo struct {
	Name          string // given by the user
	AAGUID        string
	Authenticator string // the make, when the AAGUID is a known one
	SignCount     int64
	Transports    string
}

// TypeText names a token's type in a list: a security key by its name and
// make.
func TypeText(ctx context.Context, t TokenRow) string {
	if t.Type != string(workflow.TokenWebAuthn) {
		return t.Type
	}
	s := i18n.T(ctx, "console.tokens.type_webauthn")
	if t.Key.Name != "" {
		s += ": " + t.Key.Name
	}
	if t.Key.Authenticator != "" {
		s += " (" + t.Key.Authenticator + ")"
	}
	return s
}
