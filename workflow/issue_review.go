package workflow

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// A restore-access request can be filed by anybody who knows a login, so the
// helpdesk sees what it needs to tell a real request from a fraudulent one
// (issue #11).

// SeenEnvironment is an environment (network prefix + browser family) a
// user signed in from.
type SeenEnvironment struct {
	Prefix    string // 192.0.2.0/24, 2001:db8:1::/48
	Browser   string // Firefox, Chrome, … or UnknownBrowser
	FirstSeen time.Time
	LastSeen  time.Time
}

// IssueReview is what the helpdesk sees beside a request before it decides.
type IssueReview struct {
	// Earlier are the user's requests filed before this one, newest first.
	Earlier []Issue
	// SignIns are the user's most recent sign-ins, newest first.
	SignIns []SignIn
	// The request's network and browser family, and whether the user ever
	// signed in from them: the network, the browser, and both together.
	Prefix, Browser                     string
	PrefixSeen, BrowserSeen, PairSeen   bool
	PrefixLastSeen, BrowserLastSeen     *time.Time
	KnownEnvironments                   int    // how many environments are on record
	NoProof                             bool   // IssueNoProof: nothing was proved
	OldEmailDomain, NewEmailDomain      string // set when the request changes the email address
	EmailDomainChanged, EmailWasMissing bool
}

// reviewShown is how many earlier requests and sign-ins the page lists.
const reviewShown = 10

// ReviewIssue gathers what the helpdesk needs to judge is. resources, when
// not nil, limits the earlier requests to those resources (an owner's view).
func (s *Service) ReviewIssue(ctx context.Context, is Issue, resources []int64) (IssueReview, error) {
	r := IssueReview{NoProof: IssueNoProof(is)}
	var err error
	if r.Earlier, _, err = s.Store.ListIssues(ctx, IssueFilter{UserID: is.UserID, Resources: resources, Before: is.ID, Limit: reviewShown}); err != nil {
		return r, Internal(err)
	}
	if r.SignIns, err = s.Store.UserSignIns(ctx, is.UserID, reviewShown); err != nil {
		return r, Internal(err)
	}
	envs, err := s.Store.UserEnvironments(ctx, is.UserID)
	if err != nil {
		return r, Internal(err)
	}
	r.KnownEnvironments = len(envs)
	prefix, browser, ok := environmentOf(Meta{IP: is.IP, UserAgent: is.UserAgent})
	if !ok {
		browser, _ = ParseUserAgent(is.UserAgent)
		browser = cmp.Or(browser, UnknownBrowser)
	}
	r.Prefix, r.Browser = prefix, browser
	for _, e := range envs { // newest first: the first match is the last time seen
		samePrefix := ok && samePrefixText(e.Prefix, prefix)
		if samePrefix && !r.PrefixSeen {
			r.PrefixSeen, r.PrefixLastSeen = true, &e.LastSeen
		}
		if e.Browser == browser && !r.BrowserSeen {
			r.BrowserSeen, r.BrowserLastSeen = true, &e.LastSeen
		}
		r.PairSeen = r.PairSeen || (samePrefix && e.Browser == browser)
	}
	if slices.Contains(is.Lost, LostEmail) && is.NewEmail != "" {
		r.NewEmailDomain = emailDomain(is.NewEmail)
		r.OldEmailDomain = emailDomain(is.UserEmail)
		r.EmailWasMissing = is.UserEmail == ""
		r.EmailDomainChanged = !r.EmailWasMissing && r.OldEmailDomain != r.NewEmailDomain
	}
	return r, nil
}

// samePrefixText compares two network prefixes as written by PostgreSQL and
// by netip ("192.0.2.0/24").
func samePrefixText(a, b string) bool {
	pa, err1 := netip.ParsePrefix(a)
	pb, err2 := netip.ParsePrefix(b)
	return err1 == nil && err2 == nil && pa.Masked() == pb.Masked()
}

// emailDomain is the lower-cased part after the last @.
func emailDomain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}
