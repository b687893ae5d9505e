package views

import (
	"context"

	"tokenportal/views/i18n"
)

// yesNoIn is Yes or No in the language of ctx.
func yesNoIn(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "common.yes")
	}
	return i18n.T(ctx, "common.no")
}
