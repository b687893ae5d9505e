package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// In dev mode a queued (sealed) message is delivered by the real queue
// worker into the capture, and /dev/mail shows it; elsewhere there is no
// such page.
func TestDevMailCapturesQueuedMessages(t *testing.T) {
	ctx := context.Background()
	if p := apptest.New(t, nil).Browser().Get("/dev/mail"); p.Status != 404 {
		t.Fatalf("/dev/mail outside dev mode: %d", p.Status)
	}
	cfg := apptest.Config(t)
	cfg.Dev = true
	env := apptest.New(t, &cfg)
	svc := env.Svc
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: "Mail test VPN"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: "mailer", Email: "mailer@example.com", Language: "nl"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := workflow.Token{Serial: "EMAIL-DEV-1", Type: "email", Enabled: true, UserID: &u.ID, ResourceID: &r.ID}
	if err := svc.StoreToken(ctx, svc.Store, &tok, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.Validate(ctx, r.ID, "mailer", "", workflow.SystemActor, workflow.Meta{}); ok || err != nil {
		t.Fatalf("validate without code: %v %v", ok, err)
	}
	env.StartQueue(t)
	code := regexp.MustCompile(`\b\d{6}\b`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		p := env.Browser().Get("/dev/mail")
		if p.Status == 200 && strings.Contains(p.Body, "mailer@example.com") && code.MatchString(p.Text("pre")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("captured mail never appeared:\n%s", p.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
