// Package workflow is the core of tokenportal: the domain types, the
// operations people perform (signing in, registering tokens, restoring access,
// handling user issues) and the rules that govern them. It knows nothing of
// HTTP frameworks or templates; persistence is reached through Store.
package workflow

import (
	"encoding/json"
	"time"
)

// Role of an admin account or API key (SPEC §2).
type Role string

const (
	RoleSuperadmin Role = "superadmin"
	RoleHelpdesk   Role = "helpdesk"
	RoleOwner      Role = "owner"
	// RoleValidate is for API keys only: it may call POST /api/v1/validate.
	RoleValidate Role = "validate"
)

// AdminRoles are the roles an admin account may have.
var AdminRoles = []Role{RoleSuperadmin, RoleHelpdesk, RoleOwner}

// APIKeyRoles are the roles an API key may have.
var APIKeyRoles = []Role{RoleSuperadmin, RoleHelpdesk, RoleOwner, RoleValidate}

// Admin is an account of the admin console.
type Admin struct {
	ID            int64
	Login         string
	Email         string
	PasswordHash  string
	Role          Role
	TOTPSecret    []byte // sealed
	TOTPKeyID     string
	TOTPLastStep  int64
	Disabled      bool
	FailedLogins  int
	LockedUntil   *time.Time
	Language      string
	CreatedAt     time.Time
	LastLoginAt   *time.Time
	OwnedResource []int64
}

// HasTOTP reports whether the admin has enrolled a TOTP authenticator.
func (a Admin) HasTOTP() bool { return len(a.TOTPSecret) > 0 }

// Locked reports whether the account is locked at now.
func (a Admin) Locked(now time.Time) bool { return a.LockedUntil != nil && now.Before(*a.LockedUntil) }

// APIKey authenticates a program calling /api/v1.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string
	KeyHash    []byte
	Role       Role
	ResourceID *int64
	CreatedBy  *int64
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// User is a person who signs in to a resource's self-service portal.
type User struct {
	ID                   int64
	Login                string
	FirstName            string
	LastName             string
	Email                string
	Phone                string
	PasswordHash         string // empty: no password
	PasswordChangedAt    *time.Time
	PasswordNeverExpires bool
	ValidUntil           *time.Time
	TemporaryUntil       *time.Time
	Disabled             bool
	Language             string
	FailedLogins         int
	LockedUntil          *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Resource is something protected by password + OTP: a VPN, Citrix, an app.
type Resource struct {
	ID          int64
	Name        string
	Description string
	CreatedAt   time.Time
}

// Action ids of the self-service portal (SPEC §5), in their default order.
var Actions = []string{
	"register-token", "register-existing-token", "reassign-token", "unassign-token",
	"sync-token", "set-pin", "remove-pin", "create-password", "change-password",
	"change-email", "change-phone", "change-login", "change-name", "manage-environment",
}

// TokenType is the kind of a token.
type TokenType string

// The kinds of token the product knows.
const (
	TokenTOTP  TokenType = "totp"  // an app or key fob showing time-based codes
	TokenHOTP  TokenType = "hotp"  // an app or key fob showing counter-based codes
	TokenEmail TokenType = "email" // a code sent by email
	TokenSMS   TokenType = "sms"   // a code sent by SMS
)

// TokenTypes are the names of the kinds of token, for settings and forms.
var TokenTypes = []string{string(TokenTOTP), string(TokenHOTP), string(TokenEmail), string(TokenSMS)}

// Sent reports whether tokens of type t get their codes sent (email, SMS)
// rather than showing them (TOTP, HOTP).
func (t TokenType) Sent() bool { return t == TokenEmail || t == TokenSMS }

// Shows reports whether tokens of type t show their own codes from a seed.
func (t TokenType) Shows() bool { return t == TokenTOTP || t == TokenHOTP }

// Channel is how codes of a sent type travel: ChannelEmail or ChannelSMS.
func (t TokenType) Channel() string {
	if t == TokenSMS {
		return ChannelSMS
	}
	return ChannelEmail
}

// PortalAction is one of the 14 actions with its switch.
type PortalAction struct {
	ID      string
	Enabled bool
}

// Portal holds a resource's self-service settings (SPEC §3).
type Portal struct {
	ResourceID                     int64
	ResourceName                   string
	Alias                          string
	Enabled                        bool
	Actions                        []PortalAction // all 14, in display order
	TokenTypes                     []string
	TrustedNetworks                []string // CIDR
	OTPOutsideTrusted              bool
	DenyWithoutTokenOutsideTrusted bool
	RequireToken                   bool
	RememberDeviceDays             int
	MaxTokensPerUser               int
	PINLength                      int
	UpdatedAt                      time.Time
}


// Actor types of an activity.
const (
	ActorUser   = "user"
	ActorAdmin  = "admin"
	ActorAPIKey = "apikey"
	ActorSystem = "system"
)

// Actor is who caused an activity.
type Actor struct {
	Type string
	ID   int64
	Name string
}

// Actor is the user as the author of an activity.
func (u User) Actor() Actor { return Actor{Type: ActorUser, ID: u.ID, Name: u.Login} }

// Actor is the admin as the author of an activity.
func (a Admin) Actor() Actor { return Actor{Type: ActorAdmin, ID: a.ID, Name: a.Login} }

// Actor is the key as the author of an activity.
func (k APIKey) Actor() Actor { return Actor{Type: ActorAPIKey, ID: k.ID, Name: k.Name} }

// SystemActor is the product itself (seeding, the command line, jobs).
var SystemActor = Actor{Type: ActorSystem, Name: "system"}

// Meta is what we know of the request behind an operation.
type Meta struct {
	IP        string // empty when there is no request (command line, jobs)
	UserAgent string
}

// Activity is one row of the activity log.
type Activity struct {
	ID         int64
	At         time.Time
	Actor      Actor
	UserID     *int64
	ResourceID *int64
	Event      string
	IP         string
	UserAgent  string
	Details    map[string]any
}

// DetailsJSON encodes Details for storage; nil becomes {}.
func (a Activity) DetailsJSON() []byte {
	if len(a.Details) == 0 {
		return []byte("{}")
	}
	b, err := json.Marshal(a.Details)
	if err != nil {
		return []byte("{}")
	}
	return b
}

// Token is an OTP token: software (TOTP/HOTP, with a sealed seed) or a code
// sent by email or SMS.
type Token struct {
	ID             int64
	Serial         string
	Type           TokenType
	Secret         []byte // sealed seed; nil for email and SMS tokens
	KeyID          string
	Algorithm      string // SHA1, SHA256, SHA512
	Digits         int
	Period         int
	Counter        int64 // HOTP: the next expected counter
	LastStep       int64 // last accepted TOTP step or HOTP counter; -1 when none
	Drift          int64 // TOTP steps the token runs ahead (+) or behind (-)
	PINHash        string
	PINPosition    string // before, after
	Enabled        bool
	DisabledReason string // admin, lost, reassigned
	Failcount      int
	UserID         *int64
	ResourceID     *int64
	Description    string
	CreatedAt      time.Time
	LastUsedAt     *time.Time

	// Joined for display.
	UserLogin    string
	ResourceName string
}

// HasPIN reports whether the token asks for a PIN with the OTP.
func (t Token) HasPIN() bool { return t.PINHash != "" }

// Locked reports whether too many wrong codes locked the token.
func (t Token) Locked() bool { return t.Failcount >= MaxFailcount }

// MaxFailcount wrong codes lock a token until resync or admin reset (SPEC §8).
const MaxFailcount = 10

// Disabled reasons.
const (
	DisabledByAdmin    = "admin"
	DisabledLost       = "lost"
	DisabledReassigned = "reassigned"
)

// Message is a mail or SMS waiting for delivery. It is queued in the same
// transaction as the change that caused it and delivered by a worker with
// retries (workflow/notify).
type Message struct {
	Channel  string            `json:"channel"` // "email" or "sms"
	To       string            `json:"to"`
	Template string            `json:"template"` // see notify's templates
	Lang     string            `json:"lang"`     // en, de, nl
	Data     map[string]string `json:"data,omitempty"`
	// Sealed holds Data encrypted while the message waits in the queue, so
	// codes in it are not readable from the database (see Service.enqueue).
	Sealed []byte `json:"sealed,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
}

// Message channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// MessageJob is the queued job of a Message (a River job kind).
type MessageJob struct {
	Message
}

// Kind names the job for the queue.
func (MessageJob) Kind() string { return "message" }

// Issue is a restore-access request (SPEC §6).
type Issue struct {
	ID         int64
	UserID     int64
	ResourceID int64
	// Lost is what the person declared lost: token, password, email.
	Lost []string
	// Evidence per authenticator: verified, failed, lost or absent.
	Token, Password, Email string
	NewPasswordHash        string
	NewEmail               string
	Status                 string // open, verified, deleted, withdrawn
	HandledBy              *int64
	HandledAt              *time.Time
	IP                     string
	UserAgent              string
	CreatedAt              time.Time
	Replaces               int64 // the open request this one replaced; 0 when none
	ReplacedBy             int64 // the newer request that replaced this one; 0 when none

	// Joined for display.
	Login, FirstName, LastName, UserEmail, UserPhone, ResourceName, HandledByLogin string
}

// Issue statuses and evidence values.
const (
	IssueOpen      = "open"
	IssueVerified  = "verified"
	IssueDeleted   = "deleted"
	IssueWithdrawn = "withdrawn"

	EvidenceVerified = "verified"
	EvidenceFailed   = "failed"
	EvidenceLost     = "lost"
	EvidenceAbsent   = "absent"
)

// Lost items of a restore-access request.
const (
	LostToken    = "token"
	LostPassword = "password"
	LostEmail    = "email"
)
