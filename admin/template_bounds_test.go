package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

// newMailEnv starts the application with its mail going to a test SMTP
// server, and its queue worker when queue is set.
func newMailEnv(t *testing.T, queue bool) (*apptest.Env, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	cfg := apptest.Config(t)
	cfg.SMTPURL = srv.URL()
	env := apptest.New(t, &cfg)
	if queue {
		env.StartQueue(t)
	}
	return env, srv
}

// templateBombs are short template texts that would render megabytes (or
// run for minutes) if the rendering were not bounded (issue #11, item 12),
// with what the settings page says about each.
var templateBombs = []struct{ name, body, says string }{
	{"range over a number", `{{range 99999999}}{{$.login}} owes you{{end}}`, "{{range}} loops are not allowed"},
	{"printf width", `{{printf "%0999999d" 0}}{{printf "%0999999d" 0}}`, "printf is not allowed"},
	{"recursive template", `{{define "a"}}xx{{template "a"}}{{end}}{{template "a"}}`, "{{define}} and {{block}} are not allowed"},
	{"doubling variable", `{{$x := "0123456789"}}` + strings.Repeat(`{{$x = print $x $x}}`, 24) + `{{$x}}`, "more than 64 KiB"},
	{"growing escapes", `{{$x := "&"}}` + strings.Repeat(`{{$x = html $x $x}}`, 16) + `{{$x}}`, "more than 64 KiB"},
}

// TestTemplateRenderingIsBounded saves each bomb as a mail template through
// the settings page: it is refused with a clear message and nothing is
// stored. One stored anyway (as before the bound) is not used: the mail
// goes out, over SMTP, with the built-in text, at once.
func TestTemplateRenderingIsBounded(t *testing.T) {
	// Serial: it changes the mail settings, which every test shares.
	env, srv := newMailEnv(t, false)
	cleanSettings(t, env)
	b := signIn(t, env, workflow.RoleSuperadmin)
	path := templatePath("issue_outcome", "en")
	for _, tc := range templateBombs {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.body) > 2000 {
				t.Fatalf("the bomb is %d characters; it should be short", len(tc.body))
			}
			for _, action := range []string{"", "/preview"} {
				start := time.Now()
				p := b.Post(path+action, apptest.Form("subject", "Outcome", "body", tc.body))
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s took %s", action, d)
				}
				msg := p.Text("#body-error")
				if p.Status != 422 || !strings.Contains(msg, "This body") || !strings.Contains(msg, tc.says) {
					t.Fatalf("save%s: %d, %q\n%s", action, p.Status, msg, mainText(p))
				}
				if len(p.Body) > 200_000 {
					t.Fatalf("the page is %d bytes", len(p.Body))
				}
			}
			if n := len(storedMessaging(t, env).Templates); n != 0 {
				t.Fatalf("%d templates stored", n)
			}
		})
	}

	// A bomb in the stored settings (saved before the bound existed).
	a := adminOf(t, env, b)
	for i, tc := range templateBombs {
		if err := env.Svc.SetTemplateOverride(context.Background(), workflow.TemplateID{Name: "test", Lang: "en"},
			workflow.TemplateText{Body: tc.body}, a, workflow.Meta{}); err != nil {
			t.Fatal(err)
		}
		env.App.Notifier.Invalidate()
		to := apiTag(t) + "-bomb-" + string(rune('a'+i)) + "@example.com"
		start := time.Now()
		if err := env.App.Notifier.Deliver(context.Background(), workflow.Message{Channel: workflow.ChannelEmail, To: to, Template: "test", Lang: "en"}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: delivery took %s", tc.name, d)
		}
		m := srv.WaitFor(t, smtptest.To(to), 10*time.Second)
		if !strings.Contains(m.Body, "This is a test message") || len(m.Body) > 10_000 {
			t.Errorf("%s: the mail is not the built-in text (%d bytes)", tc.name, len(m.Body))
		}
	}
}
