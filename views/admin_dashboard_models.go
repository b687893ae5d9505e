package views

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The view models of the dashboard: headline numbers, sign-in charts drawn
// as inline SVG on the server, and the newest activities.

// DashboardView is the dashboard.
type DashboardView struct {
	Scoped       bool // an owner's view: their resources only
	Counts       workflow.DashboardCounts
	UserCharts   []Chart // last 24 hours, last 30 days
	AdminCharts  []Chart // the same for admin sign-ins; none for owners
	Recent       []RecentRow
	GeneratedAt  time.Time
	ActivityHref string
}

// RecentRow is one of the newest activities.
type RecentRow struct {
	At       time.Time
	Age      string
	Event    string
	Actor    string
	UserID   int64 // 0: none
	User     string
	Resource string
}

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartW      = 480
	chartH      = 240
	chartLeft   = 60 // room for the y labels and title
	chartRight  = 24 // room for half of the newest x label
	chartTop    = 14
	chartBottom = 52 // room for the x labels and title
	chartPlotW  = chartW - chartLeft - chartRight
	chartPlotH  = chartH - chartTop - chartBottom
)

// Chart is a bar chart of sign-ins (green) and failed attempts (red,
// stacked on top) per hour or day.
type Chart struct {
	ID     string // unique on the page: the ids of title and desc derive from it
	Title  string
	Desc   string // the numbers in a sentence, for screen readers
	XTitle string // e.g. "Hour (UTC)"
	YTitle string
	Unit   string // the first column of the table: "Hour (UTC)" or "Day (UTC)"
	Totals string // the sums in words
	Href   string // the activities behind the chart
	Bars   []ChartBar
	YTicks []ChartTick
	XTicks []ChartTick
	OK     int // totals
	Failed int
}

// ChartBar is one bucket: its label, numbers and the rectangles that draw it.
type ChartBar struct {
	Label  string // as in the table, e.g. "2026-03-01 14:00"
	Tip    string // the tooltip: the label and the numbers
	OK     int
	Failed int
	X, W   string
	OKY    string
	OKH    string
	FailY  string
	FailH  string
}

// Empty reports a bucket without sign-ins: nothing is drawn.
func (b ChartBar) Empty() bool { return b.OK == 0 && b.Failed == 0 }

// signIns says "3 sign-ins, 1 failed attempt".
func signIns(ctx context.Context, ok, failed int) string {
	return i18n.T(ctx, "console.dashboard.signins_failed", "OK", i18n.Number(ctx, ok),
		"Failed", i18n.T(ctx, "console.dashboard.failed_count", "Count", failed, "N", i18n.Number(ctx, failed)),
		"Count", ok)
}

// ChartTick is a labelled position on an axis.
type ChartTick struct {
	Pos   string // y for the y axis, x for the x axis
	Label string
}

// Frame positions for the template.
func (Chart) ViewBox() string { return fmt.Sprintf("0 0 %d %d", chartW, chartH) }
func (Chart) Left() string    { return strconv.Itoa(chartLeft) }
func (Chart) Right() string   { return strconv.Itoa(chartW - chartRight) }
func (Chart) Top() string     { return strconv.Itoa(chartTop) }
func (Chart) Base() string    { return strconv.Itoa(chartTop + chartPlotH) }

// XLabelY is the baseline of the x labels; XTitleY of the x axis title.
func (Chart) XLabelY() string { return strconv.Itoa(chartTop + chartPlotH + 20) }
func (Chart) XTitleY() string { return strconv.Itoa(chartH - 8) }

// XTitleX centres the x title under the plot.
func (Chart) XTitleX() string { return strconv.Itoa(chartLeft + chartPlotW/2) }

// YTitleTransform turns the y title upright along the axis.
func (Chart) YTitleTransform() string {
	return fmt.Sprintf("translate(18 %d) rotate(-90)", chartTop+chartPlotH/2)
}

// YLabelX is where the y labels end.
func (Chart) YLabelX() string { return strconv.Itoa(chartLeft - 6) }

// TitleID and DescID are the ids of the SVG's title and desc.
func (c Chart) TitleID() string { return c.ID + "-title" }
func (c Chart) DescID() string  { return c.ID + "-desc" }

// NewSignInChart draws buckets (hourly when hourly, else daily).
func NewSignInChart(ctx context.Context, id, title, href string, buckets []workflow.SignInBucket, hourly bool) Chart {
	c := Chart{ID: id, Title: title, Href: href, YTitle: i18n.T(ctx, "console.dashboard.signins"), XTitle: i18n.T(ctx, "console.dashboard.day_utc")}
	if hourly {
		c.XTitle = i18n.T(ctx, "console.dashboard.hour_utc")
	}
	c.Unit = c.XTitle
	top := 0
	for _, b := range buckets {
		c.OK += b.OK
		c.Failed += b.Failed
		top = max(top, b.OK+b.Failed)
	}
	scale := niceCeil(top)
	slot := float64(chartPlotW) / float64(max(len(buckets), 1))
	gap := slot * 0.15
	y := func(v int) float64 { return float64(chartTop+chartPlotH) - float64(v)/float64(scale)*chartPlotH }
	busiest := -1
	for i, b := range buckets {
		bar := ChartBar{OK: b.OK, Failed: b.Failed, X: num(chartLeft + float64(i)*slot + gap), W: num(slot - 2*gap)}
		if hourly {
			bar.Label = b.Start.UTC().Format("2006-01-02 15:04")
		} else {
			bar.Label = b.Start.UTC().Format("2006-01-02")
		}
		bar.Tip = i18n.T(ctx, "console.dashboard.bar_tip", "Label", bar.Label, "Numbers", signIns(ctx, b.OK, b.Failed))
		bar.OKY, bar.OKH = num(y(b.OK)), num(y(0)-y(b.OK))
		bar.FailY, bar.FailH = num(y(b.OK+b.Failed)), num(y(b.OK)-y(b.OK+b.Failed))
		c.Bars = append(c.Bars, bar)
		if busiest < 0 || b.OK+b.Failed > buckets[busiest].OK+buckets[busiest].Failed {
			busiest = i
		}
		// A label every 6 hours or every 5 days, counted from the newest.
		every := 5
		if hourly {
			every = 6
		}
		if (len(buckets)-1-i)%every == 0 {
			label := b.Start.UTC().Format("01-02")
			if hourly {
				label = b.Start.UTC().Format("15:04")
			}
			c.XTicks = append(c.XTicks, ChartTick{Pos: num(chartLeft + float64(i)*slot + slot/2), Label: label})
		}
	}
	for _, v := range []int{0, scale / 2, scale} {
		if v == scale/2 && scale%2 != 0 {
			continue
		}
		c.YTicks = append(c.YTicks, ChartTick{Pos: num(y(v)), Label: i18n.Number(ctx, v)})
	}
	c.Totals = signIns(ctx, c.OK, c.Failed)
	c.Desc = i18n.T(ctx, "console.dashboard.desc_total", "Totals", c.Totals)
	if busiest >= 0 && top > 0 {
		c.Desc = i18n.T(ctx, "console.dashboard.desc_busiest", "Totals", c.Totals, "Busiest", c.Bars[busiest].Tip)
	}
	return c
}

// niceCeil rounds a maximum up to 1, 2 or 5 times a power of ten (at least 2),
// so the axis labels are round numbers.
func niceCeil(v int) int {
	if v <= 2 {
		return 2
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// RecentRows shapes the newest activities for the dashboard.
func RecentRows(ctx context.Context, rows []workflow.RecentActivity, now time.Time) []RecentRow {
	out := make([]RecentRow, len(rows))
	for i, a := range rows {
		r := RecentRow{At: a.At, Age: Age(ctx, now, a.At), Event: EventLabel(ctx, a.Event), Actor: ActorLabel(ctx, a.Actor),
			User: a.UserLogin, Resource: a.ResourceName}
		if a.UserID != nil && a.UserLogin != "" {
			r.UserID = *a.UserID
		}
		out[i] = r
	}
	return out
}
