// Package ldap is the workflow.DirectoryClient on go-ldap: it checks a
// directory's settings, tests the connection, reads the users with their
// groups (a paged search) and checks passwords by a bind as the user.
//
// Every call opens its own connections and closes them before it returns;
// nothing is cached. A call ends when its context ends.
package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"tokenportal/workflow"
)

// Client speaks LDAP for the core. Its zero value is ready to use with the
// defaults.
type Client struct {
	// DialTimeout bounds connecting, including the TLS handshake; 0: 5 s.
	DialTimeout time.Duration
	// OpTimeout bounds each LDAP request (one page of a search); 0: 10 s.
	OpTimeout time.Duration
	// PageSize is the page size of paged searches; 0: 500.
	PageSize int
	// MaxEntries is the most entries a search may return; more is an error,
	// never a partial snapshot. 0: 200,000.
	MaxEntries int
}

var _ workflow.DirectoryClient = (*Client)(nil)

func (c *Client) dialTimeout() time.Duration {
	if c.DialTimeout > 0 {
		return c.DialTimeout
	}
	return 5 * time.Second
}

func (c *Client) opTimeout() time.Duration {
	if c.OpTimeout > 0 {
		return c.OpTimeout
	}
	return 10 * time.Second
}

func (c *Client) pageSize() int {
	if c.PageSize > 0 {
		return c.PageSize
	}
	return 500
}

func (c *Client) maxEntries() int {
	if c.MaxEntries > 0 {
		return c.MaxEntries
	}
	return 200_000
}

// errBindRefused is a service bind answered with invalid credentials.
var errBindRefused = errors.New("the directory refused the bind DN or password")

// settingsError turns Check's field errors into one error, or nil: the
// core's invalid-input error, which the views put in words.
func settingsError(fields map[string]workflow.Msg) error {
	if len(fields) == 0 {
		return nil
	}
	return workflow.FieldsInvalid(fields)
}

// conn is a connection that closes when its context ends.
type conn struct {
	*goldap.Conn
	stop func() bool
}

func (c *conn) close() {
	c.stop()
	c.Conn.Close()
}

// tlsConfig trusts the system's roots and the directory's CA.
func tlsConfig(d workflow.Directory, host string) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if d.CAPEM != "" && !pool.AppendCertsFromPEM([]byte(d.CAPEM)) {
		return nil, errors.New("TLS: the CA PEM holds no certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}

// dial connects to the directory (TLS as configured) without binding.
func (c *Client) dial(ctx context.Context, d workflow.Directory) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", d.URL, err)
	}
	host, port := u.Hostname(), u.Port()
	ldaps := strings.EqualFold(u.Scheme, "ldaps")
	if port == "" {
		port = "389"
		if ldaps {
			port = "636"
		}
	}
	cfg, err := tlsConfig(d, host)
	if err != nil {
		return nil, err
	}

	dctx, cancel := context.WithTimeout(ctx, c.dialTimeout())
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(dctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", d.URL, err)
	}
	if ldaps {
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS: %w", err)
		}
		raw = tc
	}
	lc := goldap.NewConn(raw, ldaps)
	lc.Start()
	lc.SetTimeout(c.opTimeout())
	cn := &conn{Conn: lc, stop: context.AfterFunc(ctx, func() { lc.Close() })}
	if d.StartTLS {
		// The handshake after the StartTLS answer has no timeout of its own.
		raw.SetDeadline(time.Now().Add(c.dialTimeout()))
		err := lc.StartTLS(cfg)
		raw.SetDeadline(time.Time{})
		if err != nil {
			cn.close()
			return nil, fmt.Errorf("TLS: StartTLS failed: %w", withContext(ctx, err))
		}
	}
	return cn, nil
}

// open connects and binds as the service account.
func (c *Client) open(ctx context.Context, d workflow.Directory) (*conn, error) {
	if d.BindPassword == "" {
		// LDAP takes a bind with an empty password as anonymous.
		return nil, errors.New("the bind password is empty")
	}
	cn, err := c.dial(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := cn.Bind(d.BindDN, d.BindPassword); err != nil {
		cn.close()
		if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			return nil, errBindRefused
		}
		return nil, fmt.Errorf("bind failed: %w", withContext(ctx, err))
	}
	return cn, nil
}

// withContext puts the context's error first when it ended the request (the
// connection closed under it).
func withContext(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// Test binds with the service account and counts the entries of the user
// filter.
func (c *Client) Test(ctx context.Context, d workflow.Directory) (int, error) {
	if err := settingsError(c.Check(d)); err != nil {
		return 0, err
	}
	cn, err := c.open(ctx, d)
	if err != nil {
		return 0, err
	}
	defer cn.close()
	n := 0
	err = c.search(ctx, cn, d.BaseDN, d.UserFilter, []string{"1.1"}, func(*goldap.Entry) { n++ })
	if err != nil {
		return 0, err
	}
	return n, nil
}

// search runs a paged search (RFC 2696) of the subtree, page by page so the
// context and MaxEntries are checked between pages, and calls each for
// every entry. Any error ends it: the caller must discard what it got.
func (c *Client) search(ctx context.Context, cn *conn, base, filter string, attrs []string, each func(*goldap.Entry)) error {
	paging := goldap.NewControlPaging(uint32(c.pageSize()))
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		filter, attrs, []goldap.Control{paging})
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := cn.Search(req)
		if err != nil {
			return fmt.Errorf("search failed: %w", withContext(ctx, err))
		}
		n += len(res.Entries)
		if n > c.maxEntries() {
			return fmt.Errorf("search failed: more than %d entries", c.maxEntries())
		}
		for _, e := range res.Entries {
			each(e)
		}
		ctrl, _ := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if ctrl == nil || len(ctrl.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(ctrl.Cookie)
	}
}
