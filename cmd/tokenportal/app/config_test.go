package app_test

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app"
)

const validKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func valid() map[string]string {
	return map[string]string{"DATABASE_URL": "postgres://u@db/tp", "SECRET_KEY": validKey}
}

func TestConfigDefaults(t *testing.T) {
	c, err := app.LoadConfig(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != ":8080" || c.BaseURL.String() != "http://localhost:8080" || c.SessionIdle != 30*time.Minute ||
		c.SessionLifetime != 12*time.Hour || c.BcryptCost != 12 || len(c.SecretKey) != 32 || c.HTTPS() || len(c.TrustedProxies) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if c.MailFrom != "tokenportal <noreply@localhost>" {
		t.Fatalf("mail from %q", c.MailFrom)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"no database", map[string]string{"DATABASE_URL": ""}, "DATABASE_URL is not set"},
		{"mysql database", map[string]string{"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a postgres://"},
		{"no key", map[string]string{"SECRET_KEY": ""}, "SECRET_KEY is not set"},
		{"short key", map[string]string{"SECRET_KEY": "abcd"}, "must be 32 bytes"},
		{"key not encoded", map[string]string{"SECRET_KEY": "this is not a key!"}, "64 hex digits or base64"},
		{"key and key file", map[string]string{"SECRET_KEY_FILE": "/nonexistent"}, "not both"},
		{"listen without port", map[string]string{"LISTEN_ADDR": "localhost"}, "LISTEN_ADDR"},
		{"radius without port", map[string]string{"RADIUS_LISTEN_ADDR": "localhost"}, "RADIUS_LISTEN_ADDR"},
		{"radius port", map[string]string{"RADIUS_LISTEN_ADDR": ":99999"}, "RADIUS_LISTEN_ADDR"},
		{"metrics without port", map[string]string{"METRICS_LISTEN_ADDR": "localhost"}, "METRICS_LISTEN_ADDR"},
		{"metrics port", map[string]string{"METRICS_LISTEN_ADDR": "127.0.0.1:http"}, "METRICS_LISTEN_ADDR"},
		{"relative base", map[string]string{"BASE_URL": "otp.example.com"}, "BASE_URL"},
		{"base with path", map[string]string{"BASE_URL": "https://example.com/otp"}, "scheme and host only"},
		{"smtp scheme", map[string]string{"SMTP_URL": "http://mail:25"}, "SMTP_URL"},
		{"starttls value", map[string]string{"SMTP_URL": "smtp://mail:25?starttls=maybe"}, "starttls"},
		{"mail from", map[string]string{"MAIL_FROM": "not an address"}, "MAIL_FROM"},
		{"sms gateway", map[string]string{"SMS_GATEWAY_URL": "ftp://sms"}, "SMS_GATEWAY_URL"},
		{"trusted proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, `"proxy.local" is neither`},
		{"idle duration", map[string]string{"SESSION_IDLE": "half an hour"}, "SESSION_IDLE"},
		{"lifetime below idle", map[string]string{"SESSION_IDLE": "2h", "SESSION_LIFETIME": "1h"}, "must not be shorter"},
		{"bcrypt cost", map[string]string{"BCRYPT_COST": "40"}, "BCRYPT_COST"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			for k, v := range tt.set {
				m[k] = v
			}
			_, err := app.LoadConfig(env(m))
			var ce *app.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a ConfigError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%q does not mention %q", err.Error(), tt.want)
			}
		})
	}
}

func TestConfigListsEveryProblem(t *testing.T) {
	_, err := app.LoadConfig(env(map[string]string{"BCRYPT_COST": "2"}))
	var ce *app.ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("want 3 problems (database, key, bcrypt), got %v", err)
	}
}

func TestConfigFlagsOverrideEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	m := valid()
	m["LISTEN_ADDR"] = ":9000"
	m["TRUSTED_PROXIES"] = "10.1.2.3"
	check := app.FlagSet(fs, env(m))
	m["RADIUS_LISTEN_ADDR"] = ":1812"
	if err := fs.Parse([]string{"--listen-addr", "127.0.0.1:7000", "--base-url", "https://otp.example.com/", "--radius-listen-addr", "127.0.0.1:11812"}); err != nil {
		t.Fatal(err)
	}
	c, err := check()
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:7000" || c.BaseURL.String() != "https://otp.example.com" || !c.HTTPS() || c.RadiusListenAddr != "127.0.0.1:11812" {
		t.Fatalf("flags did not win: %+v", c)
	}
	if len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "10.1.2.3/32" {
		t.Fatalf("trusted proxies %v", c.TrustedProxies)
	}
}

// Metrics are off unless an address is given (SPEC §16: a listener of their
// own, never public by accident); the variable and the flag set it.
func TestConfigMetricsListenAddr(t *testing.T) {
	c, err := app.LoadConfig(env(valid()))
	if err != nil || c.MetricsListenAddr != "" {
		t.Fatalf("default: %q, %v; want off", c.MetricsListenAddr, err)
	}
	m := valid()
	m["METRICS_LISTEN_ADDR"] = " 127.0.0.1:9090 "
	if c, err = app.LoadConfig(env(m)); err != nil || c.MetricsListenAddr != "127.0.0.1:9090" {
		t.Fatalf("variable: %q, %v", c.MetricsListenAddr, err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	check := app.FlagSet(fs, env(m))
	if err := fs.Parse([]string{"--metrics-listen-addr", ":19090"}); err != nil {
		t.Fatal(err)
	}
	if c, err = check(); err != nil || c.MetricsListenAddr != ":19090" {
		t.Fatalf("flag: %q, %v", c.MetricsListenAddr, err)
	}
}

func TestConfigSecretKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(validKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := valid()
	delete(m, "SECRET_KEY")
	m["SECRET_KEY_FILE"] = path
	if c, err := app.LoadConfig(env(m)); err != nil || c.SecretKey[31] != 0x1f {
		t.Fatalf("%v", err)
	}
	m["SECRET_KEY_FILE"] = path + ".missing"
	if _, err := app.LoadConfig(env(m)); err == nil || !strings.Contains(err.Error(), "cannot read") {
		t.Fatalf("missing key file: %v", err)
	}
}
