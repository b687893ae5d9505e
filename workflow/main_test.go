package workflow_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// fixture is a service on the package's database with a resource and a user.
type fixture struct {
	svc      *workflow.Service
	clock    *apptest.Clock
	resource workflow.Resource
	user     workflow.User
	key      []byte // the service's SECRET_KEY
}

var seq struct {
	sync.Mutex
	n int
}

func unique(prefix string) string {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return prefix + "-" + time.Now().Format("150405") + "-" + itoa(seq.n)
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := workflow.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(store.New(storetest.Pool(t)), sealer, 4, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := apptest.NewClock(time.Unix(1_900_000_000, 0).UTC())
	svc.Now = c.Now
	svc.Sleep = func(context.Context, time.Duration) {}
	ctx := context.Background()
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: unique("VPN")}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, workflow.UserInput{Login: unique("user"), Email: unique("user") + "@example.com", Phone: "+31612345678"}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignUser(ctx, r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clock: c, resource: r, user: u, key: key}
}

// rfcSecret is the secret of RFC 4226 Appendix D.
var rfcSecret = []byte("12345678901234567890")

// token stores a software token of the fixture's user on its resource.
func (f *fixture) token(t testing.TB, typ string, mod func(*workflow.Token)) workflow.Token {
	t.Helper()
	tok := workflow.Token{Serial: unique("T"), Type: workflow.TokenType(typ), Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1,
		Enabled: true, UserID: &f.user.ID, ResourceID: &f.resource.ID}
	if mod != nil {
		mod(&tok)
	}
	var secret []byte
	if typ == "totp" || typ == "hotp" {
		secret = rfcSecret
	}
	if err := f.svc.StoreToken(context.Background(), f.svc.Store, &tok, secret); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Store.TokenByID(context.Background(), tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *fixture) reload(t *testing.T, tok workflow.Token) workflow.Token {
	t.Helper()
	got, err := f.svc.Store.TokenByID(context.Background(), tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// queuedMessage is the newest queued message to address, opened.
func queuedMessage(t *testing.T, svc *workflow.Service, to string) workflow.Message {
	t.Helper()
	var args []byte
	err := storetest.Pool(t).QueryRow(context.Background(),
		`SELECT args FROM river_job WHERE kind = 'message' AND args->>'to' = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&args)
	if err != nil {
		t.Fatalf("no message to %s: %v", to, err)
	}
	var job workflow.MessageJob
	if err := json.Unmarshal(args, &job); err != nil {
		t.Fatal(err)
	}
	if job.Data != nil {
		t.Fatalf("message data queued in the clear: %v", job.Data)
	}
	m, err := svc.OpenMessage(job.Message)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
