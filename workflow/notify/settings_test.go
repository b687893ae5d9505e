package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// fakeSettings stands in for the settings table: what the settings page
// stored, and how often the notifier asked.
type fakeSettings struct {
	mu    sync.Mutex
	s     workflow.MessagingSettings
	err   error
	calls int
	// hold, when set, blocks a read until it is closed.
	hold chan struct{}
}

func (f *fakeSettings) set(s workflow.MessagingSettings) {
	f.mu.Lock()
	f.s = s
	f.mu.Unlock()
}

func (f *fakeSettings) read(ctx context.Context) (workflow.MessagingSettings, error) {
	f.mu.Lock()
	f.calls++
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s, f.err
}

func (f *fakeSettings) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// subjectAt returns the subject of the only mail to to at srv.
func subjectAt(t *testing.T, srv *mailServer, to string) (string, bool) {
	t.Helper()
	for _, m := range srv.Mails() {
		if slices.Contains(m.To, to) {
			h, _ := m.header(t)
			return decodeHeader(t, h.Get("Subject")), true
		}
	}
	return "", false
}

func testMail(to string) workflow.Message {
	return workflow.Message{To: to, Template: notify.TemplateTest, Lang: "en"}
}

// TestSettingsApplyToTheNextMail: stored settings replace the configured
// server, sender and templates, are cached, and Invalidate makes the next
// mail read them again.
func TestSettingsApplyToTheNextMail(t *testing.T) {
	t.Parallel()
	a, b := startSMTP(t, serverOpts{}), startSMTP(t, serverOpts{})
	fs := &fakeSettings{}
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + a.Addr, Settings: fs.read, SettingsTTL: time.Hour})
	ctx := context.Background()

	if err := n.Deliver(ctx, testMail("one@example.com")); err != nil {
		t.Fatal(err)
	}
	if s, ok := subjectAt(t, a, "one@example.com"); !ok || s != "Test message from tokenportal" {
		t.Fatalf("without settings: at A %v, subject %q", ok, s)
	}

	fs.set(workflow.MessagingSettings{SMTPURL: "smtp://" + b.Addr, MailFrom: "Portal <portal@example.org>",
		Templates: map[workflow.TemplateID]workflow.TemplateText{{Name: notify.TemplateTest, Lang: "en"}: {Subject: "Stored subject"}}})
	if err := n.Deliver(ctx, testMail("two@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, ok := subjectAt(t, a, "two@example.com"); !ok {
		t.Fatal("within the cache time the cached settings apply")
	}

	n.Invalidate()
	if err := n.Deliver(ctx, testMail("three@example.com")); err != nil {
		t.Fatal(err)
	}
	s, ok := subjectAt(t, b, "three@example.com")
	if !ok || s != "Stored subject" {
		t.Fatalf("after Invalidate: at B %v, subject %q", ok, s)
	}
	for _, m := range b.Mails() {
		if m.From != "portal@example.org" {
			t.Errorf("MAIL FROM %q, want the stored sender", m.From)
		}
	}
	// Other languages keep the built-in text.
	if subject, _, err := n.Render(ctx, workflow.Message{Template: notify.TemplateTest, Lang: "de"}); err != nil || subject != "Testnachricht von tokenportal" {
		t.Errorf("de: %q %v", subject, err)
	}

	// Clearing the settings returns to the configuration.
	fs.set(workflow.MessagingSettings{})
	n.Invalidate()
	if err := n.Deliver(ctx, testMail("four@example.com")); err != nil {
		t.Fatal(err)
	}
	if s, ok := subjectAt(t, a, "four@example.com"); !ok || s != "Test message from tokenportal" {
		t.Fatalf("cleared: at A %v, subject %q", ok, s)
	}
}

// TestSettingsCacheExpires: another instance's change arrives once the
// cache time is over, without Invalidate.
func TestSettingsCacheExpires(t *testing.T) {
	t.Parallel()
	a, b := startSMTP(t, serverOpts{}), startSMTP(t, serverOpts{})
	fs := &fakeSettings{}
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + a.Addr, Settings: fs.read, SettingsTTL: 100 * time.Millisecond})
	ctx := context.Background()
	if err := n.Deliver(ctx, testMail("first@example.com")); err != nil {
		t.Fatal(err)
	}
	calls := fs.callCount()
	for range 3 {
		if _, _, err := n.Render(ctx, testMail("x@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	if fs.callCount() != calls {
		t.Errorf("read the settings %d times within the cache time", fs.callCount()-calls)
	}
	fs.set(workflow.MessagingSettings{SMTPURL: "smtp://" + b.Addr})
	time.Sleep(150 * time.Millisecond)
	if err := n.Deliver(ctx, testMail("second@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, ok := subjectAt(t, b, "second@example.com"); !ok {
		t.Fatal("the change did not arrive after the cache time")
	}
}

// TestSettingsInvalidateDuringRead: a read that started before a save must
// not put its older copy in the cache.
func TestSettingsInvalidateDuringRead(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	fs := &fakeSettings{hold: hold}
	n := newNotifier(t, notify.Config{Capture: true, Settings: fs.read, SettingsTTL: time.Hour})
	ctx := context.Background()
	done := make(chan error)
	go func() {
		_, _, err := n.Render(ctx, testMail("x@example.com"))
		done <- err
	}()
	apptest.Eventually(t, 5*time.Second, "the read to start", func() bool { return fs.callCount() == 1 })
	n.Invalidate() // a save happened meanwhile
	fs.mu.Lock()
	fs.hold = nil // later reads do not wait
	fs.mu.Unlock()
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.Render(ctx, testMail("x@example.com")); err != nil {
		t.Fatal(err)
	}
	if fs.callCount() != 2 {
		t.Errorf("settings read %d times, want 2: the copy read across Invalidate was cached", fs.callCount())
	}
}

// TestSettingsFailures: an unreadable or unusable setting is retried, not
// given up on, and its cause reaches the error.
func TestSettingsFailures(t *testing.T) {
	t.Parallel()
	fs := &fakeSettings{err: errors.New("database is down")}
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://127.0.0.1:1", Settings: fs.read})
	err := n.Deliver(context.Background(), testMail("x@example.com"))
	if !errors.Is(err, notify.ErrSettings) || notify.IsPermanent(err) {
		t.Errorf("unreadable: %v", err)
	}

	fs = &fakeSettings{s: workflow.MessagingSettings{SMTPURL: "smtp://user:hunter2@mail.example.com:nope"}}
	n = newNotifier(t, notify.Config{Settings: fs.read, MailFrom: "a@example.com"})
	err = n.Deliver(context.Background(), testMail("x@example.com"))
	if err == nil || notify.IsPermanent(err) || errors.Is(err, notify.ErrSettings) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unusable: %v", err)
	}
}

func TestCheckSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"smtp", notify.CheckSMTPURL("smtp://u:p@mail.example.com:587?starttls=required"), true},
		{"smtps", notify.CheckSMTPURL("smtps://mail.example.com"), true},
		{"smtp scheme", notify.CheckSMTPURL("http://mail.example.com"), false},
		{"smtp port", notify.CheckSMTPURL("smtp://mail.example.com:99999"), false},
		{"from", notify.CheckMailFrom("tokenportal <noreply@example.com>"), true},
		{"from without address", notify.CheckMailFrom("tokenportal"), false},
		{"from two lines", notify.CheckMailFrom("a@example.com\r\nBcc: b@example.com"), false},
		{"sms", notify.CheckSMSGatewayURL("https://u:p@sms.example.com/send"), true},
		{"sms scheme", notify.CheckSMSGatewayURL("ftp://sms.example.com"), false},
	} {
		if (tt.err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, tt.err, tt.ok)
		}
	}
	if err := notify.CheckSMSGatewayURL("ftp://u:secret99@sms.example.com"); err == nil || strings.Contains(err.Error(), "secret99") {
		t.Errorf("the error shows the password: %v", err)
	}

	// The stored values are checked with the configured ones they fall back to.
	n := newNotifier(t, notify.Config{MailFrom: " "})
	if err := n.CheckSettings(workflow.MessagingSettings{SMTPURL: "smtp://mail.example.com"}); err == nil {
		t.Error("an SMTP server without a sender passed")
	}
	if err := n.CheckSettings(workflow.MessagingSettings{SMTPURL: "smtp://mail.example.com", MailFrom: "a@example.com"}); err != nil {
		t.Error(err)
	}
	smtpURL, from, sms := n.Effective(workflow.MessagingSettings{MailFrom: "a@example.com"})
	if smtpURL.Value != "" || smtpURL.FromSettings || from.Value != "a@example.com" || !from.FromSettings || sms.Value != "" {
		t.Errorf("Effective: %+v %+v %+v", smtpURL, from, sms)
	}
}

// TestPreview renders unsaved texts with example data, and reports which
// part is broken.
func TestPreview(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{Capture: true})
	ctx := context.Background()
	for _, name := range notify.Templates() {
		for _, key := range uses[name] {
			if notify.SampleData(name)[key] == "" {
				t.Errorf("sample data of %s lacks %q", name, key)
			}
		}
		if name != notify.TemplateTest && len(notify.TemplateFields(name)) == 0 {
			t.Errorf("%s lists no fields", name)
		}
	}
	m := workflow.Message{Template: notify.TemplateCode, Lang: "nl", Data: notify.SampleData(notify.TemplateCode)}
	subject, body, err := n.Preview(ctx, m, workflow.TemplateText{Subject: "Code {{.code}}", Body: "Hier: {{.code}} ({{.minutes}} min, {{purpose .purpose}})"})
	if err != nil || subject != "Code 481516" || body != "Hier: 481516 (10 min, om in te loggen)\n" {
		t.Errorf("preview: %q %q %v", subject, body, err)
	}
	// An empty part is the built-in one.
	subject, _, err = n.Preview(ctx, m, workflow.TemplateText{Body: "x"})
	if err != nil || subject != "Uw verificatiecode" {
		t.Errorf("empty subject: %q %v", subject, err)
	}
	var te *notify.TemplateError
	if _, _, err := n.Preview(ctx, m, workflow.TemplateText{Body: "{{.code"}); !errors.As(err, &te) || te.Part != "body" {
		t.Errorf("broken body: %v", err)
	}
	if _, _, err := n.Preview(ctx, m, workflow.TemplateText{Subject: "{{lost}}"}); !errors.As(err, &te) || te.Part != "subject" {
		t.Errorf("subject failing at execution: %v", err)
	}
	if !slices.Contains(notify.TemplateFuncs(), "purpose") {
		t.Errorf("funcs %v", notify.TemplateFuncs())
	}
}
