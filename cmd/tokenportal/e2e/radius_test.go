package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/notify/smtptest"
	"tokenportal/workflow/store/storetest"
)

// RADIUS end to end (SPEC §11): two instances of the real binary on one
// database, each with its RADIUS port, driven by FreeRADIUS's radclient.

// radclientBin finds radclient; CI sets RADIUS_REQUIRE_CLIENT so these tests
// run there rather than skip.
func radclientBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("radclient")
	if err == nil {
		return p
	}
	if os.Getenv("RADIUS_REQUIRE_CLIENT") != "" || os.Getenv("E2E_REQUIRE_BROWSER") != "" {
		t.Fatal("no radclient found, and RADIUS_REQUIRE_CLIENT is set")
	}
	t.Skip("no radclient (install Debian's freeradius-utils)")
	return ""
}

// freeUDPPort reserves a UDP port on 127.0.0.1 and releases it.
func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// radAnswer is what radclient received.
type radAnswer struct {
	Code  string // Access-Accept, Access-Reject, Access-Challenge; "" for no answer
	State string // 0x… of a challenge
	Reply string // Reply-Message
	Out   string
}

var (
	radCode  = regexp.MustCompile(`Received (Access-Accept|Access-Reject|Access-Challenge)`)
	radState = regexp.MustCompile(`State = (0x[0-9a-fA-F]+)`)
	radReply = regexp.MustCompile(`Reply-Message = "([^"]*)"`)
)

// radclientSend sends one packet with radclient (5 s timeout: a reject may wait out the progressive delay; no retry).
func radclientSend(t *testing.T, addr, command, secret, attrs string) radAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, radclientBin(t), "-x", "-t", "5", "-r", "1", addr, command, secret)
	cmd.Stdin = strings.NewReader(attrs)
	out, _ := cmd.CombinedOutput()
	a := radAnswer{Out: string(out)}
	if m := radCode.FindStringSubmatch(a.Out); m != nil {
		a.Code = m[1]
	}
	if m := radState.FindStringSubmatch(a.Out); m != nil {
		a.State = m[1]
	}
	if m := radReply.FindStringSubmatch(a.Out); m != nil {
		a.Reply = m[1]
	}
	return a
}

func pap(login, password string, extra ...string) string {
	attrs := []string{fmt.Sprintf("User-Name = %q", login), fmt.Sprintf("User-Password = %q", password)}
	return strings.Join(append(attrs, extra...), ", ")
}

const withMA = "Message-Authenticator = 0x00"

func TestRadiusEndToEnd(t *testing.T) {
	radclientBin(t)
	env := baseEnv("").with("TRUSTED_PROXIES", "127.0.0.1")
	portA, portB := freeUDPPort(t), freeUDPPort(t)
	a := start(t, env.with("RADIUS_LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", portA)))
	start(t, env.with("RADIUS_LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", portB))) // instance B
	radA, radB := fmt.Sprintf("127.0.0.1:%d", portA), fmt.Sprintf("127.0.0.1:%d", portB)
	k := newKeyClient(a, apiKey(t, env, "superadmin"))

	p := makePortal(t, k, "rad")
	const password = "cobalt-meadow-lantern-58"
	u := p.addUser(t, k, "rad", password)
	p.giveToken(t, k, &u, "hotp")
	const secret = "a-shared-secret-of-the-vpn-42"
	var client struct {
		ID int64 `json:"id"`
	}
	k.must(t, http.MethodPost, fmt.Sprintf("/resources/%d/radius-clients", p.ResourceID),
		map[string]any{"name": "e2e VPN", "address": "127.0.0.1", "secret": secret}, &client)
	dropRadiusClients(t) // the package's tests share 127.0.0.1

	want := func(what string, got radAnswer, code string) {
		t.Helper()
		if got.Code != code {
			t.Fatalf("%s: got %q, want %q\n%s", what, got.Code, code, got.Out)
		}
	}

	// Password and OTP in one packet.
	want("password+OTP", radclientSend(t, radA, "auth", secret, pap(u.Login, password+u.hotp(0), withMA)), "Access-Accept")
	// The same code again is a replay, on either instance.
	want("replay", radclientSend(t, radB, "auth", secret, pap(u.Login, password+u.hotp(0), withMA)), "Access-Reject")
	// A code accepted over RADIUS is used up for validate, and the other way round.
	if ok, _, err := k.validate(p.ResourceID, u.Login, u.hotp(0)); err != nil || ok {
		t.Fatalf("validate accepted a code RADIUS used: %v %v", ok, err)
	}
	if ok, _, err := k.validate(p.ResourceID, u.Login, u.hotp(1)); err != nil || !ok {
		t.Fatalf("validate refused the next code: %v %v", ok, err)
	}
	want("a code validate used", radclientSend(t, radA, "auth", secret, pap(u.Login, password+u.hotp(1), withMA)), "Access-Reject")

	// Password alone: a challenge opened on A, answered on B.
	ch := radclientSend(t, radA, "auth", secret, pap(u.Login, password, withMA))
	want("password alone", ch, "Access-Challenge")
	if ch.State == "" || ch.Reply != "Enter your one-time password" {
		t.Fatalf("challenge without State or the prompt: %q %q\n%s", ch.State, ch.Reply, ch.Out)
	}
	want("challenge answered on B", radclientSend(t, radB, "auth", secret, pap(u.Login, u.hotp(2), "State = "+ch.State, withMA)), "Access-Accept")
	// A State is single use.
	want("State again", radclientSend(t, radA, "auth", secret, pap(u.Login, u.hotp(3), "State = "+ch.State, withMA)), "Access-Reject")

	// Unknown user and wrong password: the same reject.
	unknown := radclientSend(t, radA, "auth", secret, pap("nobody-"+u.Login, password+u.hotp(4), withMA))
	wrong := radclientSend(t, radA, "auth", secret, pap(u.Login, "not-the-password"+u.hotp(4), withMA))
	want("unknown user", unknown, "Access-Reject")
	want("wrong password", wrong, "Access-Reject")
	if unknown.Reply != "Access denied" || wrong.Reply != unknown.Reply {
		t.Fatalf("rejects differ: %q / %q", unknown.Reply, wrong.Reply)
	}

	// No Message-Authenticator while the client requires one, or a wrong
	// secret: no answer at all.
	want("without Message-Authenticator", radclientSend(t, radA, "auth", secret, pap(u.Login, password+u.hotp(4))), "")
	want("wrong secret", radclientSend(t, radA, "auth", "not-the-secret-at-all", pap(u.Login, password+u.hotp(4), withMA)), "")
	// Status-Server (RFC 5997) answers the NAS's health checks.
	if st := radclientSend(t, radB, "status", secret, withMA); !strings.Contains(st.Out, "Received Access-Accept") {
		t.Fatalf("Status-Server: %s", st.Out)
	}

	// otp mode: the VPN checks the password; User-Password is the OTP alone.
	k.must(t, http.MethodPut, fmt.Sprintf("/resources/%d/portal", p.ResourceID),
		map[string]any{"alias": p.Alias, "enabled": true, "actions": []string{"change-name"}, "radius_first_factor": "otp"}, nil)
	want("otp mode", radclientSend(t, radB, "auth", secret, pap(u.Login, u.hotp(5), withMA)), "Access-Accept")

	// A client that is gone gets no answer (from an instance that has not
	// seen it: the others trust their lookup for up to 10 s).
	k.must(t, http.MethodDelete, fmt.Sprintf("/radius-clients/%d", client.ID), nil, nil)
	portC := freeUDPPort(t)
	start(t, env.with("RADIUS_LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", portC)))
	want("deleted client", radclientSend(t, fmt.Sprintf("127.0.0.1:%d", portC), "auth", secret, pap(u.Login, u.hotp(6), withMA)), "")
}

// dropRadiusClients removes every RADIUS client when the test ends: an
// address belongs to one resource only, and the package's tests all send
// from 127.0.0.1.
func dropRadiusClients(t *testing.T) {
	t.Cleanup(func() {
		db := openDB(t, storetest.URL())
		if _, err := db.Exec(context.Background(), "DELETE FROM radius_clients"); err != nil {
			t.Error(err)
		}
	})
}

// An email token over RADIUS: the password alone opens a challenge and
// mails the code (through a real SMTP conversation); the code with the
// State is accepted.
func TestRadiusEmailTokenChallenge(t *testing.T) {
	radclientBin(t)
	mail := smtptest.Start(t)
	env := mailEnv(baseEnv(""), strings.TrimPrefix(mail.URL(), "smtp://"))
	port := freeUDPPort(t)
	inst := start(t, env.with("RADIUS_LISTEN_ADDR", fmt.Sprintf("127.0.0.1:%d", port)))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	k := newKeyClient(inst, apiKey(t, env, "superadmin"))
	p := makePortal(t, k, "radmail")
	const password = "juniper-harbour-kettle-31"
	u := p.addUser(t, k, "radmail", password)

	// The email token, stored as the portal stores one (same SECRET_KEY).
	svc := serviceOn(t, env, openDB(t, storetest.URL()))
	tok := workflow.Token{Serial: strings.ToUpper(uniqueName("MAIL")), Type: workflow.TokenEmail, Enabled: true, UserID: &u.ID, ResourceID: &p.ResourceID}
	if err := svc.StoreToken(context.Background(), svc.Store, &tok, nil); err != nil {
		t.Fatal(err)
	}
	const secret = "another-shared-secret-of-a-vpn"
	k.must(t, http.MethodPost, fmt.Sprintf("/resources/%d/radius-clients", p.ResourceID),
		map[string]any{"name": "e2e mail VPN", "address": "127.0.0.1", "secret": secret}, nil)
	dropRadiusClients(t)

	ch := radclientSend(t, addr, "auth", secret, pap(u.Login, password, withMA))
	if ch.Code != "Access-Challenge" || ch.State == "" {
		t.Fatalf("password alone: %q\n%s", ch.Code, ch.Out)
	}
	m := mail.WaitFor(t, smtptest.To(u.Email), 30*time.Second)
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(m.Body)
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", m.Body)
	}
	if a := radclientSend(t, addr, "auth", secret, pap(u.Login, "000000", "State = "+ch.State, withMA)); a.Code != "Access-Reject" {
		t.Fatalf("a wrong code: %q\n%s", a.Code, a.Out)
	}
	// The State was used by the wrong code: a new challenge, and the code
	// mailed before still works (a new code does not cancel it).
	ch = radclientSend(t, addr, "auth", secret, pap(u.Login, password, withMA))
	if ch.Code != "Access-Challenge" {
		t.Fatalf("second challenge: %q\n%s", ch.Code, ch.Out)
	}
	if a := radclientSend(t, addr, "auth", secret, pap(u.Login, code, "State = "+ch.State, withMA)); a.Code != "Access-Accept" {
		t.Fatalf("the mailed code: %q\n%s", a.Code, a.Out)
	}
}
