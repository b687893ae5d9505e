package views

import (
	"context"

	"tokenportal/views/i18n"
)

// actionLabels are the message ids of the names people see for the portal
// actions (SPEC §5), keyed by action id; the console and the portal share
// them.
var actionLabels = map[string]string{
	"register-token":          "portal.action.register_token",
	"register-existing-token": "portal.action.register_existing_token",
	"reassign-token":          "portal.action.reassign_token",
	"unassign-token":          "portal.action.unassign_token",
	"sync-token":              "portal.action.sync_token",
	"set-pin":                 "portal.action.set_pin",
	"remove-pin":              "portal.action.remove_pin",
	"create-password":         "portal.action.create_password",
	"change-password":         "portal.action.change_password",
	"change-email":            "portal.action.change_email",
	"change-phone":            "portal.action.change_phone",
	"change-login":            "portal.action.change_login",
	"change-name":             "portal.action.change_name",
	"manage-environment":      "portal.action.manage_environment",
}

// ActionLabel is the human name of a portal action in the language of ctx;
// an unknown id is shown as it is.
func ActionLabel(ctx context.Context, id string) string {
	if m, ok := actionLabels[id]; ok {
		return i18n.T(ctx, m)
	}
	return id
}
