package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// dashboard is the start page of every admin (SPEC §7): what needs
// attention, totals, sign-in charts and the newest activities; an owner's
// covers the resources they own.
func (h *Handler) dashboard(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := h.Svc.Dashboard(ctx, current(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.DashboardView{
		Scoped: d.Scoped, Counts: d.Counts, Recent: views.RecentRows(ctx, d.Recent, d.Now),
		GeneratedAt: d.Now, ActivityHref: "/admin/activities",
	}
	users := "/admin/activities?event=" + workflow.EventUserLogin
	page.UserCharts = []views.Chart{
		views.NewSignInChart(ctx, "chart-users-24h", i18n.T(ctx, "console.dashboard.chart_users_24h"), users, d.UserSignIns.Hourly, true),
		views.NewSignInChart(ctx, "chart-users-30d", i18n.T(ctx, "console.dashboard.chart_users_30d"), users, d.UserSignIns.Daily, false),
	}
	if d.AdminSignIns != nil {
		admins := "/admin/activities?event=" + workflow.EventAdminLogin
		page.AdminCharts = []views.Chart{
			views.NewSignInChart(ctx, "chart-admins-24h", i18n.T(ctx, "console.dashboard.chart_admins_24h"), admins, d.AdminSignIns.Hourly, true),
			views.NewSignInChart(ctx, "chart-admins-30d", i18n.T(ctx, "console.dashboard.chart_admins_30d"), admins, d.AdminSignIns.Daily, false),
		}
	}
	h.page(c, http.StatusOK, views.Dashboard(h.chrome(c, "dashboard"), page))
}
