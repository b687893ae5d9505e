// Package app wires tokenportal together: configuration, the database pool,
// sessions, the HTTP router with its security middleware, the private
// PostgreSQL cluster of dev mode and the demo. It holds no business logic.
package app

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is everything tokenportal reads from its environment (SPEC §10).
// Flags override environment variables.
type Config struct {
	DatabaseURL string
	ListenAddr  string
	// RadiusListenAddr is the UDP address of the RADIUS front end (SPEC
	// §11); empty: off.
	RadiusListenAddr string
	// MetricsListenAddr is the HTTP address of the Prometheus metrics (SPEC
	// §16), a listener of its own so they are never public by accident;
	// empty: off.
	MetricsListenAddr string
	BaseURL           *url.URL
	SecretKey         []byte
	PreviousKeys      [][]byte
	SMTPURL           string
	MailFrom          string
	SMSGatewayURL     string
	TrustedProxies    []netip.Prefix
	SessionIdle       time.Duration
	SessionLifetime   time.Duration
	BcryptCost        int
	LogLevel          slog.Level
	// Dev is set by `tokenportal dev`: mail is captured, not sent, kept in
	// the database and shown at /dev/mail.
	Dev bool
	// DevConsole, in dev mode, gets each captured message as plain text
	// (its body on its own lines); nil: the log line carries the body.
	DevConsole io.Writer
	// SettingsTTL is how long an instance caches the stored mail and SMS
	// settings (notify.DefaultSettingsTTL, 5 s, when zero); no variable sets
	// it, tests shorten it.
	SettingsTTL time.Duration
}

// HTTPS reports whether the public address is https: cookies then get the
// Secure flag and responses carry HSTS.
func (c Config) HTTPS() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

// ConfigError lists every problem with the configuration at once.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "configuration is not valid:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// raw holds the configuration as text, before it is checked.
type raw struct {
	databaseURL, listenAddr, radiusListenAddr, baseURL, secretKey string
	metricsListenAddr                                             string
	secretKeyFile, previousKeys                                   string
	smtpURL, mailFrom, smsGatewayURL, trustedProxies              string
	sessionIdle, sessionLifetime, bcryptCost, logLevel            string
}

// Defaults used when neither a variable nor a flag sets a value.
var defaults = map[string]string{
	"LISTEN_ADDR":      ":8080",
	"BASE_URL":         "http://localhost:8080",
	"SESSION_IDLE":     "30m",
	"SESSION_LIFETIME": "12h",
	"BCRYPT_COST":      "12",
	"LOG_LEVEL":        "info",
}

// FlagSet declares the configuration flags on fs, with the environment (or
// the default) as each flag's default, and returns a function that checks
// the result once fs has parsed the arguments.
func FlagSet(fs *flag.FlagSet, getenv func(string) string) func() (Config, error) {
	env := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return defaults[name]
	}
	var r raw
	fs.StringVar(&r.databaseURL, "database-url", env("DATABASE_URL"), "PostgreSQL connection URL (`DATABASE_URL`)")
	fs.StringVar(&r.listenAddr, "listen-addr", env("LISTEN_ADDR"), "address the HTTP server listens on (`LISTEN_ADDR`)")
	fs.StringVar(&r.radiusListenAddr, "radius-listen-addr", env("RADIUS_LISTEN_ADDR"), "UDP address the RADIUS server listens on, like :1812 (`RADIUS_LISTEN_ADDR`; default: empty, no RADIUS)")
	fs.StringVar(&r.metricsListenAddr, "metrics-listen-addr", env("METRICS_LISTEN_ADDR"), "address of the Prometheus metrics at /metrics, like 127.0.0.1:9090; keep it private (`METRICS_LISTEN_ADDR`; default: empty, no metrics)")
	fs.StringVar(&r.baseURL, "base-url", env("BASE_URL"), "public address of this service, used in links and mails (`BASE_URL`)")
	fs.StringVar(&r.secretKeyFile, "secret-key-file", env("SECRET_KEY_FILE"), "file holding the 32-byte key that encrypts token secrets (`SECRET_KEY_FILE`; or set SECRET_KEY)")
	fs.StringVar(&r.smtpURL, "smtp-url", env("SMTP_URL"), "mail server: smtp://[user:pass@]host:port[?starttls=required] or smtps://… (`SMTP_URL`)")
	fs.StringVar(&r.mailFrom, "mail-from", env("MAIL_FROM"), "sender of the mails, like 'Helpdesk <helpdesk@example.com>' (`MAIL_FROM`)")
	fs.StringVar(&r.smsGatewayURL, "sms-gateway-url", env("SMS_GATEWAY_URL"), "HTTP gateway that sends SMS; it receives POSTs with 'to' and 'text' (`SMS_GATEWAY_URL`)")
	fs.StringVar(&r.trustedProxies, "trusted-proxies", env("TRUSTED_PROXIES"), "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed (`TRUSTED_PROXIES`; default: none)")
	fs.StringVar(&r.sessionIdle, "session-idle", env("SESSION_IDLE"), "sign a session out after this much inactivity (`SESSION_IDLE`)")
	fs.StringVar(&r.sessionLifetime, "session-lifetime", env("SESSION_LIFETIME"), "sign a session out after this long in any case (`SESSION_LIFETIME`)")
	fs.StringVar(&r.bcryptCost, "bcrypt-cost", env("BCRYPT_COST"), "bcrypt cost of password hashes, 4 to 31 (`BCRYPT_COST`)")
	fs.StringVar(&r.logLevel, "log-level", env("LOG_LEVEL"), "debug, info, warn or error (`LOG_LEVEL`)")
	r.secretKey = getenv("SECRET_KEY")
	r.previousKeys = getenv("SECRET_KEY_PREVIOUS")
	return func() (Config, error) { return r.parse() }
}

// LoadConfig reads the configuration from the environment alone.
func LoadConfig(getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	check := FlagSet(fs, getenv)
	if err := fs.Parse(nil); err != nil {
		return Config{}, err
	}
	return check()
}

func (r raw) parse() (Config, error) {
	var c Config
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	c.DatabaseURL = strings.TrimSpace(r.databaseURL)
	if c.DatabaseURL == "" {
		bad("DATABASE_URL is not set: give the PostgreSQL URL, like postgres://tokenportal@db.example.com/tokenportal (or run `tokenportal dev` for a private database)")
	} else if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("DATABASE_URL must be a postgres:// or postgresql:// URL")
	}

	c.ListenAddr = strings.TrimSpace(r.listenAddr)
	if _, port, err := net.SplitHostPort(c.ListenAddr); err != nil {
		bad("LISTEN_ADDR %q must be host:port or :port, like :8080", c.ListenAddr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("LISTEN_ADDR %q has no valid port (0 to 65535)", c.ListenAddr)
	}

	c.RadiusListenAddr = strings.TrimSpace(r.radiusListenAddr)
	if c.RadiusListenAddr != "" {
		if _, port, err := net.SplitHostPort(c.RadiusListenAddr); err != nil {
			bad("RADIUS_LISTEN_ADDR %q must be host:port or :port, like :1812 (or empty for no RADIUS)", c.RadiusListenAddr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("RADIUS_LISTEN_ADDR %q has no valid port (0 to 65535)", c.RadiusListenAddr)
		}
	}

	c.MetricsListenAddr = strings.TrimSpace(r.metricsListenAddr)
	if c.MetricsListenAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsListenAddr); err != nil {
			bad("METRICS_LISTEN_ADDR %q must be host:port or :port, like 127.0.0.1:9090 (or empty for no metrics)", c.MetricsListenAddr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("METRICS_LISTEN_ADDR %q has no valid port (0 to 65535)", c.MetricsListenAddr)
		}
	}

	if u, err := url.Parse(strings.TrimRight(strings.TrimSpace(r.baseURL), "/")); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("BASE_URL %q must be an absolute http:// or https:// address, like https://otp.example.com", r.baseURL)
	} else if u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		bad("BASE_URL %q must be scheme and host only (tokenportal serves from the root path)", r.baseURL)
	} else {
		u.Path = ""
		c.BaseURL = u
	}

	switch {
	case r.secretKey != "" && r.secretKeyFile != "":
		bad("set SECRET_KEY or SECRET_KEY_FILE, not both")
	case r.secretKey != "":
		k, err := parseKey(r.secretKey)
		if err != nil {
			bad("SECRET_KEY: %v", err)
		}
		c.SecretKey = k
	case r.secretKeyFile != "":
		b, err := os.ReadFile(r.secretKeyFile)
		if err != nil {
			bad("SECRET_KEY_FILE: cannot read %s: %v", r.secretKeyFile, errors.Unwrap(err))
			break
		}
		k, err := parseKey(string(b))
		if err != nil {
			bad("SECRET_KEY_FILE %s: %v", r.secretKeyFile, err)
		}
		c.SecretKey = k
	default:
		bad("SECRET_KEY is not set: it encrypts token secrets; create one with `openssl rand -hex 32` and keep it safe (or use SECRET_KEY_FILE)")
	}
	for i, s := range splitList(r.previousKeys) {
		k, err := parseKey(s)
		if err != nil {
			bad("SECRET_KEY_PREVIOUS entry %d: %v", i+1, err)
			continue
		}
		c.PreviousKeys = append(c.PreviousKeys, k)
	}

	c.SMTPURL = strings.TrimSpace(r.smtpURL)
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("SMTP_URL must look like smtp://[user:pass@]host:port or smtps://host:port")
		} else if v := u.Query().Get("starttls"); v != "" && v != "required" && v != "opportunistic" && v != "none" {
			bad("SMTP_URL: starttls=%q is not known (use required, opportunistic or none)", v)
		}
	}
	c.MailFrom = strings.TrimSpace(r.mailFrom)
	if c.MailFrom == "" && c.BaseURL != nil {
		c.MailFrom = "tokenportal <noreply@" + mailHost(c.BaseURL.Hostname()) + ">"
	} else if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		bad("MAIL_FROM %q is not a mail address, like 'Helpdesk <helpdesk@example.com>'", c.MailFrom)
	}

	c.SMSGatewayURL = strings.TrimSpace(r.smsGatewayURL)
	if c.SMSGatewayURL != "" {
		if u, err := url.Parse(c.SMSGatewayURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("SMS_GATEWAY_URL must be an http:// or https:// address")
		}
	}

	for _, s := range splitList(r.trustedProxies) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				bad("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR network", s)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}

	var err error
	if c.SessionIdle, err = time.ParseDuration(r.sessionIdle); err != nil || c.SessionIdle < time.Minute {
		bad("SESSION_IDLE %q must be a duration of at least 1m, like 30m", r.sessionIdle)
	}
	if c.SessionLifetime, err = time.ParseDuration(r.sessionLifetime); err != nil || c.SessionLifetime < time.Minute {
		bad("SESSION_LIFETIME %q must be a duration of at least 1m, like 12h", r.sessionLifetime)
	} else if c.SessionLifetime < c.SessionIdle {
		bad("SESSION_LIFETIME (%s) must not be shorter than SESSION_IDLE (%s)", c.SessionLifetime, c.SessionIdle)
	}
	if c.BcryptCost, err = strconv.Atoi(r.bcryptCost); err != nil || c.BcryptCost < 4 || c.BcryptCost > 31 {
		bad("BCRYPT_COST %q must be a whole number from 4 to 31 (12 is a good choice)", r.bcryptCost)
	}
	if err := c.LogLevel.UnmarshalText([]byte(r.logLevel)); err != nil {
		bad("LOG_LEVEL %q must be debug, info, warn or error", r.logLevel)
	}

	if len(problems) > 0 {
		sort.Strings(problems)
		return c, &ConfigError{Problems: problems}
	}
	return c, nil
}

// parseKey reads a 32-byte key written as 64 hex digits or as base64.
func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("the key must be 32 bytes (64 hex digits), this one has %d bytes", len(b))
		}
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("the key must be 32 bytes, this one has %d bytes", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("the key must be 32 bytes written as 64 hex digits or base64 (`openssl rand -hex 32` makes one)")
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// mailHost turns a host name into something usable after @ in a default
// sender address.
func mailHost(h string) string {
	if h == "" || net.ParseIP(h) != nil || !strings.Contains(h, ".") {
		return "localhost"
	}
	return h
}
