package workflow

import (
	"strconv"
	"strings"
)

// Lists are paged by key: a page is read with one row more than it shows
// (Limit: the page size + 1), and that row only tells that another page
// follows; the next page starts after the key (Cursor) of this page's last
// row, so page N costs what page 1 costs.

// NextPage cuts rows, read with a limit of limit+1, to limit and returns the
// key of the last row it keeps when more rows follow; nil on the last page.
func NextPage[T, K any](rows []T, limit int, key func(T) K) ([]T, *K) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	next := key(rows[limit-1])
	return rows, &next
}

// Cursor is the row's key in the order of ListUsers (UserFilter.After).
func (r UserRow) Cursor() string { return strings.ToLower(r.Login) }

// Cursor is the token's key in the order of ListTokens (TokenFilter.After).
func (t Token) Cursor() string { return strings.ToLower(t.Serial) }

// Cursor is the row's key in the order of ListResourcesPage
// (ResourceFilter.After).
func (r ResourceRow) Cursor() string { return strings.ToLower(r.Name) }

// Cursor is the issue's key in the order of ListIssues (IssueFilter.Before).
func (i Issue) Cursor() int64 { return i.ID }

// Cursor is the group's key in the Grouped order (GroupActivities' after).
func (g ActivityGroup) Cursor() GroupCursor { return GroupCursor{Total: g.Total, UserID: g.UserID} }

// keyPair encodes a key of two numbers for a URL: a, a dash, b.
func keyPair(a, b int64) string { return strconv.FormatInt(a, 10) + "-" + strconv.FormatInt(b, 10) }

// parseKeyPair reads what keyPair wrote.
func parseKeyPair(s string) (a, b int64, ok bool) {
	x, y, ok := strings.Cut(s, "-")
	if !ok || len(s) > 41 {
		return 0, 0, false
	}
	a, err1 := strconv.ParseInt(x, 10, 64)
	b, err2 := strconv.ParseInt(y, 10, 64)
	return a, b, err1 == nil && err2 == nil
}
