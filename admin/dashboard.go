package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// dashboard is the start page of every admin (SPEC §7): what needs
// attention, totals, sign-in charts and the newest activities; an owner's
// covers the resources they own.
func (h *Handler) dashboard(c *gin.Context) {
	d, err := h.Svc.Dashboard(c.Request.Context(), current(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.DashboardView{
		Scoped: d.Scoped, Counts: d.Counts, Recent: views.RecentRows(d.Recent, d.Now),
		GeneratedAt: views.TimeUTC(d.Now), ActivityHref: "/admin/activities",
	}
	users := "/admin/activities?event=" + workflow.EventUserLogin
	page.UserCharts = []views.Chart{
		views.NewSignInChart("chart-users-24h", "User sign-ins, last 24 hours", users, d.UserSignIns.Hourly, true),
		views.NewSignInChart("chart-users-30d", "User sign-ins, last 30 days", users, d.UserSignIns.Daily, false),
	}
	if d.AdminSignIns != nil {
		admins := "/admin/activities?event=" + workflow.EventAdminLogin
		page.AdminCharts = []views.Chart{
			views.NewSignInChart("chart-admins-24h", "Admin sign-ins, last 24 hours", admins, d.AdminSignIns.Hourly, true),
			views.NewSignInChart("chart-admins-30d", "Admin sign-ins, last 30 days", admins, d.AdminSignIns.Daily, false),
		}
	}
	h.page(c, http.StatusOK, views.Dashboard(h.chrome(c, "dashboard"), page))
}
