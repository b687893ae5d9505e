package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"tokenportal/workflow"
)

// messageAttempts bounds the retries of one mail or SMS (notify's backoff
// doubles up to an hour, so the last attempt is about nine hours after the
// first: a mail server may be down that long without a message being lost).
const messageAttempts = 20

// EnqueueCodeRequest queues a request for a one-time code (see
// workflow.CodeRequest); a few quick retries are enough.
func (db *DB) EnqueueCodeRequest(ctx context.Context, r workflow.CodeRequest) error {
	return db.insertJob(ctx, r, &river.InsertOpts{MaxAttempts: 3})
}

// insertJob inserts a job; inside Tx it commits or rolls back with the
// transaction.
func (db *DB) insertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	var err error
	if tx, ok := db.q.(pgx.Tx); ok {
		_, err = db.jobs.InsertTx(ctx, tx, args, opts)
	} else {
		_, err = db.jobs.Insert(ctx, args, opts)
	}
	return err
}

// Enqueue queues a mail or SMS. Inside Tx the job commits or rolls back with
// the change that caused it.
func (db *DB) Enqueue(ctx context.Context, m workflow.Message) error {
	return db.insertJob(ctx, workflow.MessageJob{Message: m}, &river.InsertOpts{MaxAttempts: messageAttempts})
}

// QueuedMessages counts the message jobs still to be delivered (waiting,
// scheduled for a retry or being sent), by channel. The job table's state
// index finds them; finished jobs are not read.
func (db *DB) QueuedMessages(ctx context.Context) (map[string]int, error) {
	rows, err := db.q.Query(ctx, `SELECT coalesce(args->>'channel', ''), count(*) FROM river_job
		WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled') AND kind = $1 GROUP BY 1`,
		workflow.MessageJob{}.Kind())
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var channel string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&channel, &n}, func() error {
		out[channel] += n
		return nil
	})
	return out, err
}
