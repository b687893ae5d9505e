package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is the private PostgreSQL of dev mode: a data directory under
// ./var, reachable only through a Unix socket in a directory of its own.
type Cluster struct {
	Dir     string // holds data/, the socket and the log
	SockDir string
	bin     string
	owner   *user.User // the postgres user when we run as root, else nil
}

// ErrNoPostgres explains how to get the PostgreSQL server binaries.
var ErrNoPostgres = errors.New(`PostgreSQL server programs (initdb, pg_ctl) were not found.
Install them, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y postgresql
  Fedora/RHEL:    sudo dnf install -y postgresql-server
  macOS:          brew install postgresql@16
Or point DATABASE_URL at an existing PostgreSQL database (version 15 or newer)`)

// findPGBin returns the directory of initdb and pg_ctl, preferring the
// newest Debian-style installation.
func findPGBin() (string, error) {
	var dirs []string
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(m) > 0 {
		sort.Slice(m, func(i, j int) bool { return pgVersion(m[i]) > pgVersion(m[j]) })
		dirs = append(dirs, m...)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	m, _ := filepath.Glob("/opt/homebrew/opt/postgresql@*/bin")
	m2, _ := filepath.Glob("/usr/local/opt/postgresql@*/bin")
	dirs = append(dirs, append(append(m, m2...), "/usr/local/pgsql/bin", "/usr/pgsql-16/bin", "/usr/pgsql-15/bin")...)
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// NewCluster describes the private cluster that belongs to the project
// directory root (its data lives in root/var/postgres).
func NewCluster(root string) (*Cluster, error) {
	bin, err := findPGBin()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(filepath.Join(root, "var", "postgres"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(abs))
	// Where the cluster goes when the postgres user cannot enter the project
	// directory (like /root).
	fallback := filepath.Join("/var/tmp", "tokenportal-pg-"+hex.EncodeToString(sum[:6]))
	c := &Cluster{Dir: abs, SockDir: abs, bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: the cluster belongs to the
		// postgres user, as a Debian installation's does.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root, but there is no 'postgres' user to own the private database; install PostgreSQL from your distribution's packages or run as an ordinary user")
		}
		c.owner = u
		if !hasData(abs) && (hasData(fallback) || !reachableBy(u, filepath.Dir(abs))) {
			c.Dir, c.SockDir = fallback, fallback
		}
	}
	// A socket path is limited to about 107 bytes.
	if len(filepath.Join(c.SockDir, ".s.PGSQL.5432")) > 100 {
		sum := sha256.Sum256([]byte(c.Dir))
		c.SockDir = filepath.Join("/tmp", "tp-pg-"+hex.EncodeToString(sum[:6]))
	}
	return c, nil
}

// reachableBy reports whether u may traverse every directory down to dir.
func reachableBy(u *user.User, dir string) bool {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		mode := st.Mode().Perm()
		ok = ok && (mode&0o001 != 0 || (int(sys.Uid) == uid && mode&0o100 != 0) || (int(sys.Gid) == gid && mode&0o010 != 0))
		if !ok {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func hasData(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	return err == nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// URL is the connection URL of database db in the cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@/" + db + "?host=" + c.SockDir + "&sslmode=disable"
}

// command runs a PostgreSQL program as the cluster's owner.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.owner != nil {
		uid, _ := strconv.Atoi(c.owner.Uid)
		gid, _ := strconv.Atoi(c.owner.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Dir = "/"
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func (c *Cluster) run(name string, args ...string) error {
	out, err := c.command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// mkdir creates dir for the cluster's owner, readable by nobody else.
func (c *Cluster) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if c.owner != nil {
		uid, _ := strconv.Atoi(c.owner.Uid)
		gid, _ := strconv.Atoi(c.owner.Gid)
		return os.Chown(dir, uid, gid)
	}
	return nil
}

// Running reports whether the cluster's server is up.
func (c *Cluster) Running() bool {
	return c.command("pg_ctl", "status", "-D", c.dataDir()).Run() == nil
}

// Start initialises the cluster on first use and starts it unless it is
// running already. started says whether this call started it.
func (c *Cluster) Start(ctx context.Context) (started bool, err error) {
	if !c.Exists() {
		if err := c.mkdir(c.Dir); err != nil {
			return false, err
		}
		if err := c.run("initdb", "-D", c.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"); err != nil {
			return false, err
		}
	}
	if err := c.mkdir(c.SockDir); err != nil {
		return false, err
	}
	if c.Running() {
		return false, nil
	}
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", c.SockDir)
	if err := c.run("pg_ctl", "-D", c.dataDir(), "-l", filepath.Join(c.Dir, "postgres.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return false, err
	}
	return true, nil
}

// Stop shuts the server down.
func (c *Cluster) Stop() error {
	return c.run("pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop")
}

// EnsureDatabase creates database name unless it exists.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	}
	return err
}

// Exists reports whether the cluster has been initialised.
func (c *Cluster) Exists() bool { return hasData(c.Dir) }

// Destroy stops the cluster and deletes its files (tests that need a
// PostgreSQL of their own to restart use it).
func (c *Cluster) Destroy() error {
	if c.Running() {
		if err := c.Stop(); err != nil {
			return err
		}
	}
	return os.RemoveAll(c.Dir)
}
