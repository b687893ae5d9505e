package admin

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"tokenportal/workflow"
)

// The RADIUS clients of a resource (SPEC §11), managed like its portal
// settings: superadmin keys, and owner keys for their own resource. A
// client's secret goes in once and never comes out.

// apiRadiusClient is a client as the API shows it: never its secret.
type apiRadiusClient struct {
	ID                          int64     `json:"id"`
	ResourceID                  int64     `json:"resource_id"`
	Name                        string    `json:"name"`
	Address                     string    `json:"address"`
	RequireMessageAuthenticator bool      `json:"require_message_authenticator"`
	CreatedAt                   time.Time `json:"created_at"`
}

func apiRadiusClientOut(c workflow.RadiusClient) apiRadiusClient {
	return apiRadiusClient{ID: c.ID, ResourceID: c.ResourceID, Name: c.Name, Address: c.Address,
		RequireMessageAuthenticator: c.RequireMessageAuthenticator, CreatedAt: c.CreatedAt.UTC()}
}

// apiCreateRadiusClient adds a client; require_message_authenticator is
// true unless the body says false.
func (h *Handler) apiCreateRadiusClient(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	var body struct {
		Name                        string `json:"name"`
		Address                     string `json:"address"`
		Secret                      string `json:"secret"`
		RequireMessageAuthenticator *bool  `json:"require_message_authenticator"`
	}
	if !h.apiDecode(c, &body) {
		return
	}
	in := workflow.RadiusClientInput{Name: body.Name, Address: body.Address, Secret: body.Secret, RequireMessageAuthenticator: true}
	if body.RequireMessageAuthenticator != nil {
		in.RequireMessageAuthenticator = *body.RequireMessageAuthenticator
	}
	rc, err := h.Svc.CreateRadiusClient(c.Request.Context(), id, in, currentKey(c).Actor(), meta(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiRadiusClientOut(rc))
}

func (h *Handler) apiListRadiusClients(c *gin.Context) {
	id, ok := h.apiResourceID(c)
	if !ok {
		return
	}
	list, err := h.Svc.RadiusClients(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	items := make([]apiRadiusClient, 0, len(list))
	for _, rc := range list {
		items = append(items, apiRadiusClientOut(rc))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// apiDeleteRadiusClient removes a client; one of another resource is not
// found for an owner key (the attempt is recorded).
func (h *Handler) apiDeleteRadiusClient(c *gin.Context) {
	id, ok := h.apiPathID(c, "id", "The RADIUS client")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	rc, err := h.Svc.Store.RadiusClientByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if own, bound := apiOwnerResource(currentKey(c)); bound && own != rc.ResourceID {
		h.apiHidden(c, "The RADIUS client")
		return
	}
	if err := h.Svc.DeleteRadiusClient(ctx, id, currentKey(c).Actor(), meta(c)); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": rc.ID, "resource_id": rc.ResourceID, "deleted": true})
}
