package workflow

import (
	"context"
	"errors"
	"time"
)

// Directories (SPEC §12): people and passwords read from LDAP or Active
// Directory. The core knows the rules (what a sync changes, who signs in
// how); the protocol is the DirectoryClient's (workflow/ldap).

// Directory is a connection to an LDAP directory or Active Directory.
type Directory struct {
	ID       int64
	Name     string
	URL      string // ldap://host:port or ldaps://host:port
	StartTLS bool
	CAPEM    string // PEM of the CA to trust; empty: the system's
	BindDN   string
	// BindPassword is the service account's password: set on input and
	// when opened for the client (OpenDirectory), never listed or shown.
	BindPassword   string
	BaseDN         string
	UserFilter     string
	Attributes     DirectoryAttributes
	DisabledFilter string // optional: matching users are disabled
	// NestedGroups makes group membership transitive, by Active
	// Directory's matching rule 1.2.840.113556.1.4.1941.
	NestedGroups bool
	Groups       []DirectoryGroup
	SyncInterval time.Duration // 0: only by hand
	LastSync     *DirectorySyncRun
	CreatedAt    time.Time
	UpdatedAt    time.Time

	// SealedPassword and KeyID keep BindPassword at rest.
	SealedPassword []byte
	KeyID          string
}

// DirectoryAttributes names the entry attributes mapped to a user's fields.
// ID and Login are required; an empty contact attribute leaves that field
// to the product (editable as for any user).
type DirectoryAttributes struct {
	Login     string `json:"login"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	ID        string `json:"id"`
}

// DirectoryGroup assigns the members of a group to a resource.
type DirectoryGroup struct {
	GroupDN    string `json:"group_dn"`
	ResourceID int64  `json:"resource_id"`
}

// DirectoryEntry is a user as the directory has it.
type DirectoryEntry struct {
	DN string
	// ID is the stable id in text form (entryUUID; objectGUID as a GUID
	// string).
	ID        string
	Login     string
	Email     string
	Phone     string
	FirstName string
	LastName  string
	// Disabled: the entry matches the directory's disabled filter.
	Disabled bool
	// Groups are the configured group DNs (as configured) the entry is a
	// member of.
	Groups []string
}

// DirectorySnapshot is everything one sync reads from the directory.
type DirectorySnapshot struct {
	Entries []DirectoryEntry
}

// DirectoryClient speaks LDAP for the core. Every call opens its own
// connections, bounded by the context and the client's timeouts; nothing is
// cached.
type DirectoryClient interface {
	DirectoryChecker
	// Test binds with the service account and counts the entries the user
	// filter finds under the base DN.
	Test(ctx context.Context, d Directory) (usersFound int, err error)
	// Read returns every entry of the user filter (a paged search), marks
	// those matching the disabled filter and resolves their groups. Any
	// error means no snapshot: a partial read is never returned.
	Read(ctx context.Context, d Directory) (DirectorySnapshot, error)
	// Authenticate finds the user's entry with the service account (by
	// stable id, else by login) and binds as its DN with password on a
	// separate connection. ErrDirectoryCredentials: no such entry or a
	// wrong password; any other error: the directory could not answer.
	Authenticate(ctx context.Context, d Directory, externalID, login, password string) error
}

// ErrDirectoryCredentials is a directory's "no": no entry, or a wrong
// password.
var ErrDirectoryCredentials = errors.New("directory: invalid credentials")

// DirectorySyncCounts are the changes of one sync.
type DirectorySyncCounts struct {
	Created    int `json:"created"`
	Updated    int `json:"updated"`
	Disabled   int `json:"disabled"`
	Enabled    int `json:"enabled"`
	Assigned   int `json:"assigned"`
	Unassigned int `json:"unassigned"`
	// Skipped entries: a login of a user of another source, a duplicate,
	// or no usable login or id; Problems says which.
	Skipped int `json:"skipped"`
}

// DirectorySyncRun is the outcome of the last sync of a directory.
type DirectorySyncRun struct {
	At       time.Time           `json:"at"`
	OK       bool                `json:"ok"`
	Error    string              `json:"error,omitempty"`
	Counts   DirectorySyncCounts `json:"counts"`
	Problems []string            `json:"problems,omitempty"`
	Duration time.Duration       `json:"-"`
}

// DirectoryChecker is the part of a DirectoryClient that checks a
// directory's settings without a connection: URL, DNs, filters, CA. It
// answers field errors keyed by the API's field names ("url", "base_dn",
// "groups[0].group_dn", …).
type DirectoryChecker interface {
	Check(d Directory) map[string]Msg
}
