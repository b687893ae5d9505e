package workflow

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The account actions of the portal (SPEC §5, 8–13). Each change, its
// activity and its mail commit together.

// PendingCode is the newest unused one-time code of a user for a purpose,
// expired or not.
type PendingCode struct {
	Target    string
	ExpiresAt time.Time
	Attempts  int
}

var (
	// ErrEmailCodeExpired and ErrEmailCodeUsedUp end an email change; the
	// person starts again with the new address.
	ErrEmailCodeExpired = Fail(CodeInvalid, M("email.code_expired"))
	ErrEmailCodeUsedUp  = Fail(CodeInvalid, M("email.code_used_up"))
	ErrNoEmailChange    = Fail(CodeInvalid, M("email.no_change"))
)

// passwordChangedMail queues the "password_changed" mail through st.
func (s *Service) passwordChangedMail(ctx context.Context, st Store, p Portal, u User) error {
	if u.Email == "" {
		return nil
	}
	return s.enqueue(ctx, st, Message{Channel: ChannelEmail, To: u.Email, Template: "password_changed", Lang: u.Language,
		Data: map[string]string{"login": u.Login, "resource": p.ResourceName}})
}

// accountActivity is the activity of an account change the user made.
func (s *Service) accountActivity(u User, p Portal, event string, m Meta, details map[string]any) Activity {
	return s.stamp(Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: event,
		IP: m.IP, UserAgent: m.UserAgent, Details: details})
}

// managedByDirectory refuses to change a field the user's directory keeps
// (SPEC §12: the portal hides these actions; this is the rule behind it).
func managedByDirectory(u User, fields ...string) error {
	for _, f := range fields {
		if u.Managed(f) {
			if f == "password" {
				return Fail(CodeConflict, M("password.managed", "Directory", u.DirectoryName))
			}
			return Fail(CodeConflict, M("account.managed", "Directory", u.DirectoryName))
		}
	}
	return nil
}

// checkNewPassword applies the policy of SPEC §8 to a chosen password.
func checkNewPassword(u User, password string) map[string]Msg {
	if pp := CheckPassword(password, u.Login, u.PasswordHash, u.FirstName, u.LastName, u.Email); !pp.OK() {
		return map[string]Msg{"new_password": policyMessage(pp)}
	}
	return nil
}

// CreatePassword gives a user without a password one (action 8).
func (s *Service) CreatePassword(ctx context.Context, p Portal, u User, newPassword string, m Meta) error {
	if err := managedByDirectory(u, "password"); err != nil {
		return err
	}
	if u.PasswordHash != "" {
		return Fail(CodeConflict, M("password.have_one"))
	}
	if f := checkNewPassword(u, newPassword); f != nil {
		return FieldsInvalid(f)
	}
	return s.storePassword(ctx, p, u, newPassword, m, nil, "created")
}

// storePassword hashes and stores a new password with its activities and
// mail in one transaction; before are activities to write first.
func (s *Service) storePassword(ctx context.Context, p Portal, u User, password string, m Meta, before *Activity, reason string) error {
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return Internal(err)
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if before != nil {
			if err := st.AddActivity(ctx, *before); err != nil {
				return Internal(err)
			}
		}
		if err := st.SetUserPassword(ctx, u.ID, hash, s.Now()); err != nil {
			return err
		}
		if err := st.AddActivity(ctx, s.accountActivity(u, p, EventUserPasswordChange, m, map[string]any{"reason": reason})); err != nil {
			return Internal(err)
		}
		return s.passwordChangedMail(ctx, st, p, u)
	})
}

// errTooManyAttempts refuses a current password while the account or the
// address is throttled.
var errTooManyAttempts = M("password.too_many_attempts")

// ChangePassword replaces the password (action 9): the current one must be
// right; a wrong one counts like a failed sign-in (lockout, per-IP
// throttle). UserPasswordChangeRequest is written for every submission,
// UserPasswordChange with the change.
func (s *Service) ChangePassword(ctx context.Context, p Portal, u User, in PasswordChangeInput, m Meta) error {
	current, newPassword := in.Current, in.New
	if err := managedByDirectory(u, "password"); err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return Fail(CodeConflict, M("password.none_yet"))
	}
	req := s.accountActivity(u, p, EventUserPasswordChangeRequest, m, nil)
	refused := func(fields map[string]Msg, why string) error {
		req.Details = map[string]any{"result": "refused", "reason": why}
		s.record(ctx, req)
		return FieldsInvalid(fields)
	}
	if err := s.checkIP(ctx, m.IP); err != nil {
		if IsFault(err) {
			return err
		}
		return refused(map[string]Msg{"password": errTooManyAttempts}, "throttled")
	}
	if u.Locked(s.Now()) {
		return refused(map[string]Msg{"password": errTooManyAttempts}, "locked")
	}
	if current == "" {
		f := map[string]Msg{"password": M("password.enter_current")}
		if nf := checkNewPassword(u, newPassword); nf != nil {
			f["new_password"] = nf["new_password"]
		}
		return refused(f, "no current password")
	}
	if len(current) > 1024 || !s.Hasher.Compare(u.PasswordHash, current) {
		_ = s.loginFailed(ctx, p, LoginFlow{ResourceID: p.ResourceID, Login: u.Login, UserID: u.ID}, "change password", m)
		return refused(map[string]Msg{"password": M("password.not_current")}, "wrong current password")
	}
	if f := checkNewPassword(u, newPassword); f != nil {
		return refused(f, "policy")
	}
	return s.storePassword(ctx, p, u, newPassword, m, &req, "changed")
}

// normalizeEmail trims an address and checks it.
func normalizeEmail(e string) (string, bool) {
	e = strings.TrimSpace(e)
	return e, validEmail(e)
}

// RequestEmailChange starts an email change (action 10): a code goes to
// the new address, which waits as the code's target; nothing changes
// before the code is confirmed.
func (s *Service) RequestEmailChange(ctx context.Context, p Portal, u User, newEmail string, m Meta) error {
	if err := managedByDirectory(u, "email"); err != nil {
		return err
	}
	email, ok := normalizeEmail(newEmail)
	switch {
	case email == "":
		return FieldsInvalid(map[string]Msg{"new_email": M("email.enter_new")})
	case !ok:
		return FieldsInvalid(map[string]Msg{"new_email": M("email.invalid")})
	case strings.EqualFold(email, u.Email):
		return FieldsInvalid(map[string]Msg{"new_email": M("email.same")})
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := s.sendCode(ctx, st, OneTimeCode{Purpose: PurposeEmailChange, UserID: u.ID, ResourceID: &p.ResourceID, Target: email},
			ChannelEmail, u.Language); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.accountActivity(u, p, EventUserEmailChangeRequest, m, map[string]any{"new_email": email}))
	})
	if codeHeldBack(err) {
		return FieldsInvalid(map[string]Msg{"new_email": ErrorMsg(err)})
	}
	return err
}

// PendingEmailChange returns the address an email change waits to confirm,
// if a code for it can still be used.
func (s *Service) PendingEmailChange(ctx context.Context, u User) (string, bool, error) {
	pc, err := s.Store.PendingCode(ctx, u.ID, PurposeEmailChange)
	if ErrorCode(err) == CodeNotFound {
		return "", false, nil
	} else if err != nil {
		return "", false, Internal(err)
	}
	if !s.Now().Before(pc.ExpiresAt) || pc.Attempts >= CodeAttempts {
		return "", false, nil
	}
	return pc.Target, true, nil
}

// ConfirmEmailChange checks the code sent to the new address and, when it
// is right, makes that address the user's; the old address is told.
// A wrong code is a field error with the attempts left; an expired or used
// up code ends the change (ErrEmailCodeExpired, ErrEmailCodeUsedUp).
func (s *Service) ConfirmEmailChange(ctx context.Context, p Portal, u User, code string, m Meta) (User, error) {
	if err := managedByDirectory(u, "email"); err != nil {
		return u, err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return u, FieldsInvalid(map[string]Msg{"email_code": M("email.enter_code")})
	}
	if len(code) != CodeDigits {
		code = "" // never matches, still counts as an attempt
	}
	now := s.Now()
	var r CodeResult
	err := s.Store.Tx(ctx, func(st Store) error {
		var err error
		r, err = st.UseCode(ctx, u.ID, PurposeEmailChange, nil, s.codeHashes(u.ID, PurposeEmailChange, code), now, CodeAttempts)
		if err != nil {
			return Internal(err)
		}
		if !r.Matched {
			return nil // the spent attempt commits
		}
		old := u.Email
		if err := st.SetUserEmail(ctx, u.ID, r.Target); err != nil {
			return err
		}
		if err := st.AddActivity(ctx, s.accountActivity(u, p, EventUserEmailChange, m,
			map[string]any{"old_email": old, "new_email": r.Target})); err != nil {
			return Internal(err)
		}
		if old == "" {
			return nil
		}
		return s.enqueue(ctx, st, Message{Channel: ChannelEmail, To: old, Template: "email_changed", Lang: u.Language,
			Data: map[string]string{"login": u.Login, "new_email": r.Target, "resource": p.ResourceName}})
	})
	switch {
	case err != nil:
		return u, err
	case r.Matched:
		u.Email = r.Target
		return u, nil
	case r.Live && r.Attempts < CodeAttempts:
		left := CodeAttempts - r.Attempts
		return u, FieldsInvalid(map[string]Msg{"email_code": M("email.code_wrong", "Count", left)})
	case r.Live:
		return u, ErrEmailCodeUsedUp
	}
	pc, err := s.Store.PendingCode(ctx, u.ID, PurposeEmailChange)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return u, ErrNoEmailChange
	case err != nil:
		return u, Internal(err)
	case pc.Attempts >= CodeAttempts:
		return u, ErrEmailCodeUsedUp
	}
	return u, ErrEmailCodeExpired
}

// ChangePhone sets or (empty) removes the phone number (action 11), in
// E.164, and tells the email address on record. A user with an SMS token
// cannot remove the number it needs.
func (s *Service) ChangePhone(ctx context.Context, p Portal, u User, phone string, m Meta) (User, bool, error) {
	if err := managedByDirectory(u, "phone"); err != nil {
		return u, false, err
	}
	if len(phone) > 64 {
		return u, false, FieldsInvalid(map[string]Msg{"phone": M("phone.long")})
	}
	n, ok := NormalizePhone(phone)
	if !ok {
		return u, false, FieldsInvalid(map[string]Msg{"phone": M("phone.invalid")})
	}
	if n == u.Phone {
		return u, false, nil
	}
	if n == "" {
		tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
		if err != nil {
			return u, false, Internal(err)
		}
		for _, t := range enabledTokens(tokens) {
			if t.Type == TokenSMS {
				return u, false, FieldsInvalid(map[string]Msg{"phone": M("phone.sms_token")})
			}
		}
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.SetUserPhone(ctx, u.ID, n); err != nil {
			return err
		}
		if err := st.AddActivity(ctx, s.accountActivity(u, p, EventUserPhoneChange, m, map[string]any{"old_phone": u.Phone, "new_phone": n})); err != nil {
			return err
		}
		return s.tellPhoneChanged(ctx, st, u, n, p.ResourceName, u.Email)
	})
	if err != nil {
		return u, false, err
	}
	u.Phone = n
	return u, true, nil
}

// ChangeLogin renames the user (action 12). Logins are unique without
// regard to case; a user may change the case of their own login.
func (s *Service) ChangeLogin(ctx context.Context, p Portal, u User, newLogin string, m Meta) (User, error) {
	if err := managedByDirectory(u, "login"); err != nil {
		return u, err
	}
	login := strings.TrimSpace(newLogin)
	switch {
	case login == "":
		return u, FieldsInvalid(map[string]Msg{"new_login": M("account.enter_new_login")})
	case !userLoginPattern.MatchString(login):
		return u, FieldsInvalid(map[string]Msg{"new_login": loginRule})
	case login == u.Login:
		return u, FieldsInvalid(map[string]Msg{"new_login": M("account.same_login")})
	}
	taken := FieldsInvalid(map[string]Msg{"new_login": M("account.login_taken")})
	other, err := s.Store.UserByLogin(ctx, login)
	switch {
	case err == nil && other.ID != u.ID:
		return u, taken
	case err != nil && ErrorCode(err) != CodeNotFound:
		return u, Internal(err)
	}
	// The password policy says a password is not the login; keep it so.
	if u.PasswordHash != "" && s.Hasher.Compare(u.PasswordHash, login) {
		return u, FieldsInvalid(map[string]Msg{"new_login": M("account.login_is_password")})
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.SetUserLogin(ctx, u.ID, login); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.accountActivity(u, p, EventUserLoginChange, m, map[string]any{"old_login": u.Login, "new_login": login}))
	})
	if ErrorCode(err) == CodeConflict {
		return u, taken // someone took it meanwhile
	}
	if err != nil {
		return u, err
	}
	u.Login = login
	return u, nil
}

// validName checks a first or last name: at most 100 characters, one line.
func validName(s string) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= 100 && strings.IndexFunc(s, unicode.IsControl) < 0
}

// ChangeName sets the first and last name (action 13). It reports whether
// anything changed.
func (s *Service) ChangeName(ctx context.Context, p Portal, u User, in NameInput, m Meta) (User, bool, error) {
	if err := managedByDirectory(u, "first_name", "last_name"); err != nil {
		return u, false, err
	}
	first, last := in.First, in.Last
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	f := map[string]Msg{}
	if !validName(first) {
		f["first_name"] = M("account.name_long")
	}
	if !validName(last) {
		f["last_name"] = M("account.name_long")
	}
	if len(f) > 0 {
		return u, false, FieldsInvalid(f)
	}
	if first == u.FirstName && last == u.LastName {
		return u, false, nil
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.SetUserName(ctx, u.ID, first, last); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.accountActivity(u, p, EventUserNameChange, m, map[string]any{
			"old_first_name": u.FirstName, "old_last_name": u.LastName, "first_name": first, "last_name": last}))
	})
	if err != nil {
		return u, false, err
	}
	u.FirstName, u.LastName = first, last
	return u, true, nil
}

// ReauthByEmail reports whether the user confirms who they are with a code
// sent to their email address before a sensitive action: they have neither
// a password nor an enabled token on the resource, but an address.
func (s *Service) ReauthByEmail(ctx context.Context, p Portal, u User) (bool, error) {
	if u.HasPassword() || u.Email == "" {
		return false, nil
	}
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return false, Internal(err)
	}
	return len(enabledTokens(tokens)) == 0, nil
}

// SendReauthCode emails a sign-in code for Reauthenticate and returns the
// masked address. When the code limiter holds a new code back, the last one
// sent stays valid.
func (s *Service) SendReauthCode(ctx context.Context, p Portal, u User) (string, error) {
	err := s.Store.Tx(ctx, func(st Store) error {
		return s.sendCode(ctx, st, OneTimeCode{Purpose: PurposeLogin, UserID: u.ID, ResourceID: &p.ResourceID, Target: u.Email}, ChannelEmail, u.Language)
	})
	if err != nil && !codeHeldBack(err) {
		return "", err
	}
	return maskEmail(u.Email), nil
}
