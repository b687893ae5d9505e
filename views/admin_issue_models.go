package views

import (
	"context"
	"strconv"
	"time"

	"tokenportal/views/i18n"
)

// The view models of the User Issues queue (SPEC §6) and of the admin's
// notification setting.

// IssueHref is the address of a restore-access request's page.
func IssueHref(id int64) string { return "/admin/issues/" + strconv.FormatInt(id, 10) }

// Authenticator is one of the three icons of the Authenticators column: the
// colour shows the evidence, and the text says it for those who cannot see
// the colour.
type Authenticator struct {
	Kind     string // token, password, email
	Evidence string // verified, failed, lost, absent
}

// Label is the text alternative of the icon: "Token: lost".
func (a Authenticator) Label(ctx context.Context) string {
	return i18n.T(ctx, "console.issues.auth_label", "Kind", i18n.T(ctx, "console.issues.auth_"+a.Kind),
		"Evidence", i18n.T(ctx, "console.issues.evidence_"+a.Evidence))
}

// AuthenticatorKinds and Evidences are the values an Authenticator takes.
var (
	AuthenticatorKinds = []string{"token", "password", "email"}
	Evidences          = []string{"verified", "failed", "lost", "absent"}
)

// Bad reports evidence shown in red, with a slash through the icon.
func (a Authenticator) Bad() bool { return a.Evidence == "lost" || a.Evidence == "failed" }

// IssueRow is a restore-access request as the queue and its page show it.
type IssueRow struct {
	ID             int64
	UserID         int64
	Login          string
	Name           string
	ResourceID     int64
	Resource       string
	Requested      []string // what the user asked for, in words
	Authenticators []Authenticator
	Email          string // on record
	Phone          string
	IP             string
	Age            string // "3 minutes ago"
	Created        string // the exact time, UTC
	CreatedISO     string // for <time datetime>
	Status         Status
	Open           bool
	Kind           string // restore or enrolment
	KindLabel      string // in words
	CanHandle      bool   // the signed-in admin may verify and delete it (while open)
}

// Href is the address of the request's page.
func (r IssueRow) Href() string { return IssueHref(r.ID) }

// VerifyHref and DeleteHref are the addresses of the confirmations.
func (r IssueRow) VerifyHref() string { return IssueHref(r.ID) + "/verify" }

// DeleteHref is the address of the confirmation before deleting.
func (r IssueRow) DeleteHref() string { return IssueHref(r.ID) + "/delete" }

// IssueList is the User Issues page.
type IssueList struct {
	Filter    Form // resource_id and status as chosen
	Filtered  bool // other than the default (open requests of every resource)
	Resources []Option
	Statuses  []Option
	Caption   string
	Rows      []IssueRow
	Pager     Pager
	Kinds     []Option
}

// IssueDetail is a request's page: the confirmation before Verify identity,
// or, once handled, what became of it.
type IssueDetail struct {
	IssueRow
	UserAgent   string // in full
	Browser     string // the user agent shortened: "Firefox 133 on Windows"
	NewEmail    string // the address asked for, when email access was lost
	NewPassword bool   // a new password was chosen (only its hash is stored)
	HandledBy   string // who verified, deleted or withdrew it
	Handled     string // when
	Replaces    int64  // the request this one replaced; 0 when none
	Review      IssueReview
	Enrolment   *EnrolmentFacts // what a new token is judged by; nil for restore
	History     []HistoryEntry
}

// EnrolmentFacts is what the helpdesk judges a new token by (SPEC §15), in
// words.
type EnrolmentFacts struct {
	Token     string // "TOTP-7KQ2M9XH (TOTP)"
	How       string // registered, claimed, exchanged for another token
	SignIn    string // the factors the session proved, in words
	Proven    bool   // a second factor was among them
	Address   string // the address and whether it is in a trusted network
	FirstCode string // whether the user entered a right first code
}

// HistoryEntry is one event in the life of a request: filed, replaced,
// handled, with the helpdesk's note.
type HistoryEntry struct {
	Kind     string // filed, replaces, replaced, handled
	Text     string
	Href     string // a related request, when there is one
	LinkText string
	Note     string
}

// IssueConfirm is the confirmation before verifying or deleting a request:
// its key facts, exactly what happens, and an optional note.
type IssueConfirm struct {
	IssueDetail
	Verify  bool
	Effects []string
	NoProof bool // no authenticator (restore) or no second factor (enrolment) was proved
	Form    Form // note
}

// Action is where the confirmation posts.
func (c IssueConfirm) Action() string {
	if c.Verify {
		return c.VerifyHref()
	}
	return c.DeleteHref()
}

// ReplacesHref is the address of the request this one replaced.
func (d IssueDetail) ReplacesHref() string { return IssueHref(d.Replaces) }

// IssueReview is what helps the helpdesk tell a real request from a
// fraudulent one (issue #11).
type IssueReview struct {
	NoProof     bool         // none of the authenticators the user still has was proved
	Enrolment   bool         // a new token: NoProof means no second factor was proved
	EmailChange *EmailChange // the request changes the email address
	Network     string       // the network of the request's address (192.0.2.0/24)
	Browser     string       // its browser family
	// Whether a sign-in of the user came from that network, that browser,
	// and both together; when, the last time.
	NetworkSeen, BrowserSeen, PairSeen bool
	NetworkLast, BrowserLast           string
	NoHistory                          bool // no sign-in environments on record to compare with
	Earlier                            []EarlierIssue
	SignIns                            []SignInRow
}

// EmailChange is the change of address a request asks for.
type EmailChange struct {
	From, To                 string // From is empty when there is no address on record
	FromDomain, ToDomain     string
	DomainChanged, WasAbsent bool
}

// EarlierIssue is one of the user's earlier requests.
type EarlierIssue struct {
	ID        int64
	Resource  string
	Requested []string
	Status    Status // replaced, withdrawn, verified, deleted, open
	Filed     string
	Handled   string // "" while open
}

// Href is the address of the request's page.
func (e EarlierIssue) Href() string { return IssueHref(e.ID) }

// IssueStatuses are the choices of the status filter.
func IssueStatuses(ctx context.Context) []Option {
	var out []Option
	for _, v := range []string{"open", "verified", "deleted", "withdrawn", "all"} {
		out = append(out, Option{v, i18n.T(ctx, "console.issues.filter_"+v)})
	}
	return out
}

// IssueKinds are the choices of the kind filter.
func IssueKinds(ctx context.Context) []Option {
	var out []Option
	for _, v := range []string{"all", "restore", "enrolment"} {
		out = append(out, Option{v, i18n.T(ctx, "console.issues.kind_filter_"+v)})
	}
	return out
}

// ResourceChoice is a resource in a list of checkboxes.
type ResourceChoice struct {
	ID   int64
	Name string
	On   bool
}

// Value is the checkbox's value.
func (r ResourceChoice) Value() string { return strconv.FormatInt(r.ID, 10) }

// NotificationSettings is the page where an admin chooses which new
// restore-access requests they are mailed about.
type NotificationSettings struct {
	Form      Form // email, subscribe (none, all, some)
	Resources []ResourceChoice
	Owner     bool // "all" means all the resources they own
}

// Age says how long ago t was, in words of the language of ctx: "just
// now", "3 minutes ago", "1 hour ago", "2 days ago".
func Age(ctx context.Context, now, t time.Time) string {
	d := now.Sub(t)
	var id string
	var n int
	switch {
	case d < time.Minute:
		return i18n.T(ctx, "console.issues.age_now")
	case d < time.Hour:
		id, n = "console.issues.age_minutes", int(d/time.Minute)
	case d < 24*time.Hour:
		id, n = "console.issues.age_hours", int(d/time.Hour)
	default:
		id, n = "console.issues.age_days", int(d/(24*time.Hour))
	}
	return i18n.T(ctx, id, "Count", n, "N", i18n.Number(ctx, n))
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }

// confirmTitle is the heading of a confirmation: "Verify the request of
// ann?" or "Delete the request of ann?".
func confirmTitle(ctx context.Context, d IssueConfirm) string {
	if d.Verify {
		return i18n.T(ctx, "console.issues.confirm_verify", "Login", d.Login)
	}
	return i18n.T(ctx, "console.issues.confirm_delete", "Login", d.Login)
}
