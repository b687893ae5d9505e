package views_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

func TestErrorStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{workflow.FieldsInvalid(map[string]workflow.Msg{"x": workflow.M("error.invalid")}), 422},
		{workflow.Fail(workflow.CodeNotFound, workflow.M("error.no_endpoint")), 404},
		{workflow.Fail(workflow.CodeConflict, workflow.M("error.no_endpoint")), 409},
		{workflow.Fail(workflow.CodeForbidden, workflow.M("error.no_endpoint")), 403},
		{workflow.Fail(workflow.CodeUnauthenticated, workflow.M("error.no_endpoint")), 401},
		{workflow.Unavailable(nil), 503},
		{workflow.Fail(workflow.CodeTooMany, workflow.M("error.no_endpoint")), 429},
		{workflow.Fail(workflow.CodeBadRequest, workflow.M("error.no_endpoint")), 400},
		{workflow.Fail(workflow.CodeTooLarge, workflow.M("error.no_endpoint")), 413},
		{workflow.Internal(nil), 500},
		{errors.New("boom"), 500},
	} {
		if got := views.ErrorStatus(tc.err); got != tc.want {
			t.Errorf("ErrorStatus(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestFailByRoute: the same error is the API's JSON body under /api/ (the
// bytes clients have always seen) and the error page elsewhere; a foreign
// error's text is shown in neither.
func TestFailByRoute(t *testing.T) {
	bad := &workflow.Error{Code: workflow.CodeBadRequest, Msg: workflow.M("api.unknown_field", "Field", "x"),
		FieldMsgs: map[string]workflow.Msg{"x": workflow.M("api.unknown_field_short")}}
	w := httptest.NewRecorder()
	views.Fail(w, httptest.NewRequest(http.MethodPost, "/api/v1/users", nil), nil, bad)
	want := `{"error":{"code":"bad_request","fields":{"x":"Unknown field."},"message":"The field x is not known here."}}`
	if w.Code != 400 || w.Body.String() != want || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("API: %d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}

	w = httptest.NewRecorder()
	views.Fail(w, httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil), nil, workflow.Fail(workflow.CodeUnauthenticated, workflow.M("api.bearer")))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" || !strings.Contains(w.Body.String(), `"fields":{}`) {
		t.Fatalf("API 401: %d %v %q", w.Code, w.Header(), w.Body)
	}

	w = httptest.NewRecorder()
	views.Fail(w, httptest.NewRequest(http.MethodPost, "/admin/users", nil), nil, workflow.Fail(workflow.CodeTooLarge, workflow.M("import.too_large")))
	if w.Code != 413 || !strings.Contains(w.Body.String(), "<h1>Request too large</h1>") || !strings.Contains(w.Body.String(), "The file is too large: at most 10 MiB are accepted.") {
		t.Fatalf("page: %d %q", w.Code, w.Body)
	}

	for _, path := range []string{"/api/v1/users", "/selfservice/x"} {
		w = httptest.NewRecorder()
		views.Fail(w, httptest.NewRequest(http.MethodGet, path, nil), nil, errors.New("secret detail"))
		if w.Code != 500 || strings.Contains(w.Body.String(), "secret detail") {
			t.Fatalf("%s: %d %q", path, w.Code, w.Body)
		}
	}
}

// TestFailInTheRequestsLanguage: the error page speaks the request's
// language, title, message and link alike; the API answers in English
// whatever the request's language (SPEC §13).
func TestFailInTheRequestsLanguage(t *testing.T) {
	err := workflow.FieldsInvalid(map[string]workflow.Msg{"email": workflow.M("email.invalid")})
	notFound := workflow.NotFound("The user")

	r := httptest.NewRequest(http.MethodGet, "/admin/users/9", nil)
	r = r.WithContext(i18n.WithLang(r.Context(), "de"))
	w := httptest.NewRecorder()
	views.Fail(w, r, nil, notFound)
	body := w.Body.String()
	for _, want := range []string{"<h1>Nicht gefunden</h1>", "Der Benutzer wurde nicht gefunden.", "Zur Startseite"} {
		if !strings.Contains(body, want) {
			t.Errorf("German error page without %q: %s", want, body)
		}
	}
	if f := views.FailedForm(r.Context(), err, nil); f.Message != "Bitte korrigieren Sie die markierten Felder." ||
		f.Errors["email"] != "Geben Sie eine gültige E-Mail-Adresse ein, etwa name@example.com." {
		t.Errorf("German form: %+v", f)
	}

	r = httptest.NewRequest(http.MethodPost, "/api/v1/users", nil)
	r = r.WithContext(i18n.WithLang(r.Context(), "nl"))
	w = httptest.NewRecorder()
	views.Fail(w, r, nil, err)
	want := `{"error":{"code":"invalid","fields":{"email":"Enter a valid email address, like name@example.com."},"message":"Please correct the highlighted fields."}}`
	if w.Code != 422 || w.Body.String() != want {
		t.Errorf("API in Dutch context: %d %s", w.Code, w.Body)
	}
}

// TestMessagesInsideMessages: a Msg argument is translated with the
// message around it (the status of a handled request, what was not found).
func TestMessagesInsideMessages(t *testing.T) {
	handled := workflow.ErrorMsg(workflow.Fail(workflow.CodeConflict,
		workflow.M("issue.handled", "Status", workflow.IssueStatusMsg(workflow.IssueVerified))))
	for lang, want := range map[string]string{
		"en": "This request was already handled (verified).",
		"de": "Dieser Antrag wurde bereits bearbeitet (bestätigt).",
		"nl": "Dit verzoek is al afgehandeld (bevestigd).",
	} {
		if got := i18n.MsgIn(lang, handled); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := i18n.In("en", "email.code_wrong", "Count", 1); got != "Wrong code. 1 attempt left." {
		t.Errorf("one: %q", got)
	}
	if got := i18n.In("de", "email.code_wrong", "Count", 3); got != "Falscher Code. Noch 3 Versuche." {
		t.Errorf("other: %q", got)
	}
}
