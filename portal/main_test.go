package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

var seq atomic.Int64

// tag makes names unique: the package's tests share one database.
func tag(prefix string) string {
	return fmt.Sprintf("%s%d%d", prefix, time.Now().UnixNano()%1_000_000, seq.Add(1))
}

// rfcSecret is the secret of RFC 4226 Appendix D.
var rfcSecret = []byte("12345678901234567890")

// fixture is a running app with one resource, its enabled portal (every
// action on) and one assigned user with a password: what a test needs, so
// tests build one each and run in parallel (t.Parallel) unless they use
// what the package's tests share: the mail queue, or counts of every row.
// Its browsers have a client address of their own (f.env.ClientIP).
type fixture struct {
	env      *apptest.Env
	portal   workflow.Portal
	resource workflow.Resource
	user     workflow.User
	password string
}

const userPassword = "violet-tractor-sunbeam-42"

// clientNet holds every fixture's client address (apptest.NewParallel).
const clientNet = "198.18.0.0/15"

// newFixture builds the fixture; mod may change the portal settings.
func newFixture(t *testing.T, mod func(*workflow.PortalInput)) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, mod)
}

// newFixtureWith builds the fixture on an app with cfg (apptest.Config when
// nil), e.g. one that sends mail to a test SMTP server.
func newFixtureWith(t *testing.T, cfg *app.Config, mod func(*workflow.PortalInput)) *fixture {
	t.Helper()
	env := apptest.NewParallel(t, cfg)
	ctx := context.Background()
	svc := env.Svc
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: tag("VPN ")}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	in := workflow.DefaultPortalInput(tag("p"))
	in.Enabled = true
	in.Actions = workflow.Actions
	in.TokenTypes = workflow.TokenTypes
	in.MaxTokensPerUser = 2
	if mod != nil {
		mod(&in)
	}
	p, err := svc.SavePortal(ctx, r.ID, in, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	login := tag("user")
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: login, FirstName: "Jane", LastName: "Doe",
		Email: login + "@example.com", Phone: "+31612345678", Password: userPassword}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, portal: p, resource: r, user: u, password: userPassword}
}

// path is a path inside the fixture's portal.
func (f *fixture) path(p string) string { return "/selfservice/" + f.portal.Alias + p }

// giveToken stores a software token with rfcSecret for the user on the resource.
func (f *fixture) giveToken(t *testing.T, typ string, mod func(*workflow.Token)) workflow.Token {
	t.Helper()
	tok := workflow.Token{Serial: tag("T"), Type: workflow.TokenType(typ), Enabled: true, UserID: &f.user.ID, ResourceID: &f.resource.ID}
	if mod != nil {
		mod(&tok)
	}
	var secret []byte
	if typ == "totp" || typ == "hotp" {
		secret = rfcSecret
	}
	if err := f.env.Svc.StoreToken(context.Background(), f.env.Svc.Store, &tok, secret); err != nil {
		t.Fatal(err)
	}
	return tok
}

// totp is the current TOTP code of rfcSecret on the app's clock.
func (f *fixture) totp(offset time.Duration) string {
	return otp.TOTPCode(rfcSecret, f.env.Clock.Now().Add(offset), otp.Default)
}

// signIn walks the sign-in pages with the password and, when pass is not
// empty, the OTP step; it returns the browser on the home page.
func (f *fixture) signIn(t *testing.T, pass string) *apptest.Browser {
	t.Helper()
	b := f.env.Browser()
	p := b.Post(f.path("/login"), apptest.Form("login", f.user.Login))
	if p.Doc.Find(`input[name="password"]`).Length() != 1 {
		t.Fatalf("no password step: %d %s", p.Status, p.Text("main"))
	}
	p = b.Post(f.path("/login"), apptest.Form("password", f.password))
	if pass != "" {
		if p.Doc.Find(`input[name="otp"]`).Length() != 1 {
			t.Fatalf("no OTP step: %d %s", p.Status, p.Text("main"))
		}
		p = b.Post(f.path("/login"), apptest.Form("otp", pass))
	}
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL.Path, "/home") {
		t.Fatalf("sign-in ended at %d %s: %s", p.Status, p.URL.Path, p.Text("main"))
	}
	return b
}

// reload reads a token again.
func (f *fixture) reload(t *testing.T, tok workflow.Token) workflow.Token {
	t.Helper()
	got, err := f.env.Svc.Store.TokenByID(context.Background(), tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// events counts the user's activities by event name.
func (f *fixture) events(t *testing.T) map[string]int {
	t.Helper()
	rows, err := f.env.App.Pool.Query(context.Background(), "SELECT event, count(*) FROM activities WHERE user_id = $1 GROUP BY event", f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			t.Fatal(err)
		}
		m[e] = n
	}
	return m
}

func itoa(n int64) string { return fmt.Sprint(n) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// queuedCode opens the newest queued message to address and returns its code.
func queuedCode(t *testing.T, f *fixture, to string) string {
	t.Helper()
	var args []byte
	// A running queue may be carrying out the code request meanwhile.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		f.env.WorkCodeRequestsFor(t, f.resource.ID)
		err := f.env.App.Pool.QueryRow(context.Background(),
			`SELECT args FROM river_job WHERE kind = 'message' AND args->>'to' = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&args)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message to %s: %v", to, err)
		}
	}
	var job workflow.MessageJob
	if err := json.Unmarshal(args, &job); err != nil {
		t.Fatal(err)
	}
	m, err := f.env.Svc.OpenMessage(job.Message)
	if err != nil {
		t.Fatal(err)
	}
	return m.Data["code"]
}
