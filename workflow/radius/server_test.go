package radius

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// silence is how long a test waits to be sure no answer comes.
const silence = 300 * time.Millisecond

// testTimeout is how long a test waits for an answer that must come.
const testTimeout = 2 * time.Second

func attr(typ radius.Type, v string) *radius.AVP {
	return &radius.AVP{Type: typ, Attribute: radius.Attribute(v)}
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	h := newStub()
	_, addr := serve(t, h)
	laxStub := newStub().lax()
	_, laxAddr := serve(t, laxStub)

	cases := []struct {
		name    string
		addr    string
		req     packet
		code    radius.Code
		message string
		state   string
	}{
		{"accept", addr, packet{user: "alice", password: []byte("secret123456"), sign: true}, radius.CodeAccessAccept, "Welcome", ""},
		{"reject says only Access denied", addr, packet{user: "alice", password: []byte("wrong"), sign: true}, radius.CodeAccessReject, AccessDenied, ""},
		{"challenge", addr, packet{user: "alice", password: []byte("secret"), sign: true}, radius.CodeAccessChallenge, "Enter your one-time password", "state-1"},
		{"challenge answered", addr, packet{user: "alice", password: []byte("123456"), state: []byte("state-1"), sign: true}, radius.CodeAccessAccept, "", ""},
		{"status-server", addr, packet{code: radius.CodeStatusServer, sign: true}, radius.CodeAccessAccept, "", ""},
		{"no MA from a client that does not require it", laxAddr, packet{user: "alice", password: []byte("secret123456")}, radius.CodeAccessAccept, "Welcome", ""},
		{"MA from a client that does not require it", laxAddr, packet{user: "alice", password: []byte("secret123456"), sign: true}, radius.CodeAccessAccept, "Welcome", ""},
		{"empty password", addr, packet{user: "alice", password: []byte{}, sign: true}, radius.CodeAccessReject, AccessDenied, ""},
		{"128-octet password", addr, packet{user: "alice", password: bytes.Repeat([]byte("p"), 128), sign: true}, radius.CodeAccessReject, AccessDenied, ""},
		{"challenge without State from the core", addr, packet{user: "bad-answer", password: []byte("x"), sign: true}, radius.CodeAccessReject, AccessDenied, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			req := c.req.encode(t)
			p := checkAnswer(t, exchange(t, c.addr, req, testTimeout), req, testSecret)
			if p.Code != c.code {
				t.Fatalf("code %v, want %v", p.Code, c.code)
			}
			if got := rfc2865.ReplyMessage_GetString(p); got != c.message {
				t.Errorf("Reply-Message %q, want %q", got, c.message)
			}
			if got := string(rfc2865.State_Get(p)); got != c.state {
				t.Errorf("State %q, want %q", got, c.state)
			}
		})
	}
}

func TestProxyStateEchoedAndLongReplySplit(t *testing.T) {
	t.Parallel()
	req := packet{user: "alice", password: []byte("x"), sign: true,
		extra: radius.Attributes{attr(rfc2865.ProxyState_Type, "one"), attr(rfc2865.ProxyState_Type, "two")}}
	raw := req.encode(t)
	p, _ := radius.Parse(raw, []byte(testSecret))
	b, err := encodeAnswer(p, Answer{Code: Accept, ReplyMessage: strings.Repeat("m", 300)})
	if err != nil {
		t.Fatal(err)
	}
	a := checkAnswer(t, b, raw, testSecret)
	ps, _ := rfc2865.ProxyState_Gets(a)
	if len(ps) != 2 || string(ps[0]) != "one" || string(ps[1]) != "two" {
		t.Errorf("Proxy-State %q", ps)
	}
	if msgs, _ := rfc2865.ReplyMessage_GetStrings(a); len(msgs) != 2 || strings.Join(msgs, "") != strings.Repeat("m", 300) {
		t.Errorf("Reply-Message %q", msgs)
	}
}

func TestRequestAsTheCoreSeesIt(t *testing.T) {
	t.Parallel()
	h := newStub()
	_, addr := serve(t, h)
	req := packet{user: "alice", password: []byte("secret123456"), sign: true, state: []byte{0, 1, 2},
		extra: radius.Attributes{
			{Type: rfc2865.NASIPAddress_Type, Attribute: radius.Attribute{192, 0, 2, 7}},
			attr(rfc2865.NASIdentifier_Type, "gw-1\x00\n\xff"),
			attr(rfc2865.CallingStationID_Type, "198.51.100.9"),
		}}
	exchange(t, addr, req.encode(t), testTimeout)
	r := h.lastRequest()
	if r.Client.Name != "vpn" || r.UserName != "alice" || r.Password != "secret123456" || !bytes.Equal(r.State, []byte{0, 1, 2}) ||
		r.NASIPAddress != "192.0.2.7" || r.NASIdentifier != "gw-1" || r.CallingStationID != "198.51.100.9" ||
		r.Source.Addr() != netip.MustParseAddr("127.0.0.1") || r.Source.Port() == 0 {
		t.Errorf("request %+v", r)
	}
}

// TestDropped: what a stranger or a broken NAS sends gets no answer at all,
// and the core is not asked.
func TestDropped(t *testing.T) {
	t.Parallel()
	other := packet{user: "alice", password: []byte("secret123456"), sign: true, secret: "another-secret-entirely"}
	twoMAs := packet{user: "alice", password: []byte("secret123456"), sign: true,
		extra: radius.Attributes{{Type: typeMA, Attribute: make(radius.Attribute, 16)}}}
	shortMA := packet{user: "alice", password: []byte("secret123456"), extra: radius.Attributes{attr(typeMA, "short")}}
	tampered := packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name string
		h    *stub
		req  []byte
	}{
		{"unknown client", &stub{clients: nil}, packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t)},
		{"no Message-Authenticator though required", newStub(), packet{user: "alice", password: []byte("secret123456")}.encode(t)},
		{"wrong secret", newStub(), other.encode(t)},
		{"wrong secret, client not requiring MA", newStub().lax(), other.encode(t)},
		{"tampered after signing", newStub(), tampered},
		{"two Message-Authenticators", newStub(), twoMAs.encode(t)},
		{"short Message-Authenticator", newStub().lax(), shortMA.encode(t)},
		{"status-server without MA", newStub().lax(), packet{code: radius.CodeStatusServer}.encode(t)},
		{"accounting", newStub(), packet{code: radius.CodeAccountingRequest, user: "alice", sign: true}.encode(t)},
		{"access-accept sent to the server", newStub(), packet{code: radius.CodeAccessAccept, sign: true}.encode(t)},
		{"handler error", newStub(), packet{user: "error", password: []byte("x"), sign: true}.encode(t)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, addr := serve(t, c.h)
			if b := exchange(t, addr, c.req, silence); b != nil {
				t.Fatalf("answered % x", b)
			}
			if c.name != "handler error" && c.h.calls.Load() != 0 {
				t.Errorf("the core was asked")
			}
		})
	}
}

// TestRefusedWithoutAskingTheCore: a request the protocol layer cannot pass
// on is an Access-Reject, not an error and not a question to the core.
func TestRefusedWithoutAskingTheCore(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		req  packet
	}{
		{"User-Password longer than 128 octets", packet{user: "alice", rawPW: bytes.Repeat([]byte{7}, 144), sign: true}},
		{"User-Password not a multiple of 16", packet{user: "alice", rawPW: bytes.Repeat([]byte{7}, 17), sign: true}},
		{"no User-Password", packet{user: "alice", sign: true}},
		{"two User-Passwords", packet{user: "alice", password: []byte("a"), rawPW: bytes.Repeat([]byte{7}, 16), sign: true}},
		{"no User-Name", packet{password: []byte("secret123456"), sign: true}},
		{"User-Name with a control character", packet{user: "ali\x00ce", password: []byte("secret123456"), sign: true}},
		{"User-Name not UTF-8", packet{user: "ali\xffce", password: []byte("secret123456"), sign: true}},
		{"CHAP", packet{user: "alice", sign: true, extra: radius.Attributes{attr(rfc2865.CHAPPassword_Type, strings.Repeat("c", 17))}}},
		{"EAP", packet{user: "alice", password: []byte("x"), sign: true, extra: radius.Attributes{attr(rfc2869.EAPMessage_Type, "\x02\x00\x00\x05\x01")}}},
		{"two States", packet{user: "alice", password: []byte("x"), state: []byte("a"), sign: true, extra: radius.Attributes{attr(rfc2865.State_Type, "b")}}},
	}
	h := newStub()
	_, addr := serve(t, h)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.req.encode(t)
			p := checkAnswer(t, exchange(t, addr, req, testTimeout), req, testSecret)
			if p.Code != radius.CodeAccessReject || rfc2865.ReplyMessage_GetString(p) != AccessDenied {
				t.Fatalf("%v %q", p.Code, rfc2865.ReplyMessage_GetString(p))
			}
		})
	}
	h.wantCalls(t, 0)
}

func TestDuplicateAnsweredFromCache(t *testing.T) {
	t.Parallel()
	h := newStub()
	_, addr := serve(t, h)
	conn := dial(t, addr)
	req := packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t)
	first := roundTrip(t, conn, req, testTimeout)
	second := roundTrip(t, conn, req, testTimeout)
	checkAnswer(t, second, req, testSecret)
	if !bytes.Equal(first, second) {
		t.Error("the retransmission got another answer")
	}
	h.wantCalls(t, 1)
	// Another source port is another request (RFC 5080 §2.2.2).
	exchange(t, addr, req, testTimeout)
	h.wantCalls(t, 2)
}

func TestDuplicateWhileInFlight(t *testing.T) {
	t.Parallel()
	h := newStub()
	_, addr := serve(t, h)
	conn := dial(t, addr)
	req := packet{user: "slow", password: []byte("x"), sign: true}.encode(t)
	if b := roundTrip(t, conn, req, 100*time.Millisecond); b != nil {
		t.Fatal("answered before the core decided")
	}
	if b := roundTrip(t, conn, req, 100*time.Millisecond); b != nil {
		t.Fatal("the retransmission was answered before the core decided")
	}
	close(h.release)
	checkAnswer(t, roundTrip(t, conn, nil, testTimeout), req, testSecret)
	if b := roundTrip(t, conn, req, silence); b == nil {
		t.Error("a later retransmission was not answered from the cache")
	}
	h.wantCalls(t, 1)
}

func TestNoAnswerIsNotCached(t *testing.T) {
	t.Parallel()
	h := newStub()
	_, addr := serve(t, h)
	conn := dial(t, addr)
	req := packet{user: "error", password: []byte("x"), sign: true}.encode(t)
	for range 2 {
		if b := roundTrip(t, conn, req, silence); b != nil {
			t.Fatal("answered after a handler error")
		}
	}
	h.wantCalls(t, 2)
}

func TestDupCache(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newDupCache(5*time.Second, 2)
	k := func(id byte) dupKey { return dupKey{src: netip.MustParseAddrPort("192.0.2.1:1000"), id: id} }

	if _, dup := c.begin(k(1), t0); dup {
		t.Fatal("new key seen as duplicate")
	}
	if a, dup := c.begin(k(1), t0); !dup || a != nil {
		t.Fatal("in-flight key not seen as in flight")
	}
	c.finish(k(1), []byte("answer"), t0.Add(time.Second))
	if a, dup := c.begin(k(1), t0.Add(5*time.Second)); !dup || string(a) != "answer" {
		t.Fatalf("cached answer: %q %v", a, dup)
	}
	if _, dup := c.begin(k(1), t0.Add(6*time.Second)); dup {
		t.Fatal("expired answer served")
	}
	c.finish(k(1), nil, t0.Add(6*time.Second))
	// The cap: a third key in flight is not remembered.
	c.begin(k(2), t0.Add(7*time.Second))
	c.begin(k(3), t0.Add(7*time.Second))
	c.begin(k(4), t0.Add(7*time.Second))
	if len(c.m) != 2 {
		t.Fatalf("%d entries, cap 2", len(c.m))
	}
	if _, dup := c.begin(k(4), t0.Add(7*time.Second)); dup {
		t.Fatal("a key beyond the cap was remembered")
	}
	// Answered entries expire and make room again.
	c.finish(k(2), []byte("a"), t0.Add(7*time.Second))
	c.finish(k(3), []byte("a"), t0.Add(7*time.Second))
	c.begin(k(5), t0.Add(20*time.Second))
	if len(c.m) != 1 {
		t.Fatalf("%d entries after expiry", len(c.m))
	}
}

func TestLogLimit(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := logLimit{period: time.Minute, burst: 2}
	for i, want := range []bool{true, true, false, false} {
		if ok, _ := l.allow("unknown client", t0); ok != want {
			t.Fatalf("line %d: %v", i, ok)
		}
	}
	if ok, _ := l.allow("bad Message-Authenticator", t0); !ok {
		t.Fatal("reasons share a limit")
	}
	if ok, n := l.allow("unknown client", t0.Add(time.Minute)); !ok || n != 2 {
		t.Fatalf("next minute: %v, %d suppressed", ok, n)
	}
}

// TestSlowCoreDoesNotBlock: a request waiting for the core holds neither the
// listener nor the other requests; beyond MaxInFlight packets are dropped.
func TestSlowCoreDoesNotBlock(t *testing.T) {
	t.Parallel()
	h := newStub()
	s, addr := serve(t, h, func(s *Server) { s.MaxInFlight = 2 })
	slow := packet{user: "slow", password: []byte("x"), sign: true}.encode(t)
	conn := dial(t, addr)
	if b := roundTrip(t, conn, slow, 50*time.Millisecond); b != nil {
		t.Fatal("slow request answered early")
	}
	req := packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t)
	checkAnswer(t, exchange(t, addr, req, time.Second), req, testSecret)
	s.init()
	for len(s.sem) > 1 { // its slot is freed just after the answer
		time.Sleep(time.Millisecond)
	}

	slow2 := packet{user: "slow", password: []byte("y"), sign: true}.encode(t)
	conn2 := dial(t, addr)
	if b := roundTrip(t, conn2, slow2, 50*time.Millisecond); b != nil {
		t.Fatal("second slow request answered early")
	}
	if b := exchange(t, addr, req, silence); b != nil {
		t.Error("answered beyond MaxInFlight")
	}
	close(h.release)
	checkAnswer(t, roundTrip(t, conn, nil, testTimeout), slow, testSecret)
	checkAnswer(t, roundTrip(t, conn2, nil, testTimeout), slow2, testSecret)
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	h := newStub()
	_, addr := serve(t, h, func(s *Server) { s.Timeout = 50 * time.Millisecond })
	if b := exchange(t, addr, packet{user: "slow", password: []byte("x"), sign: true}.encode(t), silence); b != nil {
		t.Fatal("answered after the timeout")
	}
}

func TestPanicInCoreDoesNotStopTheServer(t *testing.T) {
	t.Parallel()
	_, addr := serve(t, newStub())
	if b := exchange(t, addr, packet{user: "panic", password: []byte("x"), sign: true}.encode(t), silence); b != nil {
		t.Fatal("answered")
	}
	req := packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t)
	checkAnswer(t, exchange(t, addr, req, time.Second), req, testSecret)
}

// TestMalformedPacketsDoNotStopTheListener sends what a fuzzer would, then a
// good request, which must be answered.
func TestMalformedPacketsDoNotStopTheListener(t *testing.T) {
	t.Parallel()
	_, addr := serve(t, newStub().lax())
	good := packet{user: "alice", password: []byte("secret123456")}.encode(t)
	lie := append([]byte(nil), good...)
	lie[2], lie[3] = 0xff, 0xff
	short := append([]byte(nil), good...)
	short[3] = 19
	zeroAttr := append(append([]byte(nil), good...), 1, 0)
	zeroAttr[3] += 2
	overAttr := append(append([]byte(nil), good...), 1, 200)
	overAttr[3] += 2
	for _, b := range [][]byte{{}, {1}, good[:19], lie, short, zeroAttr, overAttr, make([]byte, 4097), bytes.Repeat([]byte{1, 255}, 2048)} {
		if _, err := dial(t, addr).Write(b); err != nil {
			t.Fatal(err)
		}
	}
	checkAnswer(t, exchange(t, addr, good, time.Second), good, testSecret)
}

func TestShutdownWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	h := newStub()
	s, addr := serve(t, h)
	conn := dial(t, addr)
	req := packet{user: "slow", password: []byte("x"), sign: true}.encode(t)
	if b := roundTrip(t, conn, req, 0); b != nil {
		t.Fatal("answered early")
	}
	h.waitCalls(t, 1)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned with a request in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	// New packets are no longer read.
	if b := exchange(t, addr, packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t), 100*time.Millisecond); b != nil {
		t.Error("answered after Shutdown began")
	}
	close(h.release)
	checkAnswer(t, roundTrip(t, conn, nil, testTimeout), req, testSecret)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestShutdownBeforeServe(t *testing.T) {
	t.Parallel()
	s := &Server{Handler: newStub()}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(conn); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

func TestShutdownDeadlineCancelsRequests(t *testing.T) {
	t.Parallel()
	h := newStub()
	s, addr := serve(t, h)
	exchange(t, addr, packet{user: "slow", password: []byte("x"), sign: true}.encode(t), 0)
	h.waitCalls(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
}
