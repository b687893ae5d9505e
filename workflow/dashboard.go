package workflow

import (
	"context"
	"time"
)

// The numbers of the admin dashboard (SPEC §7). An owner sees only what
// belongs to the resources they own; the store methods take that list (nil
// for everything).

// Dashboard windows: sign-ins per hour over the last DashboardHours, per day
// over the last DashboardDays (both including the current one); and the
// newest DashboardRecent activities.
const (
	DashboardHours  = 24
	DashboardDays   = 30
	DashboardRecent = 10
)

// DashboardCounts are the headline numbers of the dashboard.
type DashboardCounts struct {
	Users, Resources, Tokens int
	OpenIssues               int
	LockedUsers              int // failed-login lock still running
	LockedTokens             int // failcount at MaxFailcount or more
}

// ActivityCount is how many activities of one event fell into the hour
// (UTC) that starts at Hour.
type ActivityCount struct {
	Hour  time.Time
	Event string
	Count int
}

// RecentActivity is an activity with the names of its user and resource.
type RecentActivity struct {
	Activity
	UserLogin    string // "" when none (or deleted)
	ResourceName string
}

// SignInBucket is one bar of a sign-in chart: the sign-ins and the failed
// attempts in the hour or day that starts at Start (UTC).
type SignInBucket struct {
	Start  time.Time
	OK     int
	Failed int
}

// SignInSeries is a sign-in chart: hourly over the last day, daily over the
// last month, oldest first.
type SignInSeries struct {
	Hourly []SignInBucket
	Daily  []SignInBucket
}

// Dashboard is everything the dashboard shows.
type Dashboard struct {
	Now    time.Time
	Scoped bool // an owner's view: their resources only
	Counts DashboardCounts
	// UserSignIns counts UserLogin and UserLoginAttempt; AdminSignIns
	// AdminLogin and AdminLoginAttempt (nil in an owner's view: admin
	// sign-ins belong to no resource).
	UserSignIns  SignInSeries
	AdminSignIns *SignInSeries
	Recent       []RecentActivity
}

// DashboardScope is the resources whose numbers a sees: nil for all, the
// owned ones (maybe none) for an owner.
func DashboardScope(a Admin) []int64 {
	if a.Role != RoleOwner {
		return nil
	}
	return append([]int64{}, a.OwnedResource...)
}

// Dashboard gathers the dashboard of admin a at the service's clock.
func (s *Service) Dashboard(ctx context.Context, a Admin) (Dashboard, error) {
	now := s.Now().UTC()
	scope := DashboardScope(a)
	d := Dashboard{Now: now, Scoped: scope != nil}
	var err error
	if d.Counts, err = s.Store.DashboardCounts(ctx, scope, now); err != nil {
		return d, err
	}

	hourEnd := now.Truncate(time.Hour).Add(time.Hour)
	hourStart := hourEnd.Add(-DashboardHours * time.Hour)
	dayEnd := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	dayStart := dayEnd.AddDate(0, 0, -DashboardDays)
	events := []string{EventUserLogin, EventUserLoginAttempt}
	if scope == nil {
		events = append(events, EventAdminLogin, EventAdminLoginFail)
	}
	// One pass over the month, by hour; the days are sums of hours.
	counts, err := s.Store.CountActivities(ctx, events, scope, dayStart, dayEnd)
	if err != nil {
		return d, err
	}
	d.UserSignIns = signInSeries(counts, EventUserLogin, EventUserLoginAttempt, hourStart, dayStart)
	if scope == nil {
		admins := signInSeries(counts, EventAdminLogin, EventAdminLoginFail, hourStart, dayStart)
		d.AdminSignIns = &admins
	}
	if d.Recent, err = s.Store.RecentActivities(ctx, scope, DashboardRecent); err != nil {
		return d, err
	}
	return d, nil
}

// signInSeries sorts hourly counts of the ok and failed events into the
// hourly buckets from hourStart and the daily ones from dayStart.
func signInSeries(counts []ActivityCount, ok, failed string, hourStart, dayStart time.Time) SignInSeries {
	s := SignInSeries{Hourly: make([]SignInBucket, DashboardHours), Daily: make([]SignInBucket, DashboardDays)}
	for i := range s.Hourly {
		s.Hourly[i].Start = hourStart.Add(time.Duration(i) * time.Hour)
	}
	for i := range s.Daily {
		s.Daily[i].Start = dayStart.AddDate(0, 0, i)
	}
	add := func(b *SignInBucket, c ActivityCount) {
		if c.Event == ok {
			b.OK += c.Count
		} else {
			b.Failed += c.Count
		}
	}
	for _, c := range counts {
		if c.Event != ok && c.Event != failed {
			continue
		}
		h := c.Hour.UTC()
		if i := int(h.Sub(hourStart) / time.Hour); h.Compare(hourStart) >= 0 && i < DashboardHours {
			add(&s.Hourly[i], c)
		}
		day := time.Date(h.Year(), h.Month(), h.Day(), 0, 0, 0, 0, time.UTC)
		if i := int(day.Sub(dayStart).Hours()/24 + 0.5); day.Compare(dayStart) >= 0 && i < DashboardDays {
			add(&s.Daily[i], c)
		}
	}
	return s
}
