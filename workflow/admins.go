package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Admin accounts and API keys as the console manages them (SPEC §7, for
// superadmins): creating, changing, disabling and resetting admins,
// listing and revoking keys.

// APIKeyRow is a key in the console, with the names it refers to.
type APIKeyRow struct {
	APIKey
	ResourceName   string // "" when not bound
	CreatedByLogin string // "" when created on the command line or the admin is gone
}

// SessionStamp changes whenever the admin's credentials do (a TOTP reset,
// a new enrolment, a new password). The console keeps it in the session
// at sign-in and ends a session whose stamp no longer matches. The sealed
// secret and the bcrypt hash are salted, so each change gives a new stamp.
func (a Admin) SessionStamp() string {
	h := sha256.New()
	h.Write(a.TOTPSecret)
	h.Write([]byte{0})
	h.Write([]byte(a.PasswordHash))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// AdminAccount is what the console sets on an admin account besides its
// login and password.
type AdminAccount struct {
	Email     string
	Role      Role
	Resources []int64 // the resources an owner owns; ignored for other roles
}

// errLastSuperadmin refuses to leave the console without a superadmin.
func errLastSuperadmin(login string) error {
	return Fail(CodeConflict, M("admin.last_superadmin", "Login", login))
}

// ownedResources checks the resources ticked for an admin of role: an
// owner must own at least one, and each must exist. It returns them without
// repeats (nil for the other roles) or the message for the field.
func (s *Service) ownedResources(ctx context.Context, role Role, ids []int64) ([]int64, *Msg, error) {
	if role != RoleOwner {
		return nil, nil, nil
	}
	var out []int64
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		m := M("admin.owner_needs_resource")
		return nil, &m, nil
	}
	all, err := s.Store.ListResources(ctx)
	if err != nil {
		return nil, nil, Internal(err)
	}
	for _, id := range out {
		if !slices.ContainsFunc(all, func(r ResourceRow) bool { return r.ID == id }) {
			m := M("admin.resource_gone")
			return nil, &m, nil
		}
	}
	slices.Sort(out)
	return out, nil, nil
}

// CreateAdminAccount adds an admin account from the console. An empty
// password is generated; either way the password is returned, to be shown
// once. The new admin enrols TOTP at the first sign-in.
func (s *Service) CreateAdminAccount(ctx context.Context, login, password string, acct AdminAccount, by Actor, m Meta) (Admin, string, error) {
	if password == "" {
		password = GeneratePassword()
	}
	n := NewAdmin{Login: strings.TrimSpace(login), Email: strings.TrimSpace(acct.Email), Role: acct.Role, Password: password}
	f := n.Validate()
	owned, msg, err := s.ownedResources(ctx, acct.Role, acct.Resources)
	if err != nil {
		return Admin{}, "", err
	}
	if msg != nil {
		f["resource_id"] = *msg
	}
	if len(f) > 0 {
		return Admin{}, "", FieldsInvalid(f)
	}
	n.Resources = owned
	a, err := s.CreateAdmin(ctx, n, by, m)
	if err != nil {
		return Admin{}, "", err
	}
	return a, password, nil
}

// UpdateAdminAccount changes the email, role and owned resources of an
// admin. The last enabled superadmin keeps that role.
func (s *Service) UpdateAdminAccount(ctx context.Context, id int64, acct AdminAccount, by Actor, m Meta) (Admin, error) {
	a, err := s.Store.AdminByID(ctx, id)
	if err != nil {
		return Admin{}, err
	}
	acct.Email = strings.TrimSpace(acct.Email)
	f := map[string]Msg{}
	if acct.Email != "" && !validEmail(acct.Email) {
		f["email"] = M("email.invalid")
	}
	if !slices.Contains(AdminRoles, acct.Role) {
		f["role"] = M("admin.role")
	}
	owned, msg, err := s.ownedResources(ctx, acct.Role, acct.Resources)
	if err != nil {
		return Admin{}, err
	}
	if msg != nil {
		f["resource_id"] = *msg
	}
	if len(f) > 0 {
		return Admin{}, FieldsInvalid(f)
	}

	var changed []string
	if acct.Email != a.Email {
		changed = append(changed, "email")
	}
	if acct.Role != a.Role {
		changed = append(changed, "role")
	}
	if !slices.Equal(owned, a.OwnedResource) && (len(owned) > 0 || len(a.OwnedResource) > 0) {
		changed = append(changed, "resources")
	}
	if len(changed) == 0 {
		return a, nil
	}
	before := a
	a.Email, a.Role, a.OwnedResource = acct.Email, acct.Role, owned
	err = s.Store.Tx(ctx, func(st Store) error {
		if a.Role != RoleSuperadmin {
			supers, err := st.LockSuperadmins(ctx)
			if err != nil {
				return Internal(err)
			}
			if len(supers) == 1 && supers[0] == a.ID {
				return errLastSuperadmin(a.Login)
			}
		}
		if err := st.UpdateAdmin(ctx, &a); err != nil {
			return err
		}
		if err := st.SetAdminResources(ctx, a.ID, owned); err != nil {
			return err
		}
		details := map[string]any{"admin": a.Login, "admin_id": a.ID, "changed": changed}
		if before.Role != a.Role {
			details["role"] = map[string]string{"from": string(before.Role), "to": string(a.Role)}
		}
		if before.Email != a.Email {
			details["email"] = map[string]string{"from": before.Email, "to": a.Email}
		}
		if slices.Contains(changed, "resources") {
			details["resources"] = map[string][]int64{"from": nonNil(before.OwnedResource), "to": nonNil(owned)}
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventAdminUpdated, IP: m.IP, UserAgent: m.UserAgent, Details: details}))
	})
	if err != nil {
		return Admin{}, err
	}
	return a, nil
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// SetAdminDisabled disables or enables an admin account. A disabled admin
// is signed out at their next request. The last enabled superadmin cannot
// be disabled.
func (s *Service) SetAdminDisabled(ctx context.Context, id int64, disabled bool, by Actor, m Meta) (Admin, error) {
	a, err := s.Store.AdminByID(ctx, id)
	if err != nil {
		return Admin{}, err
	}
	event := EventAdminEnabled
	if disabled {
		event = EventAdminDisabled
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if disabled {
			supers, err := st.LockSuperadmins(ctx)
			if err != nil {
				return Internal(err)
			}
			if len(supers) == 1 && supers[0] == a.ID {
				return errLastSuperadmin(a.Login)
			}
		}
		changed, err := st.SetAdminDisabled(ctx, a.ID, disabled)
		if err != nil || !changed {
			return err // already so: nothing to record
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: event, IP: m.IP, UserAgent: m.UserAgent,
			Details: map[string]any{"admin": a.Login, "admin_id": a.ID}}))
	})
	if err != nil {
		return Admin{}, err
	}
	a.Disabled = disabled
	return a, nil
}

// ResetAdminTOTP forgets an admin's authenticator: they enrol a new one at
// their next sign-in, and their current sessions end (SessionStamp).
func (s *Service) ResetAdminTOTP(ctx context.Context, id int64, by Actor, m Meta) (Admin, error) {
	a, err := s.Store.AdminByID(ctx, id)
	if err != nil {
		return Admin{}, err
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.ResetAdminTOTP(ctx, a.ID); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventAdminTOTPReset, IP: m.IP, UserAgent: m.UserAgent,
			Details: map[string]any{"admin": a.Login, "admin_id": a.ID}}))
	})
	if err != nil {
		return Admin{}, err
	}
	a.TOTPSecret, a.TOTPKeyID, a.TOTPLastStep = nil, "", 0
	return a, nil
}

// ResetAdminPassword gives an admin a new generated password, returned to
// be shown once, and lifts a lock; their current sessions end
// (SessionStamp).
func (s *Service) ResetAdminPassword(ctx context.Context, id int64, by Actor, m Meta) (Admin, string, error) {
	a, err := s.Store.AdminByID(ctx, id)
	if err != nil {
		return Admin{}, "", err
	}
	password := GeneratePassword()
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return Admin{}, "", Internal(err)
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.SetAdminPassword(ctx, a.ID, hash); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventAdminPasswordReset, IP: m.IP, UserAgent: m.UserAgent,
			Details: map[string]any{"admin": a.Login, "admin_id": a.ID}}))
	})
	if err != nil {
		return Admin{}, "", err
	}
	a.PasswordHash, a.FailedLogins, a.LockedUntil = hash, 0, nil
	return a, password, nil
}

// RevokeAPIKey revokes a key for good. This instance forgets the keys it
// had checked at once; other instances within APIKeyCacheTTL.
func (s *Service) RevokeAPIKey(ctx context.Context, id int64, by Actor, m Meta) (APIKeyRow, error) {
	var k APIKeyRow
	err := s.Store.Tx(ctx, func(st Store) error {
		var revoked bool
		var err error
		if k, revoked, err = st.RevokeAPIKey(ctx, id, s.Now()); err != nil {
			return err
		}
		if !revoked {
			return Fail(CodeConflict, M("apikey.revoked_already", "Name", k.Name))
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, ResourceID: k.ResourceID, Event: EventAPIKeyRevoked,
			IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"name": k.Name, "role": string(k.Role), "prefix": k.Prefix}}))
	})
	if err != nil {
		return APIKeyRow{}, err
	}
	s.keys.forget()
	return k, nil
}

// Admin is an account of the admin console.
type Admin struct {
	ID            int64
	Login         string
	Email         string
	PasswordHash  string
	Role          Role
	TOTPSecret    []byte // sealed
	TOTPKeyID     string
	TOTPLastStep  int64
	Disabled      bool
	FailedLogins  int
	LockedUntil   *time.Time
	Language      string
	CreatedAt     time.Time
	LastLoginAt   *time.Time
	OwnedResource []int64
}

// HasTOTP reports whether the admin has enrolled a TOTP authenticator.
func (a Admin) HasTOTP() bool { return len(a.TOTPSecret) > 0 }

// Locked reports whether the account is locked at now.
func (a Admin) Locked(now time.Time) bool { return a.LockedUntil != nil && now.Before(*a.LockedUntil) }

// Actor is the admin as the author of an activity.
func (a Admin) Actor() Actor { return Actor{Type: ActorAdmin, ID: a.ID, Name: a.Login} }

var loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

// NewAdmin is the input of CreateAdmin.
type NewAdmin struct {
	Login    string
	Email    string
	Role     Role
	Password string
	// Resources an owner owns (ignored for the other roles).
	Resources []int64
}

// Validate checks the fields of a new admin account.
func (n NewAdmin) Validate() map[string]Msg {
	f := map[string]Msg{}
	if !loginPattern.MatchString(n.Login) {
		f["login"] = M("admin.login")
	}
	if n.Email != "" && !validEmail(n.Email) {
		f["email"] = M("email.invalid")
	}
	if !slices.Contains(AdminRoles, n.Role) {
		f["role"] = M("admin.role")
	}
	if p := CheckPassword(n.Password, n.Login, "", n.Email); !p.OK() {
		f["password"] = policyMessage(p)
	}
	return f
}

// CreateAdmin adds an admin account; TOTP is enrolled at its first sign-in.
func (s *Service) CreateAdmin(ctx context.Context, n NewAdmin, by Actor, m Meta) (Admin, error) {
	n.Login = strings.TrimSpace(n.Login)
	n.Email = strings.TrimSpace(n.Email)
	if f := n.Validate(); len(f) > 0 {
		return Admin{}, FieldsInvalid(f)
	}
	hash, err := s.Hasher.Hash(n.Password)
	if err != nil {
		return Admin{}, Internal(err)
	}
	a := Admin{Login: n.Login, Email: n.Email, Role: n.Role, PasswordHash: hash}
	if n.Role == RoleOwner {
		a.OwnedResource = n.Resources
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		if err := st.CreateAdmin(ctx, &a); err != nil {
			return err
		}
		details := map[string]any{"admin": a.Login, "admin_id": a.ID, "role": string(a.Role)}
		if len(a.OwnedResource) > 0 {
			if err := st.SetAdminResources(ctx, a.ID, a.OwnedResource); err != nil {
				return err
			}
			details["resources"] = a.OwnedResource
		}
		return st.AddActivity(ctx, Activity{At: s.Now(), Actor: by, Event: EventAdminCreated, IP: m.IP, UserAgent: m.UserAgent,
			Details: details})
	})
	return a, err
}
