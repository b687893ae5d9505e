package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// RADIUS (SPEC §11): the clients of a resource and the decision on an
// Access-Request. The protocol adapter (workflow/radius) reads and answers
// the packets; everything it decides goes through here, and the second
// factor through second_factor.go, like validate and the portal.

// First-factor modes of a resource (Portal.RadiusFirstFactor).
const (
	RadiusPassword = "password" // the user's password, then the OTP
	RadiusOTP      = "otp"      // the OTP only: the NAS checks the password
)

// Reply-Messages of SPEC §11, and the limits of an Access-Request.
const (
	RadiusDenied   = "Access denied"
	RadiusEnterOTP = "Enter your one-time password"
	// RadiusStateTTL is how long a challenge's State may be answered.
	RadiusStateTTL = 5 * time.Minute
	// maxRadiusPassword: RFC 2865 limits User-Password to 128 octets.
	maxRadiusPassword = 128
	radiusStateBytes  = 16
	// A shared secret: long enough not to be guessed from a packet, short
	// enough for every NAS.
	RadiusSecretMin = 16
	RadiusSecretMax = 128
	minPINLength    = 4
)

// RadiusClient is a NAS (VPN concentrator, gateway, firewall) allowed to ask
// for a resource from an address or network.
type RadiusClient struct {
	ID                          int64
	ResourceID                  int64
	ResourceName                string
	Name                        string
	Address                     string // an address, or a network in CIDR notation
	RequireMessageAuthenticator bool
	CreatedAt                   time.Time
	// Secret is the opened shared secret: set only by RadiusClientFor.
	Secret []byte
	// SealedSecret and KeyID are the secret at rest (store only).
	SealedSecret []byte
	KeyID        string
}

// RadiusClientInput is what an administrator sets on a new client. The
// callers default RequireMessageAuthenticator to true (SPEC §11).
type RadiusClientInput struct {
	Name                        string
	Address                     string
	Secret                      string
	RequireMessageAuthenticator bool
}

// RadiusState is an open challenge: the hash of its State, whom and which
// client it belongs to, until when it may be answered.
type RadiusState struct {
	Hash       []byte
	UserID     int64
	ClientID   int64
	ResourceID int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// RadiusCode is the answer to an Access-Request.
type RadiusCode string

const (
	RadiusAccept    RadiusCode = "accept"
	RadiusReject    RadiusCode = "reject"
	RadiusChallenge RadiusCode = "challenge"
)

// RadiusAccessRequest is what an Access-Request asks, as the protocol
// adapter read it. Meta.IP is the packet's source address.
type RadiusAccessRequest struct {
	Client           RadiusClient
	Login            string // User-Name
	Password         string // User-Password, decrypted
	State            []byte // from an earlier Access-Challenge; nil when none
	NASIPAddress     string
	NASIdentifier    string
	CallingStationID string
	Meta             Meta
}

// RadiusAnswer is the decision: Message is the Reply-Message, State (of a
// challenge) goes back in the State attribute.
type RadiusAnswer struct {
	Code    RadiusCode
	Message string
	State   []byte
}

// FormatNetwork writes a network as the input took it: a single host as its
// address, anything wider in CIDR notation.
func FormatNetwork(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// validate checks the input and returns it normalised, with the network.
func (in RadiusClientInput) validate() (RadiusClientInput, netip.Prefix, map[string]Msg) {
	f := map[string]Msg{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 || strings.ContainsAny(in.Name, "\r\n\t") {
		f["name"] = M("radius.name")
	}
	p, ok := ParseNetwork(in.Address)
	switch {
	case !ok:
		f["address"] = M("radius.address")
	case p.Bits() == 0:
		f["address"] = M("radius.address_all")
	default:
		in.Address = FormatNetwork(p)
	}
	printable := true
	for i := 0; i < len(in.Secret); i++ {
		if in.Secret[i] < 0x20 || in.Secret[i] > 0x7e {
			printable = false
		}
	}
	switch {
	case !printable:
		f["secret"] = M("radius.secret_chars")
	case len(in.Secret) < RadiusSecretMin || len(in.Secret) > RadiusSecretMax:
		f["secret"] = M("radius.secret_length")
	}
	return in, p, f
}

// radiusSecretContext binds a sealed secret to its resource and address,
// which never change: a sealed value copied to another row will not open.
func radiusSecretContext(resourceID int64, address string) string {
	return "radius-client:" + strconv.FormatInt(resourceID, 10) + ":" + address
}

func radiusClientDetails(c RadiusClient) map[string]any {
	return map[string]any{"client": c.ID, "name": c.Name, "address": c.Address,
		"require_message_authenticator": c.RequireMessageAuthenticator}
}

// CreateRadiusClient adds a client to a resource. Its secret is sealed and
// never shown again; an address that overlaps a client of another resource
// is a Conflict (an address belongs to one resource only).
func (s *Service) CreateRadiusClient(ctx context.Context, resourceID int64, in RadiusClientInput, by Actor, m Meta) (RadiusClient, error) {
	in, network, f := in.validate()
	if len(f) > 0 {
		return RadiusClient{}, FieldsInvalid(f)
	}
	r, err := s.Store.ResourceByID(ctx, resourceID)
	if err != nil {
		return RadiusClient{}, err
	}
	sealed, keyID, err := s.Sealer.Seal([]byte(in.Secret), radiusSecretContext(resourceID, in.Address))
	if err != nil {
		return RadiusClient{}, Internal(err)
	}
	c := RadiusClient{ResourceID: resourceID, ResourceName: r.Name, Name: in.Name, Address: in.Address,
		RequireMessageAuthenticator: in.RequireMessageAuthenticator, SealedSecret: sealed, KeyID: keyID}
	err = s.Store.Tx(ctx, func(st Store) error {
		others, err := st.OverlappingRadiusClients(ctx, network)
		if err != nil {
			return Internal(err)
		}
		for _, o := range others {
			if o.ResourceID != resourceID {
				msg := M("radius.address_overlap")
				return &Error{Code: CodeConflict, Msg: msg, FieldMsgs: map[string]Msg{"address": msg}}
			}
		}
		if err := st.CreateRadiusClient(ctx, &c); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(resourceActivity(by, m, resourceID, EventRadiusClientCreated, radiusClientDetails(c))))
	})
	c.SealedSecret, c.KeyID = nil, ""
	if err != nil {
		return RadiusClient{}, err
	}
	return c, nil
}

// RadiusClients lists the clients of a resource, without their secrets.
func (s *Service) RadiusClients(ctx context.Context, resourceID int64) ([]RadiusClient, error) {
	if _, err := s.Store.ResourceByID(ctx, resourceID); err != nil {
		return nil, err
	}
	list, err := s.Store.RadiusClients(ctx, resourceID)
	if err != nil {
		return nil, Internal(err)
	}
	return list, nil
}

// DeleteRadiusClient removes a client; its open challenges go with it.
func (s *Service) DeleteRadiusClient(ctx context.Context, id int64, by Actor, m Meta) error {
	c, err := s.Store.RadiusClientByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.DeleteRadiusClient(ctx, id); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(resourceActivity(by, m, c.ResourceID, EventRadiusClientDeleted, radiusClientDetails(c))))
	})
}

// RadiusClientFor finds the client a packet from addr comes from (the
// longest matching prefix), with its secret opened; false when none.
func (s *Service) RadiusClientFor(ctx context.Context, addr netip.Addr) (RadiusClient, bool, error) {
	c, err := s.Store.RadiusClientFor(ctx, addr.Unmap().WithZone(""))
	if ErrorCode(err) == CodeNotFound {
		return RadiusClient{}, false, nil
	} else if err != nil {
		return RadiusClient{}, false, Internal(err)
	}
	secret, err := s.Sealer.Open(c.SealedSecret, c.KeyID, radiusSecretContext(c.ResourceID, c.Address))
	if err != nil {
		return RadiusClient{}, false, Internal(err)
	}
	c.Secret, c.SealedSecret, c.KeyID = secret, nil, ""
	return c, true, nil
}

// radiusCall is one Access-Request on its way to an answer.
type radiusCall struct {
	req   RadiusAccessRequest
	login string
	mode  string
	allow bool  // radius_allow_without_token
	user  *User // once known: assigned to the resource
	addr  string
}

// RadiusAccess decides an Access-Request (SPEC §11). Every refusal is the
// same Access-Reject with "Access denied"; the reason is only in the
// RadiusReject activity. The error is for failures of the service itself
// (the adapter then answers nothing, and the NAS asks again).
func (s *Service) RadiusAccess(ctx context.Context, req RadiusAccessRequest) (RadiusAnswer, error) {
	c := &radiusCall{req: req, login: truncate(strings.TrimSpace(req.Login), MaxLoginLength), mode: RadiusPassword}
	// Throttling per address counts the person's address, as the NAS
	// reports it, never the NAS's own: one VPN speaks for everybody.
	if a, err := netip.ParseAddr(strings.TrimSpace(req.CallingStationID)); err == nil {
		c.addr = a.Unmap().String()
	}
	rs, err := s.radiusSettings(ctx, req.Client.ResourceID)
	if err != nil {
		return RadiusAnswer{}, err
	} else if rs.found {
		c.mode, c.allow = rs.mode, rs.allow
	}
	if c.login == "" || len(strings.TrimSpace(req.Login)) > MaxLoginLength || len(req.Password) > maxRadiusPassword {
		return s.radiusReject(ctx, c, "login empty or too long, or password too long")
	}
	if err := s.checkIP(ctx, c.addr); IsFault(err) {
		return RadiusAnswer{}, err
	} else if err != nil {
		return s.radiusRefuse(ctx, c, "too many failures from the address", false)
	}
	u, tokens, err := s.Store.ValidationTokens(ctx, req.Client.ResourceID, c.login)
	if err != nil && ErrorCode(err) != CodeNotFound {
		return RadiusAnswer{}, Internal(err)
	}
	if err == nil {
		c.user = &u
	}
	if len(req.State) > 0 {
		return s.radiusAnswerChallenge(ctx, c, tokens)
	}
	if c.mode == RadiusOTP {
		return s.radiusSecondFactor(ctx, c, tokens)
	}
	return s.radiusPassword(ctx, c, tokens)
}

// radiusPassword is the first packet in password mode: the password,
// perhaps immediately followed by the OTP. Whoever asks, it costs one
// bcrypt: the end of the input is matched against the user's software
// tokens first (without side effects; the lengths of their codes, with
// PIN), and only the password the match leaves is compared. A password that
// itself ends in digits works either way: those digits are taken for an OTP
// only when they are a current code of the user's token.
func (s *Service) radiusPassword(ctx context.Context, c *radiusCall, tokens []Token) (RadiusAnswer, error) {
	pass, now := c.req.Password, s.Now()
	var (
		hit     *Token
		step    int64
		outcome Outcome
	)
	password := pass
	if c.user != nil {
	search:
		for _, t := range usableTokens(tokens) {
			if t.Type.Sent() {
				continue // their codes come only after a challenge
			}
			for _, n := range otpLengths(t) {
				if n >= len(pass) {
					continue
				}
				st, o, err := s.match(ctx, t, pass[len(pass)-n:], now)
				if err != nil {
					return RadiusAnswer{}, err
				}
				if o == OutcomeAccepted || o == OutcomeReplayed {
					hit, step, outcome, password = &t, st, o, pass[:len(pass)-n]
					break search
				}
			}
		}
	}
	switch s.checkPassword(ctx, c.user, password) {
	case passwordUnavailable:
		// Fails closed; not the user's failure.
		return s.radiusRefuse(ctx, c, "directory unreachable", false)
	case passwordWrong:
		return s.radiusReject(ctx, c, "unknown login, not assigned, no password or wrong password (or wrong OTP)")
	}
	if reason := radiusAccountProblem(*c.user, now, true); reason != "" {
		return s.radiusReject(ctx, c, reason)
	}
	if hit != nil {
		o, err := s.commitMatch(ctx, *hit, step, outcome, now, true, nil)
		if err != nil {
			return RadiusAnswer{}, err
		}
		if o != OutcomeAccepted {
			return s.radiusReject(ctx, c, "otp: "+string(o))
		}
		return s.radiusAccept(ctx, c, map[string]any{"serial": hit.Serial})
	}
	if len(enabledTokens(tokens)) == 0 {
		return s.radiusWithoutToken(ctx, c, tokens)
	}
	live := usableTokens(tokens)
	if onlyKeys(enabledTokens(tokens)) {
		return s.radiusReject(ctx, c, "only security keys")
	}
	if len(live) == 0 {
		return s.radiusReject(ctx, c, "every token locked")
	}
	if _, err := s.sendSecondFactorCode(ctx, *c.user, live); IsFault(err) {
		return RadiusAnswer{}, err
	} else if err != nil {
		return s.radiusReject(ctx, c, "code not sent: "+ErrorMsg(err).String())
	}
	return s.radiusChallenge(ctx, c)
}

// radiusAnswerChallenge takes the State of an earlier challenge (single use,
// of this client and this user) and checks the OTP that answers it.
func (s *Service) radiusAnswerChallenge(ctx context.Context, c *radiusCall, tokens []Token) (RadiusAnswer, error) {
	st, ok, err := s.Store.TakeRadiusState(ctx, radiusStateHash(c.req.State), c.req.Client.ID, s.Now())
	if err != nil {
		return RadiusAnswer{}, Internal(err)
	}
	if !ok {
		return s.radiusReject(ctx, c, "state unknown, used, expired or of another client")
	}
	if c.user == nil || c.user.ID != st.UserID {
		return s.radiusReject(ctx, c, "state of another user")
	}
	return s.radiusSecondFactor(ctx, c, tokens)
}

// radiusSecondFactor checks User-Password as the OTP (with PIN) through the
// one second factor of the product: the answer to a challenge, or the
// packet of otp mode. An email or SMS token's code is sent on an empty or
// PIN-only password, and the answer is a challenge.
func (s *Service) radiusSecondFactor(ctx context.Context, c *radiusCall, tokens []Token) (RadiusAnswer, error) {
	if c.user == nil {
		return s.radiusReject(ctx, c, "unknown login or not assigned")
	}
	if reason := radiusAccountProblem(*c.user, s.Now(), false); reason != "" {
		return s.radiusReject(ctx, c, reason)
	}
	if len(enabledTokens(tokens)) == 0 {
		return s.radiusWithoutToken(ctx, c, tokens)
	}
	live := usableTokens(tokens)
	if onlyKeys(enabledTokens(tokens)) {
		return s.radiusReject(ctx, c, "only security keys")
	}
	if len(live) == 0 {
		return s.radiusReject(ctx, c, "every token locked")
	}
	pass := strings.TrimSpace(c.req.Password)
	if _, ok := normalizeRecoveryCode(pass); ok {
		return s.radiusReject(ctx, c, "recovery code: for the portal only")
	}
	o, err := s.verifyAny(ctx, *c.user, live, pass, nil)
	switch {
	case err != nil:
		return RadiusAnswer{}, err
	case o == OutcomeAccepted:
		return s.radiusAccept(ctx, c, nil)
	case o == OutcomeCodeSent:
		return s.radiusChallenge(ctx, c)
	}
	return s.radiusReject(ctx, c, "otp: "+string(o))
}

// radiusWithoutToken answers for a user with no enabled token on the
// resource: in when the resource allows it, unless a token of theirs was
// disabled other than by an approved lost-token request (an
// administrator's switch never waives the second factor).
func (s *Service) radiusWithoutToken(ctx context.Context, c *radiusCall, tokens []Token) (RadiusAnswer, error) {
	if !c.allow || heldBack(tokens) {
		return s.radiusReject(ctx, c, "no enabled token")
	}
	return s.radiusAccept(ctx, c, map[string]any{"without_token": true})
}

// radiusAccountProblem is why a user who proved the first factor still may
// not sign in; "" when there is none.
func radiusAccountProblem(u User, now time.Time, password bool) string {
	switch {
	case u.Disabled:
		return "user disabled"
	case u.Locked(now):
		return "user locked after failed sign-ins"
	case u.Expired(now):
		return "account expired"
	case password && u.TemporaryExpired(now):
		return "temporary password expired"
	case password && u.PasswordTooOld(now):
		return "password too old: change it in the portal"
	}
	return ""
}

// usableTokens are the enabled tokens not locked by wrong codes, security
// keys left out (RADIUS has no browser to sign with).
func usableTokens(tokens []Token) []Token {
	var live []Token
	for _, t := range otpTokens(enabledTokens(tokens)) {
		if !t.Locked() {
			live = append(live, t)
		}
	}
	return live
}

// otpLengths are the lengths of what a person types for a software token:
// its code, with a PIN of any allowed length when it has one.
func otpLengths(t Token) []int {
	if !t.HasPIN() {
		return []int{t.Digits}
	}
	var n []int
	for pin := minPINLength; pin <= maxPINLength; pin++ {
		n = append(n, t.Digits+pin)
	}
	return n
}

func radiusStateHash(state []byte) []byte {
	sum := sha256.Sum256(append([]byte("radius-state:"), state...))
	return sum[:]
}

// radiusChallenge opens a challenge: a new State, single use, bound to the
// user and the client, stored with its RadiusChallenge activity.
func (s *Service) radiusChallenge(ctx context.Context, c *radiusCall) (RadiusAnswer, error) {
	state := make([]byte, radiusStateBytes)
	if _, err := rand.Read(state); err != nil {
		return RadiusAnswer{}, Internal(err)
	}
	now := s.Now()
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.CreateRadiusState(ctx, RadiusState{Hash: radiusStateHash(state), UserID: c.user.ID, ClientID: c.req.Client.ID,
			ResourceID: c.req.Client.ResourceID, CreatedAt: now, ExpiresAt: now.Add(RadiusStateTTL)}); err != nil {
			return Internal(err)
		}
		return wrapInternal(st.AddActivity(ctx, c.activity(now, EventRadiusChallenge, nil)))
	})
	if err != nil {
		return RadiusAnswer{}, err
	}
	return RadiusAnswer{Code: RadiusChallenge, Message: RadiusEnterOTP, State: state}, nil
}

// radiusAccept lets the user in: the failure count is reset and
// RadiusAccept written, or (fail-closed, like UserLogin) nobody gets in.
func (s *Service) radiusAccept(ctx context.Context, c *radiusCall, details map[string]any) (RadiusAnswer, error) {
	a := c.activity(s.Now(), EventRadiusAccept, details)
	if c.user.FailedLogins == 0 && c.user.LockedUntil == nil {
		// Nothing to reset (as the user was read for this request): the
		// activity alone, one statement instead of a transaction of two. A
		// failure counted meanwhile is reset by the next sign-in.
		if err := s.Store.AddActivity(ctx, a); err != nil {
			return RadiusAnswer{}, Internal(err)
		}
		return RadiusAnswer{Code: RadiusAccept}, nil
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.RecordUserLogin(ctx, c.user.ID); err != nil {
			return Internal(err)
		}
		return wrapInternal(st.AddActivity(ctx, a))
	})
	if err != nil {
		return RadiusAnswer{}, err
	}
	return RadiusAnswer{Code: RadiusAccept}, nil
}

// radiusReject refuses and counts the failure like a failed portal sign-in
// (address, login name, account).
func (s *Service) radiusReject(ctx context.Context, c *radiusCall, reason string) (RadiusAnswer, error) {
	return s.radiusRefuse(ctx, c, reason, true)
}

// radiusRefuse is radiusReject, counting the failure only when count is set.
func (s *Service) radiusRefuse(ctx context.Context, c *radiusCall, reason string, count bool) (RadiusAnswer, error) {
	n := 0
	if count {
		f := failure{scope: portalScope(c.req.Client.ResourceID), login: c.login}
		if c.user != nil {
			id := c.user.ID
			f.account = func(now time.Time) error {
				return s.Store.RecordUserFailure(ctx, id, now, s.Limits.LockAfter, s.Limits.LockFor)
			}
		}
		n = s.countFailure(ctx, f, c.addr)
	}
	s.record(ctx, c.activity(s.Now(), EventRadiusReject, map[string]any{"reason": reason}))
	s.Sleep(ctx, s.failureDelay(n))
	return RadiusAnswer{Code: RadiusReject, Message: RadiusDenied}, nil
}

// activity is an answer's activity: the user (or the login as typed), the
// client and what the NAS said of the session.
func (c *radiusCall) activity(at time.Time, event string, details map[string]any) Activity {
	a := Activity{At: at, Actor: Actor{Type: ActorUser, Name: c.login}, ResourceID: &c.req.Client.ResourceID, Event: event,
		IP: c.req.Meta.IP, UserAgent: c.req.Meta.UserAgent, Details: details}
	if c.user != nil {
		a.Actor, a.UserID = c.user.Actor(), &c.user.ID
	}
	a.Details = withDetail(a.Details, "client", c.req.Client.Name)
	a.Details = withDetail(a.Details, "client_id", c.req.Client.ID)
	a.Details = withDetail(a.Details, "mode", c.mode)
	a.Details = withDetail(a.Details, "login", c.login)
	a.Details = withDetail(a.Details, "nas_ip_address", truncate(c.req.NASIPAddress, 64))
	a.Details = withDetail(a.Details, "nas_identifier", truncate(c.req.NASIdentifier, 253))
	a.Details = withDetail(a.Details, "calling_station_id", truncate(c.req.CallingStationID, 253))
	return a
}

// RadiusSettingsTTL is how long an instance keeps a resource's RADIUS
// settings (first factor, allow without token): a busy NAS then costs one
// query less per packet. A change saved on this instance applies at once,
// one saved on another instance at most this much later.
const RadiusSettingsTTL = 5 * time.Second

// radiusSettings are the RADIUS settings of a resource's portal.
type radiusSettings struct {
	mode  string
	allow bool
	found bool // the resource has a portal
	until time.Time
}

// radiusSettingsCache holds them by resource; gen counts the forgets, so
// settings read before a change committed are not cached after it.
type radiusSettingsCache struct {
	mu  sync.Mutex
	m   map[int64]radiusSettings
	gen uint64
}

func (c *radiusSettingsCache) forget() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}

// radiusSettings reads the RADIUS settings of resourceID, from the cache
// when it has them.
func (s *Service) radiusSettings(ctx context.Context, resourceID int64) (radiusSettings, error) {
	now := s.Now()
	c := &s.radiusModes
	c.mu.Lock()
	rs, ok := c.m[resourceID]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(rs.until) {
		return rs, nil
	}
	p, err := s.Store.PortalByResource(ctx, resourceID)
	switch {
	case err == nil:
		rs = radiusSettings{mode: p.RadiusFirstFactor, allow: p.RadiusAllowWithoutToken, found: true}
	case ErrorCode(err) == CodeNotFound:
		rs = radiusSettings{}
	default:
		return rs, Internal(err)
	}
	rs.until = now.Add(RadiusSettingsTTL)
	c.mu.Lock()
	if gen == c.gen {
		if c.m == nil || len(c.m) > 10_000 {
			c.m = map[int64]radiusSettings{}
		}
		c.m[resourceID] = rs
	}
	c.mu.Unlock()
	return rs, nil
}
