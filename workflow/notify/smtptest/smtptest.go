// Package smtptest runs a real SMTP server (emersion/go-smtp) in the test
// process and records the mails it receives, so tests assert on mail as it
// travelled over SMTP: set SMTP_URL (app.Config.SMTPURL) to Server.URL().
package smtptest

import (
	"bytes"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one mail as the server received it, decoded.
type Message struct {
	From    string   // MAIL FROM
	To      []string // RCPT TO
	Subject string   // decoded
	Body    string   // decoded text
	Raw     []byte   // DATA as received
}

// Server is a running test SMTP server; it stops when the test ends.
type Server struct {
	addr string
	srv  *smtp.Server
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
}

// Start starts a server on a free port of 127.0.0.1. It accepts every
// sender and recipient, offers neither TLS nor AUTH.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartAt(t, "127.0.0.1:0")
}

// StartAt is Start on addr, e.g. the address of a server that was Closed:
// the mail server is back after an outage (with no mails of its own yet).
func StartAt(t testing.TB, addr string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{addr: ln.Addr().String(), ln: ln}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server as a crash would: it stops listening and drops
// the open connections, so clients find the mail server down. The mails
// received so far stay readable.
func (s *Server) Close() {
	_ = s.srv.Close()
	_ = s.ln.Close() // Serve may not have registered it yet
}

// URL is the SMTP_URL of the server.
func (s *Server) URL() string { return "smtp://" + s.addr }

// Messages returns the mails received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until a received mail satisfies pred and returns it; the
// test fails after timeout.
func (s *Server) WaitFor(t testing.TB, pred func(Message) bool, timeout time.Duration) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range s.Messages() {
			if pred(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range s.Messages() {
				got = append(got, strings.Join(m.To, ",")+": "+m.Subject)
			}
			t.Fatalf("smtptest: no matching mail after %v; received %d: %q", timeout, len(got), got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// To matches a mail with recipient addr (RCPT TO), ignoring case.
func To(addr string) func(Message) bool {
	return func(m Message) bool {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				return true
			}
		}
		return false
	}
}

// ToWith matches a mail to addr whose subject contains subject.
func ToWith(addr, subject string) func(Message) bool {
	to := To(addr)
	return func(m Message) bool { return to(m) && strings.Contains(m.Subject, subject) }
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}

// decode fills Subject and Body from the raw message.
func decode(m *Message) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		m.Body = string(m.Raw)
		return
	}
	if s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = s
	} else {
		m.Subject = msg.Header.Get("Subject")
	}
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		m.Body = string(m.Raw)
		return
	}
	m.Body = string(b)
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: append([]string(nil), x.to...), Raw: raw}
	decode(&m)
	x.s.add(m)
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
