package workflow

import (
	"context"
	"time"
)

// Store is the persistence the operations need. workflow/store implements it
// on PostgreSQL. Every method takes ctx first; methods that change several rows
// are atomic on their own, and Tx composes several calls into one transaction.
type Store interface {
	// Tx runs fn in one transaction: everything fn does through the Store it
	// is given commits together or not at all. Nested calls use savepoints.
	Tx(ctx context.Context, fn func(Store) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Admin accounts.
	CreateAdmin(ctx context.Context, a *Admin) error
	AdminByID(ctx context.Context, id int64) (Admin, error)
	AdminByLogin(ctx context.Context, login string) (Admin, error)
	// RecordAdminFailure counts a failed sign-in and locks the account for
	// lockFor once the count reaches lockAfter.
	RecordAdminFailure(ctx context.Context, id int64, now time.Time, lockAfter int, lockFor time.Duration) error
	// RecordAdminLogin resets the failure count and stamps the sign-in.
	RecordAdminLogin(ctx context.Context, id int64, now time.Time) error
	// EnrolAdminTOTP stores a sealed TOTP secret for an admin who has none yet,
	// with the step used to confirm it; false when one was enrolled meanwhile.
	EnrolAdminTOTP(ctx context.Context, id int64, sealed []byte, keyID string, step int64) (bool, error)
	// AcceptAdminTOTPStep records step as used, only if it is newer than the
	// last accepted one: false means the code was already used.
	AcceptAdminTOTPStep(ctx context.Context, id int64, step int64) (bool, error)

	// API keys.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	APIKeyByPrefix(ctx context.Context, prefix string) (APIKey, error)
	TouchAPIKey(ctx context.Context, id int64, now time.Time) error

	// Users, resources and portals.
	CreateUser(ctx context.Context, u *User) error
	UserByLogin(ctx context.Context, login string) (User, error)
	CreateResource(ctx context.Context, r *Resource) error
	ResourceByName(ctx context.Context, name string) (Resource, error)
	AssignUser(ctx context.Context, resourceID, userID int64) error
	SavePortal(ctx context.Context, p *Portal) error
	PortalByAlias(ctx context.Context, alias string) (Portal, error)
	Counts(ctx context.Context) (Counts, error)

	// Enqueue queues a mail or SMS for delivery, in the current transaction.
	Enqueue(ctx context.Context, m Message) error

	// AddActivity appends to the activity log.
	AddActivity(ctx context.Context, a Activity) error
	// HitRate adds one to the fixed-window counter key and returns the count
	// in the current window; RateCount reads it without adding.
	HitRate(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	RateCount(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// Counts are the headline numbers of the dashboard.
type Counts struct {
	Users, Resources, Tokens, OpenIssues int
}
