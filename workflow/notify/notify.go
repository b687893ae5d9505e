// Package notify delivers mails and SMS (SPEC §9). A workflow.Message is
// queued by the store as a River job in the same transaction as the change
// that caused it; the Worker here renders it from the templates (English,
// German, Dutch; overridable in settings) and sends it through SMTP (go-mail)
// or an HTTP SMS gateway. Failures return an error and River retries with
// backoff; failures no retry can fix cancel the job.
//
// Delivery is at least once: if the process dies after the server accepted a
// message but before River recorded the job as completed, the message is sent
// again. Mails sent by the worker carry a Message-ID derived from the job, so
// receivers that deduplicate by Message-ID show them once.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"tokenportal/workflow"
)

// Config says where messages go.
type Config struct {
	// SMTPURL is smtp://[user:pass@]host[:port] (port 25 by default; STARTTLS
	// when the server offers it, ?starttls=required insists, ?starttls=none
	// never) or smtps://[user:pass@]host[:port] (implicit TLS, port 465 by
	// default). Credentials are sent only over TLS or to localhost.
	SMTPURL string
	// MailFrom is the From of every mail, e.g. "tokenportal <noreply@example.com>".
	MailFrom string
	// SMSGatewayURL receives a POST (application/x-www-form-urlencoded) with
	// the fields `to` and `text`; any 2xx status means sent. User info in the
	// URL is sent as HTTP basic authentication.
	SMSGatewayURL string
	// Capture is dev mode: nothing is sent; messages are logged and kept in
	// memory (Captured).
	Capture bool
	// InsecureSkipVerify accepts any TLS certificate; only for tests with
	// self-signed certificates.
	InsecureSkipVerify bool
	// Timeout bounds one SMTP conversation or gateway request; 10 s when zero.
	Timeout time.Duration
	// Open decrypts the Data of a queued message (workflow.Service.OpenMessage).
	Open func(workflow.Message) (workflow.Message, error)
}

// DefaultTimeout bounds one delivery attempt when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// capturedMax is how many captured messages are kept.
const capturedMax = 200

// Sent is a delivered (or captured) message, for the dev mail page.
type Sent struct {
	At       time.Time
	Channel  string
	To       string
	Template string
	Lang     string
	Subject  string
	Body     string
}

// Overrides lets settings replace a template's subject and body per language
// (lang is one of Languages). The texts are text/template with the same data
// and functions as the built-in ones (see TemplateSource, CheckTemplate). ok
// false, or an empty subject or body, keeps the built-in text. The short SMS
// forms are not overridden.
type Overrides func(ctx context.Context, template, lang string) (subject, body string, ok bool)

// ErrNotConfigured reports a channel without a server (SMTP_URL or
// SMS_GATEWAY_URL unset outside capture mode). It is retried: the setting may
// be fixed before the job runs out of attempts.
var ErrNotConfigured = errors.New("not configured")

// PermanentError is a failure that no retry can fix: an invalid address, an
// unknown template, a recipient the server rejects as nonexistent.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err (or an error it wraps) is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

func permanent(err error) error { return &PermanentError{Err: err} }

// Notifier renders and sends messages. It is safe for concurrent use.
type Notifier struct {
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	from string // validated MailFrom
	smtp *smtpSettings
	sms  *url.URL
	http *http.Client

	mu        sync.Mutex
	overrides Overrides
	captured  []Sent // oldest first, at most capturedMax
}

// New checks cfg and returns a Notifier. A malformed SMTP_URL, MAIL_FROM or
// SMS_GATEWAY_URL is an error; a missing SMTP_URL or SMS_GATEWAY_URL is not
// (delivery on that channel then fails until it is set, unless Capture).
func New(cfg Config, log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	n := &Notifier{cfg: cfg, log: log, now: time.Now}
	if cfg.SMTPURL != "" {
		s, err := parseSMTPURL(cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		n.smtp = s
	}
	n.from = strings.TrimSpace(cfg.MailFrom)
	switch {
	case n.from != "":
		if _, err := mail.ParseAddress(n.from); err != nil {
			return nil, fmt.Errorf("MAIL_FROM %q is not a mail address: %w", n.from, err)
		}
	case n.smtp != nil && !cfg.Capture:
		return nil, errors.New("MAIL_FROM is required with SMTP_URL")
	default:
		n.from = "tokenportal <noreply@localhost>"
	}
	if cfg.SMSGatewayURL != "" {
		u, err := url.Parse(cfg.SMSGatewayURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("SMS_GATEWAY_URL %q must be an http:// or https:// address", cfg.SMSGatewayURL)
		}
		n.sms = u
	}
	n.http = newHTTPClient(cfg)
	return n, nil
}

// SetOverrides installs the settings' template overrides; nil removes them.
func (n *Notifier) SetOverrides(o Overrides) {
	n.mu.Lock()
	n.overrides = o
	n.mu.Unlock()
}

// Deliver renders m and sends it now (or captures it in dev mode). Errors for
// which IsPermanent is true will fail again on every retry.
func (n *Notifier) Deliver(ctx context.Context, m workflow.Message) error {
	return n.deliver(ctx, m, "")
}

// deliver is Deliver with a fixed Message-ID for mails ("" = random).
func (n *Notifier) deliver(ctx context.Context, m workflow.Message, messageID string) error {
	if m.Channel == "" {
		m.Channel = workflow.ChannelEmail
	}
	m.To = strings.TrimSpace(m.To)
	if m.To == "" {
		return permanent(errors.New("message has no recipient"))
	}
	subject, body, err := n.Render(ctx, m)
	if err != nil {
		return err
	}
	switch m.Channel {
	case workflow.ChannelEmail:
		if n.cfg.Capture {
			if _, err := mail.ParseAddress(m.To); err != nil {
				return permanent(fmt.Errorf("invalid email address %q: %w", m.To, err))
			}
			break
		}
		if n.smtp == nil {
			return fmt.Errorf("cannot send mail: SMTP_URL is %w", ErrNotConfigured)
		}
		if err := n.sendMail(ctx, m.To, subject, body, messageID); err != nil {
			return err
		}
	case workflow.ChannelSMS:
		to, err := phoneNumber(m.To)
		if err != nil {
			return permanent(err)
		}
		m.To = to
		if n.cfg.Capture {
			break
		}
		if n.sms == nil {
			return fmt.Errorf("cannot send SMS: SMS_GATEWAY_URL is %w", ErrNotConfigured)
		}
		if err := n.sendSMS(ctx, to, body); err != nil {
			return err
		}
	}
	n.record(m, subject, body)
	return nil
}

// record keeps a captured message and logs it; sent messages are only logged.
func (n *Notifier) record(m workflow.Message, subject, body string) {
	if !n.cfg.Capture {
		n.log.Debug("message sent", "channel", m.Channel, "to", m.To, "template", m.Template)
		return
	}
	s := Sent{At: n.now(), Channel: m.Channel, To: m.To, Template: m.Template, Lang: lang(m.Lang), Subject: subject, Body: body}
	n.mu.Lock()
	if len(n.captured) == capturedMax {
		n.captured = slices.Delete(n.captured, 0, 1)
	}
	n.captured = append(n.captured, s)
	n.mu.Unlock()
	n.log.Info("message captured (not sent)", "channel", s.Channel, "to", s.To, "template", s.Template, "subject", s.Subject, "body", s.Body)
}

// Captured returns the captured messages, newest first (at most 200).
func (n *Notifier) Captured() []Sent {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.captured)
	slices.Reverse(out)
	return out
}
