package workflow

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// Sign-in throttling, shared by the portal and the console (SPEC §4.6):
// per client address (IPv6 per /64), per login name, per account.

func ipKey(ip string) string { return "login-fail-ip:" + ipBucket(ip) }

// ipBucket is what per-address limits count: the address itself for IPv4,
// its /64 for IPv6 (one subscriber usually holds a whole /64, so counting
// single IPv6 addresses would throttle nobody).
func ipBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// checkIP refuses requests from an address that failed too often recently.
func (s *Service) checkIP(ctx context.Context, ip string) error {
	if ip == "" {
		return nil
	}
	n, err := s.Store.RateCount(ctx, ipKey(ip), s.Limits.IPWindow, s.Now())
	if err != nil {
		return Internal(err)
	}
	if n >= s.Limits.IPFailures {
		return ErrLoginFailed
	}
	return nil
}

// failure describes a failed sign-in for failLogin.
type failure struct {
	area    string // SignInPortal or SignInAdmin
	scope   string // what the login name counts against: "admin", "portal:<resource id>"
	login   string // as typed
	account func(now time.Time) error
	act     Activity
}

// failLogin counts a failed sign-in everywhere it counts (the client IP, the
// login name whether or not it exists, the account when there is one),
// writes the attempt to the log, waits the progressive delay and returns
// ErrLoginFailed.
func (s *Service) failLogin(ctx context.Context, f failure, m Meta) error {
	n := s.countFailure(ctx, f, m.IP)
	f.act.IP, f.act.UserAgent = m.IP, m.UserAgent
	s.record(ctx, f.act)
	s.Observe().SignIn(f.area, false)
	s.Sleep(ctx, s.failureDelay(n))
	return ErrLoginFailed
}

// countFailure counts a failed sign-in against ip (none when empty), the
// login name and the account, and returns the recent failures of the login
// name (for failureDelay).
func (s *Service) countFailure(ctx context.Context, f failure, ip string) int {
	now := s.Now()
	if ip != "" {
		if _, err := s.Store.HitRate(ctx, ipKey(ip), s.Limits.IPWindow, now); err != nil {
			s.Log.ErrorContext(ctx, "rate limit not counted", "err", err)
		}
	}
	n, err := s.Store.HitRate(ctx, "login-fail:"+f.scope+":"+strings.ToLower(f.login), s.Limits.LockFor, now)
	if err != nil {
		s.Log.ErrorContext(ctx, "rate limit not counted", "err", err)
	}
	if f.account != nil {
		if err := f.account(now); err != nil {
			s.Log.ErrorContext(ctx, "failed sign-in not counted on the account", "err", err)
		}
	}
	return n
}

// failureDelay is the progressive delay after the n-th recent failure of a
// login name: nothing for the first two, then doubling up to the cap.
func (s *Service) failureDelay(n int) time.Duration {
	if n <= 2 {
		return 0
	}
	d := 250 * time.Millisecond << min(n-3, 8)
	return min(d, s.Limits.MaxDelay)
}
