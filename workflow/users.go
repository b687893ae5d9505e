package workflow

import (
	"cmp"
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Languages users may have; mails are written in them.
var Languages = []string{"en", "de", "nl"}

// MaxLoginLength is the longest login of a user, in characters; longer
// input is cut to it wherever a login is typed.
const MaxLoginLength = 128

// loginRule says what a user's login may be.
var loginRule = M("account.login_rule", "Max", MaxLoginLength)

var (
	userLoginPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._@+\-]{0,` + strconv.Itoa(MaxLoginLength-1) + `}$`)
	phonePattern     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// UserInput is every field of a user an administrator (or the API) sets.
// Password, when not empty, replaces the password; ClearPassword removes it.
type UserInput struct {
	Login                string
	FirstName            string
	LastName             string
	Email                string
	Phone                string
	Password             string
	ClearPassword        bool
	PasswordNeverExpires bool
	ValidUntil           string // YYYY-MM-DD, empty: no expiry
	TemporaryUntil       string // YYYY-MM-DDTHH:MM (UTC), empty: not temporary
	Disabled             bool
	Language             string
}

// NormalizePhone turns what people type ("+31 6 1234-5678", "0031…") into
// E.164 ("+31612345678"); ok is false when it cannot be one.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return "", false
		}
	}
	n := b.String()
	if strings.HasPrefix(n, "00") {
		n = "+" + n[2:]
	}
	return n, phonePattern.MatchString(n)
}

// validate checks the input and returns it cleaned, with field errors.
func (in UserInput) validate() (UserInput, map[string]Msg) {
	f := map[string]Msg{}
	in.Login = strings.TrimSpace(in.Login)
	in.FirstName = strings.TrimSpace(in.FirstName)
	in.LastName = strings.TrimSpace(in.LastName)
	in.Email = strings.TrimSpace(in.Email)
	if !userLoginPattern.MatchString(in.Login) {
		f["login"] = loginRule
	}
	if utf8.RuneCountInString(in.FirstName) > 100 || strings.ContainsAny(in.FirstName, "\r\n\t") {
		f["first_name"] = M("account.name_long")
	}
	if utf8.RuneCountInString(in.LastName) > 100 || strings.ContainsAny(in.LastName, "\r\n\t") {
		f["last_name"] = M("account.name_long")
	}
	if in.Email != "" && !validEmail(in.Email) {
		f["email"] = M("email.invalid")
	}
	if p, ok := NormalizePhone(in.Phone); ok {
		in.Phone = p
	} else {
		f["phone"] = M("phone.invalid")
	}
	if in.Language != "" && !slices.Contains(Languages, in.Language) {
		f["language"] = M("account.language")
	}
	if in.ValidUntil != "" {
		if _, err := time.Parse("2006-01-02", in.ValidUntil); err != nil {
			f["valid_until"] = M("account.date")
		}
	}
	if in.TemporaryUntil != "" {
		if _, err := parseLocalTime(in.TemporaryUntil); err != nil {
			f["temporary_until"] = M("account.date_time")
		}
	}
	return in, f
}

func parseLocalTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Parse("2006-01-02T15:04", s)
}

// apply writes the input onto u, hashing a new password.
func (s *Service) applyUserInput(u *User, in UserInput) error {
	u.Login, u.FirstName, u.LastName, u.Email, u.Phone = in.Login, in.FirstName, in.LastName, in.Email, in.Phone
	u.PasswordNeverExpires, u.Disabled, u.Language = in.PasswordNeverExpires, in.Disabled, in.Language
	u.ValidUntil, u.TemporaryUntil = nil, nil
	if in.ValidUntil != "" {
		t, _ := time.Parse("2006-01-02", in.ValidUntil)
		u.ValidUntil = &t
	}
	if in.TemporaryUntil != "" {
		t, _ := parseLocalTime(in.TemporaryUntil)
		u.TemporaryUntil = &t
	}
	switch {
	case in.Password != "":
		hash, err := s.Hasher.Hash(in.Password)
		if err != nil {
			return Internal(err)
		}
		now := s.Now()
		u.PasswordHash, u.PasswordChangedAt = hash, &now
	case in.ClearPassword:
		u.PasswordHash, u.PasswordChangedAt = "", nil
	}
	return nil
}

func userActivity(by Actor, m Meta, u User, event string, details map[string]any) Activity {
	return Activity{Actor: by, UserID: &u.ID, Event: event, IP: m.IP, UserAgent: m.UserAgent, Details: details}
}

// CreateUser adds a user (SPEC §3). The password, when given, follows the policy.
func (s *Service) CreateUser(ctx context.Context, in UserInput, by Actor, m Meta) (User, error) {
	in, f := in.validate()
	if in.Password != "" {
		if p := CheckPassword(in.Password, in.Login, "", in.FirstName, in.LastName, in.Email); !p.OK() {
			f["password"] = policyMessage(p)
		}
	}
	if len(f) > 0 {
		return User{}, FieldsInvalid(f)
	}
	var u User
	if err := s.applyUserInput(&u, in); err != nil {
		return User{}, err
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.CreateUser(ctx, &u); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(userActivity(by, m, u, EventUserCreated, map[string]any{"login": u.Login})))
	})
	return u, err
}

// UpdateUser changes a user's fields.
func (s *Service) UpdateUser(ctx context.Context, id int64, in UserInput, by Actor, m Meta) (User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	in, f := in.validate()
	if in.Password != "" {
		if p := CheckPassword(in.Password, in.Login, u.PasswordHash, in.FirstName, in.LastName, in.Email); !p.OK() {
			f["password"] = policyMessage(p)
		}
	}
	maps.Copy(f, directoryManaged(u, in))
	if len(f) > 0 {
		return User{}, FieldsInvalid(f)
	}
	before := u
	if err := s.applyUserInput(&u, in); err != nil {
		return User{}, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.UpdateUser(ctx, &u); err != nil {
			return err
		}
		if err := st.AddActivity(ctx, s.stamp(userActivity(by, m, u, EventUserUpdated, map[string]any{"changed": changedFields(before, u)}))); err != nil {
			return err
		}
		return s.contactChanged(ctx, st, before, u, by, m)
	})
	return u, err
}

// directoryManaged names the fields in would change that u's directory
// keeps (SPEC §12): they are changed in the directory, and the next sync
// brings them.
func directoryManaged(u User, in UserInput) map[string]Msg {
	f := map[string]Msg{}
	if !u.FromDirectory() {
		return f
	}
	msg := M("account.directory_managed", "Directory", u.DirectoryName)
	for name, changed := range map[string]bool{
		"login": in.Login != u.Login, "email": in.Email != u.Email, "phone": in.Phone != u.Phone,
		"first_name": in.FirstName != u.FirstName, "last_name": in.LastName != u.LastName,
		"password": in.Password != "" || in.ClearPassword,
	} {
		if changed && u.Managed(name) {
			f[name] = msg
		}
	}
	return f
}

// contactChanged records an administrator's change of a user's password,
// email address or phone number with the events the same change writes in
// the portal, and tells the person on record: a new address at the old
// one, a new phone number at the address on record before the change.
func (s *Service) contactChanged(ctx context.Context, st Store, before, u User, by Actor, m Meta) error {
	var acts []Activity
	if before.PasswordHash != u.PasswordHash {
		acts = append(acts, userActivity(by, m, u, EventUserPasswordChange, map[string]any{"reason": "admin"}))
	}
	if before.Email != u.Email {
		acts = append(acts, userActivity(by, m, u, EventUserEmailChange, map[string]any{"old_email": before.Email, "new_email": u.Email}))
	}
	if before.Phone != u.Phone {
		acts = append(acts, userActivity(by, m, u, EventUserPhoneChange, map[string]any{"old_phone": before.Phone, "new_phone": u.Phone}))
	}
	for _, a := range acts {
		if err := st.AddActivity(ctx, s.stamp(a)); err != nil {
			return err
		}
	}
	if before.Email != u.Email && before.Email != "" {
		err := s.tellUser(ctx, st, u, "email_changed", map[string]string{"login": u.Login, "new_email": u.Email}, []string{before.Email}, "")
		if err != nil {
			return err
		}
	}
	if before.Phone != u.Phone {
		return s.tellPhoneChanged(ctx, st, u, u.Phone, "", cmp.Or(before.Email, u.Email))
	}
	return nil
}

// tellPhoneChanged tells the address to (the one on record) that the phone
// number of u is now phone (masked; empty: removed).
func (s *Service) tellPhoneChanged(ctx context.Context, st Store, u User, phone, resource, to string) error {
	if phone != "" {
		phone = maskPhone(phone)
	}
	return s.tellUser(ctx, st, u, "phone_changed", map[string]string{"login": u.Login, "phone": phone, "resource": resource}, []string{to}, "")
}

// changedFields names what an update changed, for the activity log (never
// the values of secrets).
func changedFields(a, b User) []string {
	var c []string
	add := func(name string, changed bool) {
		if changed {
			c = append(c, name)
		}
	}
	add("login", a.Login != b.Login)
	add("first_name", a.FirstName != b.FirstName)
	add("last_name", a.LastName != b.LastName)
	add("email", a.Email != b.Email)
	add("phone", a.Phone != b.Phone)
	add("password", a.PasswordHash != b.PasswordHash)
	add("password_never_expires", a.PasswordNeverExpires != b.PasswordNeverExpires)
	add("valid_until", !sameTime(a.ValidUntil, b.ValidUntil))
	add("temporary_until", !sameTime(a.TemporaryUntil, b.TemporaryUntil))
	add("disabled", a.Disabled != b.Disabled)
	add("language", a.Language != b.Language)
	return c
}

func sameTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

// policyMessage is why a password is refused, with the advice on a better
// one.
func policyMessage(p PasswordProblem) Msg {
	if len(p.Hints) == 0 {
		return p.Message
	}
	return M("password.problem_hints", "Problem", p.Message, "Hints", strings.Join(p.Hints, " "))
}

// DeleteUser removes a user; their tokens go back to stock, disabled.
func (s *Service) DeleteUser(ctx context.Context, id int64, by Actor, m Meta) error {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.DeleteUser(ctx, id); err != nil {
			return err
		}
		a := userActivity(by, m, u, EventUserDeleted, map[string]any{"login": u.Login})
		a.UserID = nil // the row is gone; the login stays in the details
		return st.AddActivity(ctx, s.stamp(a))
	})
}

// AssignUser assigns a user to a resource.
func (s *Service) AssignUser(ctx context.Context, resourceID, userID int64, by Actor, m Meta) error {
	if _, err := s.Store.ResourceByID(ctx, resourceID); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.AssignUser(ctx, resourceID, userID); err != nil {
			return err
		}
		a := userActivity(by, m, u, EventUserAssigned, nil)
		a.ResourceID = &resourceID
		return st.AddActivity(ctx, s.stamp(a))
	})
}

// UnassignUser removes a user from a resource; their tokens leave it too.
func (s *Service) UnassignUser(ctx context.Context, resourceID, userID int64, by Actor, m Meta) error {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.UnassignUser(ctx, resourceID, userID); err != nil {
			return err
		}
		a := userActivity(by, m, u, EventUserUnassigned, nil)
		a.ResourceID = &resourceID
		return st.AddActivity(ctx, s.stamp(a))
	})
}

// UnlockUser ends a sign-in lockout.
func (s *Service) UnlockUser(ctx context.Context, id int64, by Actor, m Meta) error {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.UnlockUser(ctx, id); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(userActivity(by, m, u, EventUserUnlocked, nil)))
	})
}

// ResetUser2FA disables and unassigns all of a user's tokens (and removes
// recovery codes and remembered devices), so they enrol again.
func (s *Service) ResetUser2FA(ctx context.Context, id int64, by Actor, m Meta) ([]string, error) {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var serials []string
	err = s.Store.Tx(ctx, func(st Store) error {
		var disabled []string
		if serials, disabled, err = st.ResetUser2FA(ctx, id); err != nil {
			return err
		}
		// The same events as the same change anywhere else.
		for _, serial := range disabled {
			if err := st.AddActivity(ctx, s.stamp(userActivity(by, m, u, EventTokenDisabled, map[string]any{"serial": serial, "reason": "2fa-reset"}))); err != nil {
				return err
			}
		}
		for _, serial := range serials {
			if err := st.AddActivity(ctx, s.stamp(userActivity(by, m, u, EventTokenUnassigned, map[string]any{"serial": serial, "reason": "2fa-reset"}))); err != nil {
				return err
			}
		}
		return st.AddActivity(ctx, s.stamp(userActivity(by, m, u, EventUser2FAReset, map[string]any{"tokens": serials})))
	})
	return serials, err
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

// ContactFields are the fields of a user that roles other than superadmin
// may change (SPEC §2: the helpdesk edits contact data), by their form and
// API names.
var ContactFields = []string{"first_name", "last_name", "email", "phone", "language"}

// UpdateUserAs changes user id on behalf of someone with role: a superadmin
// changes any field, every other role only ContactFields. in holds every
// field, those not to change as they are (User.Input). A change of another
// field is refused as a whole — Forbidden, naming the fields — and recorded;
// the console and the API answer alike.
func (s *Service) UpdateUserAs(ctx context.Context, role Role, id int64, in UserInput, by Actor, m Meta) (User, error) {
	if role == RoleSuperadmin {
		return s.UpdateUser(ctx, id, in, by, m)
	}
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	if f := beyondContact(u.Input(), in); len(f) > 0 {
		s.RecordAccessDenied(ctx, by, "change of a user's "+strings.Join(slices.Sorted(maps.Keys(f)), ", "), m)
		return User{}, &Error{Code: CodeForbidden, FieldMsgs: f,
			Msg: M("account.role_contact_only", "Role", string(role), "Fields", strings.Join(ContactFields, ", "))}
	}
	return s.UpdateUserContact(ctx, id, ContactInput{FirstName: in.FirstName, LastName: in.LastName, Email: in.Email,
		Phone: in.Phone, Language: in.Language}, by, m)
}

// beyondContact names the fields other than ContactFields in which in
// differs from was.
func beyondContact(was, in UserInput) map[string]Msg {
	f := map[string]Msg{}
	msg := M("account.role_field")
	for name, changed := range map[string]bool{
		"login": in.Login != was.Login, "password": in.Password != "", "remove_password": in.ClearPassword,
		"password_never_expires": in.PasswordNeverExpires != was.PasswordNeverExpires, "valid_until": in.ValidUntil != was.ValidUntil,
		"temporary_until": in.TemporaryUntil != was.TemporaryUntil, "disabled": in.Disabled != was.Disabled,
	} {
		if changed {
			f[name] = msg
		}
	}
	return f
}
