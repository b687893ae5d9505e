package workflow

import (
	"context"
	"net/netip"
	"time"
)

// Store is the persistence the operations need. workflow/store implements it
// on PostgreSQL. Every method takes ctx first; methods that change several rows
// are atomic on their own, and Tx composes several calls into one transaction.
//
// Store is the sum of one interface per table group; each is implemented in
// the file of workflow/store named for it (UserStore in users.go, …).
type Store interface {
	// Tx runs fn in one transaction: everything fn does through the Store it
	// is given commits together or not at all. Nested calls use savepoints.
	Tx(ctx context.Context, fn func(Store) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// PurgeExpired deletes rows that can no longer matter at now: rate-limit
	// windows, one-time codes and remembered devices long past their expiry.
	PurgeExpired(ctx context.Context, now time.Time) (int64, error)

	AdminStore
	APIKeyStore
	UserStore
	ResourceStore
	TokenStore
	IssueStore
	CodeStore
	DeviceStore
	ActivityStore
	DashboardStore
	SettingsStore
	RateLimitStore
	QueueStore
	RadiusStore
	DirectoryStore
	KeyStore
}

// KeyStore keeps the credentials of security keys and passkeys (SPEC §14),
// one per token of type webauthn.
type KeyStore interface {
	// CreateKeyCredential stores the credential of token k.TokenID;
	// ErrKeyRegistered when the credential id is known already.
	CreateKeyCredential(ctx context.Context, k KeyCredential) error
	// UserKeyCredentials lists the credentials of every token of the user,
	// on any resource.
	UserKeyCredentials(ctx context.Context, userID int64) ([]KeyCredential, error)
	// KeyCredentialByID finds a credential by the id its authenticator chose.
	KeyCredentialByID(ctx context.Context, credentialID []byte) (KeyCredential, error)
	// KeyCredentials returns the credentials of the tokens ids.
	KeyCredentials(ctx context.Context, ids []int64) ([]KeyCredential, error)
	// UseKeyCredential records a verified assertion of an enabled key: the
	// signature counter only moves forward (count above the stored one, or
	// both zero for keys without a counter), so of two assertions with the
	// same count one passes; last use stamped, failcount reset. False when
	// the counter did not move forward or the token is no longer enabled.
	UseKeyCredential(ctx context.Context, tokenID int64, count uint32, now time.Time) (bool, error)
}

// DirectoryStore keeps the directories (SPEC §12) and applies their syncs.
type DirectoryStore interface {
	// CreateDirectory stores a directory with its sealed password and
	// groups, and sets its ID; Conflict when the name is taken.
	CreateDirectory(ctx context.Context, d *Directory) error
	// UpdateDirectory writes every setting, the groups and the sealed
	// password.
	UpdateDirectory(ctx context.Context, d *Directory) error
	// DeleteDirectory removes a directory, detaching and disabling its
	// users; it returns how many.
	DeleteDirectory(ctx context.Context, id int64) (int, error)
	// DirectoryByID loads a directory with its sealed password.
	DirectoryByID(ctx context.Context, id int64) (Directory, error)
	// Directories lists every directory by name, without passwords.
	Directories(ctx context.Context) ([]Directory, error)
	// DirectoryUsers counts the users of each directory.
	DirectoryUsers(ctx context.Context) (map[int64]int, error)
	// DueDirectories lists the directories whose periodic sync is due at now.
	DueDirectories(ctx context.Context, now time.Time) ([]int64, error)
	// ClaimDirectorySync marks a sync of the directory as running until
	// until, unless another one is (false).
	ClaimDirectorySync(ctx context.Context, id int64, now, until time.Time) (bool, error)
	// FinishDirectorySync records the outcome of a sync and ends the claim.
	FinishDirectorySync(ctx context.Context, id int64, run DirectorySyncRun) error
	// ApplyDirectorySync makes the directory's users and assignments what
	// entries say (SPEC §12), writing each change's activity with by, and
	// returns the counts and the skipped entries' problems.
	ApplyDirectorySync(ctx context.Context, d Directory, entries []DirectorySyncEntry, by Actor, now time.Time) (DirectorySyncCounts, []string, error)
}

// DirectorySyncEntry is a directory's user as a sync writes it: cleaned,
// with the resources its groups assign. Skip: found in the directory (so
// not disabled) but not written (Problem says why).
type DirectorySyncEntry struct {
	ExternalID string
	Login      string
	Email      string
	Phone      string
	FirstName  string
	LastName   string
	Disabled   bool
	Resources  []int64
	Skip       bool
}

// RadiusStore keeps the RADIUS clients of the resources and the States of
// open Access-Challenges.
type RadiusStore interface {
	// CreateRadiusClient stores a client with its sealed secret; Conflict
	// when the address is taken or overlaps a client of another resource.
	CreateRadiusClient(ctx context.Context, c *RadiusClient) error
	// RadiusClients lists a resource's clients, without secrets.
	RadiusClients(ctx context.Context, resourceID int64) ([]RadiusClient, error)
	RadiusClientByID(ctx context.Context, id int64) (RadiusClient, error)
	// OverlappingRadiusClients lists the clients whose address contains
	// address or lies within it.
	OverlappingRadiusClients(ctx context.Context, address netip.Prefix) ([]RadiusClient, error)
	DeleteRadiusClient(ctx context.Context, id int64) error
	// RadiusClientFor finds the client for a source address, the longest
	// prefix winning, with its sealed secret; NotFound when none matches.
	RadiusClientFor(ctx context.Context, addr netip.Addr) (RadiusClient, error)

	CreateRadiusState(ctx context.Context, s RadiusState) error
	// TakeRadiusState uses the State with hash if it is the client's, unused
	// and unexpired at now, in one conditional statement; false otherwise.
	TakeRadiusState(ctx context.Context, hash []byte, clientID int64, now time.Time) (RadiusState, bool, error)
}

// AdminStore keeps the admin accounts, the resources they own and their
// subscriptions to new issues.
type AdminStore interface {
	CreateAdmin(ctx context.Context, a *Admin) error
	AdminByID(ctx context.Context, id int64) (Admin, error)
	AdminByLogin(ctx context.Context, login string) (Admin, error)
	// RecordAdminFailure counts a failed sign-in and locks the account for
	// lockFor once the count reaches lockAfter.
	RecordAdminFailure(ctx context.Context, id int64, now time.Time, lockAfter int, lockFor time.Duration) error
	// RecordAdminLogin resets the failure count and stamps the sign-in.
	RecordAdminLogin(ctx context.Context, id int64, now time.Time) error
	// EnrolAdminTOTP stores a sealed TOTP secret for an admin who has none yet,
	// with the step used to confirm it; false when one was enrolled meanwhile.
	EnrolAdminTOTP(ctx context.Context, id int64, sealed []byte, keyID string, step int64) (bool, error)
	// AcceptAdminTOTPStep records step as used, only if it is newer than the
	// last accepted one: false means the code was already used.
	AcceptAdminTOTPStep(ctx context.Context, id int64, step int64) (bool, error)
	// ListAdmins lists every admin account by login.
	ListAdmins(ctx context.Context) ([]Admin, error)
	// SetAdminLanguage stores the language an admin chose ("" for none).
	SetAdminLanguage(ctx context.Context, id int64, lang string) error
	// UpdateAdmin writes the email and role of an admin.
	UpdateAdmin(ctx context.Context, a *Admin) error
	// SetAdminDisabled disables or enables an admin; false when it was so
	// already.
	SetAdminDisabled(ctx context.Context, id int64, disabled bool) (bool, error)
	// SetAdminResources replaces the resources an admin owns.
	SetAdminResources(ctx context.Context, id int64, resources []int64) error
	// LockSuperadmins locks the enabled superadmin accounts until the
	// transaction ends and returns their ids, so that two admins cannot
	// demote or disable the last two superadmins at the same time.
	LockSuperadmins(ctx context.Context) ([]int64, error)
	// ResetAdminTOTP forgets an admin's TOTP secret: they enrol again at
	// their next sign-in.
	ResetAdminTOTP(ctx context.Context, id int64) error
	// SetAdminPassword replaces an admin's password hash and clears the
	// failure count and lock.
	SetAdminPassword(ctx context.Context, id int64, hash string) error
	SetAdminEmail(ctx context.Context, id int64, email string) error

	// IssueSubscribers are the enabled admins with an email address who
	// want mail about new issues on the resource.
	IssueSubscribers(ctx context.Context, resourceID int64) ([]Admin, error)
	Subscriptions(ctx context.Context, adminID int64) (all bool, resources []int64, err error)
	SetSubscriptions(ctx context.Context, adminID int64, all bool, resources []int64) error
	// IssueRecipients lists every admin with their subscription to new
	// issues (the settings page's overview).
	IssueRecipients(ctx context.Context) ([]IssueRecipient, error)
}

// APIKeyStore keeps the keys of the JSON API (their hashes).
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	APIKeyByPrefix(ctx context.Context, prefix string) (APIKey, error)
	TouchAPIKey(ctx context.Context, id int64, now time.Time) error
	APIKeyByID(ctx context.Context, id int64) (APIKeyRow, error)
	// ListAPIKeys lists every key, live ones first, newest first.
	ListAPIKeys(ctx context.Context) ([]APIKeyRow, error)
	// RevokeAPIKey revokes a live key in one conditional statement: false
	// when it was revoked already.
	RevokeAPIKey(ctx context.Context, id int64, now time.Time) (APIKeyRow, bool, error)
}

// UserStore keeps the users: their accounts, contact data, passwords and
// sign-in failures.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	// SetUserLanguage stores the language a user chose ("" for none).
	SetUserLanguage(ctx context.Context, id int64, lang string) error
	DeleteUser(ctx context.Context, id int64) error
	UserByID(ctx context.Context, id int64) (User, error)
	UserByLogin(ctx context.Context, login string) (User, error)
	ListUsers(ctx context.Context, f UserFilter) ([]UserRow, int, error)
	UnlockUser(ctx context.Context, id int64) error
	// ResetUser2FA disables the user's tokens and returns them to stock,
	// and deletes recovery codes and remembered devices; it returns the
	// serials of the tokens and of those that were enabled.
	ResetUser2FA(ctx context.Context, userID int64) (serials, disabled []string, err error)

	// RecordUserFailure counts a failed portal sign-in and locks the user for
	// lockFor once the count reaches lockAfter.
	RecordUserFailure(ctx context.Context, id int64, now time.Time, lockAfter int, lockFor time.Duration) error
	// RecordUserLogin resets the failure count after a complete sign-in.
	RecordUserLogin(ctx context.Context, id int64) error
	// SetUserPassword replaces a user's password hash (empty = none).
	SetUserPassword(ctx context.Context, id int64, hash string, now time.Time) error

	// Portal account actions (SPEC §5.8–14).
	SetUserEmail(ctx context.Context, id int64, email string) error
	SetUserPhone(ctx context.Context, id int64, phone string) error
	// SetUserLogin renames a user; Conflict when the login is taken.
	SetUserLogin(ctx context.Context, id int64, login string) error
	SetUserName(ctx context.Context, id int64, first, last string) error
}

// ResourceStore keeps the resources, the users assigned to them and their
// self-service portals.
type ResourceStore interface {
	CreateResource(ctx context.Context, r *Resource) error
	UpdateResource(ctx context.Context, r *Resource) error
	DeleteResource(ctx context.Context, id int64) error
	ResourceByID(ctx context.Context, id int64) (Resource, error)
	ResourceByName(ctx context.Context, name string) (Resource, error)
	ListResources(ctx context.Context) ([]ResourceRow, error)
	// ResourceNames lists every resource by name, without counts (pickers).
	ResourceNames(ctx context.Context) ([]Resource, error)
	// ListResourcesPage returns one page of resources (see ResourceFilter)
	// and the number of all that match.
	ListResourcesPage(ctx context.Context, f ResourceFilter) ([]ResourceRow, int, error)

	// Assignments.
	UserResources(ctx context.Context, userID int64) ([]Resource, error)
	// UserResourceIDs maps each of the users to the ids of the resources
	// they are assigned to, in one query.
	UserResourceIDs(ctx context.Context, userIDs []int64) (map[int64][]int64, error)
	AssignUser(ctx context.Context, resourceID, userID int64) error
	// UnassignUser removes the assignment; the user's tokens on the resource
	// leave it (they stay the user's).
	UnassignUser(ctx context.Context, resourceID, userID int64) error
	IsAssigned(ctx context.Context, resourceID, userID int64) (bool, error)

	// Portals.
	SavePortal(ctx context.Context, p *Portal) error
	PortalByAlias(ctx context.Context, alias string) (Portal, error)
	PortalByResource(ctx context.Context, resourceID int64) (Portal, error)
}

// TokenStore keeps the OTP tokens: stock, placement, validation state and
// PINs.
type TokenStore interface {
	CreateToken(ctx context.Context, t *Token) error
	TokenByID(ctx context.Context, id int64) (Token, error)
	TokenBySerial(ctx context.Context, serial string) (Token, error)
	ListTokens(ctx context.Context, f TokenFilter) ([]Token, int, error)
	UserTokens(ctx context.Context, userID, resourceID int64) ([]Token, error)
	// ValidationTokens finds the user with login assigned to resourceID and
	// their tokens on it, in one query; NotFound when there is no such
	// assignment.
	ValidationTokens(ctx context.Context, resourceID int64, login string) (User, []Token, error)
	// SetTokenEnabled switches a token; reason is empty when enabling.
	// It reports whether anything changed.
	SetTokenEnabled(ctx context.Context, id int64, enabled bool, reason string) (bool, error)
	ResetTokenFailcount(ctx context.Context, id int64) error
	DeleteToken(ctx context.Context, id int64) error
	// PlaceToken sets where a token is: its owner and resource (nil = none).
	PlaceToken(ctx context.Context, id int64, userID, resourceID *int64) error
	// DisableLostTokens disables the user's enabled tokens on the resource
	// (reason "lost"; they stay assigned) and returns their serials.
	DisableLostTokens(ctx context.Context, userID, resourceID int64) ([]string, error)

	// AcceptTokenStep commits a matched TOTP step or HOTP counter only if it
	// is newer than the last accepted one and the token is still enabled and
	// unlocked, and writes act (when not nil) in the same statement. False
	// means the code was used already (or the token changed meanwhile).
	AcceptTokenStep(ctx context.Context, id int64, step int64, hotp bool, now time.Time, act *Activity) (bool, error)
	// FailTokens adds one to the failcount of each token and writes act
	// (when not nil) in the same statement.
	FailTokens(ctx context.Context, ids []int64, act *Activity) error
	// ResyncToken stores the result of a resync: the last used step or
	// counter, the next HOTP counter and the TOTP drift; failcount is reset.
	// False when lastStep is not newer than the stored one.
	ResyncToken(ctx context.Context, id int64, lastStep, counter, drift int64) (bool, error)

	// Portal token actions (SPEC §5.1–7); each change is conditional and
	// reports whether it happened.
	// LockUserTokens locks the user until the transaction ends and counts
	// their enabled tokens on the resource and anywhere.
	LockUserTokens(ctx context.Context, userID, resourceID int64) (onResource, anywhere int, err error)
	// ClaimToken gives a stock token on the resource to the user, pending
	// the helpdesk's approval when pending is set.
	ClaimToken(ctx context.Context, tokenID, userID, resourceID int64, pending bool) (bool, error)
	// ApprovePendingToken enables a pending token still the user's on the
	// resource and returns the token it replaces (0: none); false when it
	// no longer waits there.
	ApprovePendingToken(ctx context.Context, tokenID, userID, resourceID int64) (replaces int64, ok bool, err error)
	// DiscardPendingToken drops a pending token: deleted, or (claimed) back
	// to stock disabled. It returns its serial, "" when nothing waited.
	DiscardPendingToken(ctx context.Context, tokenID, userID, resourceID int64, claimed bool) (string, error)
	// RetireToken disables a replaced token (reason reassigned) and takes it
	// off the resource; it stays the user's.
	RetireToken(ctx context.Context, tokenID, userID, resourceID int64) (bool, error)
	// UnassignToken takes a user's token off the resource.
	UnassignToken(ctx context.Context, tokenID, userID, resourceID int64) (bool, error)
	// SetTokenPIN sets the PIN of a token that has none; RemoveTokenPIN
	// clears the PIN of a token that has one.
	SetTokenPIN(ctx context.Context, tokenID int64, hash, position string) (bool, error)
	RemoveTokenPIN(ctx context.Context, tokenID int64) (bool, error)
	// RehashTokenPIN replaces the PIN hash old by new, only if it is still old.
	RehashTokenPIN(ctx context.Context, tokenID int64, old, new string) (bool, error)
}

// IssueStore keeps the user issues (restore-access requests).
type IssueStore interface {
	// CreateIssue stores a request; an open request of the same user and
	// resource is withdrawn first, and its id returned (0 when none).
	CreateIssue(ctx context.Context, is *Issue, now time.Time) (replaced int64, err error)
	IssueByID(ctx context.Context, id int64) (Issue, error)
	ListIssues(ctx context.Context, f IssueFilter) ([]Issue, int, error)
	// HandleIssue moves an open issue to status (verified or deleted) in one
	// conditional statement: false when it was handled already.
	HandleIssue(ctx context.Context, id int64, status string, adminID *int64, note string, now time.Time) (Issue, bool, error)
	// WithdrawIssues withdraws the user's open issues on the resource and
	// returns their ids.
	WithdrawIssues(ctx context.Context, userID, resourceID int64, now time.Time) ([]int64, error)
	// OpenIssueCount counts the open user issues (the navigation's badge):
	// all when resources is nil, else those on resources (an owner's).
	OpenIssueCount(ctx context.Context, resources []int64) (int, error)
	// OpenIssuesByKind counts the open user issues of each kind (restore,
	// enrolment; a kind with none is absent).
	OpenIssuesByKind(ctx context.Context) (map[string]int, error)
}

// CodeStore keeps the one-time codes sent by email or SMS and the
// recovery codes (their hashes).
type CodeStore interface {
	CreateCode(ctx context.Context, c *OneTimeCode) error
	// UseCode checks hash against the live codes of the user for purpose
	// (and token, when given): a match uses the code (and retires the
	// others), a miss spends an attempt of each.
	UseCode(ctx context.Context, userID int64, purpose string, tokenID *int64, hashes [][]byte, now time.Time, maxAttempts int) (CodeResult, error)
	// PendingCode is the newest unused code of the user for purpose, expired
	// or not; NotFound when there is none.
	PendingCode(ctx context.Context, userID int64, purpose string) (PendingCode, error)

	// SetRecoveryCodesDue marks (or clears) that the user is to be given
	// recovery codes at their next visit with a second factor.
	SetRecoveryCodesDue(ctx context.Context, userID int64, due bool) error
	// TakeRecoveryCodesDue clears the mark and reports whether it was set;
	// of two concurrent calls one sees true.
	TakeRecoveryCodesDue(ctx context.Context, userID int64) (bool, error)
	// ReplaceRecoveryCodes deletes the user's recovery codes and stores new hashes.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error
	// UseRecoveryCode marks an unused code used; false when there is none.
	UseRecoveryCode(ctx context.Context, userID int64, hashes [][]byte, now time.Time) (bool, error)
	RecoveryCodesLeft(ctx context.Context, userID int64) (int, error)
}

// DeviceStore keeps where users sign in from: the browsers they asked to
// remember and the environments (IP prefix + browser family) seen.
type DeviceStore interface {
	CreateDevice(ctx context.Context, userID, resourceID int64, tokenHash []byte, expires time.Time, m Meta) error
	// UseDevice reports whether a remembered-device cookie is valid for the
	// user on the resource now, and stamps its use.
	UseDevice(ctx context.Context, userID, resourceID int64, tokenHash []byte, now time.Time) (bool, error)
	// UserDevices lists the user's remembered devices on the resource that
	// are neither revoked nor expired at now, newest first.
	UserDevices(ctx context.Context, userID, resourceID int64, now time.Time) ([]Device, error)
	// RevokeDevices revokes one live remembered device (deviceID) or all
	// (deviceID 0) of the user on the resource and returns their ids.
	RevokeDevices(ctx context.Context, userID, resourceID, deviceID int64, now time.Time) ([]int64, error)

	// SeeEnvironment records a sign-in of the user from an environment (IP
	// prefix + browser family): fresh when it was not seen before, known
	// when the user had any environment on record before.
	SeeEnvironment(ctx context.Context, userID int64, ipPrefix, browser string, now time.Time) (fresh, known bool, err error)
	// UserEnvironments lists every environment (IP prefix + browser family)
	// the user signed in from, the most recently seen first.
	UserEnvironments(ctx context.Context, userID int64) ([]SeenEnvironment, error)
}

// ActivityStore keeps the activity log.
type ActivityStore interface {
	// AddActivity appends to the activity log.
	AddActivity(ctx context.Context, a Activity) error
	// ListActivities returns up to f.Limit activities, newest first (by
	// time, then id), after f.Before.
	ListActivities(ctx context.Context, f ActivityFilter) ([]ActivityRow, error)
	// EachActivity calls fn for every activity f selects, newest first, as
	// the rows arrive; f.Limit and f.Before are ignored.
	EachActivity(ctx context.Context, f ActivityFilter, fn func(ActivityRow) error) error
	// GroupActivities counts the activities f selects per user and event,
	// up to limit users, those with most activities first, after after.
	GroupActivities(ctx context.Context, f ActivityFilter, after *GroupCursor, limit int) ([]ActivityGroup, error)
	// UserSignIns lists the user's newest completed sign-ins (UserLogin).
	UserSignIns(ctx context.Context, userID int64, limit int) ([]SignIn, error)
	// DeleteActivitiesBefore deletes up to batch activities older than
	// cutoff in one statement and returns how many it deleted.
	DeleteActivitiesBefore(ctx context.Context, cutoff time.Time, batch int) (int64, error)
}

// DashboardStore is the read model of the dashboard. resources nil means
// everything; otherwise only what belongs to those resources (an owner's
// view; empty: nothing).
type DashboardStore interface {
	Counts(ctx context.Context) (Counts, error)
	DashboardCounts(ctx context.Context, resources []int64, now time.Time) (DashboardCounts, error)
	// CountActivities counts the activities of events in [since, until)
	// per hour (UTC).
	CountActivities(ctx context.Context, events []string, resources []int64, since, until time.Time) ([]ActivityCount, error)
	// RecentActivities returns the newest activities, newest first.
	RecentActivities(ctx context.Context, resources []int64, limit int) ([]RecentActivity, error)
}

// SettingsStore keeps small JSON documents by key (mail server, templates,
// retention).
type SettingsStore interface {
	// GetSetting decodes into v and reports whether the key exists.
	GetSetting(ctx context.Context, key string, v any) (bool, error)
	PutSetting(ctx context.Context, key string, v any, adminID *int64) error
	// DeleteSetting removes a setting and reports whether it existed.
	DeleteSetting(ctx context.Context, key string) (bool, error)
	// SettingsWithPrefix returns the JSON of the settings whose key starts
	// with prefix, by key.
	SettingsWithPrefix(ctx context.Context, prefix string) (map[string][]byte, error)
}

// RateLimitStore keeps the fixed-window counters shared by every instance.
type RateLimitStore interface {
	// HitRate adds one to the fixed-window counter key and returns the count
	// in the current window; RateCount reads it without adding.
	HitRate(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	RateCount(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// QueueStore queues work for the job workers, in the current transaction.
type QueueStore interface {
	// Enqueue queues a mail or SMS for delivery, in the current transaction.
	Enqueue(ctx context.Context, m Message) error
	// EnqueueCodeRequest queues a request for a one-time code.
	EnqueueCodeRequest(ctx context.Context, r CodeRequest) error
	// QueuedMessages counts the mails and SMS not yet delivered nor given
	// up, by channel.
	QueuedMessages(ctx context.Context) (map[string]int, error)
}

// UserFilter selects a page of users. Users are ordered by login; After is
// the lower-cased login of the last row of the previous page.
type UserFilter struct {
	Query      string // prefix of login, last name or email
	ResourceID int64  // only users assigned to it (0 = all)
	// Resources, when not nil, keeps only users assigned to at least one of
	// them (an owner's view; empty: nobody).
	Resources []int64
	// Source keeps only users of one directory (its id), or "local" ones
	// (made in the product); "" keeps all.
	Source string
	After  string
	Limit  int
}

// UserRow is a user in a list, with what the list shows about them.
type UserRow struct {
	User
	Resources int // how many resources they are assigned to
	Tokens    int // how many tokens they own
}

// ResourceRow is a resource in a list.
type ResourceRow struct {
	Resource
	Users       int
	Tokens      int
	PortalAlias string
	PortalOn    bool
}

// TokenFilter selects a page of tokens, ordered by serial; After is the
// lower-cased serial of the last row of the previous page.
type TokenFilter struct {
	Query      string // prefix of the serial or of the owner's login
	UserID     int64
	ResourceID int64
	Resources  []int64 // when not nil: only tokens on these resources (owners)
	WithUser   bool    // only tokens that have an owner
	After      string
	Limit      int
}

// IssueFilter selects a page of user issues, newest first. Before is the id
// of the last row of the previous page.
type IssueFilter struct {
	Status     string  // open, verified, deleted, withdrawn; "" = all
	Kind       string  // restore, enrolment; "" = both
	ResourceID int64   // 0 = all
	UserID     int64   // 0 = all
	Resources  []int64 // when not nil: only these resources (owners)
	Before     int64
	Limit      int
}

// OneTimeCode is a code sent by mail or SMS; only its keyed hash is stored.
type OneTimeCode struct {
	ID         int64
	Purpose    string // login, token, enrol, restore, email-change
	UserID     int64
	ResourceID *int64
	TokenID    *int64
	Target     string
	Hash       []byte
	ExpiresAt  time.Time
}

// CodeResult is what checking a one-time code found.
type CodeResult struct {
	Live     bool   // there was an unused, unexpired code with attempts left
	Matched  bool   // and the given code was it (it is now used)
	Target   string // where it was sent
	Attempts int    // attempts used, including this one
}

// Counts are the headline numbers of the dashboard.
type Counts struct {
	Users, Resources, Tokens, OpenIssues int
}
