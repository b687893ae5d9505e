package workflow

import (
	"time"
)

// The user of a portal and what can be said of one.

// Locked reports whether failed sign-ins locked the user at now.
func (u User) Locked(now time.Time) bool { return u.LockedUntil != nil && now.Before(*u.LockedUntil) }

// Expired reports whether the account is past its valid-until date at now;
// the date itself is the last valid day.
func (u User) Expired(now time.Time) bool {
	return u.ValidUntil != nil && !now.Before(u.ValidUntil.AddDate(0, 0, 1))
}

// TemporaryExpired reports whether the user's temporary password ran out
// at now.
func (u User) TemporaryExpired(now time.Time) bool {
	return u.TemporaryUntil != nil && !now.Before(*u.TemporaryUntil)
}

// PasswordTooOld reports whether the password is older than PasswordMaxAge
// at now; a temporary password, one that never expires or a directory's
// (its own policy applies) is not.
func (u User) PasswordTooOld(now time.Time) bool {
	if u.PasswordNeverExpires || u.TemporaryUntil != nil || u.FromDirectory() {
		return false
	}
	changed := u.CreatedAt
	if u.PasswordChangedAt != nil {
		changed = *u.PasswordChangedAt
	}
	return now.Sub(changed) > PasswordMaxAge
}

// Input returns the fields of u as a UserInput that changes nothing, for
// editing some of them.
func (u User) Input() UserInput {
	in := UserInput{
		Login: u.Login, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Phone: u.Phone,
		PasswordNeverExpires: u.PasswordNeverExpires, Disabled: u.Disabled, Language: u.Language,
	}
	if u.ValidUntil != nil {
		in.ValidUntil = u.ValidUntil.Format("2006-01-02")
	}
	if u.TemporaryUntil != nil {
		in.TemporaryUntil = u.TemporaryUntil.UTC().Format(time.RFC3339)
	}
	return in
}

// User is a person who signs in to a resource's self-service portal.
type User struct {
	ID                   int64
	Login                string
	FirstName            string
	LastName             string
	Email                string
	Phone                string
	PasswordHash         string // empty: no password
	PasswordChangedAt    *time.Time
	PasswordNeverExpires bool
	ValidUntil           *time.Time
	TemporaryUntil       *time.Time
	Disabled             bool
	Language             string
	FailedLogins         int
	LockedUntil          *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
	// DirectoryID is the directory that owns the user (nil: made in the
	// product); ExternalID its entry's stable id. DirectoryName and
	// DirectoryManages come with the user for the pages.
	DirectoryID       *int64
	ExternalID        string
	DirectoryName     string
	DirectoryManages  *DirectoryAttributes
	DirectoryDisabled bool // disabled by the directory's sync
}

// FromDirectory reports whether a directory owns the user: their password
// is the directory's, their mapped fields are its.
func (u User) FromDirectory() bool { return u.DirectoryID != nil }

// HasPassword reports whether the user signs in with a password: their own
// or their directory's.
func (u User) HasPassword() bool { return u.PasswordHash != "" || u.FromDirectory() }

// Managed reports whether the user's field ("login", "email", "phone",
// "first_name", "last_name", "password") is the directory's, read-only here.
func (u User) Managed(field string) bool {
	if !u.FromDirectory() {
		return false
	}
	a := DirectoryAttributes{Login: "login"}
	if u.DirectoryManages != nil {
		a = *u.DirectoryManages
	}
	switch field {
	case "login", "password":
		return true
	case "email":
		return a.Email != ""
	case "phone":
		return a.Phone != ""
	case "first_name":
		return a.FirstName != ""
	case "last_name":
		return a.LastName != ""
	}
	return false
}

// Actor is the user as the author of an activity.
func (u User) Actor() Actor { return Actor{Type: ActorUser, ID: u.ID, Name: u.Login} }
