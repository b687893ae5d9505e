package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// smtpSettings is a parsed SMTP_URL.
type smtpSettings struct {
	host       string
	port       int
	implicit   bool // smtps://
	policy     gomail.TLSPolicy
	user, pass string
	auth       bool
}

// parseSMTPURL reads smtp://[user:pass@]host[:port][?starttls=required|opportunistic|none]
// or smtps://[user:pass@]host[:port].
func parseSMTPURL(raw string) (*smtpSettings, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("SMTP_URL: "+format+" (want smtp://[user:pass@]host:port[?starttls=required|none] or smtps://[user:pass@]host:port)", args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url's error repeats the URL, which may hold a password.
		return nil, bad("cannot parse it")
	}
	s := &smtpSettings{host: u.Hostname(), policy: gomail.TLSOpportunistic}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.port = 25
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, bad("unknown scheme %q", u.Scheme)
	}
	if s.host == "" {
		return nil, bad("no host")
	}
	if strings.Contains(s.host, ":") {
		// go-mail joins host and port without brackets.
		return nil, bad("IPv6 addresses are not supported; use a host name")
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, bad("bad port %q", p)
		}
	}
	if u.Path != "" && u.Path != "/" {
		return nil, bad("unexpected path %q", u.Path)
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, bad("unknown parameter %q", k)
		}
	}
	switch v := strings.ToLower(q.Get("starttls")); v {
	case "", "opportunistic":
	case "required":
		s.policy = gomail.TLSMandatory
	case "none":
		s.policy = gomail.NoTLS
	default:
		return nil, bad("starttls=%q is not known (use required, opportunistic or none)", v)
	}
	if s.implicit && q.Has("starttls") {
		return nil, bad("starttls does not apply to smtps://, which is TLS from the start")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.auth = s.user != ""
	}
	return s, nil
}

// sendMail sends one plain-text UTF-8 mail over a new connection.
func (n *Notifier) sendMail(ctx context.Context, st *state, to, subject, body, messageID string) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(st.from); err != nil {
		return permanent(fmt.Errorf("MAIL_FROM %q: %w", st.from, err))
	}
	if _, err := mail.ParseAddress(to); err != nil {
		return permanent(fmt.Errorf("invalid email address %q: %w", to, err))
	}
	if err := msg.To(to); err != nil {
		return permanent(fmt.Errorf("invalid email address %q: %w", to, err))
	}
	msg.Subject(subject)
	msg.SetDate()
	if messageID != "" {
		msg.SetMessageIDWithValue(messageID)
	} else {
		msg.SetMessageID()
	}
	// Notifications must not trigger out-of-office replies (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, body)

	client, err := n.smtpClient(st.smtp)
	if err != nil {
		return permanent(err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("smtp %s:%d: %w", st.smtp.host, st.smtp.port, err)
		if rejectedRecipient(err) {
			return permanent(err)
		}
		return err
	}
	return nil
}

// smtpClient builds a go-mail client for SMTP_URL. Credentials are offered
// with PLAIN or LOGIN (or, when the server offers neither, what go-mail
// discovers), and PLAIN/LOGIN refuse to send them over a connection that is
// neither TLS nor to localhost.
func (n *Notifier) smtpClient(s *smtpSettings) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(n.cfg.Timeout),
		gomail.WithTLSConfig(&tls.Config{
			ServerName:         s.host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: n.cfg.InsecureSkipVerify, //nolint:gosec // tests only, documented
		}),
	}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(s.policy))
	}
	if s.auth {
		opts = append(opts,
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	return gomail.NewClient(s.host, opts...)
}

// rejectedRecipient reports a permanent refusal of the recipient address
// (5.1.x: no such mailbox, bad domain, bad syntax); other refusals, such as
// "relaying denied", may be configuration and are retried.
func rejectedRecipient(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.Reason != gomail.ErrSMTPRcptTo || se.IsTemp() {
		return false
	}
	return strings.HasPrefix(se.EnhancedStatusCode(), "5.1.")
}
