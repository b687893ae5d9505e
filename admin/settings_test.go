package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/views"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
	"tokenportal/workflow/notify/smtptest"
)

// The settings live in the package database that every test shares; each
// settings test removes what it stored when it ends (the tests of this
// package do not run in parallel).
func cleanSettings(t *testing.T, env *apptest.Env) {
	t.Helper()
	t.Cleanup(func() {
		if _, err := env.App.Pool.Exec(context.Background(),
			`DELETE FROM settings WHERE key IN ('mail', 'sms') OR key LIKE 'template:%'`); err != nil {
			t.Error(err)
		}
	})
}

// queueMail queues a test message to to, as any change that mails does.
func queueMail(t *testing.T, env *apptest.Env, to string) {
	t.Helper()
	if err := env.Svc.Store.Enqueue(context.Background(), workflow.Message{Channel: workflow.ChannelEmail, To: to,
		Template: "test", Lang: "en"}); err != nil {
		t.Fatal(err)
	}
}

func storedMessaging(t *testing.T, env *apptest.Env) workflow.MessagingSettings {
	t.Helper()
	s, err := env.Svc.MessagingSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func templatePath(name, lang string) string { return views.TemplateHref(name, lang) }

func TestSettingsValidation(t *testing.T) {
	// Serial: it changes the mail settings, which every test shares.
	env := apptest.New(t, nil)
	cleanSettings(t, env)
	b := signIn(t, env, workflow.RoleSuperadmin)

	p := b.Get("/admin/settings")
	wantStatus(t, "settings", p, 200, "/admin/settings")
	for _, h := range []string{"Mail", "SMS gateway", "Notification recipients", "Mail templates"} {
		if !pageHas(p, "main h2", h) {
			t.Errorf("no section %q", h)
		}
	}
	if !pageHas(p, "#mail", "from the environment (MAIL_FROM)") {
		t.Errorf("the sender in use is not shown with its source: %s", p.Text("#mail dl"))
	}

	for _, tc := range []struct {
		name, path string
		form       []string
		field      string
	}{
		{"SMTP scheme", "/admin/settings/mail", []string{"smtp_url", "http://mail.example.com", "mail_from", "a@example.com"}, "smtp_url"},
		{"SMTP port", "/admin/settings/mail", []string{"smtp_url", "smtp://mail.example.com:smtp"}, "smtp_url"},
		{"starttls", "/admin/settings/mail", []string{"smtp_url", "smtp://mail.example.com?starttls=perhaps"}, "smtp_url"},
		{"sender", "/admin/settings/mail", []string{"smtp_url", "smtp://mail.example.com:25", "mail_from", "not an address"}, "mail_from"},
		{"sender two lines", "/admin/settings/mail", []string{"mail_from", "a@example.com\r\nBcc: x@example.com"}, "mail_from"},
		{"sms scheme", "/admin/settings/sms", []string{"sms_gateway_url", "ftp://sms.example.com"}, "sms_gateway_url"},
		{"subject does not parse", templatePath("code", "en"), []string{"subject", "Code {{.code", "body", "{{.code}}"}, "subject"},
		{"body does not parse", templatePath("code", "en"), []string{"subject", "Code", "body", "Your code: {{if .code}}"}, "body"},
		{"body fails to render", templatePath("code", "en"), []string{"subject", "Code", "body", "{{lost}}"}, "body"},
		{"preview of a broken body", templatePath("code", "en") + "/preview", []string{"subject", "Code", "body", "{{.code"}, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.Post(tc.path, apptest.Form(tc.form...))
			if p.Status != 422 || p.Text("#"+tc.field+"-error") == "" {
				t.Fatalf("%d, error %q: %s", p.Status, p.Text("#"+tc.field+"-error"), mainText(p))
			}
			typed := apptest.Form(tc.form...).Get(tc.field)
			if got := attrValue(p, "#"+tc.field); tc.field != "body" && got != strings.ReplaceAll(typed, "\r\n", "\n") {
				t.Errorf("the input was not kept: %q", got)
			}
			if p.Doc.Find("#preview").Length() != 0 {
				t.Error("a preview of a broken template")
			}
		})
	}
	if s := storedMessaging(t, env); s.SMTPURL != "" || s.MailFrom != "" || s.SMSGatewayURL != "" || len(s.Templates) != 0 {
		t.Fatalf("something was saved: %+v", s)
	}

	for _, path := range []string{templatePath("nope", "en"), templatePath("code", "fr")} {
		if p := b.Get(path); p.Status != 404 {
			t.Errorf("%s: %d", path, p.Status)
		}
	}

	// Without MAIL_FROM in the environment an SMTP server needs a sender.
	cfg := apptest.Config(t)
	cfg.MailFrom = ""
	bare := apptest.New(t, &cfg)
	b2 := signIn(t, bare, workflow.RoleSuperadmin)
	p = b2.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtp://mail.example.com:25"))
	if p.Status != 422 || !strings.Contains(p.Text("#mail_from-error"), "sender") {
		t.Fatalf("no sender: %d %q", p.Status, p.Text("#mail_from-error"))
	}
	p = b2.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtp://mail.example.com:25", "mail_from", "Portal <portal@example.com>"))
	wantStatus(t, "with a sender", p, 200, "/admin/settings")
}

func TestSettingsPasswordMasking(t *testing.T) {
	// Serial: it changes the mail settings, which every test shares.
	env := apptest.New(t, nil)
	cleanSettings(t, env)
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleSuperadmin)
	const secret = "S3cr3t-pw!"
	full := "smtp://mailer:S3cr3t-pw%21@mail.example.com:2525?starttls=required"

	p := b.Post("/admin/settings/mail", apptest.Form("smtp_url", full, "mail_from", "Portal <portal@example.com>"))
	wantStatus(t, "save", p, 200, "/admin/settings")
	if !strings.Contains(flashOf(p), "saved") {
		t.Errorf("flash %q", flashOf(p))
	}
	masked := "smtp://mailer:xxxxx@mail.example.com:2525?starttls=required"
	if got := attrValue(p, "#smtp_url"); got != masked {
		t.Errorf("the form shows %q, want %q", got, masked)
	}
	if !pageHas(p, "#mail dl", masked) || !pageHas(p, "#mail dl", "from the settings") {
		t.Errorf("in use: %q", p.Text("#mail dl"))
	}
	if strings.Contains(p.Body, "S3cr3t") {
		t.Fatal("the page shows the password")
	}
	var raw string
	if err := env.App.Pool.QueryRow(ctx, `SELECT value::text FROM settings WHERE key = 'mail'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "S3cr3t") || !strings.Contains(raw, "sealed_password") {
		t.Errorf("stored in clear: %s", raw)
	}
	if got := storedMessaging(t, env).SMTPURL; got != full {
		t.Fatalf("stored URL %q", got)
	}

	// Sending the masked URL back unchanged keeps the password.
	p = b.Post("/admin/settings/mail", apptest.Form("smtp_url", masked, "mail_from", "Other <other@example.com>"))
	wantStatus(t, "save masked", p, 200, "/admin/settings")
	s := storedMessaging(t, env)
	if s.SMTPURL != full || s.MailFrom != "Other <other@example.com>" {
		t.Fatalf("after the masked round trip: %+v", s)
	}
	if !strings.Contains(s.SMTPURL, strings.ReplaceAll(secret, "!", "%21")) {
		t.Fatalf("password lost: %q", s.SMTPURL)
	}
	// The mask pointed at another server does not take the password along.
	p = b.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtp://mailer:xxxxx@evil.example.net:2525", "mail_from", "a@example.com"))
	if p.Status != 422 || !strings.Contains(p.Text("#smtp_url-error"), "type it again") {
		t.Fatalf("mask on another server: %d %q", p.Status, p.Text("#smtp_url-error"))
	}
	if storedMessaging(t, env).SMTPURL != full {
		t.Fatal("the refused form changed the setting")
	}
	// A new password replaces the old one.
	p = b.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtps://mailer:n3w@mail.example.com", "mail_from", "a@example.com"))
	wantStatus(t, "new password", p, 200, "/admin/settings")
	if got := storedMessaging(t, env).SMTPURL; got != "smtps://mailer:n3w@mail.example.com" {
		t.Fatalf("stored %q", got)
	}

	// The SMS gateway's basic-auth password is masked the same way.
	p = b.Post("/admin/settings/sms", apptest.Form("sms_gateway_url", "https://gw:t0ps3cret@sms.example.com/send"))
	wantStatus(t, "sms", p, 200, "/admin/settings")
	if got := attrValue(p, "#sms_gateway_url"); got != "https://gw:xxxxx@sms.example.com/send" || strings.Contains(p.Body, "t0ps3cret") {
		t.Errorf("sms form shows %q", got)
	}
	p = b.Post("/admin/settings/sms", apptest.Form("sms_gateway_url", "https://gw:xxxxx@sms.example.com/send"))
	wantStatus(t, "sms masked", p, 200, "/admin/settings")
	if got := storedMessaging(t, env).SMSGatewayURL; got != "https://gw:t0ps3cret@sms.example.com/send" {
		t.Errorf("sms stored %q", got)
	}
	p = b.Post("/admin/settings/sms/clear", nil)
	wantStatus(t, "sms clear", p, 200, "/admin/settings")
	if storedMessaging(t, env).SMSGatewayURL != "" || !strings.Contains(flashOf(p), "SMS_GATEWAY_URL") {
		t.Errorf("sms not cleared: %q", flashOf(p))
	}

	// A password that no longer decrypts (SECRET_KEY lost) stops mail, and
	// the page says so instead of failing, so the setting can be replaced.
	if _, err := env.App.Pool.Exec(ctx, `UPDATE settings SET value = jsonb_set(value, '{smtp,key_id}', '"lost-key"') WHERE key = 'mail'`); err != nil {
		t.Fatal(err)
	}
	env.App.Notifier.Invalidate()
	if err := env.App.Notifier.Deliver(ctx, workflow.Message{To: "x@example.com", Template: "test"}); !errors.Is(err, notify.ErrSettings) {
		t.Errorf("delivery with an undecryptable password: %v", err)
	}
	p = b.Get("/admin/settings")
	if p.Status != 200 || !strings.Contains(p.Text(".notice.error"), "cannot be decrypted") || attrValue(p, "#smtp_url") != "smtps://mailer@mail.example.com" {
		t.Fatalf("undecryptable: %d %q %q", p.Status, p.Text(".notice.error"), attrValue(p, "#smtp_url"))
	}
	p = b.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtps://mailer:xxxxx@mail.example.com", "mail_from", "a@example.com"))
	if p.Status != 422 || p.Text("#smtp_url-error") == "" {
		t.Errorf("the mask cannot keep a lost password: %d", p.Status)
	}
	p = b.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtps://mailer:an0ther@mail.example.com", "mail_from", "a@example.com"))
	wantStatus(t, "replace the undecryptable password", p, 200, "/admin/settings")
	if got := storedMessaging(t, env).SMTPURL; got != "smtps://mailer:an0ther@mail.example.com" {
		t.Errorf("stored %q", got)
	}

	// Every change is an activity naming the key, never a secret.
	a := adminOf(t, env, b)
	rows, err := env.App.Pool.Query(ctx, `SELECT details::text FROM activities WHERE event = 'SettingsChanged' AND actor_id = $1`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		details = append(details, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(details) != 7 {
		t.Errorf("%d SettingsChanged activities, want 7: %q", len(details), details)
	}
	for _, d := range details {
		if strings.Contains(d, "S3cr3t") || strings.Contains(d, "n3w") || strings.Contains(d, "t0ps3cret") || strings.Contains(d, "an0ther") || !strings.Contains(d, `"key"`) {
			t.Errorf("activity details %s", d)
		}
	}
}

// TestSettingsTakeEffectOnNextMail changes the mail server and a template
// in the console while the queue runs: the next queued mail follows, on
// this instance at once and on another within its cache time.
func TestSettingsTakeEffectOnNextMail(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	a, bSrv := smtptest.Start(t), smtptest.Start(t)
	cfg := apptest.Config(t)
	cfg.SMTPURL = a.URL()
	env := apptest.New(t, &cfg)
	cleanSettings(t, env)
	other := apptest.New(t, &cfg) // a second instance on the same database
	env.StartQueue(t)
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t)
	to := func(n int) string { return fmt.Sprintf("next-%s-%d@example.com", tag, n) }

	queueMail(t, env, to(1))
	m := a.WaitFor(t, smtptest.To(to(1)), 15*time.Second)
	if m.Subject != "Test message from tokenportal" {
		t.Errorf("subject %q", m.Subject)
	}
	// The other instance has read (and cached) the settings: none yet.
	if err := other.App.Notifier.Deliver(context.Background(), workflow.Message{To: to(100), Template: "test"}); err != nil {
		t.Fatal(err)
	}
	a.WaitFor(t, smtptest.To(to(100)), 5*time.Second)

	p := b.Post("/admin/settings/mail", apptest.Form("smtp_url", bSrv.URL(), "mail_from", "Changed <changed@example.com>"))
	wantStatus(t, "switch to B", p, 200, "/admin/settings")
	queueMail(t, env, to(2))
	m = bSrv.WaitFor(t, smtptest.To(to(2)), 15*time.Second)
	if m.From != "changed@example.com" {
		t.Errorf("MAIL FROM %q", m.From)
	}
	for _, m := range a.Messages() {
		if smtptest.To(to(2))(m) {
			t.Fatal("the mail after the change went to A as well")
		}
	}

	// The other instance follows without a restart once its cache expires.
	i := 100
	apptest.Eventually(t, 15*time.Second, "the other instance still sends to A", func() bool {
		i++
		if err := other.App.Notifier.Deliver(context.Background(), workflow.Message{To: to(i), Template: "test"}); err != nil {
			t.Fatal(err)
		}
		got := bSrv.Messages()
		return len(got) > 1 && smtptest.To(to(i))(got[len(got)-1])
	})

	// A template override changes the next mail; reset restores it.
	p = b.Post(templatePath("test", "en"), apptest.Form("subject", "Custom {{.missing}}subject", "body", "Custom body for the next mail."))
	wantStatus(t, "override", p, 200, templatePath("test", "en"))
	if !strings.Contains(flashOf(p), "saved") || !pageHas(p, ".page-head", "overridden") {
		t.Errorf("after saving: %q / %q", flashOf(p), p.Text(".page-head"))
	}
	if attrValue(p, "#subject") != "Custom {{.missing}}subject" {
		t.Errorf("the form shows %q", attrValue(p, "#subject"))
	}
	queueMail(t, env, to(3))
	m = bSrv.WaitFor(t, smtptest.To(to(3)), 15*time.Second)
	if m.Subject != "Custom subject" || strings.TrimSpace(m.Body) != "Custom body for the next mail." {
		t.Errorf("overridden mail: %q %q", m.Subject, m.Body)
	}
	p = b.Get("/admin/settings")
	if !pageHas(p, "#templates", "Overridden") {
		t.Errorf("the list does not show the override: %s", p.Text("#templates"))
	}

	p = b.Post(templatePath("test", "en")+"/reset", nil)
	wantStatus(t, "reset", p, 200, templatePath("test", "en"))
	if attrValue(p, "#subject") != "Test message from tokenportal" || p.Doc.Find(`form[action$="/reset"]`).Length() != 0 {
		t.Errorf("after reset the form shows %q", attrValue(p, "#subject"))
	}
	queueMail(t, env, to(4))
	m = bSrv.WaitFor(t, smtptest.To(to(4)), 15*time.Second)
	if m.Subject != "Test message from tokenportal" {
		t.Errorf("after reset: %q", m.Subject)
	}

	// Clearing returns to the environment's server.
	p = b.Post("/admin/settings/mail/clear", nil)
	wantStatus(t, "clear", p, 200, "/admin/settings")
	if attrValue(p, "#smtp_url") != "" || !pageHas(p, "#mail dl", "from the environment (SMTP_URL)") {
		t.Errorf("after clear: %q %q", attrValue(p, "#smtp_url"), p.Text("#mail dl"))
	}
	queueMail(t, env, to(5))
	a.WaitFor(t, smtptest.To(to(5)), 15*time.Second)
}

func TestSettingsPreviewAndTestSend(t *testing.T) {
	// Serial: it changes the mail settings, which every test shares.
	srv := smtptest.Start(t)
	cfg := apptest.Config(t)
	cfg.SMTPURL = srv.URL()
	env := apptest.New(t, &cfg)
	cleanSettings(t, env)
	b := signIn(t, env, workflow.RoleSuperadmin)
	tag := apiTag(t)

	p := b.Get(templatePath("code", "de"))
	wantStatus(t, "template", p, 200, templatePath("code", "de"))
	if attrValue(p, "#subject") != "Ihr Bestätigungscode" || !strings.Contains(p.Text("#body"), "{{.code}}") {
		t.Fatalf("not prefilled with the built-in text: %q %q", attrValue(p, "#subject"), p.Text("#body"))
	}
	if !pageHas(p, "main", "{{.code}}") || !pageHas(p, "main", "purpose") {
		t.Errorf("the data and functions are not listed")
	}

	p = b.Post(templatePath("code", "de")+"/preview", apptest.Form("subject", "Ihr Code {{.code}}", "body", "Code: {{.code}}, gültig {{.minutes}} Minuten {{purpose .purpose}}."))
	wantStatus(t, "preview", p, 200, templatePath("code", "de")+"/preview")
	if got := p.Text("#preview-subject"); got != "Ihr Code 481516" {
		t.Errorf("preview subject %q", got)
	}
	if got := p.Text("#preview-body"); got != "Code: 481516, gültig 10 Minuten zur Anmeldung." {
		t.Errorf("preview body %q", got)
	}
	if attrValue(p, "#subject") != "Ihr Code {{.code}}" {
		t.Error("the previewed text was not kept in the form")
	}
	if len(storedMessaging(t, env).Templates) != 0 {
		t.Fatal("preview saved the template")
	}

	// Test send: the saved template with example data, now.
	me := fmt.Sprintf("me-%s@example.com", tag)
	p = b.Post(templatePath("code", "de")+"/test", apptest.Form("to", me))
	wantStatus(t, "test send", p, 200, "")
	if !strings.Contains(p.Text("#template-test-result.success"), "Sent to "+me) {
		t.Fatalf("result %q", p.Text("#template-test-result"))
	}
	m := srv.WaitFor(t, smtptest.To(me), 5*time.Second)
	if m.Subject != "Ihr Bestätigungscode" || !strings.Contains(m.Body, "481516") {
		t.Errorf("test mail %q %q", m.Subject, m.Body)
	}
	p = b.Post(templatePath("code", "de")+"/test", apptest.Form("to", "nobody"))
	if p.Status != 422 || p.Text("#template-test-to-error") == "" {
		t.Errorf("bad recipient: %d", p.Status)
	}

	// The mail section's test goes out through the settings in use; with the
	// server down the page says why, in the SMTP client's words.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	_ = ln.Close()
	p = b.Post("/admin/settings/mail", apptest.Form("smtp_url", "smtp://user:pa55word@"+down))
	wantStatus(t, "point at a dead server", p, 200, "/admin/settings")
	p = b.Post("/admin/settings/mail/test", apptest.Form("to", me))
	wantStatus(t, "test send to a dead server", p, 200, "")
	result := p.Text("#mail-test-result")
	if p.Doc.Find("#mail-test-result.error[role=alert]").Length() != 1 || !strings.Contains(result, "Sending failed") || !strings.Contains(result, down) {
		t.Fatalf("failure shown as %q", result)
	}
	if strings.Contains(p.Body, "pa55word") {
		t.Error("the page shows the password")
	}
	p = b.Post("/admin/settings/mail/clear", nil)
	wantStatus(t, "clear", p, 200, "/admin/settings")
	p = b.Post("/admin/settings/mail/test", apptest.Form("to", me))
	if !strings.Contains(p.Text("#mail-test-result.success"), "Sent") {
		t.Fatalf("after clear: %q", p.Text("#mail-test-result"))
	}
	srv.WaitFor(t, smtptest.ToWith(me, "Test message"), 5*time.Second)
}

func TestSettingsRecipients(t *testing.T) {
	// Serial: it changes the mail settings, which every test shares.
	env := apptest.New(t, nil)
	ctx := context.Background()
	b := signIn(t, env, workflow.RoleSuperadmin)
	me := adminOf(t, env, b)
	tag := apiTag(t)
	r1, r2 := newResource(t, env, tag+" Mail VPN"), newResource(t, env, tag+" Mail Citrix")
	all := newAdmin(t, env, "rcpt-all-"+tag, workflow.RoleHelpdesk)
	none := newAdmin(t, env, "rcpt-none-"+tag, workflow.RoleHelpdesk)
	owner, err := env.Svc.CreateAdmin(ctx, workflow.NewAdmin{Login: "rcpt-owner-" + tag, Role: workflow.RoleOwner, Password: adminPassword,
		Resources: []int64{r1.ID}}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	owner, _ = env.Svc.Store.AdminByID(ctx, owner.ID)
	if err := env.Svc.SetIssueSubscription(ctx, all, "all-"+tag+"@example.com", true, nil, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Svc.SetIssueSubscription(ctx, owner, "owner-"+tag+"@example.com", false, []int64{r1.ID}, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}

	p := b.Get("/admin/settings")
	row := func(login string) string {
		return strings.Join(strings.Fields(p.Doc.Find("#recipients tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Find("th").Text(), login)
		}).Text()), " ")
	}
	if got := row(all.Login); !strings.Contains(got, "All resources") || !strings.Contains(got, "all-"+tag+"@example.com") {
		t.Errorf("all: %q", got)
	}
	if got := row(owner.Login); !strings.Contains(got, "Chosen resources: "+r1.Name) {
		t.Errorf("owner: %q", got)
	}
	if got := row(none.Login); !strings.Contains(got, "None") {
		t.Errorf("none: %q", got)
	}
	if href, _ := p.Doc.Find(`#recipients a[href="/admin/notifications"]`).Attr("href"); href == "" {
		t.Error("no link to the signed-in admin's own Notifications page")
	}

	// A superadmin changes another admin's subscription.
	path := views.RecipientHref(none.ID)
	p = b.Get(path)
	wantStatus(t, "recipient form", p, 200, path)
	p = b.Post(path, apptest.Form("email", "none-"+tag+"@example.com", "subscribe", "some", "resource_id", fmt.Sprint(r2.ID)))
	wantStatus(t, "save recipient", p, 200, "/admin/settings")
	if got, resources, _ := env.Svc.Store.Subscriptions(ctx, none.ID); got || len(resources) != 1 || resources[0] != r2.ID {
		t.Errorf("subscription %v %v", got, resources)
	}
	var actor int64
	var target string
	if err := env.App.Pool.QueryRow(ctx, `SELECT actor_id, details->>'admin_id' FROM activities
		WHERE event = 'NotificationsChanged' ORDER BY id DESC LIMIT 1`).Scan(&actor, &target); err != nil {
		t.Fatal(err)
	}
	if actor != me.ID || target != fmt.Sprint(none.ID) {
		t.Errorf("activity by %d for %s", actor, target)
	}
	// An owner can only be mailed about resources they own.
	p = b.Post(views.RecipientHref(owner.ID), apptest.Form("email", "o@example.com", "subscribe", "some", "resource_id", fmt.Sprint(r2.ID)))
	if p.Status != 422 || p.Text("#resource_id-error") == "" {
		t.Errorf("owner with a foreign resource: %d", p.Status)
	}
	p = b.Post(views.RecipientHref(owner.ID), apptest.Form("email", "", "subscribe", "all"))
	if p.Status != 422 || p.Text("#email-error") == "" {
		t.Errorf("subscription without an address: %d", p.Status)
	}
	// One's own subscription is on the Notifications page.
	if p := b.Get(views.RecipientHref(me.ID)); p.URL.Path != "/admin/notifications" {
		t.Errorf("own subscription at %s", p.URL.Path)
	}
	if p := b.Get(views.RecipientHref(999999999)); p.Status != 404 {
		t.Errorf("unknown admin: %d", p.Status)
	}
}
