package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"tokenportal/workflow/otp"
)

// Enrolment of a new token in the portal (register-token, reassign-token):
// chosen, confirmed with a first code, stored.

// Enrolment is a token chosen but not yet confirmed (register-token,
// reassign-token): the token exists only once the user has entered a code of
// it. It waits in the portal session, sealed to the user and resource.
type Enrolment struct {
	Type    TokenType `json:"t"`
	Secret  []byte    `json:"s,omitempty"` // the new TOTP/HOTP seed
	Replace string    `json:"r,omitempty"` // serial of the token it replaces
	SentTo  string    `json:"m,omitempty"` // where the email/SMS code went, masked
	Started time.Time `json:"at"`
}

// Software reports whether the new token is an app or device with a seed.
func (e Enrolment) Software() bool { return e.Type.Shows() }

// Expired reports whether the user took too long to confirm.
func (e Enrolment) Expired(now time.Time) bool { return now.Sub(e.Started) > enrolmentTTL }

func enrolmentContext(p Portal, u User) string {
	return "portal-enrolment:" + strconv.FormatInt(p.ResourceID, 10) + ":" + strconv.FormatInt(u.ID, 10)
}

// SealEnrolment protects an enrolment for the session: the seed is never
// stored readable, and a sealed enrolment opens only for the same user and
// resource.
func (s *Service) SealEnrolment(p Portal, u User, e Enrolment) ([]byte, string, error) {
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, "", Internal(err)
	}
	sealed, keyID, err := s.Sealer.Seal(plain, enrolmentContext(p, u))
	if err != nil {
		return nil, "", Internal(err)
	}
	return sealed, keyID, nil
}

// OpenEnrolment reverses SealEnrolment.
func (s *Service) OpenEnrolment(p Portal, u User, sealed []byte, keyID string) (Enrolment, error) {
	var e Enrolment
	plain, err := s.Sealer.Open(sealed, keyID, enrolmentContext(p, u))
	if err != nil {
		return e, err
	}
	err = json.Unmarshal(plain, &e)
	return e, err
}

// StartEnrolment begins registering an additional token of type typ for u
// on p (register-token): a fresh seed for TOTP/HOTP, a code sent to the
// address or phone on record for email/SMS.
func (s *Service) StartEnrolment(ctx context.Context, p Portal, u User, typ string) (Enrolment, error) {
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return Enrolment{}, Internal(err)
	}
	if heldTokens(tokens) >= p.MaxTokensPerUser {
		return Enrolment{}, ErrTooManyTokens
	}
	return s.startEnrolment(ctx, p, u, typ, nil)
}

// StartReassign begins exchanging u's token serial on p for a new one of
// type typ (reassign-token); the new one is enrolled as in StartEnrolment.
func (s *Service) StartReassign(ctx context.Context, p Portal, u User, serial, typ string) (Enrolment, error) {
	return s.startEnrolment(ctx, p, u, typ, &serial)
}

func (s *Service) startEnrolment(ctx context.Context, p Portal, u User, typ string, replace *string) (Enrolment, error) {
	f := map[string]Msg{}
	typ = strings.TrimSpace(typ)
	tt := TokenType(typ)
	switch {
	case !slices.Contains(p.TokenTypes, typ):
		f["type"] = M("token.type")
	case tt == TokenEmail && u.Email == "":
		f["type"] = M("token.type_no_email")
	case tt == TokenSMS && u.Phone == "":
		f["type"] = M("token.type_no_phone")
	}
	e := Enrolment{Type: tt, Started: s.Now()}
	if replace != nil {
		old, err := s.actionToken(ctx, p, u, "reassign-token", *replace)
		if ErrorCode(err) == CodeInvalid {
			f["serial"] = M("token.choose_replace")
		} else if err != nil {
			return e, err
		}
		e.Replace = old.Serial
	}
	if len(f) > 0 {
		return e, FieldsInvalid(f)
	}
	if e.Software() {
		e.Secret = otp.NewSecret(otp.SHA1)
		return e, nil
	}
	if tt.Key() {
		// The browser makes the key: KeyRegistrationOptions, ConfirmKeyEnrolment.
		return e, nil
	}
	target := u.Email
	e.SentTo = maskEmail(u.Email)
	if tt == TokenSMS {
		target = u.Phone
		e.SentTo = maskPhone(u.Phone)
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		return s.sendCode(ctx, st, OneTimeCode{Purpose: PurposeEnrol, UserID: u.ID, ResourceID: &p.ResourceID, Target: target}, tt.Channel(), u.Language)
	})
	return e, err
}

// Enrolment shows a TOTP/HOTP enrolment for the user's app: the otpauth://
// URI (issuer the resource, account the login), its QR code and the seed
// in base32.
func (s *Service) Enrolment(p Portal, u User, e Enrolment) (TOTPEnrolment, error) {
	uri := otp.URI(string(e.Type), p.ResourceName, u.Login, e.Secret, otp.Default, 0)
	png, err := otp.QRCodePNG(uri, 240)
	if err != nil {
		return TOTPEnrolment{}, Internal(err)
	}
	return TOTPEnrolment{URI: uri, Secret: otp.EncodeSecret(e.Secret), QRPNG: png}, nil
}

// Registered is the outcome of registering, exchanging or claiming a token.
type Registered struct {
	Token    Token
	Replaced string // serial of the token it replaced, if any
	// RecoveryCodes come with the user's first token; they are shown once.
	RecoveryCodes []string
	// Pending is set when the token waits for the helpdesk's approval
	// (SPEC §15): it is no second factor until then.
	Pending bool
}

// ConfirmEnrolment checks the first code of the new token and, when it is
// right, creates the token: owned by u, on p's resource ("token with user"),
// enabled; a replaced token is disabled and taken off the resource in the
// same transaction. The confirming TOTP step or HOTP counter counts as used.
func (s *Service) ConfirmEnrolment(ctx context.Context, p Portal, u User, e Enrolment, code string, m Meta) (Registered, error) {
	if e.Expired(s.Now()) {
		return Registered{}, ErrEnrolExpired
	}
	if e.Type.Key() {
		// A key is confirmed by its signature (ConfirmKeyEnrolment), not a code.
		return Registered{}, FieldsInvalid(map[string]Msg{"credential": M("webauthn.failed")})
	}
	code = strings.TrimSpace(code)
	t := Token{Serial: newSerial(e.Type), Type: e.Type, Enabled: true, UserID: &u.ID, ResourceID: &p.ResourceID}
	if p.ApproveNewTokens {
		t.Enabled, t.DisabledReason = false, DisabledPending
	}
	if e.Software() {
		if !otp.WellFormed(code, otp.Default) {
			return Registered{}, FieldsInvalid(map[string]Msg{"otp": M("token.enter_app_code", "Digits", otp.Default.Digits)})
		}
		ok := false
		if e.Type == TokenTOTP {
			t.LastStep, ok = otp.VerifyTOTP(e.Secret, code, s.Now(), otp.Default, 0, totpWindow, -1)
		} else {
			var c uint64
			c, ok = otp.VerifyHOTP(e.Secret, code, 0, hotpLookahead, otp.Default)
			t.LastStep, t.Counter = int64(c), int64(c)+1
		}
		if !ok {
			return Registered{}, FieldsInvalid(map[string]Msg{"otp": M("token.wrong_app_code")})
		}
	} else {
		if code == "" {
			return Registered{}, FieldsInvalid(map[string]Msg{"otp": M("code.enter_sent")})
		}
		r, err := s.checkCode(ctx, u.ID, PurposeEnrol, nil, code)
		switch {
		case err != nil:
			return Registered{}, err
		case !r.Live:
			return Registered{}, FieldsInvalid(map[string]Msg{"otp": M("code.expired")})
		case !r.Matched:
			return Registered{}, FieldsInvalid(map[string]Msg{"otp": M("code.wrong")})
		}
	}
	return s.finishEnrolment(ctx, p, u, e, t, e.Secret, nil, m)
}

// finishEnrolment stores the confirmed token t of enrolment e (with its
// seed, or the credential of a security key) in one transaction: a replaced
// token retired, or the new one held for approval.
func (s *Service) finishEnrolment(ctx context.Context, p Portal, u User, e Enrolment, t Token, secret []byte, key *KeyCredential, m Meta) (Registered, error) {
	var reg Registered
	err := s.Store.Tx(ctx, func(st Store) error {
		onResource, anywhere, err := st.LockUserTokens(ctx, u.ID, p.ResourceID)
		if err != nil {
			return Internal(err)
		}
		event, details := EventTokenRegistered, map[string]any{"type": t.Type}
		if e.Replace != "" {
			old, err := st.TokenBySerial(ctx, e.Replace)
			if err != nil {
				return ErrTokenChanged
			}
			// Only while it is still u's enabled token on this resource.
			switch {
			case t.Pending():
				// It keeps working until the helpdesk approves the new one.
				if !old.Enabled || !sameID(old.UserID, u.ID) || !sameID(old.ResourceID, p.ResourceID) {
					return ErrTokenChanged
				}
				t.Replaces = &old.ID
			default:
				if ok, err := st.RetireToken(ctx, old.ID, u.ID, p.ResourceID); err != nil {
					return Internal(err)
				} else if !ok {
					return ErrTokenChanged
				}
			}
			onResource--
			event, reg.Replaced = EventTokenReassigned, old.Serial
			details["old_serial"] = old.Serial
		}
		if onResource >= p.MaxTokensPerUser {
			return ErrTooManyTokens
		}
		if err := s.StoreToken(ctx, st, &t, secret); err != nil {
			return err
		}
		if key != nil {
			key.TokenID = t.ID
			if err := st.CreateKeyCredential(ctx, *key); errors.Is(err, ErrKeyRegistered) {
				return ErrKeyRegistered
			} else if err != nil {
				return Internal(err)
			}
		}
		if t.Pending() {
			details["pending"] = true
		}
		if err := st.AddActivity(ctx, s.portalActivity(p, u, m, event, t.Serial, details)); err != nil {
			return Internal(err)
		}
		if t.Pending() {
			how := EnrolRegistered
			if e.Replace != "" {
				how = EnrolReassigned
			}
			reg.Pending = true
			return s.tokenWaits(ctx, st, p, u, t, how, reg.Replaced, m)
		}
		if e.Replace != "" {
			if err := s.tokenMail(ctx, st, p, u, "token_removed", reg.Replaced, ""); err != nil {
				return err
			}
		}
		reg.RecoveryCodes, err = s.tokenAdded(ctx, st, p, u, t, anywhere, m)
		return err
	})
	if err != nil {
		return Registered{}, err
	}
	reg.Token = t
	return reg, nil
}

// firstTokenCodes makes the recovery codes that come with a user's first
// token: anywhere is how many enabled tokens they had before this one.
func (s *Service) firstTokenCodes(ctx context.Context, st Store, p Portal, u User, anywhere int, m Meta) ([]string, error) {
	if anywhere > 0 {
		return nil, nil
	}
	codes, err := s.newRecoveryCodes(ctx, st, u.ID)
	if err != nil {
		return nil, err
	}
	err = st.AddActivity(ctx, Activity{At: s.Now(), Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID,
		Event: EventRecoveryCodesCreated, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"count": len(codes)}})
	if err != nil {
		return nil, Internal(err)
	}
	return codes, nil
}

// serialPrefixes start the serials of tokens registered in the portal.
var serialPrefixes = map[TokenType]string{TokenTOTP: "TOTP", TokenHOTP: "HOTP", TokenEmail: "MAIL", TokenSMS: "SMS", TokenWebAuthn: "KEY"}

// newSerial names a token registered in the portal: TOTP-7KQ2M9XH.
func newSerial(typ TokenType) string {
	return serialPrefixes[typ] + "-" + RandomString(8, unambiguous)
}

// tokenWaits ends a registration, claim or exchange whose token waits for
// approval, in its transaction: the enrolment issue filed, the user mailed
// that it waits. No recovery codes: they would be a second factor before
// the approval (they come with the approval, see settleEnrolment).
func (s *Service) tokenWaits(ctx context.Context, st Store, p Portal, u User, t Token, how, replaces string, m Meta) error {
	if err := s.holdForApproval(ctx, st, p, u, t, how, replaces, m); err != nil {
		return err
	}
	if u.Email == "" {
		return nil
	}
	return s.enqueue(ctx, st, Message{Channel: ChannelEmail, To: u.Email, Template: "token_registered", Lang: u.Language,
		Data: map[string]string{"login": u.Login, "serial": t.Serial, "type": string(t.Type), "resource": p.ResourceName,
			"pending": "yes", "replaces": replaces}})
}

// sameID reports whether id is set to want.
func sameID(id *int64, want int64) bool { return id != nil && *id == want }

// tokenAdded ends a registration or claim in its transaction: the user is
// mailed, and a first token comes with recovery codes (see firstTokenCodes).
func (s *Service) tokenAdded(ctx context.Context, st Store, p Portal, u User, t Token, anywhere int, m Meta) ([]string, error) {
	if err := s.tokenMail(ctx, st, p, u, "token_registered", t.Serial, t.Type); err != nil {
		return nil, err
	}
	return s.firstTokenCodes(ctx, st, p, u, anywhere, m)
}
