package portal

import (
	"context"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// Security keys and passkeys (SPEC §14). A page that offers a key begins
// its ceremony when it is rendered: the options for the browser's WebAuthn
// API go into the page (a data attribute: the CSP allows neither inline
// script nor fetch), and the ceremony's state waits in the session. The
// page's script (assets/webauthn.js) hands the options to the browser and
// puts the answer into the hidden field `credential` of the page's form,
// which is then posted as any form is (register-token, the sign-in, the
// step-up, restore access). The ceremony is single use (taken by the post
// that finishes it) and lives for five minutes; a newer page replaces it.

// keyCeremony holds the ceremony in progress (workflow.Ceremony.Seal).
const keyCeremony = "webauthn"

// beginKey begins a ceremony for the page being rendered and returns its
// options as JSON; "" when none can be offered (logged: the page then
// shows no key button, and the other ways still work).
func (h *Handler) beginKey(c *gin.Context, begin func(ctx context.Context) ([]byte, workflow.Ceremony, error)) string {
	opts, cer, err := begin(c.Request.Context())
	if err != nil {
		if workflow.IsFault(err) || workflow.ErrorCode(err) == workflow.CodeUnavailable {
			h.Log.ErrorContext(c.Request.Context(), "security key not offered", "err", err)
		}
		return ""
	}
	h.Sessions.Put(c.Request.Context(), keyCeremony, cer.Seal())
	return string(opts)
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

// stepUpKey offers the signed-in user's security keys for a step-up: the
// options, "" when they have none on the portal.
func (h *Handler) stepUpKey(c *gin.Context) string {
	tokens, err := h.Svc.Store.UserTokens(c.Request.Context(), userOf(c).ID, portalOf(c).ResourceID)
	if err != nil || !workflow.HasKey(tokens) {
		return ""
	}
	return h.beginKey(c, func(ctx context.Context) ([]byte, workflow.Ceremony, error) {
		return h.Svc.KeyStepUpOptions(ctx, portalOf(c), userOf(c))
	})
}
