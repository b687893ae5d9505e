package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// TestSendProblem: a failed delivery is told in notify's words with the
// passwords of the settings masked; an unreadable settings table is told
// without its cause.
func TestSendProblem(t *testing.T) {
	stored := workflow.MessagingSettings{SMTPURL: "smtp://u:st0red@mail.example.com:25"}
	n := newNotifier(t, notify.Config{SMSGatewayURL: "https://u:env1r0n@sms.example.com/send", MailFrom: "a@example.com",
		Settings: func(context.Context) (workflow.MessagingSettings, error) { return stored, nil }})
	ctx := context.Background()

	got := string(n.SendProblem(ctx, errors.New("smtp mail.example.com:25: auth st0red env1r0n refused")))
	if !strings.HasPrefix(got, "Sending failed: smtp mail.example.com:25") || strings.Contains(got, "st0red") || strings.Contains(got, "env1r0n") {
		t.Fatalf("problem %q", got)
	}
	got = string(n.SendProblem(ctx, fmt.Errorf("%w: %w", notify.ErrSettings, errors.New("relation does not exist"))))
	if strings.Contains(got, "relation") || !strings.Contains(got, "could not be read") {
		t.Fatalf("settings problem %q", got)
	}
	if got := []rune(string(n.SendProblem(ctx, errors.New(strings.Repeat("x", 1000))))); len(got) > 420 {
		t.Fatalf("unbounded: %d runes", len(got))
	}
}
