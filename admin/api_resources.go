package admin

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// apiResource is a resource as the API shows it; the list adds counts and
// the portal's alias.
type apiResource struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

type apiResourceRow struct {
	apiResource
	Users         int    `json:"users"`
	Tokens        int    `json:"tokens"`
	PortalAlias   string `json:"portal_alias"` // "" when the resource has no portal
	PortalEnabled bool   `json:"portal_enabled"`
}

func apiResourceOut(r workflow.Resource) apiResource {
	return apiResource{ID: r.ID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt.UTC()}
}

func (h *Handler) apiCreateResource(c *gin.Context) {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if !h.apiDecode(c, &in) {
		return
	}
	r, err := h.Svc.CreateResource(c.Request.Context(), workflow.ResourceInput{Name: in.Name, Description: in.Description},
		currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiResourceOut(r))
}

// apiListResources lists every resource (an owner key: its own).
func (h *Handler) apiListResources(c *gin.Context) {
	rows, err := h.Svc.Store.ListResources(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	own, bound := apiOwnerResource(currentKey(c))
	items := make([]apiResourceRow, 0, len(rows))
	for _, r := range rows {
		if bound && r.ID != own {
			continue
		}
		items = append(items, apiResourceRow{apiResource: apiResourceOut(r.Resource), Users: r.Users, Tokens: r.Tokens,
			PortalAlias: r.PortalAlias, PortalEnabled: r.PortalOn})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// apiResourceID reads the resource of the path and checks an owner key's
// binding; it does not load the resource.
func (h *Handler) apiResourceID(c *gin.Context) (int64, bool) {
	id, ok := h.apiPathID(c, "id", "The resource")
	if !ok || !h.apiResourceAllowed(c, id) {
		return 0, false
	}
	return id, true
}

func (h *Handler) apiGetResource(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	r, err := h.Svc.Store.ResourceByID(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, apiResourceOut(r))
}

// apiAssignUser assigns a user to a resource; assigning again is not an
// error (PUT is idempotent).
func (h *Handler) apiAssignUser(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	userID, ok := h.apiPathID(c, "user_id", "The user")
	if !ok {
		return
	}
	if err := h.Svc.AssignUser(c.Request.Context(), id, userID, currentKey(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"resource_id": id, "user_id": userID, "assigned": true})
}

// apiUnassignUser removes a user from a resource; their tokens leave it too
// (they stay the user's). A user who is not assigned is 404.
func (h *Handler) apiUnassignUser(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	userID, ok := h.apiPathID(c, "user_id", "The user")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if _, err := h.Svc.Store.ResourceByID(ctx, id); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Svc.UnassignUser(ctx, id, userID, currentKey(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"resource_id": id, "user_id": userID, "assigned": false})
}

// apiPortal is a portal's settings as the API shows them: actions are the
// enabled ids in display order (what PUT takes), all_actions the full order.
type apiPortal struct {
	ResourceID                     int64          `json:"resource_id"`
	Alias                          string         `json:"alias"`
	Enabled                        bool           `json:"enabled"`
	Actions                        []string       `json:"actions"`
	AllActions                     []apiPortalAct `json:"all_actions"`
	TokenTypes                     []string       `json:"token_types"`
	TrustedNetworks                []string       `json:"trusted_networks"`
	OTPOutsideTrusted              bool           `json:"otp_outside_trusted"`
	DenyWithoutTokenOutsideTrusted bool           `json:"deny_without_token_outside_trusted"`
	RequireToken                   bool           `json:"require_token"`
	RememberDeviceDays             int            `json:"remember_device_days"`
	MaxTokensPerUser               int            `json:"max_tokens_per_user"`
	PINLength                      int            `json:"pin_length"`
	RadiusFirstFactor              string         `json:"radius_first_factor"`
	RadiusAllowWithoutToken        bool           `json:"radius_allow_without_token"`
	DefaultCountry                 string         `json:"default_country"`
	ApproveNewTokens               bool           `json:"approve_new_tokens"` // new tokens wait for the helpdesk (SPEC §15)
	PasskeyLogin                   bool           `json:"passkey_login"`
	UpdatedAt                      time.Time      `json:"updated_at"`
}

type apiPortalAct struct {
	ID      string `json:"id"`
	Enabled bool   `json:"enabled"`
}

func apiPortalOut(p workflow.Portal) apiPortal {
	out := apiPortal{
		ResourceID: p.ResourceID, Alias: p.Alias, Enabled: p.Enabled, Actions: p.EnabledActions(),
		AllActions: make([]apiPortalAct, 0, len(p.Actions)), TokenTypes: p.TokenTypes, TrustedNetworks: p.TrustedNetworks,
		OTPOutsideTrusted: p.OTPOutsideTrusted, DenyWithoutTokenOutsideTrusted: p.DenyWithoutTokenOutsideTrusted,
		RequireToken: p.RequireToken, RememberDeviceDays: p.RememberDeviceDays, MaxTokensPerUser: p.MaxTokensPerUser,
		PINLength: p.PINLength, RadiusFirstFactor: p.RadiusFirstFactor, RadiusAllowWithoutToken: p.RadiusAllowWithoutToken,
		DefaultCountry: p.DefaultCountry, ApproveNewTokens: p.ApproveNewTokens, PasskeyLogin: p.PasskeyLogin, UpdatedAt: p.UpdatedAt.UTC(),
	}
	for _, a := range p.Actions {
		out.AllActions = append(out.AllActions, apiPortalAct{ID: a.ID, Enabled: a.Enabled})
	}
	if out.TokenTypes == nil {
		out.TokenTypes = []string{}
	}
	if out.TrustedNetworks == nil {
		out.TrustedNetworks = []string{}
	}
	return out
}

// apiGetPortal answers the portal settings; 404 when the resource has none.
func (h *Handler) apiGetPortal(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if _, err := h.Svc.Store.ResourceByID(ctx, id); err != nil {
		h.fail(c, err)
		return
	}
	p, err := h.Svc.Store.PortalByResource(ctx, id)
	if workflow.ErrorCode(err) == workflow.CodeNotFound {
		h.fail(c, workflow.Fail(workflow.CodeNotFound, workflow.M("resource.no_portal")))
		return
	} else if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, apiPortalOut(p))
}

// apiPutPortal creates or replaces the portal settings. PUT replaces the
// whole: a field left out takes its default (off, totp only, 0 days,
// 1 token per user, PIN of 4 digits, RADIUS password first and no entry
// without a token), except alias, which is required.
func (h *Handler) apiPutPortal(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	var body struct {
		Alias                          string   `json:"alias"`
		Enabled                        bool     `json:"enabled"`
		Actions                        []string `json:"actions"`
		TokenTypes                     []string `json:"token_types"`
		TrustedNetworks                []string `json:"trusted_networks"`
		OTPOutsideTrusted              bool     `json:"otp_outside_trusted"`
		DenyWithoutTokenOutsideTrusted bool     `json:"deny_without_token_outside_trusted"`
		RequireToken                   bool     `json:"require_token"`
		RememberDeviceDays             *int     `json:"remember_device_days"`
		MaxTokensPerUser               *int     `json:"max_tokens_per_user"`
		PINLength                      *int     `json:"pin_length"`
		RadiusFirstFactor              string   `json:"radius_first_factor"`
		RadiusAllowWithoutToken        bool     `json:"radius_allow_without_token"`
		DefaultCountry                 string   `json:"default_country"`
		ApproveNewTokens               bool     `json:"approve_new_tokens"`
		PasskeyLogin                   bool     `json:"passkey_login"`
	}
	if !h.apiDecode(c, &body) {
		return
	}
	in := workflow.DefaultPortalInput(body.Alias)
	in.Enabled, in.Actions, in.TrustedNetworks = body.Enabled, body.Actions, body.TrustedNetworks
	in.OTPOutsideTrusted, in.DenyWithoutTokenOutsideTrusted, in.RequireToken = body.OTPOutsideTrusted, body.DenyWithoutTokenOutsideTrusted, body.RequireToken
	if body.TokenTypes != nil {
		in.TokenTypes = body.TokenTypes
	}
	if body.RememberDeviceDays != nil {
		in.RememberDeviceDays = *body.RememberDeviceDays
	}
	if body.MaxTokensPerUser != nil {
		in.MaxTokensPerUser = *body.MaxTokensPerUser
	}
	if body.PINLength != nil {
		in.PINLength = *body.PINLength
	}
	if body.RadiusFirstFactor != "" {
		in.RadiusFirstFactor = body.RadiusFirstFactor
	}
	in.RadiusAllowWithoutToken = body.RadiusAllowWithoutToken
	in.DefaultCountry = body.DefaultCountry
	in.ApproveNewTokens = body.ApproveNewTokens
	in.PasskeyLogin = body.PasskeyLogin
	p, err := h.Svc.SavePortal(c.Request.Context(), id, in, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, apiPortalOut(p))
}
