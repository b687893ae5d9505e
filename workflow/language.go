package workflow

import (
	"context"
	"slices"
)

// SetUserLanguage stores the language a user picked in the portal's
// switcher, or the one their browser asked for at their first sign-in; the
// portal and their mails use it from then on (SPEC §13). A language the
// product does not speak changes nothing.
func (s *Service) SetUserLanguage(ctx context.Context, id int64, lang string) error {
	if !slices.Contains(Languages, lang) {
		return nil
	}
	return wrapInternal(s.Store.SetUserLanguage(ctx, id, lang))
}

// SetAdminLanguage stores the language an admin picked in the console's
// switcher.
func (s *Service) SetAdminLanguage(ctx context.Context, id int64, lang string) error {
	if !slices.Contains(Languages, lang) {
		return nil
	}
	return wrapInternal(s.Store.SetAdminLanguage(ctx, id, lang))
}
