package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// apiTestEnrolmentIssue is an issue as the API shows it, with the fields of
// SPEC §15.
type apiTestEnrolmentIssue struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Note      string `json:"note"`
	HandledBy *int64 `json:"handled_by"`
	Token     *struct {
		Serial string `json:"serial"`
		Type   string `json:"type"`
	} `json:"token"`
	Enrolment *workflow.EnrolmentEvidence `json:"enrolment"`
}

func TestAPIEnrolmentIssues(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	w := newApprovalWorld(t, env, apiTag(t))
	is := w.enrol(t, env, workflow.FactorPassword)
	restore := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "absent", env.Clock.Now())
	res := fmt.Sprint(w.r.ID)

	// kind filter and fields.
	var list struct {
		Items []apiTestEnrolmentIssue `json:"items"`
	}
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/issues?kind=enrolment&resource_id="+res, key, nil)
	apiWant(t, status, body, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != is.ID || list.Items[0].Kind != "enrolment" || list.Items[0].Token == nil ||
		list.Items[0].Token.Serial != is.TokenSerial || list.Items[0].Token.Type != "totp" || list.Items[0].Enrolment == nil ||
		list.Items[0].Enrolment.How != workflow.EnrolRegistered || !list.Items[0].Enrolment.FirstCode ||
		strings.Join(list.Items[0].Enrolment.SignIn, ",") != "password" || list.Items[0].Note != "" {
		t.Fatalf("enrolment list: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?kind=restore&resource_id="+res, key, nil)
	apiWant(t, status, body, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != restore.ID || list.Items[0].Kind != "restore" || list.Items[0].Token != nil || list.Items[0].Enrolment != nil {
		t.Fatalf("restore list: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?resource_id="+res, key, nil)
	apiWant(t, status, body, 200, &list)
	if len(list.Items) != 2 {
		t.Fatalf("both kinds: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?kind=lost", key, nil)
	apiWantError(t, status, body, 400, "bad_request", "kind")

	// The pending token is listed with its state.
	var toks struct {
		Items []struct {
			Serial string `json:"serial"`
			State  string `json:"state"`
		} `json:"items"`
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/tokens?user_id=%d", w.u.ID), key, nil)
	apiWant(t, status, body, 200, &toks)
	if len(toks.Items) != 1 || toks.Items[0].Serial != is.TokenSerial || toks.Items[0].State != "pending" {
		t.Fatalf("tokens: %s", body)
	}
	// An admin cannot enable it past the approval.
	status, body = apiDo(t, env, http.MethodPost, "/api/v1/tokens/"+is.TokenSerial+"/enable", key, nil)
	apiWantError(t, status, body, 409, "conflict")

	// Bodies of verify: malformed, unknown field, too long a note.
	path := fmt.Sprintf("/api/v1/issues/%d/verify", is.ID)
	status, body = apiDo(t, env, http.MethodPost, path, key, `{"note":`)
	apiWantError(t, status, body, 400, "bad_request")
	status, body = apiDo(t, env, http.MethodPost, path, key, map[string]any{"notes": "x"})
	apiWantError(t, status, body, 400, "bad_request", "notes")
	status, body = apiDo(t, env, http.MethodPost, path, key, map[string]any{"note": strings.Repeat("x", 1001)})
	apiWantError(t, status, body, 422, "invalid", "note")

	// Verify with a note: the token is enabled, the note kept.
	note := "called the user on +31 6 1234 5678, confirmed"
	var got apiTestEnrolmentIssue
	status, body = apiDo(t, env, http.MethodPost, path, key, map[string]any{"note": note})
	apiWant(t, status, body, 200, &got)
	if got.Status != "verified" || got.Note != note {
		t.Fatalf("verified: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/issues/%d", is.ID), key, nil)
	apiWant(t, status, body, 200, &got)
	if got.Note != note {
		t.Fatalf("the note is not kept: %s", body)
	}
	if tok, _ := env.Svc.Store.TokenBySerial(ctx, is.TokenSerial); !tok.Enabled {
		t.Fatalf("verified token: %+v", tok)
	}

	// Delete without a body: the restore request, and nothing else.
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", restore.ID), key, nil)
	apiWant(t, status, body, 200, &got)
	if got.Status != "deleted" || got.Note != "" {
		t.Fatalf("deleted: %s", body)
	}
	// An empty JSON object is fine too; the request is handled already.
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", restore.ID), key, map[string]any{})
	apiWantError(t, status, body, 409, "conflict")
}

// TestAPIEnrolmentOwners lets owner keys handle the enrolment issues of
// their resource only when the superadmin allows it. Serial: the setting
// is the package's.
func TestAPIEnrolmentOwners(t *testing.T) {
	env := apptest.New(t, nil)
	ctx := context.Background()
	w := newApprovalWorld(t, env, apiTag(t))
	other := newApprovalWorld(t, env, apiTag(t)+"o")
	owner := apiNewKey(t, env, workflow.RoleOwner, w.r.ID)
	a, b := w.enrol(t, env, workflow.FactorPassword), w.enrol(t, env, workflow.FactorPassword)
	restore := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "absent", env.Clock.Now())
	elsewhere := other.enrol(t, env, workflow.FactorPassword)
	setOwners := func(on bool) {
		t.Helper()
		if err := env.Svc.SetIssueHandling(ctx, workflow.IssueHandling{OwnersHandleEnrolment: on}, workflow.SystemActor, workflow.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { setOwners(false) })

	denials := apiDenials(t, env)
	status, body := apiDo(t, env, http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/verify", a.ID), owner, nil)
	apiWantError(t, status, body, 403, "forbidden")
	if apiDenials(t, env) != denials+1 {
		t.Fatal("403 without an AccessDenied activity")
	}

	setOwners(true)
	var got apiTestEnrolmentIssue
	status, body = apiDo(t, env, http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/verify", a.ID), owner, map[string]string{"note": "owner ok"})
	apiWant(t, status, body, 200, &got)
	if got.Status != "verified" || got.Note != "owner ok" || got.HandledBy != nil {
		t.Fatalf("owner verify: %s", body)
	}
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", b.ID), owner, nil)
	apiWant(t, status, body, 200, &got)
	if _, err := env.Svc.Store.TokenBySerial(ctx, b.TokenSerial); workflow.ErrorCode(err) != workflow.CodeNotFound {
		t.Fatalf("the declined token is still there: %v", err)
	}
	// Never a restore request, never another resource's issue.
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", restore.ID), owner, nil)
	apiWantError(t, status, body, 403, "forbidden")
	status, body = apiDo(t, env, http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/verify", elsewhere.ID), owner, nil)
	apiWantError(t, status, body, 404, "not_found")
}
