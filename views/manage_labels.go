package views

import (
	"context"
	"strconv"

	"tokenportal/views/i18n"
)

// resourceTabs are the tabs of a resource's page, in order, named in the
// language of ctx.
func resourceTabs(ctx context.Context, r ResourceDetail) []Tab {
	tabs := r.Tabs()
	for i := range tabs {
		switch tabs[i].Key {
		case "details":
			tabs[i].Label = i18n.T(ctx, "console.resources.details")
		case "users":
			tabs[i].Label = i18n.T(ctx, "console.resources.users")
		case "tokens":
			tabs[i].Label = i18n.T(ctx, "console.resources.tokens_with_users")
		case "selfservice":
			tabs[i].Label = i18n.T(ctx, "console.resources.selfservice")
		case "radius":
			tabs[i].Label = i18n.T(ctx, "console.radius.title")
		}
	}
	return tabs
}

// dayCount is the number of days a form value holds, for the plural of its
// message; 0 when it is not a number.
func dayCount(v string) int {
	n, _ := strconv.Atoi(v)
	return n
}
