package workflow

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// PortalInput is what an administrator sets on a resource's self-service
// portal (SPEC §3). The console's Self-Service tab and PUT
// /api/v1/resources/{id}/portal both fill it; the keys of field errors are the
// JSON names (alias, actions, token_types, trusted_networks,
// remember_device_days, max_tokens_per_user, pin_length).
type PortalInput struct {
	Alias   string
	Enabled bool
	// Actions are the ids of the enabled actions in display order; every
	// other action is off and follows them in its default order.
	Actions                        []string
	TokenTypes                     []string
	TrustedNetworks                []string // CIDR; a bare address means that one host
	OTPOutsideTrusted              bool
	DenyWithoutTokenOutsideTrusted bool
	RequireToken                   bool
	RememberDeviceDays             int
	MaxTokensPerUser               int
	PINLength                      int
	// RADIUS (SPEC §11): what User-Password carries first, and whether a
	// user with no enabled token on the resource gets in.
	RadiusFirstFactor       string // RadiusPassword (default) or RadiusOTP
	RadiusAllowWithoutToken bool
	// DefaultCountry (ISO 3166 alpha-2, like NL) lets users type phone
	// numbers in its national format; empty: international format only.
	DefaultCountry string
	// ApproveNewTokens holds tokens registered, claimed or re-assigned in
	// the portal until the helpdesk approves them (SPEC §15).
	ApproveNewTokens bool
	// PasskeyLogin lets a user sign in with a passkey alone (SPEC §14).
	PasskeyLogin bool
}

// DefaultPortalInput is the input of a portal nobody has configured yet:
// every action off, TOTP only, the policy defaults of SPEC §3.
func DefaultPortalInput(alias string) PortalInput {
	return PortalInput{Alias: alias, TokenTypes: []string{"totp"}, MaxTokensPerUser: 1, PINLength: 4, RadiusFirstFactor: RadiusPassword}
}

// Input returns the settings of p as a PortalInput, for editing.
func (p Portal) Input() PortalInput {
	in := PortalInput{
		Alias: p.Alias, Enabled: p.Enabled, TokenTypes: slices.Clone(p.TokenTypes), TrustedNetworks: slices.Clone(p.TrustedNetworks),
		OTPOutsideTrusted: p.OTPOutsideTrusted, DenyWithoutTokenOutsideTrusted: p.DenyWithoutTokenOutsideTrusted,
		RequireToken: p.RequireToken, RememberDeviceDays: p.RememberDeviceDays, MaxTokensPerUser: p.MaxTokensPerUser,
		PINLength: p.PINLength, Actions: p.EnabledActions(),
		RadiusFirstFactor: p.RadiusFirstFactor, RadiusAllowWithoutToken: p.RadiusAllowWithoutToken,
		DefaultCountry: p.DefaultCountry, ApproveNewTokens: p.ApproveNewTokens, PasskeyLogin: p.PasskeyLogin,
	}
	return in
}

// EnabledActions are the ids of the switched-on actions, in display order.
func (p Portal) EnabledActions() []string {
	ids := []string{}
	for _, a := range p.Actions {
		if a.Enabled {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

var portalAliasPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// maxTrustedNetworks bounds the list; more belongs in a firewall.
const maxTrustedNetworks = 100

// validate checks the input and returns it normalised: networks in CIDR
// form (masked, without repeats), token types in their canonical order.
func (in PortalInput) validate() (PortalInput, map[string]Msg) {
	f := map[string]Msg{}
	in.Alias = strings.TrimSpace(in.Alias)
	if !portalAliasPattern.MatchString(in.Alias) {
		f["alias"] = M("settings.portal.alias")
	}

	seen := map[string]bool{}
	for _, a := range in.Actions {
		switch {
		case !slices.Contains(Actions, a):
			f["actions"] = M("settings.portal.action_unknown", "Action", quoteShort(a), "Actions", strings.Join(Actions, ", "))
		case seen[a]:
			f["actions"] = M("settings.portal.action_twice", "Action", a)
		}
		if _, bad := f["actions"]; bad {
			break
		}
		seen[a] = true
	}

	types := []string{}
	for _, t := range in.TokenTypes {
		if !slices.Contains(TokenTypes, t) {
			f["token_types"] = M("settings.portal.token_type_unknown", "Type", quoteShort(t))
			break
		}
	}
	for _, t := range TokenTypes {
		if slices.Contains(in.TokenTypes, t) {
			types = append(types, t)
		}
	}
	if len(types) == 0 && f["token_types"].ID == "" {
		f["token_types"] = M("settings.portal.token_types_none")
	}
	in.TokenTypes = types

	if len(in.TrustedNetworks) > maxTrustedNetworks {
		f["trusted_networks"] = M("settings.portal.networks_max", "Count", maxTrustedNetworks)
	} else {
		nets := []string{}
		for _, n := range in.TrustedNetworks {
			p, ok := ParseNetwork(n)
			if !ok {
				f["trusted_networks"] = M("settings.portal.network_invalid", "Network", quoteShort(n))
				break
			}
			if !slices.Contains(nets, p.String()) {
				nets = append(nets, p.String())
			}
		}
		in.TrustedNetworks = nets
	}

	if in.RememberDeviceDays < 0 || in.RememberDeviceDays > 365 {
		f["remember_device_days"] = M("settings.portal.remember_days")
	}
	if in.MaxTokensPerUser < 1 || in.MaxTokensPerUser > 10 {
		f["max_tokens_per_user"] = M("settings.portal.max_tokens")
	}
	if in.PINLength < 4 || in.PINLength > 8 {
		f["pin_length"] = M("settings.portal.pin_length")
	}
	in.RadiusFirstFactor = strings.TrimSpace(in.RadiusFirstFactor)
	if in.RadiusFirstFactor == "" {
		in.RadiusFirstFactor = RadiusPassword
	}
	if in.RadiusFirstFactor != RadiusPassword && in.RadiusFirstFactor != RadiusOTP {
		f["radius_first_factor"] = M("settings.portal.radius_first_factor")
	}
	return in, f
}

// ParseNetwork reads a network in CIDR notation, or a bare address as the
// network of that one host (/32 or /128), and returns it masked.
func ParseNetwork(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 || strings.Contains(s, "%") {
		return netip.Prefix{}, false
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// quoteShort quotes a value from the input for a message, cut short.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		return fmt.Sprintf("%q…", string(r[:40]))
	}
	return fmt.Sprintf("%q", s)
}

// portalActions is the full order of the 14 actions: the enabled ones as
// given, then the others in their default order, switched off.
func portalActions(enabled []string) []PortalAction {
	all := make([]PortalAction, 0, len(Actions))
	for _, id := range enabled {
		all = append(all, PortalAction{ID: id, Enabled: true})
	}
	for _, id := range Actions {
		if !slices.Contains(enabled, id) {
			all = append(all, PortalAction{ID: id})
		}
	}
	return all
}

// SavePortal creates or replaces the self-service settings of a resource
// and records PortalChanged in the same transaction. A resource has at most
// one portal; an alias used by another resource's portal is a Conflict.
func (s *Service) SavePortal(ctx context.Context, resourceID int64, in PortalInput, by Actor, m Meta) (Portal, error) {
	in.DefaultCountry = strings.ToUpper(strings.TrimSpace(in.DefaultCountry))
	if !ValidCountry(in.DefaultCountry) {
		return Portal{}, FieldsInvalid(map[string]Msg{"default_country": M("phone.country_invalid")})
	}
	in, f := in.validate()
	if len(f) > 0 {
		return Portal{}, FieldsInvalid(f)
	}
	if _, err := s.Store.ResourceByID(ctx, resourceID); err != nil {
		return Portal{}, err
	}
	p := Portal{
		ResourceID: resourceID, Alias: in.Alias, Enabled: in.Enabled, Actions: portalActions(in.Actions),
		TokenTypes: in.TokenTypes, TrustedNetworks: in.TrustedNetworks, OTPOutsideTrusted: in.OTPOutsideTrusted,
		DenyWithoutTokenOutsideTrusted: in.DenyWithoutTokenOutsideTrusted, RequireToken: in.RequireToken,
		RememberDeviceDays: in.RememberDeviceDays, MaxTokensPerUser: in.MaxTokensPerUser, PINLength: in.PINLength,
		RadiusFirstFactor: in.RadiusFirstFactor, RadiusAllowWithoutToken: in.RadiusAllowWithoutToken,
		DefaultCountry: in.DefaultCountry, ApproveNewTokens: in.ApproveNewTokens, PasskeyLogin: in.PasskeyLogin,
	}
	if (slices.Contains(p.TokenTypes, string(TokenWebAuthn)) || p.PasskeyLogin) && s.BaseURL == "" {
		// Keys are bound to the host of BASE_URL: without it none can be made.
		return Portal{}, FieldsInvalid(map[string]Msg{"token_types": M("webauthn.no_base_url")})
	}
	var saved Portal
	err := s.Store.Tx(ctx, func(st Store) error {
		before, err := st.PortalByResource(ctx, resourceID)
		created := ErrorCode(err) == CodeNotFound
		if err != nil && !created {
			return err
		}
		if err := st.SavePortal(ctx, &p); err != nil {
			return err
		}
		details := map[string]any{"alias": p.Alias, "enabled": p.Enabled}
		if created {
			details["created"] = true
		} else {
			details["changed"] = portalChanges(before, p)
		}
		if err := st.AddActivity(ctx, s.stamp(resourceActivity(by, m, resourceID, EventPortalChanged, details))); err != nil {
			return err
		}
		saved, err = st.PortalByResource(ctx, resourceID)
		return err
	})
	if err != nil {
		return Portal{}, err
	}
	s.radiusModes.forget() // RADIUS follows the change at once here
	return saved, nil
}

// portalChanges names the settings that differ, for the activity log.
func portalChanges(a, b Portal) []string {
	c := []string{}
	add := func(name string, changed bool) {
		if changed {
			c = append(c, name)
		}
	}
	add("alias", a.Alias != b.Alias)
	add("enabled", a.Enabled != b.Enabled)
	add("actions", !slices.Equal(a.Actions, b.Actions))
	add("token_types", !slices.Equal(a.TokenTypes, b.TokenTypes))
	add("trusted_networks", !slices.Equal(a.TrustedNetworks, b.TrustedNetworks))
	add("otp_outside_trusted", a.OTPOutsideTrusted != b.OTPOutsideTrusted)
	add("deny_without_token_outside_trusted", a.DenyWithoutTokenOutsideTrusted != b.DenyWithoutTokenOutsideTrusted)
	add("require_token", a.RequireToken != b.RequireToken)
	add("remember_device_days", a.RememberDeviceDays != b.RememberDeviceDays)
	add("max_tokens_per_user", a.MaxTokensPerUser != b.MaxTokensPerUser)
	add("pin_length", a.PINLength != b.PINLength)
	add("radius_first_factor", a.RadiusFirstFactor != b.RadiusFirstFactor)
	add("radius_allow_without_token", a.RadiusAllowWithoutToken != b.RadiusAllowWithoutToken)
	add("default_country", a.DefaultCountry != b.DefaultCountry)
	add("approve_new_tokens", a.ApproveNewTokens != b.ApproveNewTokens)
	add("passkey_login", a.PasskeyLogin != b.PasskeyLogin)
	return c
}

// Action ids of the self-service portal (SPEC §5), in their default order.
var Actions = []string{
	"register-token", "register-existing-token", "reassign-token", "unassign-token",
	"sync-token", "set-pin", "remove-pin", "create-password", "change-password",
	"change-email", "change-phone", "change-login", "change-name", "manage-environment",
}

// PortalAction is one of the 14 actions with its switch.
type PortalAction struct {
	ID      string
	Enabled bool
}

// Portal holds a resource's self-service settings (SPEC §3).
type Portal struct {
	ResourceID                     int64
	ResourceName                   string
	Alias                          string
	Enabled                        bool
	Actions                        []PortalAction // all 14, in display order
	TokenTypes                     []string
	TrustedNetworks                []string // CIDR
	OTPOutsideTrusted              bool
	DenyWithoutTokenOutsideTrusted bool
	RequireToken                   bool
	RememberDeviceDays             int
	MaxTokensPerUser               int
	PINLength                      int
	RadiusFirstFactor              string // RadiusPassword or RadiusOTP
	RadiusAllowWithoutToken        bool
	DefaultCountry                 string // ISO 3166 alpha-2; empty: none
	ApproveNewTokens               bool   // new tokens wait for the helpdesk (SPEC §15)
	PasskeyLogin                   bool   // a passkey alone signs in (SPEC §14)
	UpdatedAt                      time.Time
}

// Trusted reports whether ip is in one of the portal's trusted networks.
func (p Portal) Trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.TrustedNetworks {
		if pfx, err := netip.ParsePrefix(n); err == nil && pfx.Contains(a) {
			return true
		}
	}
	return false
}
