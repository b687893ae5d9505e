package workflow

import (
	"context"
	"log/slog"
	"time"
)

// Limits are the thresholds of sign-in throttling (SPEC §4.6, §8).
type Limits struct {
	LockAfter  int           // consecutive failures that lock an account
	LockFor    time.Duration // how long it stays locked
	IPFailures int           // failures from one IP in IPWindow before it is refused
	IPWindow   time.Duration
	MaxDelay   time.Duration // cap of the progressive delay after failures
	// Restore-access requests per hour (SPEC §6).
	RestorePerLogin int
	RestorePerIP    int
}

// DefaultLimits are the values SPEC §4 gives.
var DefaultLimits = Limits{LockAfter: 10, LockFor: 15 * time.Minute, IPFailures: 50, IPWindow: 15 * time.Minute, MaxDelay: 3 * time.Second,
	RestorePerLogin: 3, RestorePerIP: 20}

// Service performs the operations of the product. It is safe for concurrent
// use; all state lives in the Store, so any number of instances can serve the
// same people.
type Service struct {
	Store  Store
	Sealer *Sealer
	Hasher *Hasher
	Log    *slog.Logger
	Limits Limits
	// BaseURL is the public address, for links in mails ("" in tests).
	BaseURL string
	// Now is the clock; tests replace it to be exact.
	Now func() time.Time
	// Directories speaks LDAP for directory users and syncs (nil: no
	// directory can be used; their users cannot sign in).
	Directories DirectoryClient
	// Sleep waits for d unless ctx ends first; tests replace it to run fast.
	Sleep func(ctx context.Context, d time.Duration)
	// Observer hears validations and sign-ins, for metrics (nil: nobody).
	Observer Observer

	keys        keyCache
	radiusModes radiusSettingsCache
}

// NewService returns a Service with the real clock and default limits.
func NewService(st Store, sealer *Sealer, bcryptCost int, log *slog.Logger) *Service {
	return &Service{
		Store:  st,
		Sealer: sealer,
		Hasher: &Hasher{Cost: bcryptCost},
		Log:    log,
		Limits: DefaultLimits,
		Now:    time.Now,
		Sleep:  sleepCtx,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// stamp sets the time of an activity from the service clock.
func (s *Service) stamp(a Activity) Activity {
	if a.At.IsZero() {
		a.At = s.Now()
	}
	return a
}

// record writes an activity that is not security-critical: a failure is
// logged and the operation goes on.
func (s *Service) record(ctx context.Context, a Activity) {
	if err := s.Store.AddActivity(ctx, s.stamp(a)); err != nil {
		s.Log.ErrorContext(ctx, "activity not recorded", "event", a.Event, "err", err)
	}
}

// RecordAccessDenied writes an AccessDenied activity for a refused request.
func (s *Service) RecordAccessDenied(ctx context.Context, by Actor, what string, m Meta) {
	s.record(ctx, Activity{Actor: by, Event: EventAccessDenied, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"request": what}})
}
