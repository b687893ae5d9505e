package workflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"tokenportal/workflow/otp"
)

// ErrLoginFailed is the one answer to every failed sign-in, whatever failed.
var ErrLoginFailed = Fail(CodeUnauthenticated, M("login.failed"))

// ErrLoginNotRecorded refuses a sign-in whose activity could not be written
// (SPEC §8: sign-ins are fail-closed).
var ErrLoginNotRecorded = Fail(CodeUnavailable, M("login.not_recorded"))

// AdminIssuer is the issuer shown in authenticator apps for admin accounts.
const AdminIssuer = "tokenportal admin"

// adminFailed is failLogin for the admin console.
func (s *Service) adminFailed(ctx context.Context, login string, a *Admin, stage string, m Meta) error {
	f := failure{area: SignInAdmin, scope: "admin", login: login,
		act: Activity{Actor: Actor{Type: ActorAdmin, Name: truncate(login, 64)}, Event: EventAdminLoginFail, Details: map[string]any{"stage": stage}}}
	if a != nil {
		f.act.Actor.ID = a.ID
		f.account = func(now time.Time) error {
			return s.Store.RecordAdminFailure(ctx, a.ID, now, s.Limits.LockAfter, s.Limits.LockFor)
		}
	}
	return s.failLogin(ctx, f, m)
}

// AdminPassword is the first step of an admin sign-in. Unknown logins, wrong
// passwords, disabled and locked accounts all fail the same way, in the same
// time. On success the admin still has to pass TOTP (or enrol it).
func (s *Service) AdminPassword(ctx context.Context, login, password string, m Meta) (Admin, error) {
	login = strings.TrimSpace(login)
	if login == "" || len(login) > 64 || password == "" || len(password) > 1024 {
		return Admin{}, s.adminFailed(ctx, truncate(login, 64), nil, "password", m)
	}
	if err := s.checkIP(ctx, m.IP); err != nil {
		return Admin{}, err
	}
	a, err := s.Store.AdminByLogin(ctx, login)
	found := err == nil
	if err != nil && ErrorCode(err) != CodeNotFound {
		return Admin{}, Internal(err)
	}
	match := s.Hasher.Compare(a.PasswordHash, password) // dummy compare when not found
	if !found {
		return Admin{}, s.adminFailed(ctx, login, nil, "password", m)
	}
	if !match || a.Disabled || a.Locked(s.Now()) {
		return Admin{}, s.adminFailed(ctx, login, &a, "password", m)
	}
	return a, nil
}

// AdminTOTP completes an admin sign-in with a code from the enrolled app. A
// code is accepted once: the step is committed with a conditional UPDATE.
func (s *Service) AdminTOTP(ctx context.Context, adminID int64, code string, m Meta) (Admin, error) {
	if err := s.checkIP(ctx, m.IP); err != nil {
		return Admin{}, err
	}
	a, err := s.Store.AdminByID(ctx, adminID)
	if err != nil {
		return Admin{}, ErrLoginFailed
	}
	if a.Disabled || a.Locked(s.Now()) || !a.HasTOTP() {
		return Admin{}, s.adminFailed(ctx, a.Login, &a, "totp", m)
	}
	secret, err := s.Sealer.Open(a.TOTPSecret, a.TOTPKeyID, adminTOTPContext(a.ID))
	if err != nil {
		s.Log.ErrorContext(ctx, "admin TOTP secret cannot be opened", "admin", a.ID, "err", err)
		return Admin{}, Internal(err)
	}
	step, ok := otp.VerifyTOTP(secret, strings.TrimSpace(code), s.Now(), otp.Default, 0, 1, a.TOTPLastStep)
	if !ok {
		return Admin{}, s.adminFailed(ctx, a.Login, &a, "totp", m)
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		accepted, err := st.AcceptAdminTOTPStep(ctx, a.ID, step)
		if err != nil {
			return Internal(err)
		}
		if !accepted {
			return ErrLoginFailed
		}
		return s.completeAdminLogin(ctx, st, a, m, nil)
	})
	if errors.Is(err, ErrLoginFailed) {
		return Admin{}, s.adminFailed(ctx, a.Login, &a, "totp-replay", m)
	}
	if err == nil {
		s.Observe().SignIn(SignInAdmin, true)
	}
	return a, err
}

// completeAdminLogin resets the failure count and writes AdminLogin; if the
// activity cannot be written the sign-in is refused.
func (s *Service) completeAdminLogin(ctx context.Context, st Store, a Admin, m Meta, details map[string]any) error {
	now := s.Now()
	if err := st.RecordAdminLogin(ctx, a.ID, now); err != nil {
		return Internal(err)
	}
	err := st.AddActivity(ctx, Activity{At: now, Actor: a.Actor(),
		Event: EventAdminLogin, IP: m.IP, UserAgent: m.UserAgent, Details: details})
	if err != nil {
		s.Log.ErrorContext(ctx, "admin login not recorded: refused", "admin", a.ID, "err", err)
		return ErrLoginNotRecorded
	}
	return nil
}

func adminTOTPContext(id int64) string { return fmt.Sprintf("admin-totp:%d", id) }

// TOTPEnrolment is what an admin needs to add a TOTP secret to an app.
type TOTPEnrolment struct {
	URI    string
	Secret string // base32, for typing in
	QRPNG  []byte
}

// NewTOTPSecret returns a fresh secret for enrolment.
func (s *Service) NewTOTPSecret() []byte { return otp.NewSecret(otp.SHA1) }

// AdminEnrolment renders a secret for the admin's authenticator app.
func (s *Service) AdminEnrolment(a Admin, secret []byte) (TOTPEnrolment, error) {
	uri := otp.URI("totp", AdminIssuer, a.Login, secret, otp.Default, 0)
	png, err := otp.QRCodePNG(uri, 240)
	if err != nil {
		return TOTPEnrolment{}, Internal(err)
	}
	return TOTPEnrolment{URI: uri, Secret: otp.EncodeSecret(secret), QRPNG: png}, nil
}

// SealEnrolmentSecret protects a secret that waits in a session for
// confirmation; OpenEnrolmentSecret reverses it.
func (s *Service) SealEnrolmentSecret(adminID int64, secret []byte) ([]byte, string, error) {
	return s.Sealer.Seal(secret, adminTOTPContext(adminID)+":pending")
}

// OpenEnrolmentSecret opens a secret sealed by SealEnrolmentSecret.
func (s *Service) OpenEnrolmentSecret(adminID int64, sealed []byte, keyID string) ([]byte, error) {
	return s.Sealer.Open(sealed, keyID, adminTOTPContext(adminID)+":pending")
}

// EnrolAdminTOTP confirms a new TOTP secret with a code from the app, stores
// it sealed and completes the sign-in.
func (s *Service) EnrolAdminTOTP(ctx context.Context, adminID int64, secret []byte, code string, m Meta) (Admin, error) {
	a, err := s.Store.AdminByID(ctx, adminID)
	if err != nil || a.Disabled || a.Locked(s.Now()) {
		return Admin{}, ErrLoginFailed
	}
	if a.HasTOTP() {
		return Admin{}, Fail(CodeConflict, M("login.totp_enrolled_already"))
	}
	code = strings.TrimSpace(code)
	if !otp.WellFormed(code, otp.Default) {
		return Admin{}, FieldsInvalid(map[string]Msg{"code": M("login.totp_enter_code")})
	}
	step, ok := otp.VerifyTOTP(secret, code, s.Now(), otp.Default, 0, 1, -1)
	if !ok {
		_ = s.adminFailed(ctx, a.Login, &a, "totp-enrol", m)
		return Admin{}, FieldsInvalid(map[string]Msg{"code": M("login.totp_wrong_code")})
	}
	sealed, keyID, err := s.Sealer.Seal(secret, adminTOTPContext(a.ID))
	if err != nil {
		return Admin{}, Internal(err)
	}
	err = s.Store.Tx(ctx, func(st Store) error {
		ok, err := st.EnrolAdminTOTP(ctx, a.ID, sealed, keyID, step)
		if err != nil {
			return Internal(err)
		}
		if !ok {
			return Fail(CodeConflict, M("login.totp_enrolled_already"))
		}
		if err := st.AddActivity(ctx, Activity{At: s.Now(), Actor: a.Actor(),
			Event: EventAdminTOTPEnrol, IP: m.IP, UserAgent: m.UserAgent}); err != nil {
			return ErrLoginNotRecorded
		}
		return s.completeAdminLogin(ctx, st, a, m, map[string]any{"enrolled": true})
	})
	if err == nil {
		s.Observe().SignIn(SignInAdmin, true)
	}
	return a, err
}

// AdminLogoff records that an admin signed out.
func (s *Service) AdminLogoff(ctx context.Context, a Admin, m Meta) {
	s.record(ctx, Activity{Actor: a.Actor(), Event: EventAdminLogoff, IP: m.IP, UserAgent: m.UserAgent})
}
