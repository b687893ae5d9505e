package radius

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"layeh.com/radius"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
var ErrServerClosed = errors.New("radius: server closed")

// Defaults of the Server's limits.
const (
	DefaultMaxInFlight = 256
	DefaultTimeout     = 10 * time.Second
	dupTTL             = 5 * time.Second
	dupMax             = 4096
	logBurst           = 10 // lines per reason and minute
)

// Results of a packet, as Server.Count reports them.
const (
	ResultAccept    = "accept"
	ResultReject    = "reject"
	ResultChallenge = "challenge"
	ResultDropped   = "dropped"
)

// Server answers RADIUS on one UDP socket. Each packet is handled in its own
// goroutine, at most MaxInFlight at once (more are dropped: the NAS retries),
// so a slow Handler never blocks the listener.
type Server struct {
	Addr        string // UDP address for ListenAndServe, e.g. ":1812"
	Handler     Handler
	Log         *slog.Logger     // nil: slog.Default()
	MaxInFlight int              // 0: DefaultMaxInFlight
	Timeout     time.Duration    // per packet, the Handler's calls included; 0: DefaultTimeout
	Now         func() time.Time // nil: time.Now
	// Count, when set, hears the result of every Access-Request answered
	// (ResultAccept, ResultReject, ResultChallenge) and of every packet
	// dropped without an answer (ResultDropped), for metrics; it must not
	// block. Retransmissions answered from the cache and Status-Server
	// packets are not counted.
	Count func(result string)

	once     sync.Once
	sem      chan struct{}
	dups     *dupCache
	logs     logLimit
	base     context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup

	mu      sync.Mutex
	conn    net.PacketConn
	closing bool
}

func (s *Server) init() {
	s.once.Do(func() {
		n := s.MaxInFlight
		if n <= 0 {
			n = DefaultMaxInFlight
		}
		s.sem = make(chan struct{}, n)
		s.dups = newDupCache(dupTTL, dupMax)
		s.logs = logLimit{period: time.Minute, burst: logBurst}
		s.base, s.cancel = context.WithCancel(context.Background())
	})
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ListenAndServe listens on s.Addr and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	conn, err := net.ListenPacket("udp", s.Addr)
	if err != nil {
		return fmt.Errorf("radius: listen: %w", err)
	}
	return s.Serve(conn)
}

// Serve reads packets from conn until Shutdown, which closes conn once the
// answers in flight are sent. It returns ErrServerClosed after Shutdown.
func (s *Server) Serve(conn net.PacketConn) error {
	s.init()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		conn.Close()
		return ErrServerClosed
	}
	if s.conn != nil {
		s.mu.Unlock()
		return errors.New("radius: Serve called twice")
	}
	s.conn = conn
	s.mu.Unlock()

	buf := make([]byte, radius.MaxPacketLength+1)
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			return fmt.Errorf("radius: read: %w", err)
		}
		s.receive(conn, buf[:n], addr)
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops reading, waits for the packets in flight until ctx ends
// (then cancels their context), and closes the socket.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	s.closing = true
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		// Wakes the reader; the socket stays open for the answers in flight.
		_ = conn.SetReadDeadline(time.Unix(1, 0))
	}
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
	}
	if conn != nil {
		conn.Close()
	}
	return err
}

// receive does the cheap checks in the reader and hands the packet to a
// goroutine of its own.
func (s *Server) receive(conn net.PacketConn, raw []byte, addr net.Addr) {
	src, ok := addrPort(addr)
	if !ok {
		return
	}
	if len(raw) < 20 || len(raw) > radius.MaxPacketLength {
		s.drop(errMalformed, src, nil)
		return
	}
	if c := radius.Code(raw[0]); c != radius.CodeAccessRequest && c != radius.CodeStatusServer {
		s.drop(errCode, src, nil, "code", c.String())
		return
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.drop(errors.New("too many packets in flight"), src, nil)
		return
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.sem
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	pkt := append([]byte(nil), raw...)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				s.logf(slog.LevelError, "panic", "radius: packet handling panicked", "src", src.String(), "panic", fmt.Sprint(v))
			}
			<-s.sem
			s.inflight.Done()
		}()
		s.handle(conn, pkt, addr, src)
	}()
}

// handle verifies one packet and answers it, from the cache when it is a
// retransmission.
func (s *Server) handle(conn net.PacketConn, raw []byte, addr net.Addr, src netip.AddrPort) {
	ctx, cancel := context.WithTimeout(s.base, s.timeout())
	defer cancel()
	client, ok, err := s.Handler.Client(ctx, src.Addr().Unmap())
	if err != nil {
		s.logf(slog.LevelError, "client lookup", "radius: client lookup failed", "src", src.String(), "err", err)
		s.count(ResultDropped)
		return
	}
	if !ok {
		s.drop(errors.New("unknown client"), src, nil)
		return
	}
	req, err := decode(raw, client.Secret, client.RequireMessageAuthenticator)
	if err != nil {
		s.drop(err, src, &client)
		return
	}

	key := dupKey{src: src, id: req.Identifier, auth: req.Authenticator}
	if answer, dup := s.dups.begin(key, s.now()); dup {
		if answer != nil {
			s.write(conn, answer, addr, src)
		}
		return
	}
	finished := false
	defer func() {
		if !finished { // the handler panicked: forget the request
			s.dups.finish(key, nil, s.now())
		}
	}()
	answer := s.answer(ctx, req, client, src)
	// Cached before it is sent, so a retransmission after it finds it.
	s.dups.finish(key, answer, s.now())
	finished = true
	switch {
	case answer == nil:
		s.count(ResultDropped)
	case req.Code == radius.CodeAccessRequest:
		s.count(resultOf(radius.Code(answer[0])))
	}
	if answer != nil {
		s.write(conn, answer, addr, src)
	}
}

// resultOf names the code of an answer for Count.
func resultOf(c radius.Code) string {
	switch c {
	case radius.CodeAccessAccept:
		return ResultAccept
	case radius.CodeAccessChallenge:
		return ResultChallenge
	default:
		return ResultReject
	}
}

func (s *Server) count(result string) {
	if s.Count != nil {
		s.Count(result)
	}
}

// answer decides on a verified packet; nil means no answer.
func (s *Server) answer(ctx context.Context, req *radius.Packet, client Client, src netip.AddrPort) []byte {
	a := Answer{Code: Accept} // Status-Server: alive (RFC 5997 §3)
	if req.Code == radius.CodeAccessRequest {
		r, reason := readRequest(req)
		if reason != "" {
			s.logf(slog.LevelInfo, "refused", "radius: request refused", "reason", reason, "client", client.Name, "src", src.String())
			a = Answer{Code: Reject}
		} else {
			r.Client, r.Source = client, src
			var err error
			if a, err = s.Handler.Access(ctx, r); err != nil {
				s.logf(slog.LevelError, "handler", "radius: handler failed, no answer", "client", client.Name, "src", src.String(), "err", err)
				return nil
			}
		}
	}
	b, err := encodeAnswer(req, a)
	if err != nil {
		s.logf(slog.LevelError, "answer", "radius: cannot answer, rejecting", "client", client.Name, "code", a.Code.String(), "err", err)
		if b, err = encodeAnswer(req, Answer{Code: Reject}); err != nil {
			return nil
		}
	}
	return b
}

func (s *Server) write(conn net.PacketConn, b []byte, addr net.Addr, src netip.AddrPort) {
	if _, err := conn.WriteTo(b, addr); err != nil && !s.isClosing() {
		s.logf(slog.LevelWarn, "write", "radius: cannot send the answer", "src", src.String(), "err", err)
	}
}

// drop logs a packet dropped without an answer.
func (s *Server) drop(why error, src netip.AddrPort, c *Client, args ...any) {
	args = append(args, "reason", why.Error(), "src", src.String())
	if c != nil {
		args = append(args, "client", c.Name)
	}
	s.logf(slog.LevelWarn, why.Error(), "radius: packet dropped", args...)
	s.count(ResultDropped)
}

// logf writes a line unless too many of its reason were written this minute.
func (s *Server) logf(level slog.Level, reason, msg string, args ...any) {
	ok, suppressed := s.logs.allow(reason, s.now())
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed_before", suppressed)
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.Log(context.Background(), level, msg, args...)
}

func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ap.IsValid()
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap, err == nil
}
