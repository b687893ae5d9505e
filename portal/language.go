package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// chooseLanguage is the portal's language switcher: the choice is kept in
// the cookie and, for a signed-in user, stored as their language, which
// their mails use too (SPEC §13).
func (h *Handler) chooseLanguage(c *gin.Context) {
	var store func(string) error
	if id := h.signedIn(c); id != 0 {
		store = func(lang string) error { return h.Svc.SetUserLanguage(c.Request.Context(), id, lang) }
	}
	next, err := i18n.Switch(c.Writer, c.Request, h.Sessions.Cookie.Secure, base(c)+"/", store)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

// userLanguage renders the signed-in user's pages in their language. A user
// who never chose one gets the language their browser asks for, which is
// then stored so their mails are written in it too.
func (h *Handler) userLanguage(c *gin.Context, u workflow.User) *http.Request {
	if u.Language != "" {
		return i18n.Use(c.Request, u.Language)
	}
	if lang, explicit := i18n.FromRequest(c.Request); explicit {
		if err := h.Svc.SetUserLanguage(c.Request.Context(), u.ID, lang); err != nil {
			h.Log.Warn("could not store the user's language", "user_id", u.ID, "err", err)
		}
	}
	return c.Request
}
