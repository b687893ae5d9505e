package admin_test

import (
	"context"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// approvalWorld is a resource whose portal holds new tokens for approval
// (SPEC §15) and a user on it.
type approvalWorld struct {
	r      workflow.Resource
	portal workflow.Portal
	u      workflow.User
}

func newApprovalWorld(t *testing.T, env *apptest.Env, tag string) approvalWorld {
	t.Helper()
	ctx := context.Background()
	w := approvalWorld{r: newResource(t, env, tag+" approval VPN"), u: newUser(t, env, tag+"-newtoken")}
	if err := env.Svc.AssignUser(ctx, w.r.ID, w.u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	in := workflow.DefaultPortalInput("appr-" + tag)
	in.Enabled, in.ApproveNewTokens, in.MaxTokensPerUser = true, true, 3
	p, err := env.Svc.SavePortal(ctx, w.r.ID, in, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	w.portal = p
	return w
}

// enrol registers a TOTP token in the portal as a session that signed in
// with signIn; it waits for approval. It returns the enrolment issue.
func (w approvalWorld) enrol(t *testing.T, env *apptest.Env, signIn ...string) workflow.Issue {
	t.Helper()
	e, err := env.Svc.StartEnrolment(context.Background(), w.portal, w.u, "totp")
	if err != nil {
		t.Fatal(err)
	}
	return w.confirm(t, env, e, signIn)
}

// reassign exchanges the user's token serial for a new TOTP token in the
// portal; the new one waits for approval. It returns the enrolment issue.
func (w approvalWorld) reassign(t *testing.T, env *apptest.Env, serial string, signIn ...string) workflow.Issue {
	t.Helper()
	e, err := env.Svc.StartReassign(context.Background(), w.portal, w.u, serial, "totp")
	if err != nil {
		t.Fatal(err)
	}
	return w.confirm(t, env, e, signIn)
}

// confirm confirms enrolment e with a right first code and finds its issue.
func (w approvalWorld) confirm(t *testing.T, env *apptest.Env, e workflow.Enrolment, signIn []string) workflow.Issue {
	t.Helper()
	ctx := context.Background()
	reg, err := env.Svc.ConfirmEnrolment(ctx, w.portal, w.u, e, otp.TOTPCode(e.Secret, env.Clock.Now(), otp.Default),
		workflow.Meta{IP: "203.0.113.9", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", SignIn: signIn})
	if err != nil {
		t.Fatal(err)
	}
	if !reg.Pending {
		t.Fatalf("token %s does not wait for approval", reg.Token.Serial)
	}
	list, _, err := env.Svc.Store.ListIssues(ctx, workflow.IssueFilter{UserID: w.u.ID, Kind: workflow.IssueEnrolment,
		Status: workflow.IssueOpen, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range list {
		if is.TokenSerial == reg.Token.Serial {
			return is
		}
	}
	t.Fatalf("no enrolment issue for %s", reg.Token.Serial)
	return workflow.Issue{}
}
