package admin_test

import "tokenportal/workflow"

// The access cases of the console and API routes of users, resources,
// portals, tokens, user issues, notifications, directories, admin accounts
// and API keys: who may use each (SPEC §2). Bodies that would move the fixture
// elsewhere fail validation instead; deletions run last (TestRoleAccess).

var (
	accAnyAdmin   = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk, workflow.RoleOwner}
	accStaff      = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk}
	accSuper      = []workflow.Role{workflow.RoleSuperadmin}
	accOwnerTo    = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleOwner} // owners for their own resource
	accValidators = []workflow.Role{workflow.RoleSuperadmin, workflow.RoleValidate}
)

func init() {
	accessCases = append(accessCases,
		// Console: dashboard and the admin's own notifications.
		accessCase{method: "GET", path: "/admin/", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/admin/notifications", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/admin/notifications", allowed: accAnyAdmin, body: "subscribe=bogus"},

		// Users: everybody reads (owners their resources' users); the
		// helpdesk edits contact data, unlocks and resets 2FA.
		accessCase{method: "GET", path: "/admin/users", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/admin/users/new", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/users", allowed: accSuper, body: "login="},
		accessCase{method: "GET", path: "/admin/users/:id", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/admin/users/:id", allowed: accStaff, body: "email=not-an-address"},
		accessCase{method: "POST", path: "/admin/users/:id/assign", allowed: accSuper, body: "resource_id="},
		accessCase{method: "GET", path: "/admin/users/:id/unassign", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/users/:id/unassign", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/users/:id/unlock", allowed: accStaff},
		accessCase{method: "GET", path: "/admin/users/:id/reset-2fa", allowed: accStaff},
		accessCase{method: "POST", path: "/admin/users/:id/reset-2fa", allowed: accStaff},
		accessCase{method: "GET", path: "/admin/users/:id/delete", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/users/:id/delete", allowed: accSuper},

		// Resources: everybody reads (owners their own); superadmins
		// change them; owners edit their portal.
		accessCase{method: "GET", path: "/admin/resources", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/admin/resources", allowed: accSuper, body: "name="},
		accessCase{method: "GET", path: "/admin/resources/:id", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/admin/resources/:id", allowed: accSuper, body: "name="},
		accessCase{method: "GET", path: "/admin/resources/:id/delete", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/resources/:id/delete", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/resources/:id/users", allowed: accSuper, body: "login="},
		accessCase{method: "GET", path: "/admin/resources/:id/users/:uid/remove", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/resources/:id/users/:uid/remove", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/resources/:id/portal", allowed: accOwnerTo, body: "alias=-"},
		accessCase{method: "POST", path: "/admin/resources/:id/radius-clients", allowed: accOwnerTo, body: "name="},
		accessCase{method: "GET", path: "/admin/resources/:id/radius-clients/:cid/delete", allowed: accOwnerTo},
		accessCase{method: "POST", path: "/admin/resources/:id/radius-clients/:cid/delete", allowed: accOwnerTo},

		// Tokens: everybody reads (owners those on their resources); the
		// helpdesk operates them; superadmins import, assign and delete.
		accessCase{method: "GET", path: "/admin/tokens", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/admin/tokens/import", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/tokens/:serial", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/admin/tokens/:serial/check", allowed: accStaff, body: "otp="},
		accessCase{method: "POST", path: "/admin/tokens/:serial/enable", allowed: accStaff},
		accessCase{method: "POST", path: "/admin/tokens/:serial/disable", allowed: accStaff},
		accessCase{method: "POST", path: "/admin/tokens/:serial/reset", allowed: accStaff},
		accessCase{method: "POST", path: "/admin/tokens/:serial/assign", allowed: accSuper, body: "resource_id=nope"},
		accessCase{method: "GET", path: "/admin/tokens/:serial/delete", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/tokens/:serial/delete", allowed: accSuper},

		// User Issues: everybody reads (owners their resources'); the
		// helpdesk verifies and deletes (owners only new-token requests,
		// when a superadmin allows it: the fixture's is a restore request).
		accessCase{method: "GET", path: "/admin/issues", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/admin/issues/:id", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/admin/issues/:id/verify", allowed: accStaff},
		accessCase{method: "GET", path: "/admin/issues/:id/delete", allowed: accStaff},
		accessCase{method: "POST", path: "/admin/issues/:id/verify", allowed: accStaff},
		accessCase{method: "POST", path: "/admin/issues/:id/delete", allowed: accStaff},

		// Admin accounts and API keys: superadmins only.
		accessCase{method: "GET", path: "/admin/admins", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/admins/new", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/admins", allowed: accSuper, body: "login="},
		accessCase{method: "GET", path: "/admin/admins/:id", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/admins/:id", allowed: accSuper, body: "role=root"},
		accessCase{method: "POST", path: "/admin/admins/:id/disable", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/admins/:id/enable", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/admins/:id/reset-totp", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/admins/:id/reset-totp", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/admins/:id/reset-password", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/admins/:id/reset-password", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/directories", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/directories/new", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/directories", allowed: accSuper, body: "name="},
		accessCase{method: "GET", path: "/admin/directories/:id", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/directories/:id", allowed: accSuper, body: "name="},
		accessCase{method: "POST", path: "/admin/directories/:id/test", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/directories/:id/sync", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/directories/:id/delete", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/directories/:id/delete", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/apikeys", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/apikeys/new", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/apikeys", allowed: accSuper, body: "name="},
		accessCase{method: "GET", path: "/admin/apikeys/:id/revoke", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/apikeys/:id/revoke", allowed: accSuper},

		// API: validate keys call /validate and nothing else, not even whoami.
		accessCase{method: "GET", path: "/api/v1/whoami", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/api/v1/users", allowed: accSuper},
		accessCase{method: "GET", path: "/api/v1/users", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/api/v1/users/:id", allowed: accAnyAdmin},
		accessCase{method: "PATCH", path: "/api/v1/users/:id", allowed: accStaff, body: `{"email":"not-an-address"}`},
		accessCase{method: "DELETE", path: "/api/v1/users/:id", allowed: accSuper},
		accessCase{method: "POST", path: "/api/v1/resources", allowed: accSuper},
		accessCase{method: "GET", path: "/api/v1/resources", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/api/v1/resources/:id", allowed: accAnyAdmin},
		accessCase{method: "PUT", path: "/api/v1/resources/:id/users/:user_id", allowed: accSuper},
		accessCase{method: "DELETE", path: "/api/v1/resources/:id/users/:user_id", allowed: accSuper},
		accessCase{method: "GET", path: "/api/v1/resources/:id/portal", allowed: accAnyAdmin},
		accessCase{method: "PUT", path: "/api/v1/resources/:id/portal", allowed: accOwnerTo},
		accessCase{method: "POST", path: "/api/v1/resources/:id/radius-clients", allowed: accOwnerTo, body: `{"name":""}`},
		accessCase{method: "GET", path: "/api/v1/resources/:id/radius-clients", allowed: accOwnerTo},
		accessCase{method: "DELETE", path: "/api/v1/radius-clients/:id", allowed: accOwnerTo},
		accessCase{method: "POST", path: "/api/v1/tokens/import", allowed: accSuper},
		accessCase{method: "GET", path: "/api/v1/tokens", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/api/v1/tokens/:serial", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/api/v1/tokens/:serial/enable", allowed: accStaff},
		accessCase{method: "POST", path: "/api/v1/tokens/:serial/disable", allowed: accStaff},
		accessCase{method: "POST", path: "/api/v1/tokens/:serial/reset", allowed: accStaff},
		accessCase{method: "POST", path: "/api/v1/tokens/:serial/check", allowed: accStaff},
		accessCase{method: "POST", path: "/api/v1/tokens/:serial/assign", allowed: accSuper, body: `{"resource_id":"nope"}`},
		accessCase{method: "GET", path: "/api/v1/issues", allowed: accAnyAdmin},
		accessCase{method: "GET", path: "/api/v1/issues/:id", allowed: accAnyAdmin},
		accessCase{method: "POST", path: "/api/v1/issues/:id/verify", allowed: accStaff},
		accessCase{method: "DELETE", path: "/api/v1/issues/:id", allowed: accStaff},
		accessCase{method: "POST", path: "/api/v1/directories", allowed: accSuper, body: `{"name":""}`},
		accessCase{method: "GET", path: "/api/v1/directories", allowed: accSuper},
		accessCase{method: "GET", path: "/api/v1/directories/:id", allowed: accSuper},
		accessCase{method: "PATCH", path: "/api/v1/directories/:id", allowed: accSuper, body: `{"name":""}`},
		accessCase{method: "DELETE", path: "/api/v1/directories/:id", allowed: accSuper},
		accessCase{method: "POST", path: "/api/v1/directories/:id/test", allowed: accSuper},
		accessCase{method: "POST", path: "/api/v1/directories/:id/sync", allowed: accSuper},
		accessCase{method: "POST", path: "/api/v1/validate", allowed: accValidators},
	)
}
