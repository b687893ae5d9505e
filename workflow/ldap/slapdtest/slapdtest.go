// Package slapdtest runs a real OpenLDAP slapd for tests: its own temporary
// directory, configuration, CA and data, on free ports of 127.0.0.1. It never
// touches the system's slapd configuration.
//
// The directory has the suffix dc=example,dc=org with ou=people, ou=groups
// and ou=services. Users are numbered from 1: user i is
// uid=userNNNNN,ou=people,dc=example,dc=org (UID(i), UserDN(i)) with the
// password pw-userNNNNN (Password(i)), mail, mobile, givenName Test, sn
// "User NNNNN", a binary objectGUID (ObjectGUID(i), as Active Directory has
// one) and, when Options.Disabled lists it, employeeType: disabled. Groups
// are groupOfNames cn=<name>,ou=groups,dc=example,dc=org. Two service
// accounts read it: cn=portal (no limits) and cn=limited (at most
// LimitedSizeLimit entries, also in paged searches). userPassword is
// readable by nobody; a user may bind with it and change it.
package slapdtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Paths of Debian's OpenLDAP.
const (
	SlapdPath   = "/usr/sbin/slapd"
	SlapaddPath = "/usr/sbin/slapadd"
	ModulePath  = "/usr/lib/ldap"
	SchemaDir   = "/etc/ldap/schema"
)

// RequireEnv names the environment variable that turns a missing slapd from
// a skip into a failure (CI sets it).
const RequireEnv = "LDAP_REQUIRE_SLAPD"

// The directory's fixed names and service accounts.
const (
	BaseDN          = "dc=example,dc=org"
	PeopleDN        = "ou=people," + BaseDN
	GroupsDN        = "ou=groups," + BaseDN
	ServicesDN      = "ou=services," + BaseDN
	RootDN          = "cn=admin," + BaseDN
	RootPassword    = "admin-secret"
	PortalDN        = "cn=portal," + ServicesDN
	PortalPassword  = "portal-secret"
	LimitedDN       = "cn=limited," + ServicesDN
	LimitedPassword = "limited-secret"
	// LimitedSizeLimit is the most entries a search of LimitedDN returns,
	// paged or not.
	LimitedSizeLimit = 100
)

// Options shape the initial data, loaded offline before slapd starts.
type Options struct {
	// Users is the number of people: user 1 to Users.
	Users int
	// Groups maps a group's cn to the numbers of its members; each becomes
	// a groupOfNames cn=<name>,ou=groups,dc=example,dc=org. A group needs
	// at least one member.
	Groups map[string][]int
	// Disabled are the numbers of users given employeeType: disabled.
	Disabled []int
}

// Server is a running (or stopped) slapd with its files.
type Server struct {
	dir       string
	ldapPort  int
	ldapsPort int
	caPEM     []byte

	mu     sync.Mutex
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}
}

// Available reports why slapd cannot run here, or nil.
func Available() error {
	for _, p := range []string{SlapdPath, SlapaddPath, filepath.Join(ModulePath, "back_mdb.so"), filepath.Join(SchemaDir, "core.schema")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("slapd is not available: %w", err)
		}
	}
	return nil
}

// Require skips the test when slapd is not available, or fails it when
// LDAP_REQUIRE_SLAPD is set.
func Require(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			tb.Fatalf("%v, and %s is set", err, RequireEnv)
		}
		tb.Skip(err)
	}
}

// New is Start for a test: it skips or fails by Require, fails the test on
// an error and closes the server when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	Require(tb)
	s, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// Start writes the configuration, certificates and data to a new temporary
// directory, loads the data with slapadd and starts slapd. Close the server
// to remove everything.
func Start(opts Options) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "slapdtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	if err := s.setUp(opts); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Another process may take a free port before slapd binds it: then
	// try new ones.
	for attempt := 1; ; attempt++ {
		if s.ldapPort, s.ldapsPort, err = freePorts(); err != nil {
			break
		}
		if err = s.start(); err == nil || attempt == 3 {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) setUp(opts Options) error {
	ca, err := writeCerts(s.dir)
	if err != nil {
		return fmt.Errorf("slapdtest: certificates: %w", err)
	}
	s.caPEM = ca
	if err := os.Mkdir(filepath.Join(s.dir, "data"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(s.path("slapd.conf"), []byte(config(s.dir)), 0o600); err != nil {
		return err
	}
	ldif, err := initialLDIF(opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.path("data.ldif"), ldif, 0o600); err != nil {
		return err
	}
	out, err := exec.Command(SlapaddPath, "-q", "-f", s.path("slapd.conf"), "-l", s.path("data.ldif")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("slapdtest: slapadd: %w\n%s", err, out)
	}
	return nil
}

func (s *Server) path(name string) string { return filepath.Join(s.dir, name) }

// freePorts asks the kernel for two distinct free ports of 127.0.0.1.
func freePorts() (int, int, error) {
	var ports [2]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}

// syncBuffer collects slapd's output, written by exec's copying goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start runs slapd in the foreground (-d none: only its errors are logged) and waits until both ports accept
// connections.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("slapdtest: slapd is already running")
	}
	urls := fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", s.ldapPort, s.ldapsPort)
	cmd := exec.Command(SlapdPath, "-d", "none", "-h", urls, "-f", s.path("slapd.conf"))
	out := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("slapdtest: start slapd: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()

	deadline := time.Now().Add(15 * time.Second)
	for _, port := range []int{s.ldapPort, s.ldapsPort} {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				return fmt.Errorf("slapdtest: slapd exited (%v):\n%s", cmd.ProcessState, out)
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-done
				return fmt.Errorf("slapdtest: slapd does not accept connections on %s: %v\n%s", addr, err, out)
			}
		}
	}
	s.cmd, s.output, s.done = cmd, out, done
	return nil
}

// Stop ends slapd (SIGTERM, then SIGKILL after 5 s) and waits for it. The
// data and ports stay for Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.done = nil, nil
	return nil
}

// Restart starts slapd again on the same ports and data, stopping it first
// if it runs.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start()
}

// Close stops slapd and removes its directory.
func (s *Server) Close() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return os.RemoveAll(s.dir)
}

// Output is what slapd has written since it last started.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.output == nil {
		return ""
	}
	return s.output.String()
}

// Dir is the server's temporary directory (slapd.conf, certificates, data).
func (s *Server) Dir() string { return s.dir }

// URL is the plain LDAP URL (StartTLS works on it).
func (s *Server) URL() string { return fmt.Sprintf("ldap://127.0.0.1:%d", s.ldapPort) }

// LDAPSURL is the LDAP-over-TLS URL.
func (s *Server) LDAPSURL() string { return fmt.Sprintf("ldaps://127.0.0.1:%d", s.ldapsPort) }

// CAPEM is the PEM of the CA that signed the server's certificate.
func (s *Server) CAPEM() string { return string(s.caPEM) }

// BaseDN is the directory's suffix.
func (s *Server) BaseDN() string { return BaseDN }

// PortalDN is the service account that reads everything but passwords.
func (s *Server) PortalDN() string { return PortalDN }

// PortalPassword is PortalDN's password.
func (s *Server) PortalPassword() string { return PortalPassword }

// LimitedDN is the service account limited to LimitedSizeLimit entries.
func (s *Server) LimitedDN() string { return LimitedDN }

// LimitedPassword is LimitedDN's password.
func (s *Server) LimitedPassword() string { return LimitedPassword }

// UserDN is the DN of user i.
func (s *Server) UserDN(i int) string { return UserDN(i) }

// GroupDN is the DN of the group with cn name.
func (s *Server) GroupDN(name string) string { return GroupDN(name) }

// UID is the uid (login) of user i: user00001 for 1.
func UID(i int) string { return fmt.Sprintf("user%05d", i) }

// UserDN is the DN of user i.
func UserDN(i int) string { return "uid=" + UID(i) + "," + PeopleDN }

// Password is the password of user i: pw-user00001 for 1.
func Password(i int) string { return "pw-" + UID(i) }

// GroupDN is the DN of the group with cn name.
func GroupDN(name string) string { return "cn=" + name + "," + GroupsDN }
