package portal

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Restore access (SPEC §6): the person gives their login and what is lost,
// proves what they still have, chooses a new password or email, and a
// request lands in the helpdesk's User Issues queue. Whoever is behind the
// login sees the same pages and the same end.

func (h *Handler) restoreFlow(c *gin.Context) (workflow.RestoreFlow, bool) {
	var f workflow.RestoreFlow
	b := h.Sessions.GetBytes(c.Request.Context(), keyRestore)
	if len(b) == 0 || json.Unmarshal(b, &f) != nil || f.ResourceID != portalOf(c).ResourceID || f.Expired(h.Svc.Now()) {
		return workflow.RestoreFlow{}, false
	}
	return f, true
}

func (h *Handler) saveRestore(c *gin.Context, f workflow.RestoreFlow) {
	b, _ := json.Marshal(f)
	h.Sessions.Put(c.Request.Context(), keyRestore, b)
}

func restoreView(f workflow.RestoreFlow, form views.Form) views.Restore {
	return views.Restore{Step: f.Step, Login: f.Login, Lost: f.Lost, Form: form}
}

func (h *Handler) renderRestore(c *gin.Context, status int, f workflow.RestoreFlow, form views.Form) {
	v := restoreView(f, form)
	if f.Step == workflow.RestoreStepProve && !f.LostItem(workflow.LostToken) {
		// Offered to every login alike: the options say nothing of the account.
		v.KeyOptions = h.beginKey(c, func(ctx context.Context) ([]byte, workflow.Ceremony, error) {
			return h.Svc.RestoreKeyOptions(ctx, portalOf(c), f)
		})
	}
	_ = views.Render(c.Writer, c.Request, status, views.RestorePage(h.chrome(c, i18n.T(c.Request.Context(), "portal.restore.title")), v))
}

func (h *Handler) restorePage(c *gin.Context) {
	f, ok := h.restoreFlow(c)
	if !ok || c.Query("restart") != "" || f.Step == workflow.RestoreStepDone {
		h.Sessions.Remove(c.Request.Context(), keyRestore)
		f = workflow.RestoreFlow{}
	}
	h.renderRestore(c, http.StatusOK, f, views.Form{})
}

func (h *Handler) restore(c *gin.Context) {
	ctx := c.Request.Context()
	p, m := portalOf(c), meta(c)
	f, ok := h.restoreFlow(c)
	var err error
	switch {
	case !ok || c.PostForm("login") != "":
		var lost []string
		for field, item := range map[string]string{"lost_token": workflow.LostToken, "forgot_password": workflow.LostPassword, "lost_email": workflow.LostEmail} {
			if c.PostForm(field) == "1" {
				lost = append(lost, item)
			}
		}
		values := map[string]string{"login": c.PostForm("login"), "lost_token": c.PostForm("lost_token"),
			"forgot_password": c.PostForm("forgot_password"), "lost_email": c.PostForm("lost_email")}
		if f, err = h.Svc.RestoreStart(ctx, p, c.PostForm("login"), lost, m); err != nil {
			h.restoreFailed(c, workflow.RestoreFlow{}, values, err)
			return
		}
	case f.Step == workflow.RestoreStepProve:
		in := workflow.RestoreProofs{Password: c.PostForm("password"), EmailCode: c.PostForm("email_code"), OTP: c.PostForm("otp")}
		if answer, ok := keyAnswer(c); ok {
			cer := h.takeCeremony(c)
			in.Key, in.Ceremony = answer, &cer
		}
		f, err = h.Svc.RestoreProve(ctx, p, f, in, m)
	case f.Step == workflow.RestoreStepNew:
		f, err = h.Svc.RestoreFinish(ctx, p, f, workflow.RestoreChoice{Password: c.PostForm("new_password"), Email: c.PostForm("new_email")}, m)
	default:
		f = workflow.RestoreFlow{}
	}
	if err != nil {
		h.restoreFailed(c, f, map[string]string{"new_email": c.PostForm("new_email")}, err)
		return
	}
	if f.Step == workflow.RestoreStepDone {
		// The end: the same page for everybody; the flow is over.
		h.Sessions.Remove(ctx, keyRestore)
		h.renderRestore(c, http.StatusOK, f, views.Form{})
		return
	}
	h.saveRestore(c, f)
	c.Redirect(http.StatusSeeOther, base(c)+"/restore")
}

// restoreFailed shows the step again with the problem: field errors keep the
// flow; anything else (too many requests, a fault) ends it.
func (h *Handler) restoreFailed(c *gin.Context, f workflow.RestoreFlow, values map[string]string, err error) {
	status := views.ErrorStatus(err)
	form := views.Form{Values: values, Errors: i18n.ErrorFields(c.Request.Context(), err)}
	if workflow.ErrorCode(err) != workflow.CodeInvalid {
		if status >= 500 {
			h.Log.ErrorContext(c.Request.Context(), "restore access failed", "err", err)
		}
		h.Sessions.Remove(c.Request.Context(), keyRestore)
		f, form = workflow.RestoreFlow{}, views.Form{Message: i18n.ErrorMessage(c.Request.Context(), err)}
	}
	h.renderRestore(c, status, f, form)
}
