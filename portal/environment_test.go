package portal_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

const (
	chromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	safariOnIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

func TestManageEnvironmentRevokesDevices(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) { in.RememberDeviceDays = 30 })
	f.giveToken(t, "totp", nil)
	firefox := f.env.Browser()
	rememberedSignIn(t, f, firefox)
	chrome := f.env.Browser()
	chrome.UserAgent = chromeOnWindows
	rememberedSignIn(t, f, chrome)
	safari := f.env.Browser()
	safari.UserAgent = safariOnIPhone
	rememberedSignIn(t, f, safari)

	p := firefox.Get(f.accountPath("manage-environment"))
	rows := p.Doc.Find("table.devices tbody tr")
	if rows.Length() != 3 || !strings.Contains(p.Text("table.devices"), "Chrome 126 on Windows") ||
		!strings.Contains(p.Text("table.devices"), "Safari 17 on iOS") || !strings.Contains(p.Text("table.devices"), f.env.ClientIP) {
		t.Fatalf("devices: %s", p.Text("table.devices"))
	}
	if n := p.Doc.Find("table.sign-ins tbody tr").Length(); n != 3 || !strings.Contains(p.Text("table.sign-ins"), f.resource.Name) {
		t.Fatalf("%d sign-ins: %s", n, p.Text("table.sign-ins"))
	}

	// Revoke Chrome's: it is asked for the OTP again; Firefox is not.
	var chromeID string
	rows.Each(func(_ int, r *goquery.Selection) {
		if strings.Contains(r.Text(), "Chrome") {
			chromeID, _ = r.Find(`input[name="device"]`).Attr("value")
		}
	})
	if chromeID == "" {
		t.Fatal("no revoke button for Chrome")
	}
	wantDone(t, firefox.Post(f.accountPath("manage-environment"), apptest.Form("device", chromeID)), "/actions/manage-environment", "revoked")
	if f.events(t)["DeviceRevoked"] != 1 {
		t.Fatal("no DeviceRevoked activity")
	}
	if n := firefox.Get(f.accountPath("manage-environment")).Doc.Find("table.devices tbody tr").Length(); n != 2 {
		t.Fatalf("%d devices after revoking one", n)
	}
	chrome.Post(f.path("/logout"), nil)
	if p := loginWith(t, f, chrome, f.user.Login, f.password); p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatalf("revoked device skipped the OTP: %s", p.URL.Path)
	}
	firefox.Post(f.path("/logout"), nil)
	if p := loginWith(t, f, firefox, f.user.Login, f.password); !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("remembered device asked for the OTP: %s", p.Text("main"))
	}
	// Another user's device id is not theirs to revoke.
	if p := firefox.Post(f.accountPath("manage-environment"), apptest.Form("device", "999999999")); p.Status != 404 {
		t.Fatalf("unknown device: %d", p.Status)
	}

	// Revoke all.
	wantDone(t, firefox.Post(f.accountPath("manage-environment"), apptest.Form("device", "all")), "/actions/manage-environment", "2 devices were revoked")
	if p := firefox.Get(f.accountPath("manage-environment")); p.Doc.Find("table.devices tbody tr").Length() != 0 ||
		!strings.Contains(p.Text("main"), "No device is remembered") {
		t.Fatalf("after revoking all: %s", p.Text("main"))
	}
	firefox.Post(f.path("/logout"), nil)
	if p := loginWith(t, f, firefox, f.user.Login, f.password); p.Doc.Find(`input[name="otp"]`).Length() != 1 {
		t.Fatalf("revoked device skipped the OTP: %s", p.URL.Path)
	}
	if f.events(t)["DeviceRevoked"] != 2 {
		t.Fatal("revoke all wrote no DeviceRevoked")
	}
}

// SPEC §5.14: a sign-in from an environment (IP prefix + browser family)
// the user has not signed in from before mails them; the very first
// sign-in does not.
func TestNewEnvironmentMail(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	f.signIn(t, "") // the first sign-in: nothing new
	f.signIn(t, "") // the same environment again
	if n := queuedTemplates(t, f, "new_environment", f.user.Email); n != 0 {
		t.Fatalf("%d new-environment mails for known environments", n)
	}
	b := f.env.Browser()
	b.UserAgent = chromeOnWindows
	loginWith(t, f, b, f.user.Login, f.password)
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "New sign-in"), mailWait)
	for _, want := range []string{"Chrome on Windows", f.env.ClientIP, f.user.Login, f.resource.Name, " UTC"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("new-environment mail lacks %q:\n%s", want, m.Body)
		}
	}
	// Chrome from the same network is known now.
	loginWith(t, f, b, f.user.Login, f.password)
	if n := queuedTemplates(t, f, "new_environment", f.user.Email); n != 1 {
		t.Fatalf("%d new-environment mails", n)
	}
}
