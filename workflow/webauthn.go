package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Security keys and passkeys (SPEC §14): a token of type webauthn whose
// credential (KeyCredential) signs a challenge in the browser. The
// relying party is the product at BASE_URL: its host is the RP ID, its
// origin the only origin accepted. A ceremony's state (Ceremony) waits
// server-side in the portal session, single use, for ceremonyTTL.

// ceremonyTTL is how long a begun ceremony may take.
const ceremonyTTL = 5 * time.Minute

// maxKeyName bounds the name a user gives a key.
const maxKeyName = 64

// Kinds of ceremony: each is finished only by its own step.
const (
	CeremonyRegister = "register" // register-token, reassign-token
	CeremonySignIn   = "sign-in"  // the second factor of a sign-in
	CeremonyPasskey  = "passkey"  // passkey_login: the passkey alone
	CeremonyRestore  = "restore"  // the token proof of restore access
)

// Answers of the ceremonies.
var (
	ErrKeyRegistered = Fail(CodeConflict, M("webauthn.already_registered"))
	ErrKeyCeremony   = Fail(CodeInvalid, M("webauthn.failed"))
	errNoRelyingPart = Fail(CodeUnavailable, M("webauthn.no_base_url"))
)

// KeyCredential is the credential of a security key or passkey.
type KeyCredential struct {
	TokenID        int64
	CredentialID   []byte
	PublicKey      []byte // COSE
	SignCount      int64
	AAGUID         []byte // 16 bytes, or none
	Transports     []string
	BackupEligible bool
	Name           string
	UserID         *int64 // the token's owner (read only)
}

// Ceremony is a WebAuthn ceremony begun and not yet finished, kept by the
// portal session until its one use.
type Ceremony struct {
	Kind       string               `json:"k"`
	ResourceID int64                `json:"r"`
	UserID     int64                `json:"u,omitempty"`
	Started    time.Time            `json:"t"`
	Data       webauthn.SessionData `json:"d"`
}

// Seal turns the ceremony into bytes for the session.
func (c Ceremony) Seal() []byte {
	b, _ := json.Marshal(c)
	return b
}

// OpenCeremony reverses Seal; ok is false for anything else.
func OpenCeremony(b []byte) (Ceremony, bool) {
	var c Ceremony
	if len(b) == 0 || json.Unmarshal(b, &c) != nil {
		return Ceremony{}, false
	}
	return c, true
}

// RelyingParty is the product as WebAuthn sees it, from BASE_URL: RP ID the
// host, origin the scheme, host and port.
func (s *Service) RelyingParty() (*webauthn.WebAuthn, error) {
	u, err := url.Parse(s.BaseURL)
	if s.BaseURL == "" || err != nil || u.Hostname() == "" {
		return nil, errNoRelyingPart
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: "tokenportal", RPOrigins: []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: false, Timeout: ceremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: false, Timeout: ceremonyTTL},
		},
	})
	if err != nil {
		return nil, Internal(err)
	}
	return rp, nil
}

// keyUser is a user as the WebAuthn library sees them, with the keys that
// may answer.
type keyUser struct {
	u     User
	creds []webauthn.Credential
}

func (k keyUser) WebAuthnID() []byte   { return userHandle(k.u.ID) }
func (k keyUser) WebAuthnName() string { return k.u.Login }
func (k keyUser) WebAuthnDisplayName() string {
	return strings.TrimSpace(k.u.FirstName + " " + k.u.LastName)
}
func (k keyUser) WebAuthnCredentials() []webauthn.Credential { return k.creds }

// userHandle is the user's id as the authenticator keeps it: a passkey
// names its user by it.
func userHandle(id int64) []byte { return []byte("tokenportal-user:" + strconv.FormatInt(id, 10)) }

func libCredential(k KeyCredential) webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(k.Transports))
	for i, t := range k.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{ID: k.CredentialID, PublicKey: k.PublicKey, Transport: tr,
		Flags:         webauthn.CredentialFlags{BackupEligible: k.BackupEligible},
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: uint32(k.SignCount)}}
}

// liveKeys are the user's enabled keys among tokens, with their credentials.
func (s *Service) liveKeys(ctx context.Context, userID int64, tokens []Token) ([]Token, []KeyCredential, error) {
	var keys []Token
	var ids []int64
	for _, t := range enabledTokens(tokens) {
		if t.Type.Key() {
			keys, ids = append(keys, t), append(ids, t.ID)
		}
	}
	if len(keys) == 0 {
		return nil, nil, nil
	}
	creds, err := s.Store.KeyCredentials(ctx, ids)
	if err != nil {
		return nil, nil, Internal(err)
	}
	return keys, creds, nil
}

// begin finishes a Begin… of the library: the options for the browser as
// JSON, the ceremony to keep.
func (s *Service) begin(kind string, p Portal, userID int64, options any, data *webauthn.SessionData) ([]byte, Ceremony, error) {
	b, err := json.Marshal(options)
	if err != nil {
		return nil, Ceremony{}, Internal(err)
	}
	d := *data
	d.Expires = time.Time{} // our clock decides (Ceremony.Started)
	return b, Ceremony{Kind: kind, ResourceID: p.ResourceID, UserID: userID, Started: s.Now(), Data: d}, nil
}

// ceremonyFits reports whether c is a live ceremony of kind on p.
func (s *Service) ceremonyFits(c Ceremony, kind string, p Portal, userID int64) bool {
	return c.Kind == kind && c.ResourceID == p.ResourceID && c.UserID == userID &&
		!c.Started.IsZero() && s.Now().Sub(c.Started) <= ceremonyTTL && !s.Now().Before(c.Started)
}

// KeyRegistrationOptions begins registering a security key for the
// enrolment e (register-token or reassign-token of type webauthn). The
// user's keys are excluded: the browser says a key is registered already.
func (s *Service) KeyRegistrationOptions(ctx context.Context, p Portal, u User, e Enrolment) ([]byte, Ceremony, error) {
	if e.Type != TokenWebAuthn || e.Expired(s.Now()) {
		return nil, Ceremony{}, ErrEnrolExpired
	}
	rp, err := s.RelyingParty()
	if err != nil {
		return nil, Ceremony{}, err
	}
	creds, err := s.Store.UserKeyCredentials(ctx, u.ID)
	if err != nil {
		return nil, Ceremony{}, Internal(err)
	}
	exclude := make([]protocol.CredentialDescriptor, len(creds))
	for i, k := range creds {
		lc := libCredential(k)
		exclude[i] = lc.Descriptor()
	}
	opts, data, err := rp.BeginRegistration(keyUser{u: u}, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred}))
	if err != nil {
		return nil, Ceremony{}, Internal(err)
	}
	return s.begin(CeremonyRegister, p, u.ID, opts, data)
}

// ConfirmKeyEnrolment finishes registering a security key: the browser's
// answer to the ceremony c is verified ("none" attestation is enough: the
// key's make is not checked), and the token is stored as ConfirmEnrolment
// stores one — pending when the portal approves new tokens.
func (s *Service) ConfirmKeyEnrolment(ctx context.Context, p Portal, u User, e Enrolment, c Ceremony, response []byte, name string, m Meta) (Registered, error) {
	if e.Type != TokenWebAuthn || e.Expired(s.Now()) {
		return Registered{}, ErrEnrolExpired
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Registered{}, FieldsInvalid(map[string]Msg{"name": M("webauthn.name")})
	case utf8.RuneCountInString(name) > maxKeyName || !utf8.ValidString(name):
		return Registered{}, FieldsInvalid(map[string]Msg{"name": M("webauthn.name_long", "Max", maxKeyName)})
	}
	if !s.ceremonyFits(c, CeremonyRegister, p, u.ID) || len(response) == 0 {
		return Registered{}, FieldsInvalid(map[string]Msg{"credential": M("webauthn.failed")})
	}
	rp, err := s.RelyingParty()
	if err != nil {
		return Registered{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		s.Log.InfoContext(ctx, "security key registration refused", "user", u.ID, "err", err)
		return Registered{}, FieldsInvalid(map[string]Msg{"credential": M("webauthn.failed")})
	}
	cred, err := rp.CreateCredential(keyUser{u: u}, c.Data, parsed)
	if err != nil {
		s.Log.InfoContext(ctx, "security key registration refused", "user", u.ID, "err", err)
		return Registered{}, FieldsInvalid(map[string]Msg{"credential": M("webauthn.failed")})
	}
	k := KeyCredential{CredentialID: cred.ID, PublicKey: cred.PublicKey, SignCount: int64(cred.Authenticator.SignCount),
		AAGUID: cred.Authenticator.AAGUID, BackupEligible: cred.Flags.BackupEligible, Name: name}
	if len(k.AAGUID) != 16 {
		k.AAGUID = nil
	}
	for _, t := range cred.Transport {
		if len(k.Transports) < 8 && len(t) <= 32 {
			k.Transports = append(k.Transports, string(t))
		}
	}
	t := Token{Serial: newSerial(TokenWebAuthn), Type: TokenWebAuthn, Enabled: true, UserID: &u.ID, ResourceID: &p.ResourceID,
		Description: name}
	if p.ApproveNewTokens {
		t.Enabled, t.DisabledReason = false, DisabledPending
	}
	return s.finishEnrolment(ctx, p, u, e, t, nil, &k, m)
}

// KeySignInOptions begins the "Use your security key" of a sign-in's
// second step: the user's enabled keys on the portal may answer.
func (s *Service) KeySignInOptions(ctx context.Context, p Portal, f LoginFlow) ([]byte, Ceremony, error) {
	if f.Step != StepOTP || f.UserID == 0 {
		return nil, Ceremony{}, ErrLoginFailed
	}
	return s.keyOptions(ctx, p, f.UserID, CeremonySignIn)
}

// KeyStepUpOptions begins the proof of a key in a session that signed in
// without a second factor (StepUpKey).
func (s *Service) KeyStepUpOptions(ctx context.Context, p Portal, u User) ([]byte, Ceremony, error) {
	return s.keyOptions(ctx, p, u.ID, CeremonySignIn)
}

func (s *Service) keyOptions(ctx context.Context, p Portal, userID int64, kind string) ([]byte, Ceremony, error) {
	rp, err := s.RelyingParty()
	if err != nil {
		return nil, Ceremony{}, err
	}
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return nil, Ceremony{}, wrapInternal(err)
	}
	tokens, err := s.Store.UserTokens(ctx, userID, p.ResourceID)
	if err != nil {
		return nil, Ceremony{}, Internal(err)
	}
	_, creds, err := s.liveKeys(ctx, userID, tokens)
	if err != nil {
		return nil, Ceremony{}, err
	}
	if len(creds) == 0 {
		return nil, Ceremony{}, Fail(CodeInvalid, M("webauthn.no_key"))
	}
	ku := keyUser{u: u}
	for _, k := range creds {
		ku.creds = append(ku.creds, libCredential(k))
	}
	opts, data, err := rp.BeginLogin(ku, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, Ceremony{}, Internal(err)
	}
	return s.begin(kind, p, userID, opts, data)
}

// keyAnswer is a verified assertion: the key that signed and its new
// signature counter.
type keyAnswer struct {
	token Token
	count uint32
	clone bool // the counter did not move forward
	uv    bool // the authenticator verified the user (PIN, biometrics)
}

// checkAssertion verifies the browser's answer to c against the user's
// enabled keys on p. Nothing is written.
func (s *Service) checkAssertion(ctx context.Context, p Portal, u User, c Ceremony, response []byte) (keyAnswer, bool, error) {
	rp, err := s.RelyingParty()
	if err != nil {
		return keyAnswer{}, false, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return keyAnswer{}, false, nil
	}
	tokens, err := s.Store.UserTokens(ctx, u.ID, p.ResourceID)
	if err != nil {
		return keyAnswer{}, false, Internal(err)
	}
	keys, creds, err := s.liveKeys(ctx, u.ID, tokens)
	if err != nil {
		return keyAnswer{}, false, err
	}
	ku := keyUser{u: u}
	for _, k := range creds {
		ku.creds = append(ku.creds, libCredential(k))
	}
	var cred *webauthn.Credential
	if len(c.Data.AllowedCredentialIDs) == 0 {
		// A discoverable request (passkey, restore): the key names itself.
		cred, err = rp.ValidateDiscoverableLogin(func(rawID, handle []byte) (webauthn.User, error) {
			if !bytes.Equal(handle, userHandle(u.ID)) {
				return nil, protocol.ErrBadRequest.WithDetails("another user's key")
			}
			return ku, nil
		}, c.Data, parsed)
	} else {
		cred, err = rp.ValidateLogin(ku, c.Data, parsed)
	}
	if err != nil {
		s.Log.InfoContext(ctx, "security key assertion refused", "user", u.ID, "err", err)
		return keyAnswer{}, false, nil
	}
	for i, k := range creds {
		if bytes.Equal(k.CredentialID, cred.ID) {
			t := keys[slices.IndexFunc(keys, func(t Token) bool { return t.ID == creds[i].TokenID })]
			return keyAnswer{token: t, count: parsed.Response.AuthenticatorData.Counter, clone: cred.Authenticator.CloneWarning,
				uv: parsed.Response.AuthenticatorData.Flags.HasUserVerified()}, true, nil
		}
	}
	return keyAnswer{}, false, nil
}

// useKey commits a verified assertion: the counter moves forward or the
// key is refused as a possible clone, which is recorded
// (TokenCloneSuspected).
func (s *Service) useKey(ctx context.Context, p Portal, u User, a keyAnswer, m Meta) (bool, error) {
	ok := false
	if !a.clone {
		var err error
		if ok, err = s.Store.UseKeyCredential(ctx, a.token.ID, a.count, s.Now()); err != nil {
			return false, Internal(err)
		}
	}
	if !ok {
		s.record(ctx, Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventTokenCloneSuspected,
			IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"serial": a.token.Serial, "sign_count": a.count,
				"reason": "signature counter did not move forward"}})
	}
	return ok, nil
}

// LoginSecurityKey is the second step of a sign-in answered with a
// security key: an assertion of one of the user's enabled keys on p, whose
// counter moves forward. Failures count like a wrong code.
func (s *Service) LoginSecurityKey(ctx context.Context, p Portal, f LoginFlow, c Ceremony, response []byte, m Meta) (LoginFlow, error) {
	u, err := s.secondStepUser(ctx, p, f, "security key", m)
	if err != nil {
		return f, err
	}
	if !s.ceremonyFits(c, CeremonySignIn, p, f.UserID) {
		return f, s.loginFailed(ctx, p, f, "security key: no ceremony begun", m)
	}
	a, ok, err := s.checkAssertion(ctx, p, u, c, response)
	if err != nil {
		return f, err
	}
	if !ok {
		return f, s.loginFailed(ctx, p, f, "security key: not verified", m)
	}
	if used, err := s.useKey(ctx, p, u, a, m); err != nil {
		return f, err
	} else if !used {
		return f, s.loginFailed(ctx, p, f, "security key: signature counter went backwards", m)
	}
	f.Step, f.SecondFactor, f.Factors = StepDone, true, append(f.Factors, FactorSecurityKey)
	return f, nil
}

// StepUpKey proves a security key in a session that signed in without a
// second factor, as StepUp does with a code.
func (s *Service) StepUpKey(ctx context.Context, p Portal, u User, c Ceremony, response []byte, m Meta) error {
	f := LoginFlow{ResourceID: p.ResourceID, Login: u.Login, UserID: u.ID, Step: StepOTP}
	if _, err := s.LoginSecurityKey(ctx, p, f, c, response, m); err != nil {
		return err
	}
	s.record(ctx, Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventSecondFactorStepUp,
		IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"factor": FactorSecurityKey}})
	return nil
}

// PasskeyOptions begins a passkey sign-in (portal policy passkey_login): a
// discoverable credential with user verification; no login is asked, so
// nothing about anybody's account is in the options.
func (s *Service) PasskeyOptions(ctx context.Context, p Portal) ([]byte, Ceremony, error) {
	if !p.PasskeyLogin {
		return nil, Ceremony{}, Fail(CodeNotFound, M("webauthn.passkey_off"))
	}
	return s.discoverableOptions(p, CeremonyPasskey, protocol.VerificationRequired)
}

func (s *Service) discoverableOptions(p Portal, kind string, uv protocol.UserVerificationRequirement) ([]byte, Ceremony, error) {
	rp, err := s.RelyingParty()
	if err != nil {
		return nil, Ceremony{}, err
	}
	opts, data, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(uv))
	if err != nil {
		return nil, Ceremony{}, Internal(err)
	}
	return s.begin(kind, p, 0, opts, data)
}

// LoginPasskey signs in with a passkey alone: the key names its user, who
// must be assigned to the resource and able to sign in, the key must be
// one of their enabled keys on it, and the authenticator must have
// verified the user. It counts as both factors. Every failure is the one
// "Login failed".
func (s *Service) LoginPasskey(ctx context.Context, p Portal, c Ceremony, response []byte, m Meta) (LoginFlow, error) {
	f := LoginFlow{ResourceID: p.ResourceID, Step: StepDone, Started: s.Now()}
	if err := s.checkIP(ctx, m.IP); err != nil {
		return f, err
	}
	fail := func(why string) (LoginFlow, error) {
		return LoginFlow{}, s.loginFailed(ctx, p, f, "passkey: "+why, m)
	}
	if !p.PasskeyLogin || !s.ceremonyFits(c, CeremonyPasskey, p, 0) {
		return fail("no passkey sign-in begun")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return fail("not an assertion")
	}
	k, err := s.Store.KeyCredentialByID(ctx, parsed.RawID)
	if IsFault(err) {
		return f, err
	} else if err != nil || k.UserID == nil || !bytes.Equal(parsed.Response.UserHandle, userHandle(*k.UserID)) {
		return fail("unknown key")
	}
	u, err := s.Store.UserByID(ctx, *k.UserID)
	if IsFault(err) {
		return f, err
	} else if err != nil {
		return fail("unknown key")
	}
	f.Login, f.UserID = u.Login, u.ID
	if assigned, err := s.Store.IsAssigned(ctx, p.ResourceID, u.ID); err != nil {
		return f, Internal(err)
	} else if !assigned || u.Disabled || u.Locked(s.Now()) {
		return fail("user not assigned, disabled or locked")
	}
	a, ok, err := s.checkAssertion(ctx, p, u, c, response)
	if err != nil {
		return f, err
	}
	if !ok || !a.uv {
		return fail("not verified")
	}
	if u.Expired(s.Now()) {
		return f, ErrAccountExpired
	}
	if used, err := s.useKey(ctx, p, u, a, m); err != nil {
		return f, err
	} else if !used {
		return fail("signature counter went backwards")
	}
	f.SecondFactor, f.Factors = true, []string{FactorPasskey}
	return f, nil
}

// RestoreKeyOptions begins the security key proof of restore access. The
// options are the same for every login — a discoverable request with no
// list of keys — so they tell nothing about the account (SPEC §6): a key
// of the user answers; anything else fails as a wrong code would.
func (s *Service) RestoreKeyOptions(ctx context.Context, p Portal, rf RestoreFlow) ([]byte, Ceremony, error) {
	if rf.Step != RestoreStepProve || rf.LostItem(LostToken) {
		return nil, Ceremony{}, Fail(CodeConflict, M("restore.start_again"))
	}
	return s.discoverableOptions(p, CeremonyRestore, protocol.VerificationPreferred)
}

// proveKey reports whether response is a valid assertion of one of u's
// enabled keys on p, without any side effect: the counter is checked (a
// clone is refused), not stored, as proveToken uses no code up.
func (s *Service) proveKey(ctx context.Context, p Portal, u User, c *Ceremony, response []byte) (bool, error) {
	if c == nil || len(response) == 0 || u.ID == 0 || !s.ceremonyFits(*c, CeremonyRestore, p, 0) {
		return false, nil
	}
	a, ok, err := s.checkAssertion(ctx, p, u, *c, response)
	if err != nil || !ok {
		return false, err
	}
	return !a.clone, nil
}

// otpTokens are tokens without the security keys: the tokens a code can
// be checked against.
func otpTokens(tokens []Token) []Token {
	var list []Token
	for _, t := range tokens {
		if !t.Type.Key() {
			list = append(list, t)
		}
	}
	return list
}

// onlyKeys reports whether every one of tokens (at least one) is a
// security key.
func onlyKeys(tokens []Token) bool { return len(tokens) > 0 && len(otpTokens(tokens)) == 0 }

// HasKey reports whether tokens hold an enabled security key.
func HasKey(tokens []Token) bool {
	return slices.ContainsFunc(tokens, func(t Token) bool { return t.Enabled && t.Type.Key() })
}
