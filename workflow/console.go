package workflow

import (
	"context"
	"time"
)

// Locked reports whether failed sign-ins locked the user at now.
func (u User) Locked(now time.Time) bool { return u.LockedUntil != nil && now.Before(*u.LockedUntil) }

// Expired reports whether the account is past its valid-until date at now;
// the date itself is the last valid day.
func (u User) Expired(now time.Time) bool {
	return u.ValidUntil != nil && !now.Before(u.ValidUntil.AddDate(0, 0, 1))
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

// ContactInput is the part of a user the helpdesk may change (SPEC §2):
// names, email, phone and language.
type ContactInput struct {
	FirstName string
	LastName  string
	Email     string
	Phone     string
	Language  string
}

// UpdateUserContact changes a user's contact data and language and leaves
// everything else (login, password, validity, disabled) as it is.
func (s *Service) UpdateUserContact(ctx context.Context, id int64, c ContactInput, by Actor, m Meta) (User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	in := u.Input()
	in.FirstName, in.LastName, in.Email, in.Phone, in.Language = c.FirstName, c.LastName, c.Email, c.Phone, c.Language
	return s.UpdateUser(ctx, id, in, by, m)
}

// ResourceFilter selects a page of resources, ordered by name; After is the
// lower-cased name of the last row of the previous page.
type ResourceFilter struct {
	Query     string  // prefix of the name
	Resources []int64 // when not nil: only these (an owner's)
	After     string
	Limit     int
}
