package radius

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

const testSecret = "a-shared-secret-of-some-length"

// stub is the core as the tests want it: a fixed client table and answers by
// user name.
type stub struct {
	clients map[netip.Addr]Client
	calls   atomic.Int64
	release chan struct{} // user "slow" waits for it

	mu   sync.Mutex
	last Request
}

// newStub knows one client, 127.0.0.1, which must send a Message-Authenticator.
func newStub() *stub {
	return &stub{clients: map[netip.Addr]Client{
		netip.MustParseAddr("127.0.0.1"): {ID: 1, Name: "vpn", Secret: []byte(testSecret), RequireMessageAuthenticator: true},
	}, release: make(chan struct{})}
}

// lax lets 127.0.0.1 ask without a Message-Authenticator.
func (h *stub) lax() *stub {
	c := h.clients[netip.MustParseAddr("127.0.0.1")]
	c.RequireMessageAuthenticator = false
	h.clients[netip.MustParseAddr("127.0.0.1")] = c
	return h
}

func (h *stub) Client(_ context.Context, addr netip.Addr) (Client, bool, error) {
	c, ok := h.clients[addr]
	return c, ok, nil
}

func (h *stub) Access(ctx context.Context, r Request) (Answer, error) {
	h.calls.Add(1)
	h.mu.Lock()
	h.last = r
	h.mu.Unlock()
	switch {
	case r.UserName == "alice" && r.Password == "secret123456":
		return Answer{Code: Accept, ReplyMessage: "Welcome"}, nil
	case r.UserName == "alice" && r.Password == "secret" && r.State == nil:
		return Answer{Code: Challenge, ReplyMessage: "Enter your one-time password", State: []byte("state-1")}, nil
	case r.UserName == "alice" && r.Password == "123456" && string(r.State) == "state-1":
		return Answer{Code: Accept}, nil
	case r.UserName == "slow":
		select {
		case <-h.release:
			return Answer{Code: Accept}, nil
		case <-ctx.Done():
			return Answer{}, ctx.Err()
		}
	case r.UserName == "error":
		return Answer{}, errors.New("database down")
	case r.UserName == "bad-answer":
		return Answer{Code: Challenge}, nil // no State
	case r.UserName == "panic":
		panic("handler bug")
	}
	return Answer{Code: Reject, ReplyMessage: "wrong password, says the core"}, nil
}

// waitCalls waits until the core was asked n times.
func (h *stub) waitCalls(t testing.TB, n int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); h.calls.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the core was asked %d times, want %d", h.calls.Load(), n)
		}
	}
}

func (h *stub) wantCalls(t testing.TB, n int64) {
	t.Helper()
	if got := h.calls.Load(); got != n {
		t.Errorf("the core was asked %d times, want %d", got, n)
	}
}

func (h *stub) lastRequest() Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// serve starts a Server for h on a free port of 127.0.0.1 and returns it and
// its address; the test's end shuts it down.
func serve(t testing.TB, h Handler, configure ...func(*Server)) (*Server, string) {
	t.Helper()
	return serveOn(t, "127.0.0.1:0", h, configure...)
}

func serveOn(t testing.TB, addr string, h Handler, configure ...func(*Server)) (*Server, string) {
	t.Helper()
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range configure {
		c(s)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(conn) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-errc; !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return s, conn.LocalAddr().String()
}

// packet builds a request; sign adds a Message-Authenticator made with secret.
type packet struct {
	code     radius.Code
	user     string
	password []byte // encrypted as RFC 2865 says unless nil
	rawPW    []byte // put on the wire as is
	state    []byte
	sign     bool
	extra    radius.Attributes
	secret   string // default testSecret
	id       byte
	auth     [16]byte
}

func (p packet) encode(t testing.TB) []byte {
	t.Helper()
	secret := []byte(p.secret)
	if p.secret == "" {
		secret = []byte(testSecret)
	}
	code := p.code
	if code == 0 {
		code = radius.CodeAccessRequest
	}
	pkt := radius.New(code, secret)
	if p.id != 0 || p.auth != [16]byte{} {
		pkt.Identifier, pkt.Authenticator = p.id, p.auth
	}
	if p.sign {
		pkt.Add(typeMA, make(radius.Attribute, 16))
	}
	if p.user != "" {
		pkt.Add(rfc2865.UserName_Type, radius.Attribute(p.user))
	}
	if p.password != nil {
		a, err := radius.NewUserPassword(p.password, secret, pkt.Authenticator[:])
		if err != nil {
			t.Fatal(err)
		}
		pkt.Add(rfc2865.UserPassword_Type, a)
	}
	if p.rawPW != nil {
		pkt.Add(rfc2865.UserPassword_Type, p.rawPW)
	}
	if p.state != nil {
		pkt.Add(rfc2865.State_Type, p.state)
	}
	pkt.Attributes = append(pkt.Attributes, p.extra...)
	b, err := pkt.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if p.sign {
		sign(b, secret)
	}
	return b
}

// sign fills in the Message-Authenticator of a request, if it has one.
func sign(b, secret []byte) {
	if off, n := findMA(b); n == 1 && off > 0 {
		copy(b[off:], requestMA(b, off, secret))
	}
}

// exchange sends b from a new socket and returns the reply, or nil when none
// comes within wait.
func exchange(t testing.TB, addr string, b []byte, wait time.Duration) []byte {
	t.Helper()
	return roundTrip(t, dial(t, addr), b, wait)
}

// dial opens a socket to addr, a NAS's source port, closed at the test's end.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// roundTrip sends b (nil: nothing) and returns the next packet that arrives
// within wait, or nil.
func roundTrip(t testing.TB, conn net.Conn, b []byte, wait time.Duration) []byte {
	t.Helper()
	if b != nil {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		t.Fatal(err)
	}
	return buf[:n]
}

// checkAnswer verifies an answer to req as a NAS does, independently of the
// server's code: the Response Authenticator (RFC 2865 §3) and the
// Message-Authenticator (RFC 3579 §3.2, computed with the Request
// Authenticator in place), and returns it parsed.
func checkAnswer(t testing.TB, answer, req []byte, secret string) *radius.Packet {
	t.Helper()
	if answer == nil {
		t.Fatal("no answer")
	}
	if !radius.IsAuthenticResponse(answer, req, []byte(secret)) {
		t.Fatal("Response Authenticator does not verify")
	}
	if answer[1] != req[1] {
		t.Fatalf("identifier %d, want %d", answer[1], req[1])
	}
	p, err := radius.Parse(answer, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	mas := 0
	for i, avp := range p.Attributes {
		if avp.Type != typeMA {
			continue
		}
		mas++
		if i != 0 {
			t.Error("Message-Authenticator is not the first attribute")
		}
		b := append([]byte(nil), answer...)
		copy(b[4:20], req[4:20])
		clear(b[22:38])
		mac := hmac.New(md5.New, []byte(secret))
		mac.Write(b)
		if !hmac.Equal(mac.Sum(nil), avp.Attribute) {
			t.Fatal("Message-Authenticator does not verify")
		}
	}
	if mas != 1 {
		t.Fatalf("%d Message-Authenticators", mas)
	}
	return p
}
