package admin_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"tokenportal/admin"
)

// The API tests check every request they send and every answer they get
// against the OpenAPI document (admin/openapi.json), so it cannot drift:
// apiSend (behind apiDo) calls apiCheck, and the API fuzz targets check
// the answers they get.

func init() {
	// Token import files are text; the library's CSV decoder would insist
	// on rows of one length, which OATH CSV does not.
	for _, ct := range []string{"text/csv", "application/pskc+xml", "application/xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// apiDoc loads the embedded document once and validates it.
var apiDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(admin.OpenAPI)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

var apiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := apiDoc()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// apiExchange is one request to the API and its answer.
type apiExchange struct {
	req     *http.Request // as sent (after redirects: as last sent)
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
	// answerOnly skips the request: the fuzz targets send anything.
	answerOnly bool
}

// apiCheck fails the test when the exchange x is not as the document
// describes it.
//
// The answer is always checked: its status must be documented for the
// operation, and its body must match that status's schema. The request is
// checked only when the API accepted it (2xx): a request it refused may be
// malformed on purpose (bad JSON, unknown fields, wrong types, no key), and
// one it accepted must be one the document allows. The fuzz targets check
// answers only (answerOnly).
func apiCheck(t testing.TB, x apiExchange) {
	t.Helper()
	router, err := apiRouter()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	apiCheckWith(t, router, x)
}

// apiCheckWith is apiCheck against router.
func apiCheckWith(t testing.TB, router routers.Router, x apiExchange) {
	t.Helper()
	if err := openapiMismatch(router, x); err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nanswer: %.500s", x.req.Method, x.req.URL.RequestURI(), x.status, err, x.body)
	}
}

// openapiMismatch checks x against router's document; a path the document
// does not have is an error unless the API did not have it either (404,
// 405: a test probing a path that does not exist; 3xx: gin's redirect of a
// trailing slash).
func openapiMismatch(router routers.Router, x apiExchange) error {
	req := x.req.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
	route, params, err := router.FindRoute(req)
	if err != nil {
		if x.status == http.StatusNotFound || x.status == http.StatusMethodNotAllowed || (x.status >= 300 && x.status < 400) {
			return nil
		}
		return err
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if !x.answerOnly && x.status >= 200 && x.status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return err
		}
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: x.status, Header: x.header,
		Body:    io.NopCloser(bytes.NewReader(x.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}
