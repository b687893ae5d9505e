package workflow_test

import (
	"strings"
	"testing"

	"tokenportal/workflow"
)

// TestIssueEffects checks the words of the confirmation pages: what
// verifying or deleting each kind of issue changes, and who is told.
func TestIssueEffects(t *testing.T) {
	t.Parallel()
	id := int64(7)
	restore := workflow.Issue{Kind: workflow.IssueRestore, ResourceName: "VPN", Lost: []string{workflow.LostToken},
		UserEmail: "ann@example.com"}
	enrol := func(how, replaces string) workflow.Issue {
		return workflow.Issue{Kind: workflow.IssueEnrolment, ResourceName: "VPN", TokenID: &id, TokenSerial: "TOTP-NEW",
			TokenType: "totp", UserEmail: "ann@example.com", Enrolment: &workflow.EnrolmentEvidence{How: how, Replaces: replaces}}
	}
	gone := enrol(workflow.EnrolRegistered, "")
	gone.TokenID = nil
	silent := enrol(workflow.EnrolRegistered, "")
	silent.UserEmail = ""
	tokens := []workflow.Token{{Serial: "OLD-1", Enabled: true}}
	cases := []struct {
		name    string
		is      workflow.Issue
		tokens  []workflow.Token
		verify  bool
		want    []string
		wantNot []string
	}{
		{"restore verify", restore, tokens, true, []string{"Disable the user's tokens on VPN (OLD-1)", "approved, by mail at ann@example.com"}, nil},
		{"restore delete", restore, tokens, false, []string{"Nothing on the user's account changes.", "declined, by mail at ann@example.com"}, []string{"Disable"}},
		{"registered verify, first token", enrol(workflow.EnrolRegistered, ""), nil, true,
			[]string{"Enable the new token TOTP-NEW (TOTP) on VPN", "recovery codes", "new token was approved, by mail at ann@example.com"}, []string{"replaces"}},
		{"registered verify, more tokens", enrol(workflow.EnrolRegistered, ""), tokens, true, []string{"Enable the new token"}, []string{"recovery codes"}},
		{"reassigned verify", enrol(workflow.EnrolReassigned, "OLD-1"), tokens, true,
			[]string{"Enable the new token TOTP-NEW", "Disable the token OLD-1 it replaces and take it off VPN"}, nil},
		{"registered delete", enrol(workflow.EnrolRegistered, ""), tokens, false,
			[]string{"Delete the new token TOTP-NEW (TOTP)", "new token was declined, by mail at ann@example.com"}, []string{"keeps working"}},
		{"reassigned delete", enrol(workflow.EnrolReassigned, "OLD-1"), tokens, false,
			[]string{"Delete the new token TOTP-NEW", "The token OLD-1 it was to replace keeps working."}, nil},
		{"claimed delete", enrol(workflow.EnrolClaimed, ""), tokens, false,
			[]string{"Return the token TOTP-NEW (TOTP) to the stock of VPN, disabled."}, []string{"Delete the new token"}},
		{"gone verify", gone, nil, true, []string{"no longer exists: there is nothing to approve"}, []string{"Tell the user"}},
		{"gone delete", gone, nil, false, []string{"nothing to discard", "declined"}, nil},
		{"nobody to tell", silent, tokens, false, []string{"nobody is told"}, []string{"Tell the user"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := english(workflow.IssueEffects(tc.is, tc.tokens, tc.verify))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("effects %q lack %q", got, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("effects %q say %q", got, w)
				}
			}
		})
	}
}
