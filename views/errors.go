package views

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The one way errors are answered, for the portals, the console and the
// JSON API alike: the code of the app error gives the status, the route
// gives the format, and only the error's message (a workflow.Msg) is
// shown, in the request's language on a page and in English in the API; the
// cause of a fault is logged.

// errorStatus is the HTTP status of each code; anything else is 500.
var errorStatus = map[workflow.Code]int{
	workflow.CodeInvalid:         http.StatusUnprocessableEntity,
	workflow.CodeNotFound:        http.StatusNotFound,
	workflow.CodeConflict:        http.StatusConflict,
	workflow.CodeForbidden:       http.StatusForbidden,
	workflow.CodeUnauthenticated: http.StatusUnauthorized,
	workflow.CodeUnavailable:     http.StatusServiceUnavailable,
	workflow.CodeTooMany:         http.StatusTooManyRequests,
	workflow.CodeBadRequest:      http.StatusBadRequest,
	workflow.CodeTooLarge:        http.StatusRequestEntityTooLarge,
}

// ErrorStatus is the HTTP status of err, the same for a page and the API.
func ErrorStatus(err error) int {
	if s, ok := errorStatus[workflow.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// APIRoute reports whether r is answered in JSON: everything under /api/.
func APIRoute(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// Fail answers err in the format of the route: the error body of the JSON
// API under /api/, the error page elsewhere. A fault (5xx) is logged with
// its cause; the person sees only the message of the app error.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := ErrorStatus(err)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	}
	if APIRoute(r) {
		writeAPIError(w, status, err)
		return
	}
	ctx := r.Context()
	_ = Render(w, r, status, ErrorPage(status, ErrorTitle(ctx, status), i18n.ErrorMessage(ctx, err)))
}

// errorTitles are the headings of the error pages; the others are named by
// their status.
var errorTitles = map[int]string{
	http.StatusBadRequest:            "error.title.bad_request",
	http.StatusUnauthorized:          "error.title.unauthorized",
	http.StatusForbidden:             "error.title.forbidden",
	http.StatusNotFound:              "error.title.not_found",
	http.StatusConflict:              "error.title.conflict",
	http.StatusRequestEntityTooLarge: "error.title.too_large",
	http.StatusUnprocessableEntity:   "error.title.unprocessable",
	http.StatusTooManyRequests:       "error.title.too_many",
	http.StatusInternalServerError:   "error.title.internal",
	http.StatusServiceUnavailable:    "error.title.unavailable",
}

// ErrorTitle is the heading of the error page in the language of ctx: the
// status's name, but in words for the two answers a person most likely
// caused.
func ErrorTitle(ctx context.Context, status int) string {
	if id, ok := errorTitles[status]; ok {
		return i18n.T(ctx, id)
	}
	return i18n.T(ctx, "error.title.other", "Status", http.StatusText(status))
}

// FailedForm is a form shown again after err: its field errors and message
// in the language of ctx, with the input kept in values.
func FailedForm(ctx context.Context, err error, values map[string]string) Form {
	return Form{Values: values, Errors: i18n.ErrorFields(ctx, err), Message: i18n.ErrorMessage(ctx, err)}
}

// apiError is the error body of the JSON API (SPEC §7), in English. The
// fields are in the order encoding/json gives a map's keys, so the bytes are
// those clients have always seen.
type apiError struct {
	Error struct {
		Code    workflow.Code     `json:"code"`
		Fields  map[string]string `json:"fields"`
		Message string            `json:"message"`
	} `json:"error"`
}

// writeAPIError writes the error body of err with status; a 401 names the
// scheme to use.
func writeAPIError(w http.ResponseWriter, status int, err error) {
	var body apiError
	body.Error.Code = workflow.ErrorCode(err)
	body.Error.Message = i18n.English(workflow.ErrorMsg(err))
	body.Error.Fields = i18n.Fields(i18n.Source, workflow.ErrorFieldMsgs(err))
	if body.Error.Fields == nil {
		body.Error.Fields = map[string]string{}
	}
	b, _ := json.Marshal(body) // strings only: it cannot fail
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tokenportal"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
