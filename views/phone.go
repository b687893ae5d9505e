package views

import (
	"context"

	"tokenportal/views/i18n"
)

// phoneCountryText shows a portal's default country for phone numbers (a
// code like NL), or that only the international format is taken.
func phoneCountryText(ctx context.Context, country string) string {
	if country == "" {
		return i18n.T(ctx, "phone.country.none")
	}
	return country
}
