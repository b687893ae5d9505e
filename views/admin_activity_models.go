package views

import "unicode/utf8"

// The view models of the Activities area (SPEC §7): the Detailed and
// Grouped views of the log and the retention form.

// Activity tabs.
const (
	ActivityTabDetailed = "detailed"
	ActivityTabGrouped  = "grouped"
)

// ActivityPage is the Activities page with one of its tabs open.
type ActivityPage struct {
	Tab       string
	TabHrefs  map[string]string // tab → its address, with the filters kept
	Filter    Form              // user, event, resource_id, from, to
	Filtered  bool
	ClearHref string
	Events    []Option
	Resources []Option
	// Window says which days the page covers.
	Window  string
	CSVHref string

	Rows   []ActivityRow // Detailed
	Groups ActivityGroups

	FirstHref string // set when this is not the first page
	NextHref  string // set when more rows follow

	Retention *RetentionForm // superadmins only
}

// ActivityRow is one activity in the Detailed table.
type ActivityRow struct {
	Time        string
	Event       string // the name, as filters take it
	EventLabel  string // for people: "Token enabled"
	Actor       string // "alice (admin)"
	UserID      int64  // 0: none
	UserLabel   string
	Resource    string
	IP          string
	UserAgent   string // in full, for the title
	AgentText   string // browser and system: "Firefox 133 on Windows"
	Details     string // compact JSON, in full for the title
	DetailsText string // shortened
}

// ActivityGroups is the Grouped table: a row per user, a column per event
// that occurs among them.
type ActivityGroups struct {
	Events []string
	Rows   []ActivityGroupRow
}

// ActivityGroupRow is one user of the Grouped table; Counts follows
// ActivityGroups.Events.
type ActivityGroupRow struct {
	UserID       int64
	Login        string
	Total        int64
	Counts       []int64
	DetailedHref string // the Detailed view of this user, same filters
}

// RetentionForm sets how many days activities are kept.
type RetentionForm struct {
	Days     int
	Min, Max int
	Form     Form
}

// Shorten cuts s to at most n characters, marking the cut with "…".
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
