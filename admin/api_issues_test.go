package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// apiTestIssue is the JSON of a user issue.
type apiTestIssue struct {
	ID             int64             `json:"id"`
	UserID         int64             `json:"user_id"`
	Login          string            `json:"login"`
	ResourceID     int64             `json:"resource_id"`
	Lost           []string          `json:"lost"`
	Authenticators map[string]string `json:"authenticators"`
	Status         string            `json:"status"`
	CreatedAt      time.Time         `json:"created_at"`
	HandledAt      *time.Time        `json:"handled_at"`
	HandledBy      *int64            `json:"handled_by"`
}

type apiTestIssues struct {
	Items      []apiTestIssue `json:"items"`
	NextBefore *int64         `json:"next_before"`
	Total      int            `json:"total"`
}

func TestAPIIssues(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	ctx := context.Background()
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	tag := apiTag(t)
	w := newIssueWorld(t, env, tag)
	now := env.Clock.Now()
	older := fileIssue(t, env, w.u, w.r, []string{"token", "email"}, "lost", "verified", "lost", now.Add(-time.Hour))
	newer := fileIssue(t, env, w.by, w.r, []string{"password"}, "failed", "lost", "absent", now)
	res := strconv.FormatInt(w.r.ID, 10)

	var list apiTestIssues
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/issues?status=open&resource_id="+res, key, nil)
	apiWant(t, status, body, 200, &list)
	if len(list.Items) != 2 || list.Items[0].ID != newer.ID || list.Items[1].ID != older.ID || list.NextBefore != nil || list.Total != 2 {
		t.Fatalf("list: %s", body)
	}
	got := list.Items[1]
	if got.UserID != w.u.ID || got.Login != w.u.Login || got.ResourceID != w.r.ID || !slices.Equal(got.Lost, []string{"token", "email"}) ||
		got.Status != "open" || !got.CreatedAt.Equal(now.Add(-time.Hour)) || got.HandledAt != nil || got.HandledBy != nil ||
		got.Authenticators["token"] != "lost" || got.Authenticators["password"] != "verified" || got.Authenticators["email"] != "lost" {
		t.Fatalf("item: %+v", got)
	}
	if strings.Contains(string(body), "hash") || strings.Contains(string(body), "$2a$") {
		t.Fatalf("the list shows a password hash: %s", body)
	}

	// Paging by before.
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?limit=1&resource_id="+res, key, nil)
	apiWant(t, status, body, 200, &list)
	if len(list.Items) != 1 || list.NextBefore == nil || *list.NextBefore != newer.ID {
		t.Fatalf("page 1: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/issues?limit=1&resource_id=%s&before=%d", res, *list.NextBefore), key, nil)
	apiWant(t, status, body, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != older.ID || list.NextBefore != nil {
		t.Fatalf("page 2: %s", body)
	}
	// Items are never null.
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?status=verified&resource_id="+res, key, nil)
	if status != 200 || !strings.Contains(string(body), `"items":[]`) {
		t.Fatalf("empty list: %d %s", status, body)
	}
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?status=lost", key, nil)
	apiWantError(t, status, body, 422, "invalid", "status")
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?before=x", key, nil)
	apiWantError(t, status, body, 400, "bad_request", "before")

	// Verify: 200 with the issue, then 409 for anything more.
	before := snapshot(t, env, w.u.ID)
	var one apiTestIssue
	status, body = apiDo(t, env, http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/verify", older.ID), key, nil)
	apiWant(t, status, body, 200, &one)
	if one.ID != older.ID || one.Status != "verified" || one.HandledAt == nil || !one.HandledAt.Equal(env.Clock.Now()) || one.HandledBy != nil {
		t.Fatalf("verified: %s", body)
	}
	u, _ := env.Svc.Store.UserByID(ctx, w.u.ID)
	if u.Email != "new-"+w.u.Login+"@example.org" {
		t.Errorf("email after verify: %q", u.Email)
	}
	after := snapshot(t, env, w.u.ID)
	for _, path := range []string{fmt.Sprintf("/api/v1/issues/%d/verify", older.ID), fmt.Sprintf("/api/v1/issues/%d", older.ID)} {
		method := http.MethodPost
		if !strings.HasSuffix(path, "/verify") {
			method = http.MethodDelete
		}
		status, body = apiDo(t, env, method, path, key, nil)
		e := apiWantError(t, status, body, 409, "conflict")
		if e.Error.Message != "This request was already handled (verified)." {
			t.Errorf("409 message %q", e.Error.Message)
		}
	}
	wantSame(t, "after the 409s", snapshot(t, env, w.u.ID), after)
	if reflectEqualJSON(before, after) {
		t.Error("verify changed nothing")
	}
	var keyActs int
	_ = env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM activities WHERE event = 'IssueVerified' AND actor_type = 'apikey'
		AND details->>'issue' = $1`, strconv.FormatInt(older.ID, 10)).Scan(&keyActs)
	if keyActs != 1 {
		t.Errorf("%d IssueVerified activities by the key", keyActs)
	}

	// Delete.
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", newer.ID), key, nil)
	apiWant(t, status, body, 200, &one)
	if one.Status != "deleted" || one.HandledAt == nil {
		t.Fatalf("deleted: %s", body)
	}
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/issues/%d", newer.ID), key, nil)
	apiWant(t, status, body, 200, &one)
	if one.Status != "deleted" {
		t.Fatalf("get: %s", body)
	}

	// Unknown ids.
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/issues/99999999999/verify"},
		{http.MethodDelete, "/api/v1/issues/99999999999"},
		{http.MethodGet, "/api/v1/issues/99999999999"},
		{http.MethodPost, "/api/v1/issues/abc/verify"},
	} {
		status, body = apiDo(t, env, c.method, c.path, key, nil)
		apiWantError(t, status, body, 404, "not_found")
	}
}

func TestAPIIssuesRoles(t *testing.T) {
	// Serial: it counts the AccessDenied activities of every API key.
	env := apptest.New(t, nil)
	ctx := context.Background()
	tag := apiTag(t)
	w := newIssueWorld(t, env, tag)
	mine := fileIssue(t, env, w.u, w.r, []string{"token"}, "lost", "verified", "verified", env.Clock.Now())
	theirs := fileIssue(t, env, w.u, w.other, []string{"token"}, "lost", "verified", "verified", env.Clock.Now())
	owner := apiNewKey(t, env, workflow.RoleOwner, w.r.ID)
	validate := apiNewKey(t, env, workflow.RoleValidate, 0)
	super := apiNewKey(t, env, workflow.RoleSuperadmin, 0)

	// An owner key reads its resource's requests only.
	var list apiTestIssues
	status, body := apiDo(t, env, http.MethodGet, "/api/v1/issues", owner, nil)
	apiWant(t, status, body, 200, &list)
	for _, is := range list.Items {
		if is.ResourceID != w.r.ID {
			t.Fatalf("owner key sees %+v", is)
		}
	}
	if !slices.ContainsFunc(list.Items, func(is apiTestIssue) bool { return is.ID == mine.ID }) {
		t.Fatalf("owner key misses its request: %s", body)
	}
	denials := apiDenials(t, env)
	status, body = apiDo(t, env, http.MethodGet, "/api/v1/issues?resource_id="+strconv.FormatInt(w.other.ID, 10), owner, nil)
	apiWantError(t, status, body, 403, "forbidden")
	status, body = apiDo(t, env, http.MethodGet, fmt.Sprintf("/api/v1/issues/%d", theirs.ID), owner, nil)
	apiWantError(t, status, body, 404, "not_found")
	for _, c := range []struct{ method, path, key string }{
		{http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/verify", mine.ID), owner},
		{http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", mine.ID), owner},
		{http.MethodGet, "/api/v1/issues", validate},
		{http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/verify", mine.ID), validate},
	} {
		status, body = apiDo(t, env, c.method, c.path, c.key, nil)
		apiWantError(t, status, body, 403, "forbidden")
	}
	if got := apiDenials(t, env) - denials; got != 6 {
		t.Errorf("%d AccessDenied activities, want 6", got)
	}
	if is, _ := env.Svc.Store.IssueByID(ctx, mine.ID); is.Status != workflow.IssueOpen {
		t.Fatalf("a refused key changed the request: %s", is.Status)
	}
	// A superadmin key handles any.
	status, body = apiDo(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/issues/%d", theirs.ID), super, nil)
	apiWant(t, status, body, 200, nil)
	status, _ = apiDo(t, env, http.MethodGet, "/api/v1/issues", "", nil)
	if status != 401 {
		t.Errorf("no key: %d", status)
	}
}

// TestAPIIssueConcurrentHandling races verify against delete on one
// request, several times: exactly one call wins and the effects are
// applied at most once.
func TestAPIIssueConcurrentHandling(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	const n = 8
	for round := range 6 {
		w := newIssueWorld(t, env, apiTag(t)+"race")
		is := fileIssue(t, env, w.u, w.r, []string{"token", "password", "email"}, "lost", "lost", "lost", env.Clock.Now())
		before := snapshot(t, env, w.u.ID)

		type answer struct {
			verify bool
			req    *http.Request
			status int
			header http.Header
			body   string
			err    error
		}
		answers := make([]answer, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				verify := (i+round)%2 == 0 // who starts first varies with the round
				method, path := http.MethodDelete, fmt.Sprintf("%s/api/v1/issues/%d", env.Server.URL, is.ID)
				if verify {
					method, path = http.MethodPost, path+"/verify"
				}
				req, err := http.NewRequest(method, path, nil)
				if err != nil {
					answers[i] = answer{err: err}
					return
				}
				req.Header.Set("Authorization", "Bearer "+key)
				<-start
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					answers[i] = answer{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				answers[i] = answer{verify: verify, req: req, status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
			}()
		}
		close(start)
		wg.Wait()

		var winner *answer
		for i, a := range answers {
			if a.err != nil {
				t.Fatalf("round %d call %d: %v", round, i, a.err)
			}
			apiCheck(t, apiExchange{req: a.req, status: a.status, header: a.header, body: []byte(a.body)})
			switch {
			case a.status == 200:
				if winner != nil {
					t.Fatalf("round %d: two winners:\n%s\n%s", round, winner.body, a.body)
				}
				winner = &answers[i]
			case a.status == 409:
				var e apiError
				if err := json.Unmarshal([]byte(a.body), &e); err != nil || e.Error.Code != "conflict" || !strings.HasPrefix(e.Error.Message, "This request was already handled (") {
					t.Fatalf("round %d: 409 body %s", round, a.body)
				}
			default:
				t.Fatalf("round %d call %d: %d %s", round, i, a.status, a.body)
			}
		}
		if winner == nil {
			t.Fatalf("round %d: nobody won", round)
		}

		got, _ := env.Svc.Store.IssueByID(ctx, is.ID)
		verified := issueEvents(t, env, workflow.EventIssueVerified, is.ID)
		deleted := issueEvents(t, env, workflow.EventIssueDeleted, is.ID)
		after := snapshot(t, env, w.u.ID)
		u, _ := env.Svc.Store.UserByID(ctx, w.u.ID)
		if winner.verify {
			if got.Status != workflow.IssueVerified || verified != 1 || deleted != 0 || outcomeMails(t, env, is.NewEmail) != 1 {
				t.Fatalf("round %d: verify won, but status %s, %d verified, %d deleted, %d mails", round, got.Status, verified, deleted, outcomeMails(t, env, is.NewEmail))
			}
			if u.Email != is.NewEmail || u.PasswordHash != is.NewPasswordHash {
				t.Fatalf("round %d: verify won, but the user is %+v", round, u)
			}
			for _, serial := range w.onR[:2] {
				if tok, _ := env.Svc.Store.TokenBySerial(ctx, serial); tok.Enabled || tok.DisabledReason != workflow.DisabledLost {
					t.Fatalf("round %d: token %s: %+v", round, serial, tok)
				}
			}
		} else {
			if got.Status != workflow.IssueDeleted || verified != 0 || deleted != 1 || outcomeMails(t, env, is.NewEmail) != 1 {
				t.Fatalf("round %d: delete won, but status %s, %d verified, %d deleted", round, got.Status, verified, deleted)
			}
			wantSame(t, "after a winning delete", after, before)
		}
	}
}

// reflectEqualJSON reports whether two snapshots are the same.
func reflectEqualJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
