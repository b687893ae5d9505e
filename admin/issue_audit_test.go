package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"tokenportal/workflow"
)

// TestIssueVerifyAuditTrail verifies a request that disables tokens and
// replaces the password and the email address, through the console and
// the API: each change writes its event (TokenDisabled per token,
// UserPasswordChange, UserEmailChange) in the very transaction that made it.
func TestIssueVerifyAuditTrail(t *testing.T) {
	t.Parallel()
	env := setup(t).env
	ctx := context.Background()
	helpdesk := signIn(t, env, workflow.RoleHelpdesk)
	me := adminOf(t, env, helpdesk)
	key := apiNewKey(t, env, workflow.RoleHelpdesk, 0)
	for _, via := range []string{"console", "api"} {
		t.Run(via, func(t *testing.T) {
			w := newIssueWorld(t, env, apiTag(t)+via[:1]+"audit")
			is := fileIssue(t, env, w.u, w.r, []string{"token", "password", "email"}, "lost", "lost", "lost", env.Clock.Now())
			if via == "console" {
				wantStatus(t, "verify", helpdesk.Post(issuePath(is.ID)+"/verify", nil), 200, "/admin/issues")
			} else {
				status, body := apiDo(t, env, http.MethodPost, "/api/v1/issues/"+strconv.FormatInt(is.ID, 10)+"/verify", key, nil)
				apiWant(t, status, body, 200, nil)
			}
			type act struct {
				Event, Actor, Tx string
				Details          map[string]any
			}
			rows, err := env.App.Pool.Query(ctx, `SELECT event, actor_type, xmin::text, details FROM activities
				WHERE user_id = $1 AND details->>'issue' = $2 ORDER BY id`, w.u.ID, strconv.FormatInt(is.ID, 10))
			if err != nil {
				t.Fatal(err)
			}
			var acts []act
			for rows.Next() {
				var a act
				var raw []byte
				if err := rows.Scan(&a.Event, &a.Actor, &a.Tx, &raw); err != nil {
					t.Fatal(err)
				}
				_ = json.Unmarshal(raw, &a.Details)
				acts = append(acts, a)
			}
			var events, serials []string
			for _, a := range acts {
				events = append(events, a.Event)
				if a.Event == workflow.EventTokenDisabled {
					serials = append(serials, a.Details["serial"].(string))
					if a.Details["reason"] != workflow.DisabledLost {
						t.Errorf("TokenDisabled details %v", a.Details)
					}
				}
				if a.Event == workflow.EventUserEmailChange && (a.Details["old_email"] != w.u.Email || a.Details["new_email"] != is.NewEmail) {
					t.Errorf("UserEmailChange details %v", a.Details)
				}
			}
			slices.Sort(serials)
			want := []string{"TokenDisabled", "TokenDisabled", "UserPasswordChange", "UserEmailChange", "IssueVerified"}
			if !slices.Equal(events, want) || !slices.Equal(serials, w.onR[:2]) {
				t.Fatalf("events %v (tokens %v), want %v (tokens %v)", events, serials, want, w.onR[:2])
			}
			// One transaction: the request, the user, the tokens and every
			// event carry the same transaction id.
			var txs []string
			err = env.App.Pool.QueryRow(ctx, `SELECT array_agg(DISTINCT x) FROM (
					SELECT xmin::text AS x FROM user_issues WHERE id = $1
					UNION ALL SELECT xmin::text FROM users WHERE id = $2
					UNION ALL SELECT xmin::text FROM tokens WHERE serial = ANY($3)
					UNION ALL SELECT xmin::text FROM activities WHERE user_id = $2 AND details->>'issue' = $4) t`,
				is.ID, w.u.ID, w.onR[:2], strconv.FormatInt(is.ID, 10)).Scan(&txs)
			if err != nil || len(txs) != 1 {
				t.Fatalf("the changes were written by %d transactions %v (%v)", len(txs), txs, err)
			}
			if via == "console" && acts[0].Actor != workflow.ActorAdmin {
				t.Errorf("actor %s, want the admin %s", acts[0].Actor, me.Login)
			}
		})
	}
}
