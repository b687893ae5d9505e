package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// The activity log (SPEC §3, §7): reading it (Detailed, Grouped, CSV, API)
// and keeping it no longer than the retention.

// ActivityWindow is how far back the console shows activities (SPEC §7).
const ActivityWindow = 90 * 24 * time.Hour

// Retention of the activity log, in days: a setting of the superadmin.
const (
	SettingActivityRetention = "activity_retention_days"
	DefaultRetentionDays     = 365
	MinRetentionDays         = 90 // never shorter than the console's window
	MaxRetentionDays         = 3650
)

// PurgeBatch is how many rows one statement of PurgeActivities deletes: small
// enough that no statement holds its locks for long.
const PurgeBatch = 10_000

// eventPattern is the shape of an event name (the activities.event CHECK).
var eventPattern = regexp.MustCompile(`^[A-Z][A-Za-z]{2,40}$`)

// ValidEventName reports whether s can be an event name. Filters accept any
// such name, so events added later can be found before the list knows them.
func ValidEventName(s string) bool { return eventPattern.MatchString(s) }

// ActivityCursor is the key of an activity in the log's order (newest
// first): its time, then its id.
type ActivityCursor struct {
	At time.Time
	ID int64
}

// String encodes the cursor for a URL: microseconds since 1970 (the
// precision of timestamptz), a dash, the id.
func (c ActivityCursor) String() string { return keyPair(c.At.UnixMicro(), c.ID) }

// ParseActivityCursor reads what ActivityCursor.String wrote.
func ParseActivityCursor(s string) (ActivityCursor, error) {
	us, n, ok := parseKeyPair(s)
	if !ok || n <= 0 {
		return ActivityCursor{}, fmt.Errorf("not a cursor")
	}
	return ActivityCursor{At: time.UnixMicro(us).UTC(), ID: n}, nil
}

// ActivityFilter selects activities, newest first.
type ActivityFilter struct {
	UserID     int64  // 0 = any
	Event      string // "" = any
	ResourceID int64  // 0 = any
	// Resources, when not nil, limits the log to these resources (an
	// owner's); an empty slice shows nothing.
	Resources []int64
	Since     time.Time // inclusive; zero = no bound
	Until     time.Time // exclusive; zero = no bound
	// Before is the cursor of the last row of the previous page.
	Before *ActivityCursor
	Limit  int
	// NoUser is a filter by a user who does not exist: it matches nothing.
	NoUser bool
}

// ActivityRow is an activity with what a list shows about it.
type ActivityRow struct {
	Activity
	UserLogin    string // "" when the user is gone or there is none
	ResourceName string
	// RawDetails is the details object as compact JSON.
	RawDetails []byte
}

// Cursor is the row's key for paging.
func (r ActivityRow) Cursor() ActivityCursor { return ActivityCursor{At: r.At, ID: r.ID} }

// ActivityGroup is one user of the Grouped view: how often each event
// happened to them.
type ActivityGroup struct {
	UserID int64
	Login  string
	Total  int64
	Counts map[string]int64
}

// GroupCursor is the key of a group in the Grouped order: total
// descending, then user id descending.
type GroupCursor struct {
	Total  int64
	UserID int64
}

// String encodes the cursor for a URL.
func (c GroupCursor) String() string { return keyPair(c.Total, c.UserID) }

// ParseGroupCursor reads what GroupCursor.String wrote.
func ParseGroupCursor(s string) (GroupCursor, error) {
	t, n, ok := parseKeyPair(s)
	if !ok || t <= 0 || n <= 0 {
		return GroupCursor{}, fmt.Errorf("not a cursor")
	}
	return GroupCursor{Total: t, UserID: n}, nil
}

// ActivityRetention is the number of days activities are kept.
func (s *Service) ActivityRetention(ctx context.Context) (int, error) {
	var days int
	ok, err := s.Store.GetSetting(ctx, SettingActivityRetention, &days)
	if err != nil {
		return 0, Internal(err)
	}
	if !ok || days < MinRetentionDays || days > MaxRetentionDays {
		return DefaultRetentionDays, nil
	}
	return days, nil
}

// SetActivityRetention changes how many days activities are kept, with its
// activity in the same transaction. Only superadmins may (the handler's
// rule); days must be within MinRetentionDays and MaxRetentionDays.
func (s *Service) SetActivityRetention(ctx context.Context, days int, by Actor, m Meta) error {
	if days < MinRetentionDays || days > MaxRetentionDays {
		return FieldsInvalid(map[string]Msg{"retention_days": M("activity.retention_days", "Min", MinRetentionDays, "Max", MaxRetentionDays)})
	}
	before, err := s.ActivityRetention(ctx)
	if err != nil {
		return err
	}
	var adminID *int64
	if by.Type == ActorAdmin {
		adminID = &by.ID
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.PutSetting(ctx, SettingActivityRetention, days, adminID); err != nil {
			return Internal(err)
		}
		return wrapInternal(st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventActivityRetentionChanged,
			IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"from_days": before, "to_days": days}})))
	})
}

// activityBounds narrows f to what may be shown: nothing older than the
// retention and, when maxAge is set, than maxAge. It reports false when the
// filter can match nothing (an owner without resources, a resource outside
// the owner's, a user who does not exist).
func (s *Service) activityBounds(ctx context.Context, f *ActivityFilter, maxAge time.Duration) (bool, error) {
	if f.NoUser {
		return false, nil
	}
	days, err := s.ActivityRetention(ctx)
	if err != nil {
		return false, err
	}
	now := s.Now()
	oldest := now.AddDate(0, 0, -days)
	if maxAge > 0 {
		oldest = later(oldest, now.Add(-maxAge))
	}
	f.Since = later(f.Since, oldest)
	if !f.Until.IsZero() && !f.Until.After(f.Since) {
		return false, nil
	}
	if f.Resources != nil {
		if f.ResourceID != 0 {
			if !slices.Contains(f.Resources, f.ResourceID) {
				return false, nil
			}
			f.Resources = nil // the one resource is the narrower filter
		} else if len(f.Resources) == 0 {
			return false, nil
		}
	}
	return true, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ListActivities returns a page of the log, newest first, within the
// retention and maxAge (0: the retention only), and the cursor of the next
// page when there is one.
func (s *Service) ListActivities(ctx context.Context, f ActivityFilter, maxAge time.Duration) ([]ActivityRow, *ActivityCursor, error) {
	if ok, err := s.activityBounds(ctx, &f, maxAge); !ok || err != nil {
		return nil, nil, err
	}
	limit := f.Limit
	f.Limit = limit + 1
	rows, err := s.Store.ListActivities(ctx, f)
	if err != nil {
		return nil, nil, Internal(err)
	}
	rows, next := NextPage(rows, limit, ActivityRow.Cursor)
	return rows, next, nil
}

// ExportActivities calls fn for every activity f selects, newest first,
// within the retention and maxAge, as the rows come from the database:
// nothing is collected in memory. An error of fn stops the export.
func (s *Service) ExportActivities(ctx context.Context, f ActivityFilter, maxAge time.Duration, fn func(ActivityRow) error) error {
	f.Limit, f.Before = 0, nil
	if ok, err := s.activityBounds(ctx, &f, maxAge); !ok || err != nil {
		return err
	}
	return s.Store.EachActivity(ctx, f, fn)
}

// GroupActivities counts the events of f per user (activities without a
// user are left out), the users with most activities first, limit users a
// page; after is the cursor of the previous page's last group.
func (s *Service) GroupActivities(ctx context.Context, f ActivityFilter, maxAge time.Duration, after *GroupCursor, limit int) ([]ActivityGroup, *GroupCursor, error) {
	f.Before = nil
	if ok, err := s.activityBounds(ctx, &f, maxAge); !ok || err != nil {
		return nil, nil, err
	}
	groups, err := s.Store.GroupActivities(ctx, f, after, limit+1)
	if err != nil {
		return nil, nil, Internal(err)
	}
	groups, next := NextPage(groups, limit, ActivityGroup.Cursor)
	return groups, next, nil
}

// PurgeActivities deletes the activities older than the retention, in
// statements of PurgeBatch rows each, until none is left; it returns how
// many it deleted.
func (s *Service) PurgeActivities(ctx context.Context) (int64, error) {
	days, err := s.ActivityRetention(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := s.Now().AddDate(0, 0, -days)
	var total int64
	for {
		n, err := s.Store.DeleteActivitiesBefore(ctx, cutoff, PurgeBatch)
		total += n
		if err != nil {
			return total, Internal(err)
		}
		if n < PurgeBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// PurgeExpired deletes throttle counters, one-time codes and remembered
// devices long past their use (run with the activity purge).
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	n, err := s.Store.PurgeExpired(ctx, s.Now())
	if err != nil {
		return n, Internal(err)
	}
	return n, nil
}

// Activity is one row of the activity log.
type Activity struct {
	ID         int64
	At         time.Time
	Actor      Actor
	UserID     *int64
	ResourceID *int64
	Event      string
	IP         string
	UserAgent  string
	Details    map[string]any
}

// DetailsJSON encodes Details for storage; nil becomes {}.
func (a Activity) DetailsJSON() []byte {
	if len(a.Details) == 0 {
		return []byte("{}")
	}
	b, err := json.Marshal(a.Details)
	if err != nil {
		return []byte("{}")
	}
	return b
}
