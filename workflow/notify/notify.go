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
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"

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
	// memory (Captured), and in CaptureStore when set.
	Capture bool
	// CaptureStore keeps captured messages across restarts (dev mode's
	// table); nil: memory only.
	CaptureStore CaptureStore
	// CaptureEcho, when set, gets every captured message as plain text, the
	// body on its own lines (dev mode's console); the log line then leaves
	// the body out.
	CaptureEcho io.Writer
	// InsecureSkipVerify accepts any TLS certificate; only for tests with
	// self-signed certificates.
	InsecureSkipVerify bool
	// Timeout bounds one SMTP conversation or gateway request; 10 s when zero.
	Timeout time.Duration
	// Open decrypts the Data of a queued message (workflow.Service.OpenMessage).
	Open func(workflow.Message) (workflow.Message, error)
	// Settings, when set, reads the messaging settings stored by the
	// settings page (workflow.Service.MessagingSettings). They are asked
	// before a message is rendered or sent, and cached for SettingsTTL, so a
	// change reaches every instance within that time without a restart.
	// Their non-empty values replace SMTPURL, MailFrom and SMSGatewayURL;
	// their templates replace the built-in texts.
	Settings func(context.Context) (workflow.MessagingSettings, error)
	// SettingsTTL is how long the settings are cached; 5 s when zero.
	SettingsTTL time.Duration
	// Attempted, when set, hears the outcome of every delivery attempt by
	// the queue's worker, for metrics: AttemptDelivered, AttemptRetry (failed,
	// tried again later) or AttemptFailed (failed, given up). It must not block.
	Attempted func(channel, outcome string)
}

// DefaultSettingsTTL is how long stored settings are cached when
// Config.SettingsTTL is zero.
const DefaultSettingsTTL = 5 * time.Second

// DefaultTimeout bounds one delivery attempt when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// capturedMax is how many captured messages are kept.
const capturedMax = 200

// CaptureStore keeps captured messages (Config.CaptureStore).
type CaptureStore interface {
	AddCaptured(ctx context.Context, s Sent, keep int) error // keep: how many to keep in all
	Captured(ctx context.Context, max int) ([]Sent, error)   // newest first
}

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

// ErrSettings reports that the stored settings (Config.Settings) could not
// be read; it is retried. The cause it wraps is internal.
var ErrSettings = errors.New("cannot read the mail and SMS settings")

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
	env  *state // from Config alone
	http *http.Client

	mu        sync.Mutex
	overrides Overrides
	captured  []Sent // oldest first, at most capturedMax
	echoMu    sync.Mutex
	cached    *state // from Config.Settings, read at cachedAt
	cachedAt  time.Time
	gen       uint64 // counts Invalidate calls
}

// state is what a delivery uses: where mail and SMS go and the template
// overrides.
type state struct {
	from      string // validated MailFrom
	smtp      *smtpSettings
	sms       *url.URL
	templates map[workflow.TemplateID]workflow.TemplateText
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
	if cfg.SettingsTTL <= 0 {
		cfg.SettingsTTL = DefaultSettingsTTL
	}
	n := &Notifier{cfg: cfg, log: log, now: time.Now}
	var err error
	if n.env, err = newState(cfg.SMTPURL, cfg.MailFrom, cfg.SMSGatewayURL, cfg.Capture); err != nil {
		return nil, err
	}
	n.http = newHTTPClient(cfg)
	return n, nil
}

// newState checks the effective configuration the way New always has.
func newState(smtpURL, from, smsURL string, capture bool) (*state, error) {
	st := &state{}
	if smtpURL != "" {
		s, err := parseSMTPURL(smtpURL)
		if err != nil {
			return nil, err
		}
		st.smtp = s
	}
	st.from = strings.TrimSpace(from)
	switch {
	case st.from != "":
		if err := CheckMailFrom(st.from); err != nil {
			return nil, err
		}
	case st.smtp != nil && !capture:
		return nil, errors.New("MAIL_FROM is required with SMTP_URL")
	default:
		st.from = "tokenportal <noreply@localhost>"
	}
	if smsURL != "" {
		u, err := parseSMSGatewayURL(smsURL)
		if err != nil {
			return nil, err
		}
		st.sms = u
	}
	return st, nil
}

// CheckSMTPURL reports what is wrong with an SMTP URL (see Config.SMTPURL),
// in words that never repeat its password.
func CheckSMTPURL(raw string) error {
	_, err := parseSMTPURL(raw)
	return err
}

// CheckMailFrom reports what is wrong with a sender (MAIL_FROM).
func CheckMailFrom(from string) error {
	from = strings.TrimSpace(from)
	if strings.ContainsAny(from, "\r\n") {
		return fmt.Errorf("MAIL_FROM %q must be one line", from)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return fmt.Errorf("MAIL_FROM %q is not a mail address: %w", from, err)
	}
	return nil
}

// CheckSMSGatewayURL reports what is wrong with an SMS gateway URL.
func CheckSMSGatewayURL(raw string) error {
	_, err := parseSMSGatewayURL(raw)
	return err
}

func parseSMSGatewayURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("SMS_GATEWAY_URL %q must be an http:// or https:// address", workflow.RedactURL(raw))
	}
	return u, nil
}

// Effective is a setting in force and where it comes from.
type Effective struct {
	Value        string // "" when not set anywhere
	FromSettings bool   // else from the configuration (environment)
}

// Effective says which SMTP URL, sender and SMS gateway apply with the
// stored settings s: a non-empty stored value wins over the configuration.
func (n *Notifier) Effective(s workflow.MessagingSettings) (smtpURL, mailFrom, smsGatewayURL Effective) {
	pick := func(stored, configured string) Effective {
		if stored != "" {
			return Effective{Value: stored, FromSettings: true}
		}
		return Effective{Value: configured}
	}
	return pick(s.SMTPURL, n.cfg.SMTPURL), pick(s.MailFrom, n.cfg.MailFrom), pick(s.SMSGatewayURL, n.cfg.SMSGatewayURL)
}

// Capture reports dev mode: messages are captured, not sent.
func (n *Notifier) Capture() bool { return n.cfg.Capture }

// CheckSettings checks the configuration that stored settings s would put
// in force, as New checks its Config.
func (n *Notifier) CheckSettings(s workflow.MessagingSettings) error {
	_, err := n.stateFor(s)
	return err
}

func (n *Notifier) stateFor(s workflow.MessagingSettings) (*state, error) {
	smtpURL, from, sms := n.Effective(s)
	st, err := newState(smtpURL.Value, from.Value, sms.Value, n.cfg.Capture)
	if err != nil {
		return nil, err
	}
	st.templates = s.Templates
	return st, nil
}

// Invalidate forgets the cached settings, so the next message reads them
// again (after a change on this instance).
func (n *Notifier) Invalidate() {
	n.mu.Lock()
	n.cached = nil
	n.gen++
	n.mu.Unlock()
}

// state returns the configuration in force: Config's, or Config's with the
// stored settings over it, cached for SettingsTTL.
func (n *Notifier) state(ctx context.Context) (*state, error) {
	if n.cfg.Settings == nil {
		return n.env, nil
	}
	n.mu.Lock()
	if n.cached != nil && n.now().Sub(n.cachedAt) < n.cfg.SettingsTTL {
		st := n.cached
		n.mu.Unlock()
		return st, nil
	}
	gen := n.gen
	n.mu.Unlock()

	s, err := n.cfg.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSettings, err)
	}
	st, err := n.stateFor(s)
	if err != nil {
		// The settings page checks before it saves; this is a setting that
		// was valid once (or written around it). Retrying may find it fixed.
		return nil, fmt.Errorf("the stored mail and SMS settings are not usable: %w", err)
	}
	n.mu.Lock()
	// A save that happened while we read must not be undone by our older copy.
	if n.gen == gen {
		n.cached, n.cachedAt = st, n.now()
	}
	n.mu.Unlock()
	return st, nil
}

// SetOverrides installs template overrides; nil removes them. Overrides in
// the stored settings (Config.Settings) take precedence.
func (n *Notifier) SetOverrides(o Overrides) {
	n.mu.Lock()
	n.overrides = o
	n.mu.Unlock()
}

// Deliver renders m and sends it now (or captures it in dev mode). Errors for
// which IsPermanent is true will fail again on every retry.
func (n *Notifier) Deliver(ctx context.Context, m workflow.Message) error {
	return n.deliver(ctx, m, nil)
}

// deliver is Deliver of a queued job (nil: not queued), whose mail gets a
// Message-ID derived from the job.
func (n *Notifier) deliver(ctx context.Context, m workflow.Message, job *rivertype.JobRow) error {
	if m.Channel == "" {
		m.Channel = workflow.ChannelEmail
	}
	m.To = strings.TrimSpace(m.To)
	if m.To == "" {
		return permanent(errors.New("message has no recipient"))
	}
	st, err := n.state(ctx)
	if err != nil {
		return err
	}
	subject, body, err := n.render(ctx, st, m, nil)
	if err != nil {
		return err
	}
	messageID := ""
	if job != nil {
		messageID = st.messageID(job)
	}
	switch m.Channel {
	case workflow.ChannelEmail:
		if n.cfg.Capture {
			if _, err := mail.ParseAddress(m.To); err != nil {
				return permanent(fmt.Errorf("invalid email address %q: %w", m.To, err))
			}
			break
		}
		if st.smtp == nil {
			return fmt.Errorf("cannot send mail: SMTP_URL is %w", ErrNotConfigured)
		}
		if err := n.sendMail(ctx, st, m.To, subject, body, messageID); err != nil {
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
		if st.sms == nil {
			return fmt.Errorf("cannot send SMS: SMS_GATEWAY_URL is %w", ErrNotConfigured)
		}
		if err := n.sendSMS(ctx, st.sms, to, body); err != nil {
			return err
		}
	}
	n.record(ctx, m, subject, body)
	return nil
}

// record keeps a captured message and logs it; sent messages are only logged.
func (n *Notifier) record(ctx context.Context, m workflow.Message, subject, body string) {
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
	if n.cfg.CaptureStore != nil {
		if err := n.cfg.CaptureStore.AddCaptured(ctx, s, capturedMax); err != nil {
			n.log.Warn("captured message not stored; it is shown until the restart", "err", err)
		}
	}
	if n.cfg.CaptureEcho == nil {
		n.log.Info("message captured (not sent)", "channel", s.Channel, "to", s.To, "template", s.Template, "subject", s.Subject, "body", s.Body)
		return
	}
	n.log.Info("message captured (not sent)", "channel", s.Channel, "to", s.To, "template", s.Template)
	n.echoMu.Lock()
	defer n.echoMu.Unlock()
	_, _ = io.WriteString(n.cfg.CaptureEcho, EchoText(s))
}

// EchoText is a captured message as plain text for a console: a header line,
// the subject, the body as it is and a closing line.
func EchoText(s Sent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "----- %s to %s (%s, %s) -----\n", s.Channel, s.To, s.Template, s.Lang)
	if s.Subject != "" {
		fmt.Fprintf(&b, "Subject: %s\n\n", s.Subject)
	}
	b.WriteString(strings.TrimRight(s.Body, "\n"))
	b.WriteString("\n----- end -----\n")
	return b.String()
}

// CapturedContext is Captured from the CaptureStore when there is one (what
// earlier runs captured too); newest first.
func (n *Notifier) CapturedContext(ctx context.Context) ([]Sent, error) {
	if n.cfg.CaptureStore == nil {
		return n.Captured(), nil
	}
	return n.cfg.CaptureStore.Captured(ctx, capturedMax)
}

// Captured returns the captured messages, newest first (at most 200).
func (n *Notifier) Captured() []Sent {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.captured)
	slices.Reverse(out)
	return out
}
