package admin_test

// The access cases of the Settings area: superadmins only (SPEC §2). The
// dashboard (GET /admin/, every role) is in access_cases_test.go. Bodies
// fail validation, so the walk changes no setting; the template routes get
// the fixture's "1" for :name and :lang, an unknown template (404 for a
// superadmin, 403 for the others).

func init() {
	accessCases = append(accessCases,
		accessCase{method: "GET", path: "/admin/settings", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/settings/mail", allowed: accSuper, body: "smtp_url=http%3A%2F%2Fnot-smtp"},
		accessCase{method: "POST", path: "/admin/settings/mail/clear", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/settings/mail/test", allowed: accSuper, body: "to=not-an-address"},
		accessCase{method: "POST", path: "/admin/settings/sms", allowed: accSuper, body: "sms_gateway_url=ftp%3A%2F%2Fnot-http"},
		accessCase{method: "POST", path: "/admin/settings/issue-handling", allowed: accSuper}, // leaves owners off, as by default
		accessCase{method: "POST", path: "/admin/settings/sms/clear", allowed: accSuper},
		accessCase{method: "GET", path: "/admin/settings/recipients/:admin", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/settings/recipients/:admin", allowed: accSuper, body: "subscribe=bogus"},
		accessCase{method: "GET", path: "/admin/settings/templates/:name/:lang", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/settings/templates/:name/:lang", allowed: accSuper, body: "subject=%7B%7B"},
		accessCase{method: "POST", path: "/admin/settings/templates/:name/:lang/preview", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/settings/templates/:name/:lang/reset", allowed: accSuper},
		accessCase{method: "POST", path: "/admin/settings/templates/:name/:lang/test", allowed: accSuper, body: "to="},
	)
}
