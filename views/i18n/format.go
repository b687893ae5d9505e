package i18n

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Dates, times and numbers as each language writes them. Times are shown in
// UTC with the zone named; the page's script (assets/local-time.js) rewrites
// a <time> element into the viewer's own zone, naming it too.

var months = map[string][12]string{
	"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	"de": {"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."},
	"nl": {"jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."},
}

// DateIn writes the day of t (in UTC) as lang does: "2 Dec 2026",
// "2. Dez. 2026", "2 dec. 2026".
func DateIn(lang string, t time.Time) string {
	t = t.UTC()
	m, ok := months[lang]
	if !ok {
		m = months[Source]
	}
	day := strconv.Itoa(t.Day())
	if lang == "de" {
		day += "."
	}
	return day + " " + m[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// DateTimeIn writes t in UTC with the zone named: "2 Dec 2026, 14:05 UTC".
func DateTimeIn(lang string, t time.Time) string {
	return DateIn(lang, t) + ", " + t.UTC().Format("15:04") + " UTC"
}

// Date is DateIn in the language of ctx.
func Date(ctx context.Context, t time.Time) string { return DateIn(Lang(ctx), t) }

// DateTime is DateTimeIn in the language of ctx.
func DateTime(ctx context.Context, t time.Time) string { return DateTimeIn(Lang(ctx), t) }

// ISO is t as a <time datetime> attribute takes it.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// NumberIn writes n with the language's thousands separator: 10,000 /
// 10.000.
func NumberIn(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	sep := ","
	if lang == "de" || lang == "nl" {
		sep = "."
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Number is NumberIn in the language of ctx.
func Number(ctx context.Context, n int) string { return NumberIn(Lang(ctx), int64(n)) }
