package notify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// sampleData has every Data key any template uses.
var sampleData = map[string]string{
	"code": "12345678", "minutes": "10", "purpose": notify.PurposeConfirmEmail,
	"login": "jdoe", "name": "Jane Doe", "resource": "Demo VPN",
	"new_email": "jane@example.org", "serial": "TOTP0001A2B3", "type": "totp",
	"ip": "203.0.113.7", "browser": "Firefox 140 on Linux", "time": "2026-03-01 09:15 UTC",
	"lost": "token,password,email", "url": "https://portal.example.com/admin/issues/42",
	"outcome": notify.OutcomeVerified, "phone": "••••5678",
	"how": workflow.EnrolReassigned, "replaces": "TOTP-3JD8W2PA", "replaced": "TOTP-3JD8W2PA", "pending": "yes",
}

// uses lists which Data keys each template must show.
var uses = map[string][]string{
	notify.TemplateCode:             {"code", "minutes"},
	notify.TemplateTest:             {},
	notify.TemplateEmailChanged:     {"login", "new_email", "resource"},
	notify.TemplatePasswordChanged:  {"login", "resource"},
	notify.TemplateTokenRegistered:  {"login", "serial", "resource"},
	notify.TemplateTokenRemoved:     {"login", "serial", "resource"},
	notify.TemplateNewEnvironment:   {"login", "resource", "ip", "browser", "time"},
	notify.TemplateIssueCreated:     {"login", "name", "resource", "url"},
	notify.TemplateIssueOutcome:     {"login", "resource", "new_email"},
	notify.TemplateIssueFiled:       {"login", "resource", "new_email", "ip", "browser", "time", "url"},
	notify.TemplatePhoneChanged:     {"login", "resource", "phone"},
	notify.TemplateEnrolmentCreated: {"login", "name", "resource", "serial", "replaces", "url"},
	notify.TemplateEnrolmentOutcome: {"login", "resource", "serial", "replaced"},
}

func TestTemplatesRender(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true})
	names := notify.Templates()
	if want := slices.Sorted(func(yield func(string) bool) {
		for k := range uses {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(names, want) {
		t.Fatalf("Templates() = %v, want %v", names, want)
	}
	for _, name := range names {
		for _, lang := range notify.Languages {
			for _, data := range []map[string]string{sampleData, nil} {
				for _, channel := range []string{workflow.ChannelEmail, workflow.ChannelSMS} {
					t.Run(fmt.Sprintf("%s/%s/%s/data=%v", name, lang, channel, data != nil), func(t *testing.T) {
						m := workflow.Message{Channel: channel, To: "x@example.com", Template: name, Lang: lang, Data: data}
						subject, body, err := n.Render(context.Background(), m)
						if err != nil {
							t.Fatal(err)
						}
						if strings.TrimSpace(subject) == "" || strings.TrimSpace(body) == "" {
							t.Fatalf("empty subject %q or body %q", subject, body)
						}
						bads := []string{"<no value>", "{{", "}}", "()"}
						if data != nil {
							bads = append(bads, " ,", " .")
						}
						for _, bad := range bads {
							if strings.Contains(subject+"\n"+body, bad) {
								t.Errorf("contains %q:\n%s\n\n%s", bad, subject, body)
							}
						}
						if strings.Contains(subject, "\n") {
							t.Errorf("subject has a line break: %q", subject)
						}
						if !utf8.ValidString(subject + body) {
							t.Error("not UTF-8")
						}
						if channel == workflow.ChannelSMS {
							if strings.Contains(body, "\n") {
								t.Errorf("SMS has a line break: %q", body)
							}
							if name == notify.TemplateCode || name == notify.TemplateTest {
								if l := utf8.RuneCountInString(body); l > 160 {
									t.Errorf("SMS is %d characters: %q", l, body)
								}
							}
						}
						if data == nil || channel == workflow.ChannelSMS {
							return
						}
						for _, k := range uses[name] {
							if !strings.Contains(subject+body, data[k]) {
								t.Errorf("%s (%q) is not shown:\n%s\n\n%s", k, data[k], subject, body)
							}
						}
					})
				}
			}
		}
	}
}

func TestTemplateTranslations(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true})
	tests := []struct {
		name  string
		m     workflow.Message
		wants []string
	}{
		{"code en", workflow.Message{Template: "code", Lang: "en", Data: map[string]string{"code": "123456", "minutes": "10", "purpose": "sign in"}},
			[]string{"Your verification code", "to sign in", "123456", "expires in 10 minutes", "did not ask"}},
		{"code de-AT falls to de", workflow.Message{Template: "code", Lang: "de-AT", Data: map[string]string{"code": "123456", "purpose": notify.PurposeRestoreAccess}},
			[]string{"Ihr Bestätigungscode", "zur Wiederherstellung Ihres Zugangs"}},
		{"code unknown lang falls to en", workflow.Message{Template: "code", Lang: "fr", Data: map[string]string{"code": "123456", "purpose": notify.PurposeConfirmToken}},
			[]string{"to confirm your token"}},
		{"code unknown purpose shown", workflow.Message{Template: "code", Lang: "nl", Data: map[string]string{"code": "1", "purpose": "PIN instellen"}},
			[]string{"(PIN instellen)"}},
		{"token type", workflow.Message{Template: "token_registered", Lang: "de", Data: map[string]string{"type": "sms"}},
			[]string{"Code per SMS"}},
		{"issue created lost", workflow.Message{Template: "issue_created", Lang: "nl", Data: map[string]string{"lost": "lost_token, forgot_password"}},
			[]string{"Kwijt:    token, wachtwoord"}},
		{"issue outcome verified", workflow.Message{Template: "issue_outcome", Lang: "en", Data: map[string]string{"lost": "token", "resource": "VPN"}},
			[]string{"Your access has been restored", "Your tokens for VPN have been disabled"}},
		{"issue outcome other", workflow.Message{Template: "issue_outcome", Lang: "de", Data: map[string]string{"lost": "password", "outcome": "abgelehnt"}},
			[]string{"bearbeitet: abgelehnt"}},
		{"issue outcome deleted", workflow.Message{Template: "issue_outcome", Lang: "de", Data: map[string]string{"lost": "email", "outcome": notify.OutcomeDeleted, "resource": "VPN"}},
			[]string{"Ihre Anfrage zur Wiederherstellung des Zugangs wurde abgelehnt", "in Ihrem Namen gestellte Anfrage", "zu VPN abgelehnt. Es wurde nichts geändert."}},
		{"issue outcome at the old address", workflow.Message{Template: "issue_outcome", Lang: "en", Data: map[string]string{"lost": "email", "new_email": "x@example.org"}},
			[]string{"Your email address was changed to x@example.org; this is the last message sent to this address."}},
		{"issue outcome at the new address", workflow.Message{Template: "issue_outcome", Lang: "nl", Data: map[string]string{"lost": "email", "new_email": "x@example.org", "to_new": "yes"}},
			[]string{"Uw nieuwe e-mailadres is nu vastgelegd"}},
		{"issue outcome SMS deleted", workflow.Message{Channel: workflow.ChannelSMS, Template: "issue_outcome", Lang: "en", Data: map[string]string{"outcome": notify.OutcomeDeleted, "resource": "VPN"}},
			[]string{"The request to restore access to VPN filed in your name was declined. Not you? Call your helpdesk."}},
		{"issue filed", workflow.Message{Template: "issue_filed", Lang: "nl", Data: map[string]string{"lost": "token,email", "new_email": "x@example.org", "resource": "VPN"}},
			[]string{"Iemand wil de toegang tot uw account herstellen", "- uw tokens voor VPN uit te schakelen", "- uw e-mailadres te wijzigen in x@example.org", "Log dan gewoon in"}},
		{"issue filed SMS", workflow.Message{Channel: workflow.ChannelSMS, Template: "issue_filed", Lang: "de", Data: map[string]string{"login": "jdoe", "resource": "VPN"}},
			[]string{"VPN: Jemand möchte den Zugang zu Ihrem Konto jdoe wiederherstellen. Nicht Sie?"}},
		{"phone removed", workflow.Message{Template: "phone_changed", Lang: "en", Data: map[string]string{"phone": ""}},
			[]string{"Your phone number was changed", "was removed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, body, err := n.Render(context.Background(), tt.m)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(subject+"\n"+body, w) {
					t.Errorf("lacks %q:\n%s\n\n%s", w, subject, body)
				}
			}
		})
	}
}

func TestSMSFallsBackToSubject(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true})
	m := workflow.Message{Channel: workflow.ChannelSMS, Template: notify.TemplatePasswordChanged, Lang: "nl"}
	subject, body, err := n.Render(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if body != subject || body != "Uw wachtwoord is gewijzigd" {
		t.Errorf("subject %q, SMS %q", subject, body)
	}
}

func TestRenderUnknown(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true})
	for _, m := range []workflow.Message{
		{Template: "nope", Lang: "en"},
		{Channel: "fax", Template: "code", Lang: "en"},
	} {
		if _, _, err := n.Render(context.Background(), m); !notify.IsPermanent(err) {
			t.Errorf("%+v: want a permanent error, got %v", m, err)
		}
		m.To = "x@example.com"
		if err := n.Deliver(context.Background(), m); !notify.IsPermanent(err) {
			t.Errorf("Deliver %+v: want a permanent error, got %v", m, err)
		}
	}
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true})
	var asked []string
	n.SetOverrides(func(_ context.Context, template, lang string) (string, string, bool) {
		asked = append(asked, template+"/"+lang)
		switch template + "/" + lang {
		case "code/de":
			return "Code für {{.login}}", "Ihr Code: {{.code}} {{purpose .purpose}}{{.missing}}", true
		case "test/de":
			return "", "Nur der Text ist eigen.", true
		case "password_changed/de":
			return "{{.broken", "", true
		}
		return "", "", false
	})
	ctx := context.Background()
	data := map[string]string{"code": "777", "login": "jdoe", "purpose": notify.PurposeSignIn}

	subject, body, err := n.Render(ctx, workflow.Message{Template: "code", Lang: "de-DE", Data: data})
	if err != nil || subject != "Code für jdoe" || body != "Ihr Code: 777 zur Anmeldung\n" {
		t.Errorf("override: %q %q %v", subject, body, err)
	}
	subject, body, err = n.Render(ctx, workflow.Message{Template: "test", Lang: "de"})
	if err != nil || subject != "Testnachricht von tokenportal" || body != "Nur der Text ist eigen.\n" {
		t.Errorf("empty subject keeps the built-in one: %q %q %v", subject, body, err)
	}
	subject, _, err = n.Render(ctx, workflow.Message{Template: "password_changed", Lang: "de"})
	if err != nil || subject != "Ihr Passwort wurde geändert" {
		t.Errorf("a broken override falls back: %q %v", subject, err)
	}
	subject, _, err = n.Render(ctx, workflow.Message{Template: "code", Lang: "en", Data: data})
	if err != nil || subject != "Your verification code" {
		t.Errorf("no override: %q %v", subject, err)
	}
	// SMS forms are not overridden.
	_, sms, err := n.Render(ctx, workflow.Message{Channel: workflow.ChannelSMS, Template: "code", Lang: "de", Data: data})
	if err != nil || !strings.HasPrefix(sms, "Ihr Bestätigungscode: 777") {
		t.Errorf("sms: %q %v", sms, err)
	}
	if !slices.Contains(asked, "code/de") {
		t.Errorf("overrides asked for %v", asked)
	}

	if err := notify.CheckTemplate("{{.code"); err == nil {
		t.Error("CheckTemplate accepted a broken template")
	}
	if err := notify.CheckTemplate("{{.code}} {{purpose .purpose}} {{lost .lost}}"); err != nil {
		t.Error(err)
	}
	if s, b, ok := notify.TemplateSource("code", "nl"); !ok || s != "Uw verificatiecode" || !strings.Contains(b, "{{.code}}") {
		t.Errorf("TemplateSource: %q %q %v", s, b, ok)
	}
}

func TestCapture(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true, SMTPURL: "smtp://127.0.0.1:1"})
	ctx := context.Background()
	for i := range 3 {
		m := codeMail(fmt.Sprintf("user%d@example.com", i), "en")
		m.Data = map[string]string{"code": fmt.Sprint(100000 + i)}
		if err := n.Deliver(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	sms := codeMail("+49 170 1234567", "de")
	sms.Channel = workflow.ChannelSMS
	if err := n.Deliver(ctx, sms); err != nil {
		t.Fatal(err)
	}
	got := n.Captured()
	if len(got) != 4 {
		t.Fatalf("captured %d", len(got))
	}
	if got[0].Channel != workflow.ChannelSMS || got[0].To != "+491701234567" || !strings.Contains(got[0].Body, "481516") {
		t.Errorf("newest: %+v", got[0])
	}
	for i, s := range got[1:] {
		if want := fmt.Sprintf("user%d@example.com", 2-i); s.To != want || !strings.Contains(s.Body, fmt.Sprint(100002-i)) || s.Subject != "Your verification code" {
			t.Errorf("captured[%d] = %+v, want To %s", i+1, s, want)
		}
		if s.At.IsZero() || s.Template != "code" || s.Lang != "en" {
			t.Errorf("captured[%d] = %+v", i+1, s)
		}
	}
	if err := n.Deliver(ctx, codeMail("not an address", "en")); !notify.IsPermanent(err) {
		t.Errorf("capture must still refuse bad addresses: %v", err)
	}

	for i := range 205 {
		if err := n.Deliver(ctx, codeMail(fmt.Sprintf("bulk%d@example.com", i), "en")); err != nil {
			t.Fatal(err)
		}
	}
	got = n.Captured()
	if len(got) != 200 || got[0].To != "bulk204@example.com" || got[199].To != "bulk5@example.com" {
		t.Errorf("kept %d, newest %s, oldest %s", len(got), got[0].To, got[len(got)-1].To)
	}
}
