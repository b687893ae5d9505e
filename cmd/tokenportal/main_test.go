package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/workflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func setEnv(t *testing.T) {
	t.Setenv("DATABASE_URL", storetest.URL())
	t.Setenv("SECRET_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	t.Setenv("BCRYPT_COST", "4")
}

func TestAPIKeyCreatePrintsOnlyTheKey(t *testing.T) {
	setEnv(t)
	var stdout, stderr bytes.Buffer
	if err := run([]string{"apikey", "create", "--name", "radius bridge", "--role", "validate"}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "tpk_") {
		t.Fatalf("stdout %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "radius bridge") {
		t.Fatalf("stderr %q", stderr.String())
	}
	// A bad role is refused with a message and exit code 1, nothing printed.
	stdout.Reset()
	err := run([]string{"apikey", "create", "--name", "x", "--role", "root"}, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "role") || stdout.Len() != 0 {
		t.Fatalf("bad role: %v %q", err, stdout.String())
	}
}

func TestAdminCreate(t *testing.T) {
	setEnv(t)
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	// Password from stdin: nothing on stdout.
	if err := run([]string{"admin", "create", "--login", "helen", "--role", "helpdesk"}, strings.NewReader("tangerine-kayak-49-meadow\n"), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout %q", stdout.String())
	}
	// No password given: one is generated and printed once.
	if err := run([]string{"admin", "create", "--login", "ivan", "--role", "superadmin"}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	generated := strings.TrimSpace(stdout.String())
	if len(generated) < 20 {
		t.Fatalf("generated password %q", generated)
	}
	pool, err := pgxpool.New(ctx, storetest.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var role, hash string
	if err := pool.QueryRow(ctx, "SELECT role, password_hash FROM admins WHERE login = 'ivan'").Scan(&role, &hash); err != nil || role != "superadmin" || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("stored admin: %s %s %v", role, hash, err)
	}
	// Weak password, duplicate login, bad role: clear errors.
	cases := map[string][]string{
		"weak password": {"admin", "create", "--login", "jack", "--role", "helpdesk"},
		"duplicate":     {"admin", "create", "--login", "HELEN", "--role", "helpdesk"},
		"bad role":      {"admin", "create", "--login", "kim", "--role", "boss"},
	}
	stdin := map[string]string{"weak password": "password1\n", "duplicate": "tangerine-kayak-49-meadow\n", "bad role": "tangerine-kayak-49-meadow\n"}
	want := map[string]string{"weak password": "too easy to guess", "duplicate": "already exists", "bad role": "superadmin, helpdesk or owner"}
	for name, args := range cases {
		err := run(args, strings.NewReader(stdin[name]), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), want[name]) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := run([]string{"admin", "create", "--role", "helpdesk"}, strings.NewReader(""), &stdout, &stderr); err == nil {
		t.Error("missing --login accepted")
	}
}

func TestUsage(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("SECRET_KEY", "")
	t.Setenv("SECRET_KEY_FILE", "")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"help"}, nil, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "tokenportal serve") {
		t.Fatalf("%v %q", err, stdout.String())
	}
	if err := run([]string{"frobnicate"}, nil, &stdout, &stderr); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run([]string{"serve"}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "SECRET_KEY") && !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("serve without configuration: %v", err)
	}
}

// serve -h lists the metrics listener with its variable (README's
// Configuration table names the same).
func TestServeHelpListsMetrics(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"serve", "-h"}, nil, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve -h: %v", err)
	}
	if help := stderr.String(); !strings.Contains(help, "-metrics-listen-addr") || !strings.Contains(help, "METRICS_LISTEN_ADDR") {
		t.Fatalf("serve -h does not list the metrics listener:\n%s", help)
	}
}
