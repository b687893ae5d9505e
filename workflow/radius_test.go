package workflow_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store/storetest"
)

const radiusSecret = "a-shared-secret-of-32-characters"

var radiusHosts atomic.Int64

// radiusHost is an address no other test uses: 10.0.0.0/8 for the worlds'
// clients, 203.0.0.0/16 for the callers.
func radiusHost(first string) string {
	n := radiusHosts.Add(1)
	return fmt.Sprintf("%s.%d.%d", first, n>>8&255, n&255)
}

// radiusWorld is a resource with a portal in the given RADIUS mode, a client,
// and a user with a password (eventPassword, which ends in digits) assigned
// to it.
type radiusWorld struct {
	*fixture
	client workflow.RadiusClient
	caller string // Calling-Station-Id
}

func newRadiusWorld(t *testing.T, mode string, allow bool) *radiusWorld {
	t.Helper()
	f := newFixture(t)
	login := unique("rad")
	u, err := f.svc.CreateUser(bg, workflow.UserInput{Login: login, Email: login + "@example.com", Phone: "+31612345678",
		Password: eventPassword}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	must(t, f.svc.AssignUser(bg, f.resource.ID, u.ID, workflow.SystemActor, workflow.Meta{}))
	f.user = u
	in := workflow.DefaultPortalInput(fmt.Sprintf("rad%d-%d", radiusHosts.Add(1), time.Now().UnixNano()%1_000_000))
	in.RadiusFirstFactor, in.RadiusAllowWithoutToken = mode, allow
	_, err = f.svc.SavePortal(bg, f.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	w := &radiusWorld{fixture: f, caller: radiusHost("203.0")}
	w.client = w.newClient(t, "VPN gateway", radiusHost("10.0"))
	return w
}

// newClient adds a client for the world's resource and returns it as a
// packet from its address finds it.
func (w *radiusWorld) newClient(t *testing.T, name, addr string) workflow.RadiusClient {
	t.Helper()
	c, err := w.svc.CreateRadiusClient(bg, w.resource.ID, workflow.RadiusClientInput{Name: name, Address: addr, Secret: radiusSecret,
		RequireMessageAuthenticator: true}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	got, ok, err := w.svc.RadiusClientFor(bg, mustNetwork(t, addr).Addr())
	if err != nil || !ok || got.ID != c.ID {
		t.Fatalf("client for %s: %+v %v %v", addr, got, ok, err)
	}
	return got
}

func mustNetwork(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, ok := workflow.ParseNetwork(s)
	if !ok {
		t.Fatalf("%s is no network", s)
	}
	return p
}

func (w *radiusWorld) askFrom(t *testing.T, c workflow.RadiusClient, login, password string, state []byte) workflow.RadiusAnswer {
	t.Helper()
	a, err := w.svc.RadiusAccess(bg, workflow.RadiusAccessRequest{Client: c, Login: login, Password: password, State: state,
		NASIPAddress: c.Address, NASIdentifier: "vpn-1", CallingStationID: w.caller, Meta: workflow.Meta{IP: c.Address}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *radiusWorld) ask(t *testing.T, password string, state []byte) workflow.RadiusAnswer {
	t.Helper()
	return w.askFrom(t, w.client, w.user.Login, password, state)
}

func hotp(n uint64) string { return otp.Code(rfcSecret, n, sixDigits) }

func wantCode(t *testing.T, a workflow.RadiusAnswer, want workflow.RadiusCode) {
	t.Helper()
	if a.Code != want {
		t.Fatalf("answer %+v, want %s", a, want)
	}
	switch want {
	case workflow.RadiusReject:
		if a.Message != "Access denied" || a.State != nil {
			t.Fatalf("reject %+v is not the one reject", a)
		}
	case workflow.RadiusChallenge:
		if a.Message != "Enter your one-time password" || len(a.State) < 16 {
			t.Fatalf("challenge %+v", a)
		}
	}
}

// radiusReasons are the reasons of the RadiusReject rows about the login.
func radiusReasons(t *testing.T, login string) []string {
	t.Helper()
	rows, err := storetest.Pool(t).Query(bg, `SELECT details->>'reason' FROM activities
		WHERE event = 'RadiusReject' AND details->>'login' = $1 ORDER BY id`, login)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		must(t, rows.Scan(&r))
		out = append(out, r)
	}
	return out
}

func TestRadiusClients(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	pool := storetest.Pool(t)
	other, err := w.svc.CreateResource(bg, workflow.ResourceInput{Name: unique("Firewall")}, workflow.SystemActor, workflow.Meta{})
	must(t, err)

	for _, tc := range []struct {
		name  string
		in    workflow.RadiusClientInput
		field string
	}{
		{"no name", workflow.RadiusClientInput{Name: " ", Address: "192.0.2.10", Secret: radiusSecret}, "name"},
		{"long name", workflow.RadiusClientInput{Name: strings.Repeat("n", 101), Address: "192.0.2.10", Secret: radiusSecret}, "name"},
		{"bad address", workflow.RadiusClientInput{Name: "x", Address: "vpn.example.com", Secret: radiusSecret}, "address"},
		{"every address", workflow.RadiusClientInput{Name: "x", Address: "0.0.0.0/0", Secret: radiusSecret}, "address"},
		{"short secret", workflow.RadiusClientInput{Name: "x", Address: "192.0.2.10", Secret: "fifteen-chars.."}, "secret"},
		{"long secret", workflow.RadiusClientInput{Name: "x", Address: "192.0.2.10", Secret: strings.Repeat("s", 129)}, "secret"},
		{"control character", workflow.RadiusClientInput{Name: "x", Address: "192.0.2.10", Secret: radiusSecret + "\n"}, "secret"},
	} {
		_, err := w.svc.CreateRadiusClient(bg, w.resource.ID, tc.in, workflow.SystemActor, workflow.Meta{})
		if workflow.ErrorCode(err) != workflow.CodeInvalid || workflow.ErrorFieldMsgs(err)[tc.field].ID == "" {
			t.Errorf("%s: %v (fields %v)", tc.name, err, workflow.ErrorFieldMsgs(err))
		}
	}

	// Addresses are normalised: a host without /32, a network masked.
	network := w.newClient(t, "office", "172.16.5.77/16")
	host := w.newClient(t, "gateway", "172.16.5.5/32")
	if network.Address != "172.16.0.0/16" || host.Address != "172.16.5.5" || !bytes.Equal(host.Secret, []byte(radiusSecret)) {
		t.Fatalf("clients %+v %+v", network, host)
	}
	// The longest prefix wins; an IPv4-mapped address is the IPv4 one.
	for addr, want := range map[string]int64{"172.16.5.5": host.ID, "::ffff:172.16.5.5": host.ID, "fe80::1%eth0": 0, "172.16.9.9": network.ID, "192.0.2.200": 0} {
		c, ok, err := w.svc.RadiusClientFor(bg, netip.MustParseAddr(addr))
		if err != nil || ok != (want != 0) || c.ID != want {
			t.Errorf("%s: client %d %v %v, want %d", addr, c.ID, ok, err, want)
		}
	}
	// One resource per address: the same address, or an overlapping
	// network of another resource, is a conflict — also past the service.
	for _, addr := range []string{"172.16.5.5", "172.16.0.0/12", "172.16.200.1"} {
		_, err := w.svc.CreateRadiusClient(bg, other.ID, workflow.RadiusClientInput{Name: "x", Address: addr, Secret: radiusSecret},
			workflow.SystemActor, workflow.Meta{})
		if workflow.ErrorCode(err) != workflow.CodeConflict || workflow.ErrorFieldMsgs(err)["address"].ID != "radius.address_overlap" {
			t.Errorf("%s on another resource: %v", addr, err)
		}
	}
	if _, err := w.svc.CreateRadiusClient(bg, w.resource.ID, workflow.RadiusClientInput{Name: "again", Address: "172.16.5.5", Secret: radiusSecret},
		workflow.SystemActor, workflow.Meta{}); workflow.ErrorCode(err) != workflow.CodeConflict {
		t.Errorf("the same address twice: %v", err)
	}
	raw := workflow.RadiusClient{ResourceID: other.ID, Name: "raw", Address: "172.16.77.0/24", SealedSecret: []byte("x"), KeyID: "k"}
	if err := w.svc.Store.CreateRadiusClient(bg, &raw); workflow.ErrorCode(err) != workflow.CodeConflict {
		t.Errorf("the database took an overlapping client of another resource: %v", err)
	}

	// The list has no secrets; the table only the sealed one.
	list, err := w.svc.RadiusClients(bg, w.resource.ID)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("%d clients", len(list))
	}
	for _, c := range list {
		if c.Secret != nil || c.SealedSecret != nil || c.ResourceName != w.resource.Name {
			t.Errorf("listed client %+v", c)
		}
	}
	var plain int
	must(t, pool.QueryRow(bg, `SELECT count(*) FROM radius_clients WHERE position(convert_to($1, 'UTF8') IN secret) > 0`, radiusSecret).Scan(&plain))
	if plain != 0 {
		t.Fatal("a secret is stored in the clear")
	}
	if _, err := w.svc.RadiusClients(bg, 999_999_999); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Errorf("clients of no resource: %v", err)
	}

	must(t, w.svc.DeleteRadiusClient(bg, host.ID, workflow.SystemActor, workflow.Meta{}))
	if c, _, _ := w.svc.RadiusClientFor(bg, netip.MustParseAddr("172.16.5.5")); c.ID != network.ID {
		t.Fatalf("after deleting the host client, %d answers", c.ID)
	}
	if err := w.svc.DeleteRadiusClient(bg, host.ID, workflow.SystemActor, workflow.Meta{}); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("deleting twice: %v", err)
	}
	var created, deleted int
	must(t, pool.QueryRow(bg, `SELECT count(*) FILTER (WHERE event = 'RadiusClientCreated'), count(*) FILTER (WHERE event = 'RadiusClientDeleted')
		FROM activities WHERE resource_id = $1`, w.resource.ID).Scan(&created, &deleted))
	if created != 3 || deleted != 1 {
		t.Fatalf("%d created, %d deleted activities", created, deleted)
	}
}

func TestRadiusPasswordAndOTPInOnePacket(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.token(t, "hotp", nil)
	// The password ends in digits ("…42"); the code follows it.
	wantCode(t, w.ask(t, eventPassword+hotp(0), nil), workflow.RadiusAccept)
	wantCode(t, w.ask(t, eventPassword+hotp(0), nil), workflow.RadiusReject) // replay
	wantCode(t, w.ask(t, "wrong-password"+hotp(1), nil), workflow.RadiusReject)
	wantCode(t, w.ask(t, eventPassword+"000000", nil), workflow.RadiusReject)
	wantCode(t, w.ask(t, eventPassword+hotp(1), nil), workflow.RadiusAccept)

	var details map[string]any
	must(t, storetest.Pool(t).QueryRow(bg, `SELECT details FROM activities WHERE event = 'RadiusAccept' AND user_id = $1 ORDER BY id DESC LIMIT 1`,
		w.user.ID).Scan(&details))
	for k, v := range map[string]any{"client": "VPN gateway", "nas_ip_address": w.client.Address, "nas_identifier": "vpn-1", "calling_station_id": w.caller} {
		if details[k] != v {
			t.Errorf("RadiusAccept details %v: %s is not %v", details, k, v)
		}
	}
	if got := radiusReasons(t, w.user.Login); len(got) != 3 || !strings.Contains(got[0], "replayed") && !strings.Contains(got[0], "already used") {
		t.Fatalf("reject reasons %q", got)
	}
}

func TestRadiusPINToken(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	pin, err := bcrypt.GenerateFromPassword([]byte("4711"), 4)
	must(t, err)
	w.token(t, "hotp", func(tok *workflow.Token) { tok.PINHash, tok.PINPosition = string(pin), "before" })
	wantCode(t, w.ask(t, eventPassword+"4711"+hotp(0), nil), workflow.RadiusAccept)
	wantCode(t, w.ask(t, eventPassword+"4712"+hotp(1), nil), workflow.RadiusReject)
	// Without the PIN: the OTP step asks for PIN and code.
	a := w.ask(t, eventPassword, nil)
	wantCode(t, a, workflow.RadiusChallenge)
	wantCode(t, w.ask(t, "4711"+hotp(1), a.State), workflow.RadiusAccept)
}

func TestRadiusChallengeRoundTrip(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.token(t, "hotp", nil)
	a := w.ask(t, eventPassword, nil)
	wantCode(t, a, workflow.RadiusChallenge)
	wantCode(t, w.ask(t, hotp(0), a.State), workflow.RadiusAccept)
	// Single use.
	wantCode(t, w.ask(t, hotp(1), a.State), workflow.RadiusReject)

	// Expired after five minutes.
	a = w.ask(t, eventPassword, nil)
	w.clock.Advance(5*time.Minute + time.Second)
	wantCode(t, w.ask(t, hotp(1), a.State), workflow.RadiusReject)

	// Bound to the client and the user.
	a = w.ask(t, eventPassword, nil)
	second := w.newClient(t, "second gateway", radiusHost("10.0"))
	wantCode(t, w.askFrom(t, second, w.user.Login, hotp(1), a.State), workflow.RadiusReject)
	a = w.ask(t, eventPassword, nil)
	other := unique("rad-other")
	u2, err := w.svc.CreateUser(bg, workflow.UserInput{Login: other, Password: eventPassword}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	must(t, w.svc.AssignUser(bg, w.resource.ID, u2.ID, workflow.SystemActor, workflow.Meta{}))
	wantCode(t, w.askFrom(t, w.client, other, hotp(1), a.State), workflow.RadiusReject)
	// A made-up State.
	wantCode(t, w.ask(t, hotp(1), []byte("0123456789abcdef")), workflow.RadiusReject)
	// A fresh one still works, with the next code.
	a = w.ask(t, eventPassword, nil)
	wantCode(t, w.ask(t, hotp(1), a.State), workflow.RadiusAccept)

	var states int
	must(t, storetest.Pool(t).QueryRow(bg, `SELECT count(*) FROM radius_states WHERE user_id = $1`, w.user.ID).Scan(&states))
	if states != 5 {
		t.Fatalf("%d states stored", states)
	}
	w.clock.Advance(time.Hour)
	if _, err := w.svc.Store.PurgeExpired(bg, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	must(t, storetest.Pool(t).QueryRow(bg, `SELECT count(*) FROM radius_states WHERE user_id = $1`, w.user.ID).Scan(&states))
	if states != 0 {
		t.Fatalf("%d states left after the purge", states)
	}
}

func TestRadiusEmailTokenChallenge(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.token(t, "email", nil)
	a := w.ask(t, eventPassword, nil)
	wantCode(t, a, workflow.RadiusChallenge)
	code := queuedMessage(t, w.svc, w.user.Email).Data["code"]
	wantCode(t, w.ask(t, wrongOf(code), a.State), workflow.RadiusReject)
	a = w.ask(t, eventPassword, nil) // the limiter holds a new code back; the first still works
	wantCode(t, a, workflow.RadiusChallenge)
	wantCode(t, w.ask(t, code, a.State), workflow.RadiusAccept)
}

func TestRadiusOTPMode(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusOTP, false)
	w.token(t, "hotp", nil)
	wantCode(t, w.ask(t, hotp(0), nil), workflow.RadiusAccept)
	wantCode(t, w.ask(t, hotp(0), nil), workflow.RadiusReject)
	wantCode(t, w.ask(t, eventPassword+hotp(1), nil), workflow.RadiusReject) // the VPN checks the password
	wantCode(t, w.ask(t, hotp(1), nil), workflow.RadiusAccept)

	m := newRadiusWorld(t, workflow.RadiusOTP, false)
	m.token(t, "sms", nil)
	a := m.ask(t, "", nil)
	wantCode(t, a, workflow.RadiusChallenge)
	code := queuedMessage(t, m.svc, m.user.Phone).Data["code"]
	wantCode(t, m.ask(t, code, a.State), workflow.RadiusAccept)
}

// TestRadiusSettingsFollowChanges: the first-factor mode is kept per
// resource for RadiusSettingsTTL; a change saved on this instance applies
// at once, one made elsewhere (here: in SQL) once the TTL has passed.
func TestRadiusSettingsFollowChanges(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusOTP, false)
	w.token(t, "hotp", nil)
	wantCode(t, w.ask(t, hotp(0), nil), workflow.RadiusAccept) // otp mode, now cached
	_, err := storetest.Pool(t).Exec(bg, `UPDATE portals SET radius_first_factor = 'password' WHERE resource_id = $1`, w.resource.ID)
	must(t, err)
	wantCode(t, w.ask(t, hotp(1), nil), workflow.RadiusAccept) // another instance's change: not yet
	w.clock.Advance(workflow.RadiusSettingsTTL + time.Second)
	wantCode(t, w.ask(t, hotp(2), nil), workflow.RadiusReject) // password mode: the code alone is no password
	wantCode(t, w.ask(t, eventPassword+hotp(3), nil), workflow.RadiusAccept)

	p, err := w.svc.Store.PortalByResource(bg, w.resource.ID)
	must(t, err)
	in := workflow.DefaultPortalInput(p.Alias)
	in.RadiusFirstFactor = workflow.RadiusOTP
	_, err = w.svc.SavePortal(bg, w.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	wantCode(t, w.ask(t, hotp(4), nil), workflow.RadiusAccept) // saved here: at once
}

// TestRadiusCodesAreSharedWithValidate: a code accepted over RADIUS is used
// up for validate, and the other way round.
func TestRadiusCodesAreSharedWithValidate(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.token(t, "hotp", nil)
	wantCode(t, w.ask(t, eventPassword+hotp(0), nil), workflow.RadiusAccept)
	if validate(t, w.fixture, w.resource.ID, w.user.Login, hotp(0)) {
		t.Fatal("validate accepted a code used over RADIUS")
	}
	if !validate(t, w.fixture, w.resource.ID, w.user.Login, hotp(1)) {
		t.Fatal("validate refused the next code")
	}
	wantCode(t, w.ask(t, eventPassword+hotp(1), nil), workflow.RadiusReject)
	a := w.ask(t, eventPassword, nil)
	wantCode(t, w.ask(t, hotp(1), a.State), workflow.RadiusReject)
}

// TestRadiusRejectsAlike: whatever fails, the answer is the same; only the
// activity tells why.
func TestRadiusRejectsAlike(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.token(t, "hotp", nil)
	codes, err := w.svc.NewRecoveryCodes(bg, w.user, workflow.Meta{})
	must(t, err)
	outsider, err := w.svc.CreateUser(bg, workflow.UserInput{Login: unique("outsider"), Password: eventPassword}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	var answers []workflow.RadiusAnswer
	answers = append(answers,
		w.askFrom(t, w.client, "nobody-"+w.user.Login, eventPassword+hotp(0), nil),
		w.askFrom(t, w.client, "nobody-"+w.user.Login, eventPassword, nil),
		w.ask(t, "not-the-password", nil),
		w.ask(t, "not-the-password"+hotp(0), nil),
		w.askFrom(t, w.client, outsider.Login, eventPassword, nil),
		w.ask(t, strings.Repeat("p", 129), nil),
	)
	a := w.ask(t, eventPassword, nil)
	wantCode(t, a, workflow.RadiusChallenge)
	answers = append(answers, w.ask(t, codes[0], a.State)) // recovery codes are for the portal
	for i, a := range answers {
		if a.Code != workflow.RadiusReject || a.Message != workflow.RadiusDenied || a.State != nil {
			t.Errorf("answer %d: %+v", i, a)
		}
	}
	if left, err := w.svc.Store.RecoveryCodesLeft(bg, w.user.ID); err != nil || left != 8 {
		t.Fatalf("%d recovery codes left (%v)", left, err)
	}
	if got := radiusReasons(t, w.user.Login); len(got) != 4 || !strings.Contains(got[3], "recovery") {
		t.Fatalf("reasons %q", got)
	}
	// The user's token is untouched by the failures of strangers and of
	// wrong passwords; the code still works.
	wantCode(t, w.ask(t, eventPassword+hotp(0), nil), workflow.RadiusAccept)
}

func TestRadiusLockout(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.token(t, "hotp", nil)
	for range w.svc.Limits.LockAfter {
		wantCode(t, w.ask(t, "not-the-password", nil), workflow.RadiusReject)
	}
	u, err := w.svc.Store.UserByID(bg, w.user.ID)
	must(t, err)
	if !u.Locked(w.clock.Now()) {
		t.Fatalf("not locked after %d wrong passwords", w.svc.Limits.LockAfter)
	}
	// Locked for RADIUS and for the portal alike.
	wantCode(t, w.ask(t, eventPassword+hotp(0), nil), workflow.RadiusReject)
	w.clock.Advance(w.svc.Limits.LockFor + time.Second)
	wantCode(t, w.ask(t, eventPassword+hotp(0), nil), workflow.RadiusAccept)
	if u, _ := w.svc.Store.UserByID(bg, w.user.ID); u.FailedLogins != 0 {
		t.Fatalf("failure count %d after an accept", u.FailedLogins)
	}

	// Failures count per caller address too.
	w.svc.Limits.IPFailures = 3
	for range 3 {
		wantCode(t, w.askFrom(t, w.client, "nobody-"+w.user.Login, "x", nil), workflow.RadiusReject)
	}
	wantCode(t, w.ask(t, eventPassword+hotp(1), nil), workflow.RadiusReject)
	w.caller = radiusHost("203.0")
	wantCode(t, w.ask(t, eventPassword+hotp(1), nil), workflow.RadiusAccept)
}

func TestRadiusWithoutToken(t *testing.T) {
	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	wantCode(t, w.ask(t, eventPassword, nil), workflow.RadiusReject)

	a := newRadiusWorld(t, workflow.RadiusPassword, true)
	wantCode(t, a.ask(t, eventPassword, nil), workflow.RadiusAccept)
	wantCode(t, a.ask(t, "not-the-password", nil), workflow.RadiusReject)
	// A token an administrator disabled never waives the second factor.
	tok := a.token(t, "hotp", nil)
	_, err := a.svc.SetTokenEnabled(bg, tok.Serial, false, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	wantCode(t, a.ask(t, eventPassword, nil), workflow.RadiusReject)

	o := newRadiusWorld(t, workflow.RadiusOTP, true)
	wantCode(t, o.ask(t, "", nil), workflow.RadiusAccept)
}

// TestRadiusConcurrentCodes: 32 requests with the same right code accept
// once; distinct codes of one HOTP token, each sent twice at once, each
// accept at most once.
func TestRadiusConcurrentCodes(t *testing.T) {
	run := func(t *testing.T, w *radiusWorld, passwords []string) []workflow.RadiusAnswer {
		t.Helper()
		answers := make([]workflow.RadiusAnswer, len(passwords))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, p := range passwords {
			wg.Go(func() {
				<-start
				a, err := w.svc.RadiusAccess(context.Background(), workflow.RadiusAccessRequest{Client: w.client, Login: w.user.Login,
					Password: p, CallingStationID: w.caller, Meta: workflow.Meta{IP: w.client.Address}})
				if err != nil {
					t.Error(err)
				}
				answers[i] = a
			})
		}
		close(start)
		wg.Wait()
		return answers
	}

	w := newRadiusWorld(t, workflow.RadiusPassword, false)
	w.svc.Limits.LockAfter, w.svc.Limits.IPFailures = 1000, 1000
	w.token(t, "hotp", nil)
	same := make([]string, 32)
	for i := range same {
		same[i] = eventPassword + hotp(0)
	}
	accepted := 0
	for _, a := range run(t, w, same) {
		if a.Code == workflow.RadiusAccept {
			accepted++
		}
	}
	if accepted != 1 {
		t.Fatalf("the same code accepted %d times", accepted)
	}

	var distinct []string
	for i := range 16 {
		distinct = append(distinct, eventPassword+hotp(uint64(1+i)), eventPassword+hotp(uint64(1+i)))
	}
	perCode := map[string]int{}
	total := 0
	for i, a := range run(t, w, distinct) {
		if a.Code == workflow.RadiusAccept {
			perCode[distinct[i]]++
			total++
		}
	}
	for p, n := range perCode {
		if n > 1 {
			t.Errorf("code %s accepted %d times", p[len(p)-6:], n)
		}
	}
	if total == 0 {
		t.Fatal("no code accepted")
	}
}
