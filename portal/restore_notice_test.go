package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
)

// smsGateway is a local SMS gateway that records what it is sent.
type smsGateway struct {
	*httptest.Server
	mu  sync.Mutex
	got []struct{ To, Text string }
}

func startSMSGateway(t *testing.T) *smsGateway {
	t.Helper()
	g := &smsGateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		g.mu.Lock()
		g.got = append(g.got, struct{ To, Text string }{r.PostForm.Get("to"), r.PostForm.Get("text")})
		g.mu.Unlock()
	}))
	t.Cleanup(g.Close)
	return g
}

// waitFor returns the text of the first SMS to to that contains want.
func (g *smsGateway) waitFor(t *testing.T, to, want string) string {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		for _, m := range g.got {
			if m.To == to && strings.Contains(m.Text, want) {
				g.mu.Unlock()
				return m.Text
			}
		}
		g.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no SMS to %s saying %q; got %v", to, want, g.got)
	return ""
}

// A stranger who knows the login files a restore-access request with
// everything "lost" and an address of their own (issue #11). The person on
// record is told at once, in their language (Dutch here), by mail at the
// address the request says is lost and by SMS, through the real queue, SMTP
// and gateway: what was asked, from where, and that signing in cancels it.
// They sign in, and the request is withdrawn.
func TestRestoreRequestTellsThePersonOnRecord(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	srv, gw := smtptest.Start(t), startSMSGateway(t)
	cfg := apptest.Config(t)
	cfg.SMTPURL, cfg.SMSGatewayURL = srv.URL(), gw.URL
	f := newFixtureWith(t, &cfg, nil)
	f.env.StartQueue(t)
	ctx := context.Background()
	f.user.Language = "nl"
	if err := f.env.Svc.Store.UpdateUser(ctx, &f.user); err != nil {
		t.Fatal(err)
	}
	evil := tag("thief") + "@evil.example"

	stranger := f.env.Browser()
	stranger.UserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	done(t, restoreAs(t, f, stranger, f.user.Login, []string{"lost_token", "forgot_password", "lost_email"}, nil,
		map[string]string{"new_password": "granite-pelican-orbit-17", "new_email": evil}))

	m := srv.WaitFor(t, smtptest.ToWith(f.user.Email, "Iemand wil de toegang tot uw account herstellen"), mailWait)
	for _, want := range []string{
		"op uw naam een verzoek ingediend om de toegang tot uw account voor " + f.resource.Name + " te herstellen",
		"- uw tokens voor " + f.resource.Name + " uit te schakelen",
		"- uw wachtwoord te vervangen door een wachtwoord dat de aanvrager heeft gekozen",
		"- uw e-mailadres te wijzigen in " + evil,
		"IP-adres: " + f.env.ClientIP, "Browser:  Safari on macOS",
		"Log dan gewoon in via http://tokenportal.test/selfservice/" + f.portal.Alias + "/login: daarmee wordt het verzoek ingetrokken. Bel daarna uw helpdesk",
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("the mail lacks %q:\n%s", want, m.Body)
		}
	}
	sms := gw.waitFor(t, f.user.Phone, "iemand wil de toegang tot uw account "+f.user.Login+" herstellen")
	if !strings.Contains(sms, "Log in om dat te annuleren en bel uw helpdesk") {
		t.Errorf("SMS %q", sms)
	}
	if queuedTemplates(t, f, "issue_filed", evil) != 0 {
		t.Error("the stranger's address was told")
	}

	// The person on record signs in: that cancels the request.
	f.signIn(t, "")
	if open := openIssues(t, f, f.user.ID); len(open) != 0 {
		t.Fatalf("%d requests still open after the user signed in", len(open))
	}
}

// A phone number changed in the portal is told at the email address on
// record (issue #11).
func TestPortalPhoneChangeTellsTheEmailAddress(t *testing.T) {
	// Serial: it runs the mail queue, which takes every test's jobs.
	f, mail := newMailFixture(t, nil)
	b := f.signIn(t, "")
	wantDone(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "+49 170 1234 9876")), "/home", "+4917012349876")
	m := mail.WaitFor(t, smtptest.ToWith(f.user.Email, "Your phone number was changed"), mailWait)
	if !strings.Contains(m.Body, "The phone number of your account for "+f.resource.Name+" was changed to ••••9876.") {
		t.Errorf("mail:\n%s", m.Body)
	}
	var n int
	if err := f.env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM activities WHERE user_id = $1 AND event = $2`,
		f.user.ID, workflow.EventUserPhoneChange).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d UserPhoneChange activities (%v)", n, err)
	}
}
