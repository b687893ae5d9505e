package admin

import (
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// apiToken is a token as the API shows it: never its seed or PIN.
type apiToken struct {
	Serial         string     `json:"serial"`
	Type           string     `json:"type"`
	Enabled        bool       `json:"enabled"`
	State          string     `json:"state"` // enabled, disabled or pending (waits for approval, SPEC §15)
	DisabledReason string     `json:"disabled_reason,omitempty"`
	UserID         *int64     `json:"user_id"`
	UserLogin      string     `json:"user_login,omitempty"`
	ResourceID     *int64     `json:"resource_id"`
	Failcount      int        `json:"failcount"`
	Locked         bool       `json:"locked"`
	HasPIN         bool       `json:"has_pin"`
	Algorithm      string     `json:"algorithm,omitempty"`
	Digits         int        `json:"digits"`
	Period         int        `json:"period,omitempty"` // TOTP only
	Description    string     `json:"description"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
}

func apiTokenOut(t workflow.Token) apiToken {
	out := apiToken{
		Serial: t.Serial, Type: string(t.Type), Enabled: t.Enabled, DisabledReason: t.DisabledReason, UserID: t.UserID,
		UserLogin: t.UserLogin, ResourceID: t.ResourceID, Failcount: t.Failcount, Locked: t.Locked(), HasPIN: t.HasPIN(),
		Digits: t.Digits, Description: t.Description, CreatedAt: t.CreatedAt.UTC(), LastUsedAt: apiTime(t.LastUsedAt),
	}
	switch {
	case t.Pending():
		out.State = "pending"
	case t.Enabled:
		out.State = "enabled"
	default:
		out.State = "disabled"
	}
	if t.Type.Shows() {
		out.Algorithm = t.Algorithm
	}
	if t.Type == workflow.TokenTOTP {
		out.Period = t.Period
	}
	return out
}

// apiTokenVisible reports whether the key may see t: owner keys only the
// tokens on their resource.
func apiTokenVisible(k workflow.APIKey, t workflow.Token) bool {
	own, bound := apiOwnerResource(k)
	return !bound || (t.ResourceID != nil && *t.ResourceID == own)
}

// apiTokenFor loads the token of the path, as far as the key may see it.
func (h *Handler) apiTokenFor(c *gin.Context) (workflow.Token, bool) {
	t, err := h.Svc.Store.TokenBySerial(c.Request.Context(), strings.TrimSpace(c.Param("serial")))
	if err != nil {
		h.fail(c, err)
		return t, false
	}
	if !apiTokenVisible(currentKey(c), t) {
		h.apiHidden(c, "The token")
		return t, false
	}
	return t, true
}

// apiListTokens answers a page of tokens by serial:
// ?user_id=&resource_id=&serial=&q=&limit=&after=. serial is exact (ignoring
// case); q is a prefix of the serial or the owner's login.
func (h *Handler) apiListTokens(c *gin.Context) {
	ctx := c.Request.Context()
	userID, ok := h.apiQueryID(c, "user_id")
	if !ok {
		return
	}
	resourceID, ok := h.apiQueryID(c, "resource_id")
	if !ok {
		return
	}
	if resourceID, ok = h.apiScopeFilter(c, resourceID); !ok {
		return
	}
	limit, ok := h.apiLimit(c)
	if !ok {
		return
	}

	if serial, named := c.GetQuery("serial"); named {
		items := []apiToken{}
		t, err := h.Svc.Store.TokenBySerial(ctx, strings.TrimSpace(serial))
		if err != nil && workflow.ErrorCode(err) != workflow.CodeNotFound {
			h.fail(c, err)
			return
		}
		if err == nil && (userID == 0 || (t.UserID != nil && *t.UserID == userID)) &&
			(resourceID == 0 || (t.ResourceID != nil && *t.ResourceID == resourceID)) {
			items = append(items, apiTokenOut(t))
		}
		c.JSON(http.StatusOK, gin.H{"items": items, "next_after": nil, "total": len(items)})
		return
	}

	list, total, err := h.Svc.Store.ListTokens(ctx, workflow.TokenFilter{
		Query: strings.TrimSpace(c.Query("q")), UserID: userID, ResourceID: resourceID,
		After: strings.ToLower(c.Query("after")), Limit: limit + 1,
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	list, next := workflow.NextPage(list, limit, workflow.Token.Cursor)
	items := make([]apiToken, 0, len(list))
	for _, t := range list {
		items = append(items, apiTokenOut(t))
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_after": next, "total": total})
}

func (h *Handler) apiGetToken(c *gin.Context) {
	t, ok := h.apiTokenFor(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, apiTokenOut(t))
}

func (h *Handler) apiSetTokenEnabled(enabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, err := h.Svc.SetTokenEnabled(c.Request.Context(), c.Param("serial"), enabled, currentKey(c).Actor(), meta(c))
		if err != nil {
			h.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, apiTokenOut(t))
	}
}

// apiResetToken resets the failcount, which unlocks the token.
func (h *Handler) apiResetToken(c *gin.Context) {
	t, err := h.Svc.ResetTokenFailcount(c.Request.Context(), c.Param("serial"), currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, apiTokenOut(t))
}

// apiCheckToken tests a code of a token for the helpdesk (Check OTP): an
// accepted code is used up; a wrong one does not count towards the lock.
func (h *Handler) apiCheckToken(c *gin.Context) {
	var in struct {
		OTP *string `json:"otp"`
	}
	if !h.apiDecode(c, &in) {
		return
	}
	if in.OTP == nil {
		h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"otp": workflow.M("api.otp")}))
		return
	}
	if len(*in.OTP) > 64 {
		h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"otp": workflow.M("phone.long")}))
		return
	}
	r, err := h.Svc.CheckOTP(c.Request.Context(), c.Param("serial"), strings.TrimSpace(*in.OTP), currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"valid": r.Valid, "outcome": string(r.Outcome), "hint": i18n.English(r.Hint)})
}

// apiAssignToken places a token: {user_id, resource_id}, either may be null
// (both null: back to stock; a user and a resource: "token with user", the
// user being assigned to the resource when they were not).
func (h *Handler) apiAssignToken(c *gin.Context) {
	var in struct {
		UserID     *int64 `json:"user_id"`
		ResourceID *int64 `json:"resource_id"`
	}
	if !h.apiDecode(c, &in) {
		return
	}
	t, err := h.Svc.AssignToken(c.Request.Context(), c.Param("serial"), in.ResourceID, in.UserID, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, apiTokenOut(t))
}

// apiImportTokens stores every token of a PSKC or OATH CSV file (the body,
// whatever its Content-Type), in stock or on ?resource=; all or nothing.
// X-PSKC-Key carries the pre-shared key of encrypted PSKC seeds, in hex.
func (h *Handler) apiImportTokens(c *gin.Context) {
	ctx := c.Request.Context()
	var resourceID *int64
	if v := c.Query("resource"); v != "" {
		id, ok := h.apiQueryID(c, "resource")
		if !ok {
			return
		}
		if _, err := h.Svc.Store.ResourceByID(ctx, id); err != nil {
			h.fail(c, err)
			return
		}
		resourceID = &id
	}
	var key []byte
	if v := strings.TrimSpace(c.GetHeader("X-PSKC-Key")); v != "" {
		k, err := hex.DecodeString(v)
		if err != nil || (len(k) != 16 && len(k) != 24 && len(k) != 32) {
			h.fail(c, workflow.FieldsInvalid(map[string]workflow.Msg{"X-PSKC-Key": workflow.M("api.pskc_key")}))
			return
		}
		key = k
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(c, workflow.Fail(workflow.CodeTooLarge, workflow.M("import.too_large_parts")))
			return
		}
		h.apiBadRequest(c, workflow.M("import.unreadable"), nil)
		return
	}
	res, err := h.Svc.ImportTokens(ctx, data, key, resourceID, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"imported": len(res.Serials), "serials": res.Serials})
}
