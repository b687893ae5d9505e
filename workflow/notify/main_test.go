package notify_test

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"tokenportal/workflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// testLog collects log output and shows it only when the test fails (the
// queue logs from goroutines, which must not call t.Log after the test).
func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("log:\n%s", buf.String())
			mu.Unlock()
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// received is one mail as the test SMTP server saw it.
type received struct {
	From     string   // MAIL FROM
	To       []string // RCPT TO
	Data     []byte   // DATA
	TLS      bool     // the conversation was encrypted
	AuthUser string   // who authenticated, if anyone
}

// header and body parse the raw message, decoding the subject and the
// quoted-printable body.
func (r received) header(t *testing.T) (mail.Header, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("parse mail: %v\n%s", err, r.Data)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header, string(b)
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode %q: %v", v, err)
	}
	return s
}

// serverOpts configure a test SMTP server.
type serverOpts struct {
	addr        string      // listen address; 127.0.0.1:0 when empty
	tls         *tls.Config // offer STARTTLS with it (or implicit TLS)
	implicitTLS bool        // TLS from the first byte (smtps)
	user, pass  string      // require AUTH PLAIN with these
	rcptErr     error       // refuse every recipient with this
}

// mailServer is a real SMTP server (emersion/go-smtp) recording what it gets.
type mailServer struct {
	Addr  string
	opts  serverOpts
	mu    sync.Mutex
	mails []received
	auths int // successful AUTH commands
}

func startSMTP(t *testing.T, o serverOpts) *mailServer {
	t.Helper()
	ln, err := net.Listen("tcp", cmp.Or(o.addr, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	ms := &mailServer{Addr: ln.Addr().String(), opts: o}
	srv := smtp.NewServer(ms)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	// The client, not the server, decides whether AUTH without TLS is safe.
	srv.AllowInsecureAuth = true
	if o.implicitTLS {
		ln = tls.NewListener(ln, o.tls)
	} else {
		srv.TLSConfig = o.tls
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms
}

// Mails returns what was delivered so far.
func (ms *mailServer) Mails() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.mails...)
}

func (ms *mailServer) Auths() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.auths
}

// NewSession implements smtp.Backend.
func (ms *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{ms: ms, conn: c}, nil
}

type session struct {
	ms   *mailServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string {
	if s.ms.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.ms.opts.user || password != s.ms.opts.pass {
			return smtp.ErrAuthFailed
		}
		s.user = username
		s.ms.mu.Lock()
		s.ms.auths++
		s.ms.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.opts.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ms.opts.rcptErr != nil {
		return s.ms.opts.rcptErr
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ms.mu.Lock()
	s.ms.mails = append(s.ms.mails, received{From: s.from, To: s.to, Data: b, TLS: isTLS, AuthUser: s.user})
	s.ms.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// selfSigned is a server TLS configuration with a fresh self-signed
// certificate for 127.0.0.1 and localhost.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
