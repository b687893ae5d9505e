package workflow

import (
	"context"
	"slices"
	"strings"
	"time"
)

// IssueChanges is what verifying a request changes, described once: the
// confirmation page shows it (Describe), VerifyIssue applies it and the
// outcome mail tells it (Items).
type IssueChanges struct {
	LostToken bool     // the user's enabled tokens on the resource are disabled
	Tokens    []string // serials of those tokens, as far as known
	Password  bool     // the password chosen in the request replaces the current one
	NewEmail  string   // the address that replaces the one on record; "" for none
}

// PlanIssue is what verifying is changes, given the user's tokens on the
// resource.
func PlanIssue(is Issue, tokens []Token) IssueChanges {
	c := IssueChanges{LostToken: slices.Contains(is.Lost, LostToken),
		Password: slices.Contains(is.Lost, LostPassword) && is.NewPasswordHash != ""}
	if slices.Contains(is.Lost, LostEmail) {
		c.NewEmail = is.NewEmail
	}
	if c.LostToken {
		for _, t := range enabledTokens(tokens) {
			c.Tokens = append(c.Tokens, t.Serial)
		}
	}
	return c
}

// Items names the changes for the outcome mail: token, password, email.
func (c IssueChanges) Items() []string {
	var items []string
	if c.LostToken {
		items = append(items, LostToken)
	}
	if c.Password {
		items = append(items, LostPassword)
	}
	if c.NewEmail != "" {
		items = append(items, LostEmail)
	}
	return items
}

// Describe says exactly what verifying is will change and who is told, for
// the confirmation page.
func (c IssueChanges) Describe(is Issue) []Msg {
	var e []Msg
	switch {
	case c.LostToken && len(c.Tokens) == 0:
		e = append(e, M("issue.effect.no_tokens", "Resource", is.ResourceName))
	case c.LostToken:
		e = append(e, M("issue.effect.disable_tokens", "Resource", is.ResourceName, "Tokens", strings.Join(c.Tokens, ", ")))
	}
	if c.Password {
		e = append(e, M("issue.effect.password"))
	}
	if is.UserDirectory != "" && slices.Contains(is.Lost, LostPassword) {
		e = append(e, M("issue.effect.password_managed", "Directory", is.UserDirectory))
	}
	if is.UserDirectory != "" && slices.Contains(is.Lost, LostEmail) && c.NewEmail == "" {
		e = append(e, M("issue.effect.email_managed", "Directory", is.UserDirectory))
	}
	if c.NewEmail != "" {
		if is.UserEmail == "" {
			e = append(e, M("issue.effect.email_from_none", "To", c.NewEmail))
		} else {
			e = append(e, M("issue.effect.email", "From", is.UserEmail, "To", c.NewEmail))
		}
	}
	if to, ok := OutcomeContactsMsg(is); ok {
		e = append(e, M("issue.effect.tell", "Contacts", to))
	} else {
		e = append(e, M("issue.effect.nobody"))
	}
	return e
}

// IssueStatusMsg is the status of a request in words.
func IssueStatusMsg(status string) Msg {
	switch status {
	case IssueOpen, IssueVerified, IssueDeleted, IssueWithdrawn:
		return M("issue.status." + status)
	}
	return M("issue.status.other", "Status", status)
}

// ErrIssueHandled answers a second verify/delete of the same request.
func errIssueHandled(is Issue) error {
	return Fail(CodeConflict, M("issue.handled", "Status", IssueStatusMsg(is.Status)))
}

// VerifyIssue approves a user issue and applies it, in one transaction. A
// restore-access request: lost token → the user's enabled tokens on the
// resource disabled (still assigned); forgotten password → the requested
// one; lost email → the requested address. An enrolment issue: the pending
// token enabled, the token it replaces retired (SPEC §15). The person on
// record is told the outcome (mail to the address on record and, on an
// email change, to the new one; SMS to the phone on record). note is the
// helpdesk's note, kept with the issue. Of two concurrent handlings exactly
// one succeeds.
func (s *Service) VerifyIssue(ctx context.Context, id int64, by Actor, note string, m Meta) (Issue, error) {
	return s.handleIssue(ctx, id, IssueVerified, by, note, m)
}

// DeleteIssue declines a user issue and tells the person on record, as
// VerifyIssue does: nothing else changes, but for an enrolment issue whose
// pending token is discarded.
func (s *Service) DeleteIssue(ctx context.Context, id int64, by Actor, note string, m Meta) (Issue, error) {
	return s.handleIssue(ctx, id, IssueDeleted, by, note, m)
}

func (s *Service) handleIssue(ctx context.Context, id int64, status string, by Actor, note string, m Meta) (Issue, error) {
	note, err := checkIssueNote(note)
	if err != nil {
		return Issue{}, err
	}
	var adminID *int64
	if by.Type == ActorAdmin {
		adminID = &by.ID
	}
	var is Issue
	err = s.Store.Tx(ctx, func(st Store) error {
		now := s.Now()
		var ok bool
		var err error
		is, ok, err = st.HandleIssue(ctx, id, status, adminID, note, now)
		if err != nil {
			return err
		}
		if !ok {
			return errIssueHandled(is)
		}
		details := map[string]any{"issue": is.ID, "kind": is.Kind}
		if is.Kind == IssueRestore {
			details["lost"] = is.Lost
		} else {
			details["serial"] = is.TokenSerial
		}
		if note != "" {
			details["note"] = note
		}
		event := EventIssueDeleted
		if status == IssueVerified {
			event = EventIssueVerified
		}
		var effects map[string]any
		switch {
		case is.Kind == IssueEnrolment:
			effects, err = s.settleEnrolment(ctx, st, is, status == IssueVerified, by, m, now)
		case status == IssueVerified:
			effects, err = s.applyIssue(ctx, st, is, by, m, now)
		}
		if err != nil {
			return err
		}
		if len(effects) > 0 {
			details["effects"] = effects
		}
		if err := st.AddActivity(ctx, Activity{At: now, Actor: by, UserID: &is.UserID, ResourceID: &is.ResourceID, Event: event,
			IP: m.IP, UserAgent: m.UserAgent, Details: details}); err != nil {
			return err
		}
		u, err := st.UserByID(ctx, is.UserID)
		if err != nil {
			return err
		}
		if is.Kind == IssueEnrolment {
			if r, ok := effects["replaced"].(string); ok {
				p := Portal{ResourceID: is.ResourceID, ResourceName: is.ResourceName}
				if err := s.tokenMail(ctx, st, p, u, "token_removed", r, ""); err != nil {
					return err
				}
			}
			return s.tellEnrolmentOutcome(ctx, st, is, u, effects)
		}
		return s.tellIssueOutcome(ctx, st, is, u)
	})
	return is, err
}

// applyIssue makes the changes an approved request asks for, and writes
// for each the event the same change writes wherever else it happens.
func (s *Service) applyIssue(ctx context.Context, st Store, is Issue, by Actor, m Meta, now time.Time) (map[string]any, error) {
	effects := map[string]any{}
	var acts []Activity
	change := func(event string, resourceID *int64, details map[string]any) {
		details["issue"] = is.ID
		acts = append(acts, Activity{At: now, Actor: by, UserID: &is.UserID, ResourceID: resourceID, Event: event,
			IP: m.IP, UserAgent: m.UserAgent, Details: details})
	}
	c := PlanIssue(is, nil)
	if c.LostToken {
		serials, err := st.DisableLostTokens(ctx, is.UserID, is.ResourceID)
		if err != nil {
			return nil, err
		}
		effects["disabled_tokens"] = serials
		for _, serial := range serials {
			change(EventTokenDisabled, &is.ResourceID, map[string]any{"serial": serial, "reason": DisabledLost})
		}
	}
	if c.Password {
		if err := st.SetUserPassword(ctx, is.UserID, is.NewPasswordHash, now); err != nil {
			return nil, err
		}
		effects["password"] = "replaced"
		change(EventUserPasswordChange, &is.ResourceID, map[string]any{"reason": "restore"})
	}
	if c.NewEmail != "" {
		if err := st.SetUserEmail(ctx, is.UserID, c.NewEmail); err != nil {
			return nil, err
		}
		effects["email"] = c.NewEmail
		change(EventUserEmailChange, &is.ResourceID, map[string]any{"old_email": is.UserEmail, "new_email": c.NewEmail})
	}
	for _, a := range acts {
		if err := st.AddActivity(ctx, a); err != nil {
			return nil, err
		}
	}
	return effects, nil
}

// SetIssueSubscription chooses which new issues an admin is mailed about:
// all resources, some, or none (all false and no resources).
func (s *Service) SetIssueSubscription(ctx context.Context, a Admin, email string, all bool, resources []int64, m Meta) error {
	return s.setIssueSubscription(ctx, a, email, all, resources, a.Actor(), m)
}

// setIssueSubscription sets a's subscription on behalf of by.
func (s *Service) setIssueSubscription(ctx context.Context, a Admin, email string, all bool, resources []int64, by Actor, m Meta) error {
	email = strings.TrimSpace(email)
	if email != "" && !validEmail(email) {
		return FieldsInvalid(map[string]Msg{"email": M("email.invalid")})
	}
	if email == "" && (all || len(resources) > 0) {
		return FieldsInvalid(map[string]Msg{"email": M("issue.email")})
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if err := st.SetAdminEmail(ctx, a.ID, email); err != nil {
			return err
		}
		if err := st.SetSubscriptions(ctx, a.ID, all, resources); err != nil {
			return err
		}
		details := map[string]any{"all": all, "resources": resources}
		if by.Type != ActorAdmin || by.ID != a.ID {
			details["admin_id"], details["admin"] = a.ID, a.Login
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, Event: EventNotificationsChanged,
			IP: m.IP, UserAgent: m.UserAgent, Details: details}))
	})
}

// Issue is a restore-access request (SPEC §6).
type Issue struct {
	ID         int64
	UserID     int64
	ResourceID int64
	// Lost is what the person declared lost: token, password, email.
	Lost []string
	// Evidence per authenticator: verified, failed, lost or absent.
	Token, Password, Email string
	NewPasswordHash        string
	NewEmail               string
	Status                 string // open, verified, deleted, withdrawn
	HandledBy              *int64
	HandledAt              *time.Time
	IP                     string
	UserAgent              string
	CreatedAt              time.Time
	Replaces               int64 // the open request this one replaced; 0 when none
	ReplacedBy             int64 // the newer request that replaced this one; 0 when none

	// Joined for display.
	Login, FirstName, LastName, UserEmail, UserPhone, ResourceName, HandledByLogin string
	// UserDirectory names the directory that keeps the user's password ("": none).
	UserDirectory string

	// Kind is restore (a restore-access request, SPEC §6) or enrolment (a
	// new token waiting for approval, SPEC §15).
	Kind string
	// The pending token of an enrolment issue: TokenID while it exists,
	// its serial and type for the record.
	TokenID     *int64
	TokenSerial string
	TokenType   string
	Enrolment   *EnrolmentEvidence
	// Note is the helpdesk's note on verifying or deleting.
	Note string
}

// Issue kinds, statuses and evidence values.
const (
	IssueRestore   = "restore"
	IssueEnrolment = "enrolment"

	IssueOpen      = "open"
	IssueVerified  = "verified"
	IssueDeleted   = "deleted"
	IssueWithdrawn = "withdrawn"

	EvidenceVerified = "verified"
	EvidenceFailed   = "failed"
	EvidenceLost     = "lost"
	EvidenceAbsent   = "absent"
)

// Lost items of a restore-access request.
const (
	LostToken    = "token"
	LostPassword = "password"
	LostEmail    = "email"
)
