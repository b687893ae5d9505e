package admin

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// maxImportFile bounds an uploaded token file; the route's body limit
// (cmd/tokenportal/app) is a little larger to leave room for the form.
const maxImportFile = 10<<20 - 64<<10

// tokenRoutes registers the Tokens area (SPEC §7). Everybody reads; the
// helpdesk checks codes, enables, disables and resets; importing,
// assigning and deleting are for superadmins.
func (h *Handler) tokenRoutes(in *gin.RouterGroup) {
	in.GET("/tokens", h.allow(anyAdmin...), h.tokens)
	in.POST("/tokens/import", h.allow(superadmin...), h.importTokens)
	in.GET("/tokens/:serial", h.allow(anyAdmin...), h.tokenPage)
	in.POST("/tokens/:serial/check", h.allow(helpdesk...), h.checkToken)
	in.POST("/tokens/:serial/enable", h.allow(helpdesk...), h.switchToken(true))
	in.POST("/tokens/:serial/disable", h.allow(helpdesk...), h.switchToken(false))
	in.POST("/tokens/:serial/reset", h.allow(helpdesk...), h.resetToken)
	in.POST("/tokens/:serial/assign", h.allow(superadmin...), h.assignToken)
	in.GET("/tokens/:serial/delete", h.allow(superadmin...), h.deleteTokenPage)
	in.POST("/tokens/:serial/delete", h.allow(superadmin...), h.deleteToken)
}

func (h *Handler) tokens(c *gin.Context) {
	h.renderTokens(c, http.StatusOK, views.Form{})
}

// renderTokens shows the list of the request's query with the import form f.
func (h *Handler) renderTokens(c *gin.Context, status int, f views.Form) {
	q := query(c)
	resourceID, _ := optionalID(c.Query("resource_id"))
	withUser := c.Query("with_user") == "1"
	after := afterKey(c)
	rows, total, err := h.Svc.Store.ListTokens(c.Request.Context(), workflow.TokenFilter{
		Query: q, ResourceID: resourceID, Resources: scopeOf(c), WithUser: withUser, After: after, Limit: pageSize + 1})
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, next := workflow.NextPage(rows, pageSize, workflow.Token.Cursor)
	resources, err := h.resourceOptions(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	filter := map[string]string{"q": q, "resource_id": idString(resourceID), "with_user": checked(withUser)}
	params := url.Values{}
	for k, v := range filter {
		params.Set(k, v)
	}
	h.page(c, status, views.TokensPage(h.chrome(c, "tokens"), views.TokenList{
		Filter: views.Form{Values: filter}, Filtered: q != "" || resourceID != 0 || withUser,
		Resources: resources, Rows: h.tokenRows(c.Request.Context(), rows), Pager: pager("/admin/tokens", params, total, "tokens", "after", after, next),
		CanImport: may(c, superadmin), Import: f,
	}))
}

func (h *Handler) tokenRows(ctx context.Context, ts []workflow.Token) []views.TokenRow {
	out := make([]views.TokenRow, len(ts))
	var keys []int64
	for i, t := range ts {
		out[i] = tokenRow(ctx, t)
		if t.Type.Key() {
			keys = append(keys, t.ID)
		}
	}
	if len(keys) == 0 {
		return out
	}
	// Security keys: the name the user gave and the authenticator's make.
	creds, err := h.Svc.Store.KeyCredentials(ctx, keys)
	if err != nil {
		h.Log.ErrorContext(ctx, "security keys not shown", "err", err)
		return out
	}
	for _, k := range creds {
		for i, t := range ts {
			if t.ID == k.TokenID {
				out[i].Key = keyInfo(k)
			}
		}
	}
	return out
}

// keyInfo describes a security key: its name and, when known, the make
// of its authenticator.
func keyInfo(k workflow.KeyCredential) views.KeyInfo {
	return views.KeyInfo{Name: k.Name, AAGUID: workflow.AAGUIDString(k.AAGUID), Authenticator: workflow.AuthenticatorName(k.AAGUID),
		SignCount: k.SignCount, Transports: strings.Join(k.Transports, ", ")}
}

func tokenRow(ctx context.Context, t workflow.Token) views.TokenRow {
	r := views.TokenRow{
		Serial: t.Serial, Type: string(t.Type), Owner: t.UserLogin, Resource: t.ResourceName, Enabled: t.Enabled,
		Disabled: disabledReason(ctx, t.DisabledReason), Pending: t.Pending(), Failcount: t.Failcount, Locked: t.Locked(), PIN: t.HasPIN(),
		LastUsed: dateTimeOr(ctx, t.LastUsedAt, i18n.T(ctx, "console.tokens.never")),
	}
	if t.UserID != nil {
		r.OwnerID = *t.UserID
	}
	if t.ResourceID != nil {
		r.ResourceID = *t.ResourceID
	}
	return r
}

func disabledReason(ctx context.Context, reason string) string {
	switch reason {
	case workflow.DisabledByAdmin:
		return i18n.T(ctx, "console.tokens.disabled_by_admin")
	case workflow.DisabledLost:
		return i18n.T(ctx, "console.tokens.disabled_lost")
	case workflow.DisabledReassigned:
		return i18n.T(ctx, "console.tokens.disabled_reassigned")
	case workflow.DisabledPending:
		return i18n.T(ctx, "console.tokens.pending")
	case "":
		return i18n.T(ctx, "console.tokens.disabled")
	default:
		return reason
	}
}

func (h *Handler) importTokens(c *gin.Context) {
	// The file first: reading it parses the multipart body, within its limit.
	data, err := uploadedFile(c, "file")
	if errors.As(err, new(*http.MaxBytesError)) {
		h.fail(c, workflow.Fail(workflow.CodeTooLarge, workflow.M("import.too_large")))
		return
	}
	values := map[string]string{"resource_id": c.PostForm("resource_id")}
	var psk []byte
	var resourceID *int64
	if err == nil {
		psk, err = preSharedKey(c.PostForm("psk_hex"))
	}
	if err == nil {
		var id int64
		if id, err = optionalID(values["resource_id"]); err != nil {
			err = invalid("resource_id", workflow.M("resource.choose_listed"))
		} else if id != 0 {
			resourceID = &id
		}
	}
	var res workflow.ImportResult
	if err == nil {
		res, err = h.Svc.ImportTokens(c.Request.Context(), data, psk, resourceID, current(c).Actor(), meta(c))
	}
	if err != nil {
		if formError(err) {
			h.renderTokens(c, views.ErrorStatus(err), views.FailedForm(c.Request.Context(), err, values))
			return
		}
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	n := len(res.Serials)
	shown := strings.Join(res.Serials[:min(n, 5)], ", ")
	var msg string
	switch {
	case n == 0:
		msg = i18n.T(ctx, "console.tokens.imported_none")
	case n > 5:
		msg = i18n.T(ctx, "console.tokens.imported_more", "Count", n, "Serials", shown, "More", n-5)
	default:
		msg = i18n.T(ctx, "console.tokens.imported", "Count", n, "Serials", shown)
	}
	h.done(c, "/admin/tokens", msg)
}

// uploadedFile reads the file of a multipart form field; the errors that
// are the person's to fix are field errors.
func uploadedFile(c *gin.Context, name string) ([]byte, error) {
	fh, err := c.FormFile(name)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, err
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
		return nil, invalid(name, workflow.M("import.choose_file"))
	case err != nil:
		return nil, invalid(name, workflow.M("import.upload_unreadable"))
	}
	if fh.Size > maxImportFile {
		return nil, invalid(name, workflow.M("import.too_large"))
	}
	f, err := fh.Open()
	if err != nil {
		return nil, workflow.Internal(err)
	}
	defer func(f multipart.File) { _ = f.Close() }(f)
	data, err := io.ReadAll(io.LimitReader(f, maxImportFile+1))
	if err != nil {
		return nil, workflow.Internal(err)
	}
	if len(data) > maxImportFile {
		return nil, invalid(name, workflow.M("import.too_large"))
	}
	return data, nil
}

// preSharedKey reads the AES key of an encrypted PSKC file, given in hex
// (spaces and colons between the digits are allowed).
func preSharedKey(s string) ([]byte, error) {
	s = strings.NewReplacer(" ", "", ":", "", "\t", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return nil, nil
	}
	key, err := hex.DecodeString(s)
	if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
		return nil, invalid("psk_hex", workflow.M("import.psk_hex"))
	}
	return key, nil
}

// token loads the token of the :serial parameter as far as the signed-in
// admin may see it; false when a page was rendered. Tokens not on one of
// an owner's resources are not found (the attempt is recorded).
func (h *Handler) token(c *gin.Context) (workflow.Token, bool) {
	t, err := h.Svc.Store.TokenBySerial(c.Request.Context(), c.Param("serial"))
	if err != nil {
		h.fail(c, err)
		return t, false
	}
	if scope := scopeOf(c); scope != nil && (t.ResourceID == nil || !inScope(scope, *t.ResourceID)) {
		h.hidden(c)
		return t, false
	}
	return t, true
}

func (h *Handler) tokenPage(c *gin.Context) {
	if t, ok := h.token(c); ok {
		h.renderToken(c, t, http.StatusOK, h.popCheck(c, t.Serial), views.Form{}, views.Form{Values: placement(t)})
	}
}

// placement fills the assign form with where the token is.
func placement(t workflow.Token) map[string]string {
	v := map[string]string{"login": t.UserLogin}
	if t.ResourceID != nil {
		v["resource_id"] = idString(*t.ResourceID)
	}
	return v
}

// renderToken shows a token's page: check is the result of Check OTP, if
// one was just made.
func (h *Handler) renderToken(c *gin.Context, t workflow.Token, status int, check *views.CheckView, checkForm, assign views.Form) {
	ctx := c.Request.Context()
	d := views.TokenDetail{
		TokenRow: tokenRow(ctx, t), Algorithm: t.Algorithm, Digits: t.Digits, PINPosition: t.PINPosition,
		Created: i18n.DateTime(ctx, t.CreatedAt), Check: check, CheckForm: checkForm, AssignForm: assign,
		Can: views.TokenPerms{Operate: may(c, helpdesk), Manage: may(c, superadmin)},
	}
	if t.Type.Key() {
		if ks, err := h.Svc.Store.KeyCredentials(ctx, []int64{t.ID}); err == nil && len(ks) == 1 {
			d.Key = keyInfo(ks[0])
		}
	}
	switch t.Type {
	case "totp":
		d.Moving = i18n.T(ctx, "console.tokens.period")
		if t.Drift != 0 {
			d.MovingValue = i18n.T(ctx, "console.tokens.period_drift", "Seconds", t.Period, "Drift", t.Drift)
		} else {
			d.MovingValue = i18n.T(ctx, "console.tokens.period_value", "Seconds", t.Period)
		}
	case "hotp":
		d.Moving, d.MovingValue = i18n.T(ctx, "console.tokens.counter"), i18n.T(ctx, "console.tokens.counter_value", "Counter", t.Counter)
	}
	if t.Pending() && t.UserID != nil {
		open, _, err := h.Svc.Store.ListIssues(ctx, workflow.IssueFilter{UserID: *t.UserID, Kind: workflow.IssueEnrolment,
			Status: workflow.IssueOpen, Resources: scopeOf(c), Limit: 50})
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, is := range open {
			if is.TokenID != nil && *is.TokenID == t.ID {
				d.Issue = is.ID
			}
		}
	}
	if d.Can.Manage {
		resources, err := h.resourceOptions(c)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.Resources = resources
	}
	h.page(c, status, views.TokenPage(h.chrome(c, "tokens"), d))
}

func (h *Handler) checkToken(c *gin.Context) {
	t, ok := h.token(c)
	if !ok {
		return
	}
	code := strings.TrimSpace(c.PostForm("otp"))
	if code == "" || len(code) > 64 {
		h.renderToken(c, t, http.StatusUnprocessableEntity, nil,
			views.Form{Errors: map[string]string{"otp": i18n.T(c.Request.Context(), "console.tokens.check_enter_code")}},
			views.Form{Values: placement(t)})
		return
	}
	res, err := h.Svc.CheckOTP(c.Request.Context(), t.Serial, code, current(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	// Post/Redirect/Get: the outcome waits in the session for the token's
	// page, which shows it once; reloading that page checks nothing again.
	b, _ := json.Marshal(checkOutcome{Serial: t.Serial, Valid: res.Valid, Outcome: string(res.Outcome), Hint: i18n.Msg(c.Request.Context(), res.Hint)})
	h.Sessions.Put(c.Request.Context(), keyCheck, string(b))
	c.Redirect(http.StatusSeeOther, views.TokenHref(t.Serial)+"#check-result")
}

// keyCheck is the session key of the result of Check OTP, shown once.
const keyCheck = "check_otp"

// checkOutcome is the result of Check OTP on its way through the session to
// the token's page.
type checkOutcome struct {
	Serial  string `json:"serial"`
	Valid   bool   `json:"valid"`
	Outcome string `json:"outcome"`
	Hint    string `json:"hint"`
}

// popCheck takes the result of Check OTP waiting in the session for token
// serial; nil when there is none (or it was for another token).
func (h *Handler) popCheck(c *gin.Context, serial string) *views.CheckView {
	s := h.Sessions.PopString(c.Request.Context(), keyCheck)
	var o checkOutcome
	if s == "" || json.Unmarshal([]byte(s), &o) != nil || o.Serial != serial {
		return nil
	}
	return &views.CheckView{Valid: o.Valid, Outcome: i18n.Msg(c.Request.Context(), workflow.Outcome(o.Outcome).Msg()), Hint: o.Hint}
}

func (h *Handler) switchToken(enabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, ok := h.token(c)
		if !ok {
			return
		}
		if _, err := h.Svc.SetTokenEnabled(c.Request.Context(), t.Serial, enabled, current(c).Actor(), meta(c)); err != nil {
			h.fail(c, err)
			return
		}
		msg := i18n.T(c.Request.Context(), "console.tokens.now_disabled", "Serial", t.Serial)
		if enabled {
			msg = i18n.T(c.Request.Context(), "console.tokens.now_enabled", "Serial", t.Serial)
		}
		h.done(c, views.TokenHref(t.Serial), msg)
	}
}

func (h *Handler) resetToken(c *gin.Context) {
	t, ok := h.token(c)
	if !ok {
		return
	}
	if _, err := h.Svc.ResetTokenFailcount(c.Request.Context(), t.Serial, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, views.TokenHref(t.Serial), i18n.T(c.Request.Context(), "console.tokens.failcount_reset", "Serial", t.Serial))
}

func (h *Handler) assignToken(c *gin.Context) {
	t, ok := h.token(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	login := strings.TrimSpace(c.PostForm("login"))
	values := map[string]string{"resource_id": c.PostForm("resource_id"), "login": login}
	var resourceID, userID *int64
	id, err := optionalID(values["resource_id"])
	if err != nil {
		err = invalid("resource_id", workflow.M("resource.choose_listed"))
	} else if id != 0 {
		resourceID = &id
	}
	if err == nil && login != "" {
		var u workflow.User
		if u, err = h.Svc.Store.UserByLogin(ctx, login); workflow.ErrorCode(err) == workflow.CodeNotFound {
			err = invalid("login", workflow.M("account.no_such_login"))
		} else if err == nil {
			userID = &u.ID
		}
	}
	placed := t
	if err == nil {
		placed, err = h.Svc.AssignToken(ctx, t.Serial, resourceID, userID, current(c).Actor(), meta(c))
	}
	if err != nil {
		if formError(err) && !t.Pending() { // a pending token has no assign form to show it on
			f := views.FailedForm(c.Request.Context(), err, values)
			if msg, ok := f.Errors["user_id"]; ok {
				f.Errors = map[string]string{"login": msg}
			}
			h.renderToken(c, t, views.ErrorStatus(err), nil, views.Form{}, f)
			return
		}
		h.fail(c, err)
		return
	}
	t, msgID := placed, "console.tokens.assigned_stock"
	switch {
	case t.UserLogin != "" && t.ResourceName != "":
		msgID = "console.tokens.assigned_user_resource"
	case t.UserLogin != "":
		msgID = "console.tokens.assigned_user"
	case t.ResourceName != "":
		msgID = "console.tokens.assigned_resource"
	}
	msg := i18n.T(ctx, msgID, "Serial", t.Serial, "Login", t.UserLogin, "Resource", t.ResourceName)
	h.done(c, views.TokenHref(t.Serial), msg)
}

func (h *Handler) deleteTokenPage(c *gin.Context) {
	t, ok := h.token(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	effects := []string{i18n.T(ctx, "console.tokens.delete_effect", "Serial", t.Serial, "Type", string(t.Type))}
	if t.UserLogin != "" {
		effects = append(effects, i18n.T(ctx, "console.tokens.delete_effect_user", "Login", t.UserLogin))
	}
	if t.ResourceName != "" {
		effects = append(effects, i18n.T(ctx, "console.tokens.delete_effect_resource", "Resource", t.ResourceName))
	}
	effects = append(effects, i18n.T(ctx, "console.tokens.delete_effect_log", "Serial", t.Serial))
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "tokens"), views.Confirm{
		Title: i18n.T(ctx, "console.tokens.delete_title", "Serial", t.Serial), Lead: i18n.T(ctx, "console.tokens.cannot_undo"), Effects: effects,
		Action: views.TokenHref(t.Serial) + "/delete", Button: i18n.T(ctx, "console.tokens.delete_button", "Serial", t.Serial), Cancel: views.TokenHref(t.Serial),
	}))
}

func (h *Handler) deleteToken(c *gin.Context) {
	t, ok := h.token(c)
	if !ok {
		return
	}
	if err := h.Svc.DeleteToken(c.Request.Context(), t.Serial, current(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	h.done(c, "/admin/tokens", i18n.T(c.Request.Context(), "console.tokens.deleted", "Serial", t.Serial))
}
