package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"tokenportal/workflow"
)

// Worker is the River worker for workflow.MessageJob.
type Worker struct {
	river.WorkerDefaults[workflow.MessageJob]
	n *Notifier
}

// Worker returns the River worker that delivers queued messages.
func (n *Notifier) Worker() *Worker { return &Worker{n: n} }

// Outcomes of a delivery attempt, as Config.Attempted reports them.
const (
	AttemptDelivered = "delivered"
	AttemptRetry     = "retry"
	AttemptFailed    = "failed"
)

// Work delivers one message. A permanent failure cancels the job; any other
// error makes River retry it later.
func (w *Worker) Work(ctx context.Context, job *river.Job[workflow.MessageJob]) error {
	err := w.work(ctx, job)
	if w.n.cfg.Attempted != nil {
		w.n.cfg.Attempted(job.Args.Channel, attemptOutcome(err, job.Attempt, job.MaxAttempts))
	}
	return err
}

// attemptOutcome is what became of an attempt that returned err.
func attemptOutcome(err error, attempt, maxAttempts int) string {
	var cancelled *rivertype.JobCancelError
	switch {
	case err == nil:
		return AttemptDelivered
	case errors.As(err, &cancelled) || attempt >= maxAttempts:
		return AttemptFailed
	}
	return AttemptRetry
}

func (w *Worker) work(ctx context.Context, job *river.Job[workflow.MessageJob]) error {
	m := job.Args.Message
	if m.Sealed != nil {
		// Codes wait in the queue encrypted; a failure to open means a
		// missing or wrong SECRET_KEY, which a restart with the right key fixes.
		if w.n.cfg.Open == nil {
			return errors.New("message is sealed but the notifier cannot open it")
		}
		opened, err := w.n.cfg.Open(m)
		if err != nil {
			w.n.log.Error("queued message cannot be decrypted; will retry", "job", job.ID, "err", err)
			return err
		}
		m = opened
	}
	err := w.n.deliver(ctx, m, job.JobRow)
	if err == nil {
		return nil
	}
	attrs := []any{
		"job", job.ID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts,
		"channel", m.Channel, "template", m.Template, "to", m.To, "err", err,
	}
	switch {
	case IsPermanent(err):
		w.n.log.Error("message cannot be delivered; giving up", attrs...)
		return river.JobCancel(err)
	case job.Attempt >= job.MaxAttempts:
		w.n.log.Error("message delivery failed for the last time; giving up", attrs...)
	case errors.Is(err, ErrNotConfigured):
		w.n.log.Error("message delivery failed; will retry", attrs...)
	default:
		w.n.log.Warn("message delivery failed; will retry", attrs...)
	}
	return err
}

// messageID is the Message-ID of a queued mail: the same on every attempt,
// so receivers that deduplicate show a mail sent twice once.
func (st *state) messageID(job *rivertype.JobRow) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(st.from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			domain = a.Address[i+1:]
		}
	}
	return fmt.Sprintf("tokenportal.%d.%d@%s", job.ID, job.CreatedAt.UnixNano(), domain)
}

// Backoff is a River retry policy: the first retry after Base, each next one
// after twice as long, never longer than Max, with ±10% jitter so that many
// failed messages do not come back at once.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff retries after 1 s, 2 s, 4 s, … and then hourly: the 20
// attempts of a message (store.Enqueue) span about 8 hours.
var DefaultBackoff = Backoff{Base: time.Second, Max: time.Hour}

// NextRetry implements river.ClientRetryPolicy.
func (b Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.Base
	// job.Errors holds the earlier failures, not yet the current one.
	for i := 0; i < len(job.Errors) && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	d += time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	return time.Now().Add(max(d, time.Millisecond))
}

// QueueOption adjusts the River configuration of NewQueue.
type QueueOption func(*river.Config)

// WithRetryPolicy replaces DefaultBackoff, e.g. with short delays in tests.
func WithRetryPolicy(p river.ClientRetryPolicy) QueueOption {
	return func(c *river.Config) { c.RetryPolicy = p }
}

// WithMaxWorkers sets how many messages are sent at once (default 10).
func WithMaxWorkers(n int) QueueOption {
	return func(c *river.Config) { c.Queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: n} }
}

// WithFetchPollInterval sets how often the queue looks for due jobs besides
// being notified of new ones (River's default is 1 s); retries are found by
// polling.
func WithFetchPollInterval(d time.Duration) QueueOption {
	return func(c *river.Config) {
		c.FetchPollInterval = d
		// River insists the poll is not shorter than the fetch cooldown.
		c.FetchCooldown = min(cmp.Or(c.FetchCooldown, river.FetchCooldownDefault), d)
	}
}

// NewQueue returns a River client (not started) on pool working the "default"
// queue with the message worker. The caller Starts and Stops it. Jobs are
// inserted elsewhere (store.Enqueue), in the transaction of their change.
func NewQueue(pool *pgxpool.Pool, n *Notifier, log *slog.Logger, opts ...QueueOption) (*river.Client[pgx.Tx], error) {
	if log == nil {
		log = n.log
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, n.Worker()); err != nil {
		return nil, err
	}
	cfg := &river.Config{
		Queues:      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:     workers,
		RetryPolicy: DefaultBackoff,
		// One attempt may take a full SMTP timeout to connect and another to talk.
		JobTimeout: 3 * n.cfg.Timeout,
		// A job left running by a crashed instance is retried after five
		// minutes (River's default is an hour); the fixed Message-ID lets
		// receivers drop the rare double.
		RescueStuckJobsAfter: 5 * time.Minute,
		// River tells at level info how many jobs its producer ran, every
		// few seconds while there are any; only its warnings and errors
		// reach the log.
		Logger: slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn}),
	}
	for _, o := range opts {
		o(cfg)
	}
	return river.NewClient(riverpgxv5.New(pool), cfg)
}

// minLevel passes only records at min or above to Handler.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
