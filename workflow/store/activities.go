package store

import (
	"context"
	"strings"
	"time"

	"tokenportal/workflow"
)

// AddActivity appends one row to the activity log.
func (db *DB) AddActivity(ctx context.Context, a workflow.Activity) error {
	var ip *string
	if a.IP != "" {
		ip = &a.IP
	}
	var actorID *int64
	if a.Actor.ID != 0 {
		actorID = &a.Actor.ID
	}
	at := a.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := db.q.Exec(ctx, `INSERT INTO activities (at, actor_type, actor_id, actor_name, user_id, resource_id, event, ip, user_agent, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::inet, $9, $10)`,
		at, a.Actor.Type, actorID, a.Actor.Name, a.UserID, a.ResourceID, a.Event, ip, truncateUA(a.UserAgent), a.DetailsJSON())
	return err
}

// truncateUA keeps user agents within the column limit without splitting a
// character.
func truncateUA(s string) string {
	if len(s) <= 512 {
		return s
	}
	return strings.ToValidUTF8(s[:512], "")
}
