package notify

import (
	"maps"
	"slices"

	"tokenportal/workflow"
)

// samples are example Data of each template, for previews and test
// messages from the settings page: every key the template uses.
var samples = map[string]map[string]string{
	TemplateCode: {"code": "481516", "minutes": "10", "purpose": PurposeSignIn},
	TemplateTest: {},
	TemplateEmailChanged: {
		"login": "jdoe", "new_email": "jane.doe@example.org", "resource": "Demo VPN",
	},
	TemplatePasswordChanged: {"login": "jdoe", "resource": "Demo VPN"},
	TemplateTokenRegistered: {"login": "jdoe", "serial": "TOTP0001A2B3", "type": "totp", "resource": "Demo VPN", "pending": "", "replaces": ""},
	TemplateTokenRemoved:    {"login": "jdoe", "serial": "TOTP0001A2B3", "resource": "Demo VPN"},
	TemplateNewEnvironment: {
		"login": "jdoe", "resource": "Demo VPN", "ip": "203.0.113.7", "browser": "Firefox on Linux",
		"time": "2026-03-01 09:15 UTC",
	},
	TemplateIssueCreated: {
		"login": "jdoe", "name": "Jane Doe", "resource": "Demo VPN", "lost": LostToken + "," + LostPassword,
		"url": "https://portal.example.com/admin/issues/42",
	},
	TemplateIssueOutcome: {
		"login": "jdoe", "resource": "Demo VPN", "lost": LostToken + "," + LostEmail, "outcome": OutcomeVerified,
		"new_email": "jane.doe@example.org", "to_new": "",
	},
	TemplateIssueFiled: {
		"login": "jdoe", "resource": "Demo VPN", "lost": LostToken + "," + LostPassword + "," + LostEmail,
		"new_email": "jane.doe@example.org", "ip": "203.0.113.7", "browser": "Firefox on Linux",
		"time": "2026-03-01 09:15 UTC", "url": "https://portal.example.com/selfservice/demo/login",
	},
	TemplatePhoneChanged: {"login": "jdoe", "phone": "••••5678", "resource": "Demo VPN"},
	TemplateEnrolmentCreated: {
		"login": "jdoe", "name": "Jane Doe", "resource": "Demo VPN", "serial": "TOTP-7KQ2M9XH", "type": "totp",
		"how": workflow.EnrolReassigned, "replaces": "TOTP-3JD8W2PA", "url": "https://portal.example.com/admin/issues/43",
	},
	TemplateEnrolmentOutcome: {
		"login": "jdoe", "resource": "Demo VPN", "serial": "TOTP-7KQ2M9XH", "type": "totp", "outcome": OutcomeVerified,
		"how": workflow.EnrolReassigned, "replaced": "TOTP-3JD8W2PA",
	},
}

// SampleData returns example Data for a template (a copy; empty for an
// unknown one).
func SampleData(template string) map[string]string { return maps.Clone(samples[template]) }

// TemplateFields lists, sorted, the Data keys a template can use (its texts
// refer to them as {{.key}}).
func TemplateFields(template string) []string { return slices.Sorted(maps.Keys(samples[template])) }

// TemplateFuncs lists the functions the template texts may call.
func TemplateFuncs() []string { return slices.Sorted(maps.Keys(funcs(Languages[0]))) }
