package views

// actionLabels are the names people see for the portal actions (SPEC §5),
// keyed by action id; the console and the portal share them.
var actionLabels = map[string]string{
	"register-token":          "Register new token",
	"register-existing-token": "Register existing token",
	"reassign-token":          "Re-assign token",
	"unassign-token":          "Unassign token",
	"sync-token":              "Synchronise token",
	"set-pin":                 "Set PIN",
	"remove-pin":              "Remove PIN",
	"create-password":         "Create password",
	"change-password":         "Change password",
	"change-email":            "Change email address",
	"change-phone":            "Change phone number",
	"change-login":            "Change login",
	"change-name":             "Change first and last name",
	"manage-environment":      "Manage environment",
}

// ActionLabel is the human name of a portal action; an unknown id is shown
// as it is.
func ActionLabel(id string) string {
	if l, ok := actionLabels[id]; ok {
		return l
	}
	return id
}
