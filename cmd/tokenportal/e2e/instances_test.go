package e2e

// Several instances share one database (§10 "stateless instances"):
// sessions, throttles and OTP replay protection hold across them.

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"tokenportal/workflow/otp"
)

// twoInstances starts A and B on the package's database with one
// environment (one SECRET_KEY), trusting 127.0.0.1 as a proxy so each test
// sends X-Forwarded-For addresses of its own; it returns a superadmin key.
func twoInstances(t *testing.T) (a, b *Instance, env Env, key string) {
	t.Helper()
	env = baseEnv("").with("TRUSTED_PROXIES", "127.0.0.1")
	a, b = start(t, env), start(t, env)
	if a.Port == b.Port {
		t.Fatal("the instances share a port")
	}
	return a, b, env, apiKey(t, env, "superadmin")
}

func TestInstancesShareSessions(t *testing.T) {
	a, b, env, key := twoInstances(t)
	k := newKeyClient(a, key)
	p := makePortal(t, k, "sessions")
	u := p.addUser(t, k, "sessions", proofPassword)
	p.giveToken(t, k, &u, "hotp")
	counter := uint64(0)
	next := func() string { c := counter; counter++; return u.hotp(c) }

	t.Run("portal session of A works on B", func(t *testing.T) {
		w := newWebClient("198.51.100.10")
		if page := portalLogin(t, w, a.URL, p.Alias, u.Login, u.Password, next()); !atPortalHome(page, p.Alias) {
			t.Fatalf("sign-in on A: %s", page)
		}
		if page := w.mustGet(t, b.URL, "/selfservice/"+p.Alias+"/home"); !atPortalHome(page, p.Alias) {
			t.Fatalf("home on B with A's session: %s", page)
		}
		// A browser without the cookies is sent to the sign-in.
		if page := newWebClient("198.51.100.11").mustGet(t, b.URL, "/selfservice/"+p.Alias+"/home"); page.URL.Path != "/selfservice/"+p.Alias+"/login" {
			t.Fatalf("home on B without a session: %s", page)
		}
	})

	t.Run("admin session of A works on B", func(t *testing.T) {
		login := uniqueName("admin")
		password := createAdmin(t, env, login, "helpdesk")
		w := newWebClient("198.51.100.12")
		if page := adminLogin(t, w, a.URL, login, password); !atAdminConsole(page) {
			t.Fatalf("admin sign-in on A: %s", page)
		}
		if page := w.mustGet(t, b.URL, "/admin/"); !atAdminConsole(page) {
			t.Fatalf("/admin/ on B with A's session: %s", page)
		}
		if page := newWebClient("198.51.100.13").mustGet(t, b.URL, "/admin/"); page.URL.Path != "/admin/login" {
			t.Fatalf("/admin/ on B without a session: %s", page)
		}
	})

	t.Run("portal session outlives A", func(t *testing.T) {
		w := newWebClient("198.51.100.14")
		if page := portalLogin(t, w, a.URL, p.Alias, u.Login, u.Password, next()); !atPortalHome(page, p.Alias) {
			t.Fatalf("sign-in on A: %s", page)
		}
		a.Kill()
		if _, err := w.get(a.URL, "/healthz"); err == nil {
			t.Fatal("A still answers after SIGKILL")
		}
		if page := w.mustGet(t, b.URL, "/selfservice/"+p.Alias+"/home"); !atPortalHome(page, p.Alias) {
			t.Fatalf("home on B after A died: %s", page)
		}
	})
}

func TestInstancesShareThrottles(t *testing.T) {
	a, b, _, key := twoInstances(t)
	k := newKeyClient(a, key)
	p := makePortal(t, k, "throttles")
	instances := []*Instance{a, b}

	// signIn tries login and password through inst from ip, in any
	// goroutine; it returns the message shown, "" for a success.
	signIn := func(inst *Instance, ip, login, password string) (string, error) {
		page, err := tryPortalLogin(newWebClient(ip), inst.URL, p.Alias, login, password, "")
		switch {
		case err != nil:
			return "", err
		case atPortalHome(page, p.Alias):
			return "", nil
		case loginFailure(page) == "":
			return "", fmt.Errorf("neither home nor a failure on %s: %s", inst.URL, page)
		}
		return loginFailure(page), nil
	}
	// fail signs in with a wrong password and returns the message shown.
	fail := func(t *testing.T, inst *Instance, ip, login string) string {
		t.Helper()
		msg, err := signIn(inst, ip, login, "Wrong-password-"+login)
		if err != nil || msg == "" {
			t.Fatalf("wrong password on %s: signed in, or %v", inst.URL, err)
		}
		return msg
	}
	// everywhere tries the same sign-in on every instance at once and returns
	// the messages.
	everywhere := func(t *testing.T, ip, login, password string) []string {
		t.Helper()
		msgs := make([]string, len(instances))
		errs := make([]error, len(instances))
		var wg sync.WaitGroup
		for i, inst := range instances {
			wg.Go(func() { msgs[i], errs[i] = signIn(inst, ip, login, password) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return msgs
	}

	t.Run("user lockout counts failures on every instance", func(t *testing.T) {
		const ip = "198.51.100.20"
		u := p.addUser(t, k, "lockout", proofPassword)
		// The 10 failures that lock the account (§4.6), five on each
		// instance, at the same time: the count is one row, not one per
		// process (and the progressive delays overlap).
		var wg sync.WaitGroup
		msgs := make([]string, 10)
		errs := make([]error, 10)
		for i := range msgs {
			wg.Go(func() { msgs[i], errs[i] = signIn(instances[i%2], ip, u.Login, "Wrong-password-"+u.Login) })
		}
		wg.Wait()
		for i, m := range msgs {
			if errs[i] != nil || m != "Login failed." {
				t.Fatalf("failure %d on %s: message %q, %v", i, instances[i%2].URL, m, errs[i])
			}
		}
		// Now the right password fails too, on both, with the same message.
		for i, m := range everywhere(t, ip, u.Login, u.Password) {
			if m != "Login failed." {
				t.Fatalf("locked user on %s: message %q", instances[i].URL, m)
			}
		}
		var got struct {
			Locked bool `json:"locked"`
		}
		k.must(t, http.MethodGet, fmt.Sprintf("/users/%d", u.ID), nil, &got)
		if !got.Locked {
			t.Fatal("the API does not show the user locked")
		}
	})

	t.Run("per-IP limit counts failures on every instance", func(t *testing.T) {
		const ip, other = "198.51.100.30", "198.51.100.31"
		u := p.addUser(t, k, "perip", proofPassword)
		// 49 failures for unknown logins (so no account and no per-login
		// delay is involved), alternating between A and B: below the limit
		// of 50 per 15 minutes, the right password still works.
		for i := range 49 {
			if m := fail(t, instances[i%2], ip, uniqueName("nobody")); m != "Login failed." {
				t.Fatalf("failure %d: message %q", i, m)
			}
		}
		if page := portalLogin(t, newWebClient(ip), b.URL, p.Alias, u.Login, u.Password, ""); !atPortalHome(page, p.Alias) {
			t.Fatalf("49 failures from the address already refuse it: %s", page)
		}
		// The 50th failure, on A: neither instance saw 50 by itself.
		if m := fail(t, a, ip, uniqueName("nobody")); m != "Login failed." {
			t.Fatalf("failure 50: message %q", m)
		}
		for i, m := range everywhere(t, ip, u.Login, u.Password) {
			if m != "Login failed." {
				t.Fatalf("address over the limit on %s: message %q", instances[i].URL, m)
			}
		}
		// The user is not locked: from another address they get in.
		if page := portalLogin(t, newWebClient(other), b.URL, p.Alias, u.Login, u.Password, ""); !atPortalHome(page, p.Alias) {
			t.Fatalf("sign-in from another address: %s", page)
		}
	})
}

func TestInstancesAcceptAnOTPOnce(t *testing.T) {
	a, b, _, key := twoInstances(t)
	k := newKeyClient(a, key)
	p := makePortal(t, k, "replay")
	hotpUser := p.addUser(t, k, "replay-hotp", proofPassword)
	p.giveToken(t, k, &hotpUser, "hotp")
	totpUser := p.addUser(t, k, "replay-totp", proofPassword)
	p.giveToken(t, k, &totpUser, "totp")

	// One client per instance with a connection per goroutine, so the
	// requests really run at the same time.
	clients := []*keyClient{newKeyClient(a, key), newKeyClient(b, key)}
	for _, c := range clients {
		c.http.Transport = &http.Transport{MaxIdleConnsPerHost: 32}
	}
	const racers = 32
	race := func(t *testing.T, login, code string) {
		t.Helper()
		var wg sync.WaitGroup
		results := make([]bool, racers)
		errs := make([]error, racers)
		gate := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				<-gate
				results[i], _, errs[i] = clients[i%2].validate(p.ResourceID, login, code)
			})
		}
		close(gate)
		wg.Wait()
		accepted := 0
		for i := range racers {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if results[i] {
				accepted++
			}
		}
		if accepted != 1 {
			t.Fatalf("code %s of %s accepted %d times by %d concurrent requests on two instances", code, login, accepted, racers)
		}
	}

	const hotpRounds = 5
	for c := range uint64(hotpRounds) {
		race(t, hotpUser.Login, hotpUser.hotp(c))
	}
	// TOTP: the code of this step and of the next (the window accepts it
	// early); after each, the step is spent.
	now := time.Now()
	for _, at := range []time.Time{now, now.Add(30 * time.Second)} {
		race(t, totpUser.Login, otp.TOTPCode(totpUser.Seed, at, otp.Default))
	}

	// The database agrees: each accepted code moved the token once and
	// wrote one accepting Validate activity; the replays counted no failure.
	db := openDB(t, storeURL(a))
	for _, tc := range []struct {
		u        proofUser
		accepted int
	}{{hotpUser, hotpRounds}, {totpUser, 2}} {
		var accepts, refusals, failcount int
		err := db.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM activities WHERE event = 'Validate' AND details->>'serial' = $1 AND details->>'result' = 'true'),
			(SELECT count(*) FROM activities WHERE event = 'Validate' AND details->>'serial' = $1 AND details->>'result' = 'false'),
			(SELECT failcount FROM tokens WHERE serial = $1)`, tc.u.Serial).Scan(&accepts, &refusals, &failcount)
		if err != nil {
			t.Fatal(err)
		}
		if accepts != tc.accepted || refusals != tc.accepted*(racers-1) || failcount != 0 {
			t.Fatalf("token %s: %d accepting and %d refusing Validate activities, failcount %d; want %d, %d, 0",
				tc.u.Serial, accepts, refusals, failcount, tc.accepted, tc.accepted*(racers-1))
		}
	}
	var counter int64
	if err := db.QueryRow(context.Background(), "SELECT counter FROM tokens WHERE serial = $1", hotpUser.Serial).Scan(&counter); err != nil {
		t.Fatal(err)
	}
	if counter != hotpRounds {
		t.Fatalf("HOTP counter %d after %d accepted codes", counter, hotpRounds)
	}
}
