// Package jobs holds the background work of tokenportal, run by the River
// client that also delivers mail (workflow/notify.NewQueue): the requested
// one-time codes, the purge of activities older than the retention, and of
// throttle counters, one-time codes and remembered devices long expired.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// PurgeActivitiesID names the periodic purge among River's periodic jobs.
const PurgeActivitiesID = "purge_activities"

// PurgeInterval is how often old activities are deleted.
const PurgeInterval = time.Hour

// purgeTimeout bounds one purge run; what is left is deleted by the next.
const purgeTimeout = 30 * time.Minute

// PurgeActivitiesArgs is the job that deletes activities older than the
// retention.
type PurgeActivitiesArgs struct{}

// Kind names the job for the queue.
func (PurgeActivitiesArgs) Kind() string { return "purge_activities" }

// InsertOpts keep at most one purge waiting or running: a slow purge is not
// joined by the next hour's.
func (PurgeActivitiesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// PurgeActivitiesWorker runs PurgeActivitiesArgs.
type PurgeActivitiesWorker struct {
	river.WorkerDefaults[PurgeActivitiesArgs]
	Svc *workflow.Service
	Log *slog.Logger
}

// Work deletes the activities older than the retention, in batches of
// workflow.PurgeBatch rows, so that no statement holds locks for long.
func (w *PurgeActivitiesWorker) Work(ctx context.Context, job *river.Job[PurgeActivitiesArgs]) error {
	n, err := w.Svc.PurgeActivities(ctx)
	if n > 0 || err != nil {
		w.Log.InfoContext(ctx, "old activities deleted", "rows", n, "err", err)
	}
	if err != nil {
		return err
	}
	// The same hourly run prunes expired counters, codes and devices.
	n, err = w.Svc.PurgeExpired(ctx)
	if n > 0 || err != nil {
		w.Log.InfoContext(ctx, "expired rows deleted", "rows", n, "err", err)
	}
	return err
}

// Timeout lets a purge of a long backlog run longer than a mail delivery.
func (w *PurgeActivitiesWorker) Timeout(*river.Job[PurgeActivitiesArgs]) time.Duration {
	return purgeTimeout
}

// CodeRequestWorker runs workflow.CodeRequest: whether a code goes out is
// decided here, off the request, so the request takes the same time for
// every login.
type CodeRequestWorker struct {
	river.WorkerDefaults[workflow.CodeRequest]
	Svc *workflow.Service
	Log *slog.Logger
}

// Work sends the code, unless the request waited longer than a code would
// live: nobody is waiting for it any more.
func (w *CodeRequestWorker) Work(ctx context.Context, job *river.Job[workflow.CodeRequest]) error {
	if time.Since(job.CreatedAt) > workflow.CodeTTL {
		w.Log.WarnContext(ctx, "code request too old; dropped", "job", job.ID)
		return nil
	}
	return w.Svc.SendRequestedCode(ctx, job.Args)
}

// DirectorySyncsID names the periodic look for due directory syncs.
const DirectorySyncsID = "directory_syncs"

// DirectorySyncsInterval is how often due directory syncs are looked for:
// a directory's sync_interval is kept to within it.
const DirectorySyncsInterval = time.Minute

// DirectorySyncsArgs is the job that runs the directory syncs that are due
// (SPEC §12: each directory's sync_interval).
type DirectorySyncsArgs struct{}

// Kind names the job for the queue.
func (DirectorySyncsArgs) Kind() string { return "directory_syncs" }

// InsertOpts keep at most one waiting or running: a long sync is not
// joined by the next minute's look.
func (DirectorySyncsArgs) InsertOpts() river.InsertOpts {
	return PurgeActivitiesArgs{}.InsertOpts()
}

// DirectorySyncsWorker runs DirectorySyncsArgs. A sync claims its
// directory in the database, so one runs at a time however many instances
// look.
type DirectorySyncsWorker struct {
	river.WorkerDefaults[DirectorySyncsArgs]
	Svc *workflow.Service
	Log *slog.Logger
}

// Work runs the due syncs one after the other; each records its outcome.
func (w *DirectorySyncsWorker) Work(ctx context.Context, job *river.Job[DirectorySyncsArgs]) error {
	n, err := w.Svc.DueDirectorySyncs(ctx)
	if n > 0 || err != nil {
		w.Log.InfoContext(ctx, "directory syncs run", "directories", n, "err", err)
	}
	return err
}

// Timeout leaves room for several directories' syncs.
func (w *DirectorySyncsWorker) Timeout(*river.Job[DirectorySyncsArgs]) time.Duration {
	return 4 * workflow.DirectorySyncTimeout
}

// Option registers the code request worker, the purge worker and its
// periodic job (hourly, and once when a client becomes the leader), and the
// look for due directory syncs (every minute) with the queue of
// notify.NewQueue.
func Option(svc *workflow.Service, log *slog.Logger) notify.QueueOption {
	return func(c *river.Config) {
		river.AddWorker(c.Workers, &PurgeActivitiesWorker{Svc: svc, Log: log})
		river.AddWorker(c.Workers, &CodeRequestWorker{Svc: svc, Log: log})
		river.AddWorker(c.Workers, &DirectorySyncsWorker{Svc: svc, Log: log})
		c.PeriodicJobs = append(c.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(DirectorySyncsInterval),
			func() (river.JobArgs, *river.InsertOpts) { return DirectorySyncsArgs{}, nil },
			&river.PeriodicJobOpts{ID: DirectorySyncsID, RunOnStart: true}))
		c.PeriodicJobs = append(c.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(PurgeInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeActivitiesArgs{}, nil },
			&river.PeriodicJobOpts{ID: PurgeActivitiesID, RunOnStart: true}))
	}
}
