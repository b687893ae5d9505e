package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// Dev is dev mode: when DATABASE_URL is unset it runs a private PostgreSQL
// cluster under Root/var, keeps a generated SECRET_KEY in Root/var, seeds the
// demo and prints how to reach it.
type Dev struct {
	Root         string
	Stdout       io.Writer
	Quiet        bool // tools (admin, apikey) print nothing of their own
	TestDatabase bool

	cluster    *Cluster
	clusterErr error
	started    bool
	keyFile    string
}

// devDatabase is the database of dev mode inside the private cluster.
const devDatabase = "tokenportal"

// Getenv wraps the real environment with dev mode's defaults: the private
// database, a key file under var/, and an address on localhost.
func (d *Dev) Getenv(real func(string) string) func(string) string {
	private := real("DATABASE_URL") == ""
	if private {
		d.cluster, d.clusterErr = NewCluster(d.Root)
	}
	return func(name string) string {
		if v := real(name); v != "" || !private {
			return v
		}
		switch name {
		case "DATABASE_URL":
			if d.cluster != nil {
				return d.cluster.URL(devDatabase)
			}
		case "SECRET_KEY_FILE":
			if real("SECRET_KEY") == "" {
				d.keyFile = filepath.Join(d.Root, "var", "secret.key")
				return d.keyFile
			}
		case "LISTEN_ADDR":
			return "127.0.0.1:8080"
		case "RADIUS_LISTEN_ADDR":
			return "127.0.0.1:1812"
		case "BASE_URL":
			if addr := real("LISTEN_ADDR"); addr != "" {
				if _, port, err := net.SplitHostPort(addr); err == nil {
					return "http://localhost:" + port
				}
			}
			return "http://localhost:8080"
		}
		return ""
	}
}

func (d *Dev) say(format string, args ...any) {
	if !d.Quiet {
		fmt.Fprintf(d.Stdout, format+"\n", args...)
	}
}

// Prepare creates the key file and starts the private cluster when dev mode
// provides them.
func (d *Dev) Prepare(ctx context.Context) error {
	if d.keyFile != "" {
		if err := ensureKeyFile(d.keyFile); err != nil {
			return err
		}
	}
	if d.clusterErr != nil {
		return d.clusterErr
	}
	if d.cluster == nil {
		return nil
	}
	if !d.cluster.Exists() {
		d.say("Creating a private PostgreSQL cluster in %s …", d.cluster.Dir)
	}
	started, err := d.cluster.Start(ctx)
	if err != nil {
		return fmt.Errorf("private PostgreSQL: %w", err)
	}
	d.started = started
	return d.cluster.EnsureDatabase(ctx, devDatabase)
}

// Cleanup stops the private cluster if Prepare started it.
func (d *Dev) Cleanup() {
	if d.started {
		d.say("Stopping the private PostgreSQL cluster.")
		if err := d.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "tokenportal:", err)
		}
	}
}

// ensureKeyFile creates a random 32-byte key in path unless it exists.
func ensureKeyFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600)
}

// Seed creates the demo and prints the addresses and credentials.
func (d *Dev) Seed(ctx context.Context, a *App) error {
	demo, err := SeedDemo(ctx, a.Service, filepath.Join(d.Root, "var", "demo.json"))
	if err != nil {
		return fmt.Errorf("seed the demo: %w", err)
	}
	base, radiusAddr := a.Config.BaseURL.String(), a.Config.RadiusListenAddr
	pw := func(known bool, p string) string {
		if known {
			return p
		}
		return "(set before; not the one on file)"
	}
	db := "DATABASE_URL"
	if d.cluster != nil {
		db = "private cluster in " + d.cluster.Dir + " (stopped again when you press Ctrl-C)"
	}
	d.say(`
tokenportal is running in dev mode.

  Admin console  %s/admin/
                 login %s   password %s
%s
  Demo portal    %s/selfservice/%s
                 login %s   password %s

  RADIUS         %s (client 127.0.0.1, shared secret %s); once the demo user has a
                 token, try (password and the current code, one after the other):
                 echo 'User-Name = "%s", User-Password = "%s<code>", Message-Authenticator = 0x00' \
                   | radclient -x %s auth '%s'

  Mail           nothing is sent in dev mode: see %s/dev/mail
  Database       %s
  Health         %s/healthz   %s/readyz

Press Ctrl-C to stop.`,
		base, demo.AdminLogin, pw(demo.AdminKnown, demo.AdminPassword), secondFactorNote(demo.AdminEnrolled),
		base, demo.Alias, demo.UserLogin, pw(demo.UserKnown, demo.UserPassword),
		radiusAddr, demo.RadiusSecret, demo.UserLogin, pw(demo.UserKnown, demo.UserPassword), radiusAddr, demo.RadiusSecret,
		base, db, base, base)
	return nil
}

// secondFactorNote is the banner's word on the admin's second factor: how
// the first sign-in sets it up, or that the authenticator already has it.
func secondFactorNote(enrolled bool) string {
	if enrolled {
		return "                 (then the code of the authenticator app you set up before)\n"
	}
	return `                 (the first sign-in sets up two-factor sign-in: scan the QR code
                 with an authenticator app, or use: oathtool --totp -b <key>)
`
}

// TestDatabaseURL finds a PostgreSQL server for the tests: TEST_DATABASE_URL
// if set, else the server on 127.0.0.1:5432 if it lets postgres in, else the
// private cluster (started and left running for later runs).
func (d *Dev) TestDatabaseURL(ctx context.Context) (string, error) {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(cctx, local); err == nil {
		conn.Close(cctx)
		return local, nil
	}
	c, err := NewCluster(d.Root)
	if err != nil {
		return "", err
	}
	if _, err := c.Start(ctx); err != nil {
		return "", fmt.Errorf("private PostgreSQL: %w", err)
	}
	return c.URL("postgres"), nil
}
