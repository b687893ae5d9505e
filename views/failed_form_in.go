package views

import (
	"context"

	"tokenportal/views/i18n"
)

// FailedFormIn is FailedForm with the messages in the language of ctx.
func FailedFormIn(ctx context.Context, err error, values map[string]string) Form {
	return Form{Values: values, Errors: i18n.ErrorFields(ctx, err), Message: i18n.ErrorMessage(ctx, err)}
}
