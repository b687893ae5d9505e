package portal

import (
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
)

// A form posted after the session ended (signed out in another tab, timed
// out) leads to the sign-in, which says why. What the form carried in
// keptFields waits in the new session and fills the same form after the
// sign-in; passwords, codes and PINs are never kept.

// keptFields are the fields of a stale form kept across a new sign-in.
var keptFields = []string{"first_name", "last_name", "new_email", "phone"}

// maxKept is the longest value kept (an email address is at most 254).
const maxKept = 320

// keptFor is how long kept input waits for the sign-in.
const keptFor = 10 * time.Minute

// keptForm is the input of a stale form.
type keptForm struct {
	Action string            `json:"a"`
	Values map[string]string `json:"v"`
	At     time.Time         `json:"t"`
}

// sessionEnded notes in the (new) session that a form came too late, with
// its non-secret input.
func (h *Handler) sessionEnded(c *gin.Context) {
	ctx := c.Request.Context()
	h.Sessions.Put(ctx, keyEnded, true)
	k := keptForm{Action: c.Param("action"), Values: map[string]string{}, At: h.Svc.Now()}
	for _, name := range keptFields {
		// Only what such a field can hold: a stranger's post stores no bulk.
		if v, ok := c.GetPostForm(name); ok && len(v) <= maxKept {
			k.Values[name] = v
		}
	}
	if k.Action == "" || len(k.Values) == 0 {
		return
	}
	b, _ := json.Marshal(k)
	h.Sessions.Put(ctx, keyKept, b)
}

// endedNotice is the sign-in page's notice after sessionEnded, once.
func (h *Handler) endedNotice(c *gin.Context) string {
	if h.Sessions.PopBool(c.Request.Context(), keyEnded) {
		return i18n.T(c.Request.Context(), "portal.session_ended")
	}
	return ""
}

// keptAction is the action whose form waits with kept input, if any.
func (h *Handler) keptAction(c *gin.Context) (keptForm, bool) {
	var k keptForm
	b := h.Sessions.GetBytes(c.Request.Context(), keyKept)
	if len(b) == 0 || json.Unmarshal(b, &k) != nil || h.Svc.Now().Sub(k.At) > keptFor {
		return keptForm{}, false
	}
	return k, true
}

// prefill puts the kept input of action id into f, once.
func (h *Handler) prefill(c *gin.Context, id string, f views.Form) views.Form {
	k, ok := h.keptAction(c)
	if !ok || k.Action != id {
		return f
	}
	h.Sessions.Remove(c.Request.Context(), keyKept)
	if f.Values == nil {
		f.Values = map[string]string{}
	}
	for name, v := range k.Values {
		f.Values[name] = v
	}
	return f
}

// failedForm is a form shown again after err, in the request's language:
// its field errors and message, with the input kept in values.
func failedForm(c *gin.Context, err error, values map[string]string) views.Form {
	return views.FailedForm(c.Request.Context(), err, values)
}
