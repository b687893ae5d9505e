package radius

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// radclientPath finds FreeRADIUS's radclient, or skips the test when there is
// none — unless CI asks for the real client (see .ci/run).
func radclientPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("radclient")
	if err == nil {
		return p
	}
	if os.Getenv("RADIUS_REQUIRE_CLIENT") != "" || os.Getenv("E2E_REQUIRE_BROWSER") != "" {
		t.Fatal("no radclient found, and RADIUS_REQUIRE_CLIENT is set (CI must run the RADIUS tests)")
	}
	t.Skip("no radclient found (install Debian's freeradius-utils)")
	return ""
}

// radclient sends one packet of the given command ("auth", "status") with
// the attributes in radclient's syntax, waiting 1 s and retrying once, and
// returns its debug output.
func radclient(t *testing.T, addr, command, secret, attrs string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, radclientPath(t), "-x", "-t", "1", "-r", "1", addr, command, secret)
	cmd.Stdin = strings.NewReader(attrs)
	out, _ := cmd.CombinedOutput() // its exit status says "rejected" or "no answer"; the output says which
	return string(out)
}

// TestRadclient drives the server with the RADIUS client resources use.
// (radclient cuts a User-Password to 128 octets itself; longer ones are
// sent raw in TestRefusedWithoutAskingTheCore.)
func TestRadclient(t *testing.T) {
	t.Parallel()
	radclientPath(t)
	h := newStub()
	_, addr := serve(t, h)
	_, unknownAddr := serve(t, &stub{})
	const ma = ", Message-Authenticator = 0x00"

	cases := []struct {
		name    string
		addr    string
		command string
		secret  string
		attrs   string
		want    []string // in the output; nil: no answer
	}{
		{"accept", addr, "auth", testSecret, `User-Name = "alice", User-Password = "secret123456"` + ma,
			[]string{"Received Access-Accept", `Reply-Message = "Welcome"`, "Message-Authenticator = 0x"}},
		{"reject", addr, "auth", testSecret, `User-Name = "alice", User-Password = "wrong"` + ma,
			[]string{"Received Access-Reject", `Reply-Message = "Access denied"`}},
		{"challenge", addr, "auth", testSecret, `User-Name = "alice", User-Password = "secret"` + ma,
			[]string{"Received Access-Challenge", `Reply-Message = "Enter your one-time password"`, `State = 0x73746174652d31`}},
		{"challenge answered", addr, "auth", testSecret, `User-Name = "alice", User-Password = "123456", State = 0x73746174652d31` + ma,
			[]string{"Received Access-Accept"}},
		{"status-server", addr, "status", testSecret, `Message-Authenticator = 0x00`,
			[]string{"Received Access-Accept"}},
		{"wrong secret", addr, "auth", "not-the-shared-secret", `User-Name = "alice", User-Password = "secret123456"` + ma, nil},
		{"no Message-Authenticator", addr, "auth", testSecret, `User-Name = "alice", User-Password = "secret123456"`, nil},
		{"unknown client", unknownAddr, "auth", testSecret, `User-Name = "alice", User-Password = "secret123456"` + ma, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := radclient(t, c.addr, c.command, c.secret, c.attrs)
			if c.want == nil {
				if strings.Contains(out, "Received") || !strings.Contains(out, "No reply") {
					t.Fatalf("expected no answer:\n%s", out)
				}
				return
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in:\n%s", w, out)
				}
			}
		})
	}
}
