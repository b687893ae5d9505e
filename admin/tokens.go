package admin

import (
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
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
		Resources: resources, Rows: tokenRows(rows), Pager: pager("/admin/tokens", params, total, "tokens", "after", after, next),
		CanImport: may(c, superadmin), Import: f,
	}))
}

func tokenRows(ts []workflow.Token) []views.TokenRow {
	out := make([]views.TokenRow, len(ts))
	for i, t := range ts {
		out[i] = tokenRow(t)
	}
	return out
}

func tokenRow(t workflow.Token) views.TokenRow {
	r := views.TokenRow{
		Serial: t.Serial, Type: string(t.Type), Owner: t.UserLogin, Resource: t.ResourceName, Enabled: t.Enabled,
		Disabled: disabledReason(t.DisabledReason), Failcount: t.Failcount, Locked: t.Locked(), PIN: t.HasPIN(),
		LastUsed: views.TimeUTCOr(t.LastUsedAt, "never"),
	}
	if t.UserID != nil {
		r.OwnerID = *t.UserID
	}
	if t.ResourceID != nil {
		r.ResourceID = *t.ResourceID
	}
	return r
}

func disabledReason(reason string) string {
	switch reason {
	case workflow.DisabledByAdmin:
		return "disabled by an administrator"
	case workflow.DisabledLost:
		return "reported lost"
	case workflow.DisabledReassigned:
		return "replaced by a new token"
	case "":
		return "disabled"
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
	msg := "Imported " + plural(len(res.Serials), "token", "tokens")
	if len(res.Serials) > 0 {
		msg += ": " + strings.Join(res.Serials[:min(len(res.Serials), 5)], ", ")
		if len(res.Serials) > 5 {
			msg += " and " + strconv.Itoa(len(res.Serials)-5) + " more"
		}
	}
	h.done(c, "/admin/tokens", msg+".")
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
		h.renderToken(c, t, http.StatusOK, nil, views.Form{}, views.Form{Values: placement(t)})
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
	d := views.TokenDetail{
		TokenRow: tokenRow(t), Algorithm: t.Algorithm, Digits: t.Digits, PINPosition: t.PINPosition,
		Created: views.TimeUTC(t.CreatedAt), Check: check, CheckForm: checkForm, AssignForm: assign,
		Can: views.TokenPerms{Operate: may(c, helpdesk), Manage: may(c, superadmin)},
	}
	switch t.Type {
	case "totp":
		d.Moving, d.MovingValue = "Period", strconv.Itoa(t.Period)+" seconds"
		if t.Drift != 0 {
			d.MovingValue += ", clock drift " + strconv.FormatInt(t.Drift, 10) + " steps"
		}
	case "hotp":
		d.Moving, d.MovingValue = "Counter", "next expected "+strconv.FormatInt(t.Counter, 10)
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
			views.Form{Errors: map[string]string{"otp": "Enter the code the token shows now (with its PIN, if it has one)."}},
			views.Form{Values: placement(t)})
		return
	}
	ctx := c.Request.Context()
	res, err := h.Svc.CheckOTP(ctx, t.Serial, code, current(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	// Show the token as the check left it (counter, last used).
	if t, err = h.Svc.Store.TokenByID(ctx, t.ID); err != nil {
		h.fail(c, err)
		return
	}
	h.renderToken(c, t, http.StatusOK, &views.CheckView{Valid: res.Valid, Outcome: string(res.Outcome), Hint: i18n.Msg(c.Request.Context(), res.Hint)},
		views.Form{}, views.Form{Values: placement(t)})
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
		state := "disabled"
		if enabled {
			state = "enabled"
		}
		h.done(c, views.TokenHref(t.Serial), "Token "+t.Serial+" is now "+state+".")
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
	h.done(c, views.TokenHref(t.Serial), "The failcount of token "+t.Serial+" was reset to 0.")
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
		if formError(err) {
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
	t, msg := placed, ""
	switch {
	case t.UserLogin != "" && t.ResourceName != "":
		msg = "Token " + t.Serial + " is now " + t.UserLogin + "'s on " + t.ResourceName + "."
	case t.UserLogin != "":
		msg = "Token " + t.Serial + " is now " + t.UserLogin + "'s, on no resource."
	case t.ResourceName != "":
		msg = "Token " + t.Serial + " now waits on " + t.ResourceName + " to be claimed."
	default:
		msg = "Token " + t.Serial + " is back in stock."
	}
	h.done(c, views.TokenHref(t.Serial), msg)
}

func (h *Handler) deleteTokenPage(c *gin.Context) {
	t, ok := h.token(c)
	if !ok {
		return
	}
	effects := []string{"Token " + t.Serial + " (" + string(t.Type) + ") is deleted for good, with its stored seed and PIN."}
	if t.UserLogin != "" {
		effects = append(effects, t.UserLogin+" can no longer sign in with it.")
	}
	if t.ResourceName != "" {
		effects = append(effects, "It leaves "+t.ResourceName+".")
	}
	effects = append(effects, "The activity log keeps its entries about "+t.Serial+".")
	h.page(c, http.StatusOK, views.ConfirmPage(h.chrome(c, "tokens"), views.Confirm{
		Title: "Delete token " + t.Serial + "?", Lead: "This cannot be undone:", Effects: effects,
		Action: views.TokenHref(t.Serial) + "/delete", Button: "Delete " + t.Serial, Cancel: views.TokenHref(t.Serial),
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
	h.done(c, "/admin/tokens", "Token "+t.Serial+" was deleted.")
}
