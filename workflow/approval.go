package workflow

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Approval of new tokens (SPEC §15). A portal with approve_new_tokens stores
// a token registered, claimed or re-assigned there as pending — disabled
// with the reason "pending", so no path that asks for an enabled token
// (sign-in, step-up, validate, RADIUS) takes it — and files an enrolment
// issue in User Issues. Verifying it enables the token (and only now
// retires the token a re-assignment replaces); deleting it discards the
// token. A stolen password alone cannot add a second factor unnoticed.

// How a token came to wait for approval.
const (
	EnrolRegistered = "registered" // register-token
	EnrolClaimed    = "claimed"    // register-existing-token
	EnrolReassigned = "reassigned" // reassign-token
)

// How a portal session signed in (Meta.SignIn): the factors it proved and
// the second factor it was let off.
const (
	FactorPassword     = "password"
	FactorEmailCode    = "email_code"
	FactorOTP          = "otp"
	FactorRecoveryCode = "recovery_code"
	FactorSecurityKey  = "security_key"      // a security key or passkey as second factor (SPEC §14)
	FactorPasskey      = "passkey"           // passkey_login: a passkey with user verification, both factors
	FactorStepUp       = "step_up"           // a token's code given later in the session
	FactorDevice       = "remembered_device" // no second factor: a remembered browser
	FactorTrusted      = "trusted_network"   // no second factor: a trusted network
	FactorNoToken      = "no_token"          // no second factor: the user had no usable token
)

// EnrolmentEvidence is what the helpdesk judges a new token by.
type EnrolmentEvidence struct {
	How      string `json:"how"`                // EnrolRegistered, EnrolClaimed, EnrolReassigned
	Replaces string `json:"replaces,omitempty"` // serial of the token a re-assignment exchanges
	// SignIn is how the session that added it signed in (Factor… values).
	SignIn []string `json:"sign_in"`
	// Trusted is set when the address was in one of the portal's trusted
	// networks.
	Trusted bool `json:"trusted"`
	// FirstCode is set when the user entered a right first code of the new
	// token (always, today: no token is stored without one).
	FirstCode bool `json:"first_code"`
}

// SecondFactorProven reports whether the session proved a token the user
// already had (or a recovery code): without it, whoever knows the password
// could have added the token.
func (e EnrolmentEvidence) SecondFactorProven() bool {
	return slices.ContainsFunc(e.SignIn, func(f string) bool {
		return f == FactorOTP || f == FactorRecoveryCode || f == FactorStepUp || f == FactorSecurityKey || f == FactorPasskey
	})
}

// maxIssueNote bounds the helpdesk's note on a handled issue.
const maxIssueNote = 1000

var (
	// ErrTokenPending answers an administrator who tries to enable or move
	// a token that waits for approval: that is decided in User Issues.
	ErrTokenPending = Fail(CodeConflict, M("token.pending_admin"))
	// ErrApprovalGone answers verifying an enrolment whose token no longer
	// waits (deleted or moved meanwhile): the issue stays open, to be deleted.
	ErrApprovalGone = Fail(CodeConflict, M("issue.token_gone"))
)

// enrolmentEvidence is what the issue of a token added with m records, and
// the evidence columns it fills: which factors the session proved.
func enrolmentEvidence(p Portal, how, replaces string, m Meta) (EnrolmentEvidence, [3]string) {
	ev := EnrolmentEvidence{How: how, Replaces: replaces, SignIn: slices.Clone(m.SignIn), Trusted: p.Trusted(m.IP), FirstCode: true}
	if ev.SignIn == nil {
		ev.SignIn = []string{}
	}
	proven := func(ok bool) string {
		if ok {
			return EvidenceVerified
		}
		return EvidenceAbsent
	}
	return ev, [3]string{proven(ev.SecondFactorProven()), proven(slices.Contains(ev.SignIn, FactorPassword)),
		proven(slices.Contains(ev.SignIn, FactorEmailCode))}
}

// holdForApproval files the enrolment issue of pending token t, in the
// transaction that stored it: IssueCreated, the subscribed admins mailed,
// the user told that it waits.
func (s *Service) holdForApproval(ctx context.Context, st Store, p Portal, u User, t Token, how, replaces string, m Meta) error {
	ev, proof := enrolmentEvidence(p, how, replaces, m)
	is := Issue{Kind: IssueEnrolment, UserID: u.ID, ResourceID: p.ResourceID, Token: proof[0], Password: proof[1], Email: proof[2],
		TokenID: &t.ID, TokenSerial: t.Serial, TokenType: string(t.Type), Enrolment: &ev, IP: m.IP, UserAgent: m.UserAgent}
	now := s.Now()
	if _, err := st.CreateIssue(ctx, &is, now); err != nil {
		return err
	}
	if err := st.AddActivity(ctx, Activity{At: now, Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID, Event: EventIssueCreated,
		IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"issue": is.ID, "kind": IssueEnrolment, "serial": t.Serial,
			"how": how, "sign_in": ev.SignIn, "trusted": ev.Trusted}}); err != nil {
		return Internal(err)
	}
	admins, err := st.IssueSubscribers(ctx, p.ResourceID)
	if err != nil {
		return Internal(err)
	}
	for _, a := range admins {
		msg := Message{Channel: ChannelEmail, To: a.Email, Template: "enrolment_created", Lang: a.Language, Data: map[string]string{
			"login": u.Login, "name": strings.TrimSpace(u.FirstName + " " + u.LastName), "resource": p.ResourceName,
			"serial": t.Serial, "type": string(t.Type), "how": how, "replaces": replaces,
			"url": s.BaseURL + "/admin/issues/" + strconv.FormatInt(is.ID, 10)}}
		if err := s.enqueue(ctx, st, msg); err != nil {
			return err
		}
	}
	return nil
}

// settleEnrolment applies the helpdesk's decision on an enrolment issue
// (already moved to its status): verify enables the pending token and
// retires the token it replaces; delete discards it. It returns the
// effects for IssueVerified/IssueDeleted.
func (s *Service) settleEnrolment(ctx context.Context, st Store, is Issue, verify bool, by Actor, m Meta, now time.Time) (map[string]any, error) {
	effects := map[string]any{}
	act := func(event string, details map[string]any) error {
		details["issue"] = is.ID
		return wrapInternal(st.AddActivity(ctx, Activity{At: now, Actor: by, UserID: &is.UserID, ResourceID: &is.ResourceID,
			Event: event, IP: m.IP, UserAgent: m.UserAgent, Details: details}))
	}
	if !verify {
		if is.TokenID == nil {
			return effects, nil // the token is gone already: nothing to discard
		}
		claimed := is.Enrolment != nil && is.Enrolment.How == EnrolClaimed
		serial, err := st.DiscardPendingToken(ctx, *is.TokenID, is.UserID, is.ResourceID, claimed)
		if err != nil || serial == "" {
			return effects, wrapInternal(err)
		}
		if claimed {
			effects["returned_to_stock"] = serial
			return effects, act(EventTokenDisabled, map[string]any{"serial": serial, "reason": DisabledByAdmin, "declined": true})
		}
		effects["discarded"] = serial
		return effects, act(EventTokenDeleted, map[string]any{"serial": serial, "declined": true})
	}
	if is.TokenID == nil {
		return nil, ErrApprovalGone
	}
	replaces, ok, err := st.ApprovePendingToken(ctx, *is.TokenID, is.UserID, is.ResourceID)
	if err != nil {
		return nil, Internal(err)
	}
	if !ok {
		return nil, ErrApprovalGone
	}
	effects["enabled"] = is.TokenSerial
	if err := act(EventTokenEnabled, map[string]any{"serial": is.TokenSerial}); err != nil {
		return nil, err
	}
	if replaces != 0 {
		old, err := st.TokenByID(ctx, replaces)
		if err != nil && ErrorCode(err) != CodeNotFound {
			return nil, Internal(err)
		}
		// Only while it is still the user's enabled token there: one taken
		// away meanwhile stays as it is.
		if err == nil {
			retired, err := st.RetireToken(ctx, old.ID, is.UserID, is.ResourceID)
			if err != nil {
				return nil, Internal(err)
			}
			if retired {
				effects["replaced"] = old.Serial
				if err := act(EventTokenDisabled, map[string]any{"serial": old.Serial, "reason": DisabledReassigned}); err != nil {
					return nil, err
				}
			}
		}
	}
	// A first token comes with recovery codes: they are shown at the user's
	// next visit with a second factor (none could be shown while it waited).
	_, anywhere, err := st.LockUserTokens(ctx, is.UserID, is.ResourceID)
	if err != nil {
		return nil, Internal(err)
	}
	if anywhere == 1 {
		if err := st.SetRecoveryCodesDue(ctx, is.UserID, true); err != nil {
			return nil, Internal(err)
		}
		effects["recovery_codes_due"] = true
	}
	return effects, nil
}

// tellEnrolmentOutcome tells the user whether the helpdesk approved their
// new token, in their language, at the address and phone on record.
func (s *Service) tellEnrolmentOutcome(ctx context.Context, st Store, is Issue, u User, effects map[string]any) error {
	data := map[string]string{"login": u.Login, "resource": is.ResourceName, "serial": is.TokenSerial, "type": is.TokenType,
		"outcome": is.Status}
	if r, ok := effects["replaced"].(string); ok {
		data["replaced"] = r
	}
	if is.Enrolment != nil {
		data["how"] = is.Enrolment.How
	}
	emails, phone := OutcomeContacts(is)
	return s.tellUser(ctx, st, u, "enrolment_outcome", data, emails, phone)
}

// checkIssueNote trims and bounds the helpdesk's note.
func checkIssueNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	switch {
	case utf8.RuneCountInString(note) > maxIssueNote:
		return "", FieldsInvalid(map[string]Msg{"note": M("issue.note_long", "Max", maxIssueNote)})
	case !utf8.ValidString(note) || strings.ContainsRune(note, 0):
		return "", FieldsInvalid(map[string]Msg{"note": M("issue.note_bad")})
	}
	return note, nil
}

// IssueHandling is who may verify or delete which user issues.
type IssueHandling struct {
	// OwnersHandleEnrolment lets resource owners verify and delete the
	// enrolment issues of the resources they own (default: the helpdesk
	// only, SPEC §15).
	OwnersHandleEnrolment bool `json:"owners_handle_enrolment"`
}

// SettingIssueHandling keeps IssueHandling.
const SettingIssueHandling = "issue_handling"

// IssueHandlingSettings reads who may handle which issues.
func (s *Service) IssueHandlingSettings(ctx context.Context) (IssueHandling, error) {
	var h IssueHandling
	_, err := s.Store.GetSetting(ctx, SettingIssueHandling, &h)
	return h, wrapInternal(err)
}

// SetIssueHandling lets owners handle the enrolment issues of their
// resources, or not (superadmins only; the caller checks the role).
func (s *Service) SetIssueHandling(ctx context.Context, h IssueHandling, by Actor, m Meta) error {
	return s.Store.Tx(ctx, func(st Store) error {
		var adminID *int64
		if by.Type == ActorAdmin {
			adminID = &by.ID
		}
		if err := st.PutSetting(ctx, SettingIssueHandling, h, adminID); err != nil {
			return Internal(err)
		}
		return wrapInternal(st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventSettingsChanged, IP: m.IP, UserAgent: m.UserAgent,
			Details: map[string]any{"setting": SettingIssueHandling, "owners_handle_enrolment": h.OwnersHandleEnrolment}})))
	})
}

// MayHandleIssue reports whether an admin or key of role, owning the
// resources owned, may verify or delete is: superadmins and the helpdesk
// always; owners the enrolment issues of their resources when the
// superadmin allows it.
func MayHandleIssue(role Role, owned []int64, is Issue, h IssueHandling) bool {
	switch role {
	case RoleSuperadmin, RoleHelpdesk:
		return true
	case RoleOwner:
		return h.OwnersHandleEnrolment && is.Kind == IssueEnrolment && slices.Contains(owned, is.ResourceID)
	}
	return false
}

// IssueNoProof reports whether nothing was proved for is: a restore
// request that verified none of the authenticators the user still has, a
// new token added without a second factor. The helpdesk is warned.
func IssueNoProof(is Issue) bool {
	if is.Kind == IssueEnrolment {
		return is.Enrolment == nil || !is.Enrolment.SecondFactorProven()
	}
	return !slices.Contains([]string{is.Token, is.Password, is.Email}, EvidenceVerified)
}

// IssueEffects says what verifying (verify) or deleting is changes and who
// is told, for the confirmation pages; tokens are the user's tokens on the
// resource.
func IssueEffects(is Issue, tokens []Token, verify bool) []Msg {
	if is.Kind != IssueEnrolment {
		if verify {
			return PlanIssue(is, tokens).Describe(is)
		}
		return append([]Msg{M("issue.effect.nothing")}, tellMsg(is, "issue.effect.tell_declined"))
	}
	var e []Msg
	typ := strings.ToUpper(is.TokenType)
	replaces := ""
	if is.Enrolment != nil && is.Enrolment.How == EnrolReassigned {
		replaces = is.Enrolment.Replaces
	}
	switch {
	case is.TokenID == nil && verify:
		return []Msg{M("issue.effect.token_gone", "Serial", is.TokenSerial)}
	case is.TokenID == nil:
		e = append(e, M("issue.effect.token_gone_delete", "Serial", is.TokenSerial))
	case verify:
		e = append(e, M("issue.effect.enable_token", "Serial", is.TokenSerial, "Type", typ, "Resource", is.ResourceName))
		if replaces != "" {
			e = append(e, M("issue.effect.retire_token", "Serial", replaces, "Resource", is.ResourceName))
		}
		if len(enabledTokens(tokens)) == 0 {
			e = append(e, M("issue.effect.recovery_codes"))
		}
	case is.Enrolment != nil && is.Enrolment.How == EnrolClaimed:
		e = append(e, M("issue.effect.return_token", "Serial", is.TokenSerial, "Type", typ, "Resource", is.ResourceName))
	default:
		e = append(e, M("issue.effect.discard_token", "Serial", is.TokenSerial, "Type", typ))
		if replaces != "" {
			e = append(e, M("issue.effect.replaced_keeps", "Serial", replaces))
		}
	}
	if verify {
		return append(e, tellMsg(is, "issue.effect.tell_enrolment"))
	}
	return append(e, tellMsg(is, "issue.effect.tell_enrolment_declined"))
}

// tellMsg says who is told the outcome (message id with Contacts), or that
// nobody is.
func tellMsg(is Issue, id string) Msg {
	if to, ok := OutcomeContactsMsg(is); ok {
		return M(id, "Contacts", to)
	}
	return M("issue.effect.nobody")
}
