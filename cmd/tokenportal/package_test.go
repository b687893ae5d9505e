package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"flag"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/migrations"
	"tokenportal/workflow/store/storetest"
)

// The Debian package (SPEC §16): `make package` builds it; its files, modes,
// conffile, control fields and maintainer scripts are what an operator relies
// on; the unit passes `systemd-analyze verify`; and the binary unpacked from
// it answers --help and migrates a fresh database.
func TestDebianPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and the package (-short)")
	}
	for _, tool := range []string{"dpkg-deb", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	start := time.Now()
	dir := t.TempDir()
	deb := buildPackage(t, dir)
	t.Logf("built %s in %s", filepath.Base(deb), time.Since(start).Round(time.Millisecond))
	if st, err := os.Stat(deb); err == nil {
		t.Logf("package size %.1f MB", float64(st.Size())/1e6)
	}

	t.Run("control", func(t *testing.T) {
		fields := dpkgFields(t, deb)
		want := map[string]string{"Package": "tokenportal", "Architecture": runtime.GOARCH, "Depends": "adduser | passwd"}
		for k, v := range want {
			if fields[k] != v {
				t.Errorf("%s: %q, want %q", k, fields[k], v)
			}
		}
		if !regexp.MustCompile(`^[0-9]+(\.[0-9]+)+([+~][A-Za-z0-9.+~]+)?$`).MatchString(fields["Version"]) {
			t.Errorf("Version %q is not a Debian version from git describe", fields["Version"])
		}
		if !strings.HasPrefix(fields["Description"], "Self-service portal for one-time-password tokens\n") ||
			!strings.Contains(fields["Description"], "starts\n nothing until /etc/tokenportal/env is configured") {
			t.Errorf("Description %q", fields["Description"])
		}
	})

	t.Run("files", func(t *testing.T) {
		// Every file with its mode and owner; directories other than
		// /etc/tokenportal are only the way there.
		want := map[string]string{
			"./usr/bin/tokenportal":                    "-rwxr-xr-x root/root",
			"./lib/systemd/system/tokenportal.service": "-rw-r--r-- root/root",
			"./etc/tokenportal/":                       "drwxr-x--- root/tokenportal",
			"./etc/tokenportal/env":                    "-rw-r----- root/tokenportal",
		}
		got := map[string]string{}
		for line := range strings.Lines(dpkgDeb(t, "-c", deb)) {
			f := strings.Fields(line)
			if len(f) < 6 {
				t.Fatalf("dpkg-deb -c: %q", line)
			}
			path := f[len(f)-1]
			if _, ok := want[path]; ok || !strings.HasPrefix(f[0], "d") {
				got[path] = f[0] + " " + f[1]
			} else if f[1] != "root/root" || f[0] != "drwxr-xr-x" {
				t.Errorf("directory %s: %s %s", path, f[0], f[1])
			}
		}
		for path, w := range want {
			if got[path] != w {
				t.Errorf("%s: %q, want %q", path, got[path], w)
			}
		}
		for path := range got {
			if _, ok := want[path]; !ok {
				t.Errorf("unexpected file %s (%s)", path, got[path])
			}
		}
	})

	ctrl := filepath.Join(dir, "control")
	if out, err := exec.Command("dpkg-deb", "-e", deb, ctrl).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -e: %v\n%s", err, out)
	}
	t.Run("conffile and scripts", func(t *testing.T) {
		conffiles, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
		if err != nil || string(conffiles) != "/etc/tokenportal/env\n" {
			t.Errorf("conffiles %q %v", conffiles, err)
		}
		// The scripts TestMaintainerScripts runs, unchanged.
		for s, src := range map[string]string{"postinst": "postinstall.sh", "prerm": "preremove.sh", "postrm": "postremove.sh"} {
			p := filepath.Join(ctrl, s)
			st, err := os.Stat(p)
			if err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("%s: %v %v", s, st, err)
				continue
			}
			packaged, _ := os.ReadFile(p)
			if want, err := os.ReadFile(filepath.Join("packaging", src)); err != nil || !bytes.Equal(packaged, want) {
				t.Errorf("%s is not packaging/%s: %v", s, src, err)
			}
			if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
				t.Errorf("sh -n %s: %v\n%s", s, err, out)
			}
		}
		for _, s := range []string{"preinst", "config", "templates"} {
			if _, err := os.Stat(filepath.Join(ctrl, s)); err == nil {
				t.Errorf("unexpected control file %s", s)
			}
		}
	})

	root := filepath.Join(dir, "root")
	if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	bin := filepath.Join(root, "usr", "bin", "tokenportal")

	t.Run("unit", func(t *testing.T) {
		unit, err := os.ReadFile(filepath.Join(root, "lib", "systemd", "system", "tokenportal.service"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{
			"User=tokenportal", "Group=tokenportal", "EnvironmentFile=/etc/tokenportal/env",
			"ExecStart=/usr/bin/tokenportal serve", "Restart=on-failure", "NoNewPrivileges=yes",
			"ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
			"CapabilityBoundingSet=", "WantedBy=multi-user.target",
		} {
			if !slices.Contains(strings.Split(string(unit), "\n"), line) {
				t.Errorf("the unit has no line %q", line)
			}
		}
		verifyUnit(t, dir, string(unit), bin)
	})

	t.Run("binary", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the packaged binary is dynamically linked")
			}
		}
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
			t.Errorf("build settings %v", settings)
		}
		cmd := exec.Command(bin, "--help")
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "tokenportal migrate [flags]") {
			t.Errorf("tokenportal --help: %v\n%s", err, out)
		}
	})

	env := readEnvFile(t, filepath.Join(root, "etc", "tokenportal", "env"))
	t.Run("env file lists every variable", func(t *testing.T) {
		var read []string
		app.FlagSet(flag.NewFlagSet("x", flag.ContinueOnError), func(name string) string {
			read = append(read, name)
			return ""
		})
		if len(read) < 10 {
			t.Fatalf("only %v read", read)
		}
		for _, name := range read {
			if _, ok := env[name]; !ok {
				t.Errorf("the env file does not describe %s", name)
			}
		}
		// Uncommented, a shell reads it as systemd does (the tools are run
		// with `set -a; . /etc/tokenportal/env`).
		text, err := os.ReadFile(filepath.Join(root, "etc", "tokenportal", "env"))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "env.sh")
		if err := os.WriteFile(p, regexp.MustCompile(`(?m)^#([A-Z])`).ReplaceAll(text, []byte("$1")), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, want := range env {
			out, err := exec.Command("sh", "-c", `set -a; . "$1"; printf %s "$(printenv "$2")"`, "sh", p, name).CombinedOutput()
			if err != nil || string(out) != want {
				t.Errorf("sh reads %s as %q, not %q (%v)", name, out, want, err)
			}
		}
	})

	t.Run("migrate", func(t *testing.T) {
		// A database of its own, empty: migrate builds the schema, a second
		// run (an upgrade with nothing new) finds it up to date. The
		// configuration is the packaged env file with every line uncommented.
		dbURL := freshDatabase(t)
		vars := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		for name, value := range env {
			switch name {
			case "DATABASE_URL", "SECRET_KEY", "SECRET_KEY_FILE":
				continue
			}
			vars = append(vars, name+"="+value)
		}
		vars = append(vars, "DATABASE_URL="+dbURL, "SECRET_KEY="+strings.Repeat("ab", 32))
		last := latestMigration(t)
		for i, want := range []string{"database migrated", "database is up to date"} {
			cmd := exec.Command(bin, "migrate")
			cmd.Env = vars
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "="+strconv.Itoa(last)) {
				t.Fatalf("migrate #%d: %v\n%s", i+1, err, out)
			}
		}
		conn, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var ok bool
		if err := conn.QueryRow(context.Background(), "SELECT to_regclass('users') IS NOT NULL AND to_regclass('tokens') IS NOT NULL").Scan(&ok); err != nil || !ok {
			t.Fatalf("schema: %v %v", ok, err)
		}
	})
}

// buildPackage runs `make package` as a developer does, into dir, and returns
// the path it prints last.
func buildPackage(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("make", "--no-print-directory", "package", "PKGDIR="+dir)
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make package: %v\n%s%s", err, out, stderr.String())
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		t.Fatalf("make package printed nothing\n%s", stderr.String())
	}
	deb := lines[len(lines)-1]
	if filepath.Dir(deb) != filepath.Clean(dir) || !regexp.MustCompile(`^tokenportal_[0-9][^_]*_`+runtime.GOARCH+`\.deb$`).MatchString(filepath.Base(deb)) {
		t.Fatalf("make package printed %q", deb)
	}
	return deb
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).Output()
	if err != nil {
		t.Fatalf("dpkg-deb %v: %v", args, err)
	}
	return string(out)
}

// dpkgFields reads the control fields, continuation lines kept.
func dpkgFields(t *testing.T, deb string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	var last string
	for line := range strings.Lines(dpkgDeb(t, "-f", deb)) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, " ") && last != "" {
			fields[last] += "\n" + line
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("control line %q", line)
		}
		fields[k], last = v, k
	}
	return fields
}

// verifyUnit runs `systemd-analyze verify` on the packaged unit with
// ExecStart pointing at the unpacked binary (the one thing missing outside an
// installed system): any message is an error in the unit. A unit with a bad
// value shows that verify does complain here.
func verifyUnit(t *testing.T, dir, unit, bin string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze is not installed: the unit is not verified")
		return
	}
	units := filepath.Join(dir, "units")
	if err := os.MkdirAll(units, 0o755); err != nil {
		t.Fatal(err)
	}
	verify := func(name, text string) string {
		p := filepath.Join(units, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("systemd-analyze", "verify", p).CombinedOutput()
		if err != nil && len(out) == 0 {
			out = []byte(err.Error())
		}
		return strings.TrimSpace(string(out))
	}
	local := strings.Replace(unit, "ExecStart=/usr/bin/tokenportal ", "ExecStart="+bin+" ", 1)
	if local == unit {
		t.Fatal("no ExecStart=/usr/bin/tokenportal in the unit")
	}
	if out := verify("tokenportal.service", local); out != "" {
		t.Errorf("systemd-analyze verify:\n%s", out)
	}
	if out := verify("broken.service", strings.Replace(local, "ProtectSystem=strict", "ProtectSystem=bogus", 1)); !strings.Contains(out, "bogus") {
		t.Errorf("systemd-analyze verify accepts ProtectSystem=bogus: %q", out)
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", filepath.Join(units, "tokenportal.service")).CombinedOutput()
	if m := regexp.MustCompile(`Overall exposure level for tokenportal.service: ([0-9.]+)`).FindSubmatch(out); err == nil && m != nil {
		if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.5 {
			t.Errorf("systemd-analyze security: exposure %.1f, more than 2.5: hardening was lost?\n%s", level, out)
		} else {
			t.Logf("systemd-analyze security: exposure %.1f", level)
		}
	}
}

// readEnvFile reads the example configuration: each variable is a line
// "#NAME=value" (commented out), the value in single or double quotes or not.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	line := regexp.MustCompile(`^#([A-Z][A-Z0-9_]*)=(.*)$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text := sc.Text()
		if strings.HasPrefix(text, "#") && !strings.HasPrefix(text, "# ") && text != "#" && !line.MatchString(text) {
			t.Errorf("env file line %q is neither a comment nor #NAME=value", text)
		}
		if text != "" && !strings.HasPrefix(text, "#") {
			t.Errorf("env file line %q is set: the example sets nothing", text)
		}
		m := line.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		v := m[2]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		} else if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		if _, dup := env[m[1]]; dup {
			t.Errorf("env file: %s twice", m[1])
		}
		env[m[1]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return env
}

// freshDatabase creates an empty database on the test server, dropped when
// the test ends.
func freshDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	server := storetest.ServerURL()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "tp_package_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// latestMigration is the number of the last migration file, the version
// migrate reports.
func latestMigration(t *testing.T) int {
	t.Helper()
	last := 0
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if n, err := strconv.Atoi(strings.SplitN(p, "_", 2)[0]); err == nil && n > last {
			last = n
		}
		return nil
	})
	if err != nil || last == 0 {
		t.Fatalf("migrations: %d %v", last, err)
	}
	return last
}

// The maintainer scripts decide what an install, an upgrade and a removal do
// to the service. They run here against stand-ins for the system: the
// commands they call (systemctl, systemd-run, adduser, …) only record their
// arguments, and /run/systemd/system and /etc/tokenportal are directories of
// the test.
func TestMaintainerScripts(t *testing.T) {
	type system struct {
		systemd, active, enabled, configured, userExists, migrateFails bool
	}
	run := func(t *testing.T, script string, sys system, args ...string) (calls []string, output string, err error) {
		t.Helper()
		dir := t.TempDir()
		fake := filepath.Join(dir, "bin")
		etc := filepath.Join(dir, "etc", "tokenportal")
		sd := filepath.Join(dir, "run", "systemd", "system")
		for _, d := range []string{fake, etc} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if sys.systemd {
			if err := os.MkdirAll(sd, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		conf := "#DATABASE_URL=postgres://x@db/tokenportal\n"
		if sys.configured {
			conf += "DATABASE_URL=postgres://x@db/tokenportal\n"
		}
		if err := os.WriteFile(filepath.Join(etc, "env"), []byte(conf), 0o640); err != nil {
			t.Fatal(err)
		}
		callLog := filepath.Join(dir, "calls")
		exit := func(b bool) string {
			if b {
				return "exit 0"
			}
			return "exit 1"
		}
		stub := map[string]string{
			"getent":      exit(sys.userExists),
			"addgroup":    "exit 0",
			"adduser":     "exit 0",
			"groupadd":    "exit 0",
			"useradd":     "exit 0",
			"chgrp":       "exit 0",
			"stat":        "echo 0",
			"systemd-run": exit(!sys.migrateFails),
			"systemctl": `case "$1 $2" in
"is-active --quiet") ` + exit(sys.active) + ` ;;
"is-enabled --quiet") ` + exit(sys.enabled) + ` ;;
esac`,
		}
		for name, body := range stub {
			text := "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> " + callLog + "\n" + body + "\n"
			if err := os.WriteFile(filepath.Join(fake, name), []byte(text), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		src, err := os.ReadFile(filepath.Join("packaging", script))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(src), "/run/systemd/system", sd)
		text = strings.ReplaceAll(text, "/etc/tokenportal", etc)
		p := filepath.Join(dir, script)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", append([]string{p}, args...)...)
		cmd.Env = []string{"PATH=" + fake + ":" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		log, _ := os.ReadFile(callLog)
		for line := range strings.Lines(string(log)) {
			calls = append(calls, strings.ReplaceAll(strings.TrimSpace(line), dir, ""))
		}
		return calls, string(out), err
	}
	// what reports the commands that change something, in order.
	what := func(calls []string) string {
		var changes []string
		for _, c := range calls {
			switch {
			case strings.HasPrefix(c, "getent"), strings.HasPrefix(c, "stat"), strings.HasPrefix(c, "systemctl is-"):
				continue
			case strings.HasPrefix(c, "systemd-run"):
				if !strings.Contains(c, "--property=EnvironmentFile=/etc/tokenportal/env") || !strings.Contains(c, "--property=User=tokenportal") ||
					!strings.HasSuffix(c, "/usr/bin/tokenportal migrate") {
					t.Errorf("migrate as %q", c)
				}
				c = "migrate"
			case strings.HasPrefix(c, "adduser"), strings.HasPrefix(c, "useradd"):
				c = strings.Fields(c)[0] + " " + strings.Fields(c)[len(strings.Fields(c))-1]
			}
			changes = append(changes, c)
		}
		return strings.Join(changes, "; ")
	}
	cases := []struct {
		name, script string
		args         []string
		sys          system
		want         string
		fails        bool
		says         string
	}{
		{"fresh install, container", "postinstall.sh", []string{"configure", ""}, system{},
			"addgroup --system --quiet tokenportal; adduser tokenportal; chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env", false, "systemctl enable --now tokenportal"},
		{"fresh install, systemd", "postinstall.sh", []string{"configure"}, system{systemd: true, enabled: true, configured: true},
			"addgroup --system --quiet tokenportal; adduser tokenportal; chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env; systemctl daemon-reload", false, "not started"},
		{"upgrade, running", "postinstall.sh", []string{"configure", "1.0"}, system{systemd: true, active: true, enabled: true, configured: true, userExists: true},
			"chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env; systemctl daemon-reload; migrate; systemctl restart tokenportal.service", false, "migrating"},
		{"upgrade, enabled and stopped", "postinstall.sh", []string{"configure", "1.0"}, system{systemd: true, enabled: true, configured: true, userExists: true},
			"chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env; systemctl daemon-reload; migrate", false, "migrating"},
		{"upgrade, enabled, not configured", "postinstall.sh", []string{"configure", "1.0"}, system{systemd: true, enabled: true, userExists: true},
			"chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env; systemctl daemon-reload", false, "not migrating"},
		{"upgrade, never enabled", "postinstall.sh", []string{"configure", "1.0"}, system{systemd: true, configured: true, userExists: true},
			"chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env; systemctl daemon-reload", false, ""},
		{"upgrade, migrate fails", "postinstall.sh", []string{"configure", "1.0"}, system{systemd: true, active: true, configured: true, userExists: true, migrateFails: true},
			"chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env; systemctl daemon-reload; migrate", true, "migrating"},
		{"upgrade, container", "postinstall.sh", []string{"configure", "1.0"}, system{active: true, configured: true, userExists: true},
			"chgrp tokenportal /etc/tokenportal; chgrp tokenportal /etc/tokenportal/env", false, "migrates the database when it starts"},
		{"abort-upgrade", "postinstall.sh", []string{"abort-upgrade", "1.0"}, system{systemd: true, active: true}, "", false, ""},
		{"remove", "preremove.sh", []string{"remove"}, system{systemd: true, active: true}, "systemctl stop tokenportal.service", false, ""},
		{"remove, container", "preremove.sh", []string{"remove"}, system{}, "", false, ""},
		{"upgrade keeps it running", "preremove.sh", []string{"upgrade", "2.0"}, system{systemd: true, active: true}, "", false, ""},
		{"removed", "postremove.sh", []string{"remove"}, system{systemd: true}, "systemctl daemon-reload", false, ""},
		{"purged, container", "postremove.sh", []string{"purge"}, system{}, "", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, out, err := run(t, c.script, c.sys, c.args...)
			if (err != nil) != c.fails {
				t.Fatalf("%s %v: %v\n%s", c.script, c.args, err, out)
			}
			if got := what(calls); got != c.want {
				t.Errorf("%s %v did\n  %s\nwant\n  %s\noutput:\n%s", c.script, c.args, got, c.want, out)
			}
			if !strings.Contains(out, c.says) {
				t.Errorf("output %q does not say %q", out, c.says)
			}
		})
	}
}
