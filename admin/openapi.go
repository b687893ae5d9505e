package admin

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the OpenAPI 3 document of the JSON API (SPEC §16), kept by hand
// and kept true by the API tests, which check every request and response
// they make against it.
//
//go:embed openapi.json
var OpenAPI []byte

// apiOpenAPI serves the document. It needs no key: it describes the API and
// holds no secrets.
func (h *Handler) apiOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", OpenAPI)
}
