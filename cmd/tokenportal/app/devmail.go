package app

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/workflow/notify"
)

// devMailStore keeps the messages dev mode captured in the table dev_mail,
// so /dev/mail still lists them after a restart.
type devMailStore struct{ pool *pgxpool.Pool }

// AddCaptured stores s and drops all but the newest keep.
func (d devMailStore) AddCaptured(ctx context.Context, s notify.Sent, keep int) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO dev_mail (captured_at, channel, recipient, template, lang, subject, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.At, s.Channel, s.To, s.Template, s.Lang, s.Subject, s.Body); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM dev_mail WHERE id NOT IN (SELECT id FROM dev_mail ORDER BY id DESC LIMIT $1)`, keep)
		return err
	})
}

// Captured lists the newest max messages, newest first.
func (d devMailStore) Captured(ctx context.Context, max int) ([]notify.Sent, error) {
	rows, err := d.pool.Query(ctx, `SELECT captured_at, channel, recipient, template, lang, subject, body
		FROM dev_mail ORDER BY id DESC LIMIT $1`, max)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Sent, error) {
		var s notify.Sent
		err := r.Scan(&s.At, &s.Channel, &s.To, &s.Template, &s.Lang, &s.Subject, &s.Body)
		return s, err
	})
}
