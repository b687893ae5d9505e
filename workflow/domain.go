// Package workflow is the core of tokenportal: the domain types, the
// operations people perform (signing in, registering tokens, restoring access,
// handling user issues) and the rules that govern them. It knows nothing of
// HTTP frameworks or templates; persistence is reached through Store.
package workflow

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

// SystemActor is the product itself (seeding, the command line, jobs).
var SystemActor = Actor{Type: ActorSystem, Name: "system"}

// Meta is what we know of the request behind an operation.
type Meta struct {
	IP        string // empty when there is no request (command line, jobs)
	UserAgent string
	// SignIn is how a portal session signed in (Factor… values); the
	// portal sets it, an enrolment issue records it (SPEC §15).
	SignIn []string
}
