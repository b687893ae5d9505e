package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Security keys and passkeys (SPEC §14). The page's script
// (assets/webauthn.js) posts to one of the options endpoints below, gives
// the options to the browser's WebAuthn API, and puts the answer into the
// hidden field `credential` of the page's form, which is then posted as any
// form is (register-token, the sign-in, the step-up, restore access). The
// ceremony's state waits in the session between the two posts: single use
// (taken by the post that finishes it), and live for five minutes.

// keyCeremony holds the ceremony in progress (workflow.Ceremony.Seal).
const keyCeremony = "webauthn"

// keyOptions answers an options request: the JSON for
// navigator.credentials.create/get, the ceremony kept in the session.
func (h *Handler) keyOptions(c *gin.Context, begin func() ([]byte, workflow.Ceremony, error)) {
	opts, cer, err := begin()
	if err != nil {
		if workflow.IsFault(err) {
			h.Log.ErrorContext(c.Request.Context(), "security key options", "err", err)
		}
		c.JSON(keyStatus(err), gin.H{"error": i18n.ErrorMessage(c.Request.Context(), err)})
		return
	}
	h.Sessions.Put(c.Request.Context(), keyCeremony, cer.Seal())
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json", opts)
}

func keyStatus(err error) int {
	switch workflow.ErrorCode(err) {
	case workflow.CodeInternal:
		return http.StatusInternalServerError
	case workflow.CodeUnavailable:
		return http.StatusServiceUnavailable
	case workflow.CodeNotFound:
		return http.StatusNotFound
	}
	return http.StatusUnprocessableEntity
}

// takeCeremony removes the ceremony from the session and returns it: one
// answer per ceremony, whatever the outcome.
func (h *Handler) takeCeremony(c *gin.Context) workflow.Ceremony {
	b := h.Sessions.PopBytes(c.Request.Context(), keyCeremony)
	cer, _ := workflow.OpenCeremony(b)
	return cer
}

// keyAnswer is the browser's answer the form carries, if any.
func keyAnswer(c *gin.Context) ([]byte, bool) {
	v, ok := c.GetPostForm("credential")
	return []byte(v), ok && v != ""
}

// signInKeyOptions: "Use your security key" at the sign-in's second step.
func (h *Handler) signInKeyOptions(c *gin.Context) {
	h.keyOptions(c, func() ([]byte, workflow.Ceremony, error) {
		f, ok := h.flow(c)
		if !ok {
			return nil, workflow.Ceremony{}, workflow.ErrLoginFailed
		}
		return h.Svc.KeySignInOptions(c.Request.Context(), portalOf(c), f)
	})
}

// passkeyOptions: "Sign in with a passkey" (portal policy passkey_login).
func (h *Handler) passkeyOptions(c *gin.Context) {
	h.keyOptions(c, func() ([]byte, workflow.Ceremony, error) {
		return h.Svc.PasskeyOptions(c.Request.Context(), portalOf(c))
	})
}

// restoreKeyOptions: the security key as proof of the token in restore
// access; the same options whoever is behind the login.
func (h *Handler) restoreKeyOptions(c *gin.Context) {
	h.keyOptions(c, func() ([]byte, workflow.Ceremony, error) {
		f, ok := h.restoreFlow(c)
		if !ok {
			return nil, workflow.Ceremony{}, workflow.Fail(workflow.CodeConflict, workflow.M("restore.start_again"))
		}
		return h.Svc.RestoreKeyOptions(c.Request.Context(), portalOf(c), f)
	})
}

// registerKeyOptions: the new key of register-token or reassign-token.
func (h *Handler) registerKeyOptions(c *gin.Context) {
	h.keyOptions(c, func() ([]byte, workflow.Ceremony, error) {
		e, ok := h.enrolment(c, c.Query("reassign") != "")
		if !ok {
			return nil, workflow.Ceremony{}, workflow.ErrEnrolExpired
		}
		return h.Svc.KeyRegistrationOptions(c.Request.Context(), portalOf(c), userOf(c), e)
	})
}

// stepUpKeyOptions: a key as the step-up of a session without a second
// factor.
func (h *Handler) stepUpKeyOptions(c *gin.Context) {
	h.keyOptions(c, func() ([]byte, workflow.Ceremony, error) {
		return h.Svc.KeyStepUpOptions(c.Request.Context(), portalOf(c), userOf(c))
	})
}

// hasKey reports whether the signed-in user has an enabled security key on
// the portal, to offer it.
func (h *Handler) hasKey(c *gin.Context) bool {
	tokens, err := h.Svc.Store.UserTokens(c.Request.Context(), userOf(c).ID, portalOf(c).ResourceID)
	return err == nil && workflow.HasKey(tokens)
}
