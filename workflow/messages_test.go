package workflow_test

import (
	"testing"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// TestBuiltMessageIDs: the messages whose ids the core builds at run time
// (and the catalog test cannot find in the code) are in every catalog.
func TestBuiltMessageIDs(t *testing.T) {
	var msgs []workflow.Msg
	for _, s := range []string{workflow.IssueOpen, workflow.IssueVerified, workflow.IssueDeleted, workflow.IssueWithdrawn} {
		msgs = append(msgs, workflow.IssueStatusMsg(s))
	}
	for _, o := range []workflow.Outcome{workflow.OutcomeAccepted, workflow.OutcomeWrong, workflow.OutcomeWrongPIN,
		workflow.OutcomeReplayed, workflow.OutcomeDisabled, workflow.OutcomeLocked, workflow.OutcomeMalformed,
		workflow.OutcomeNoCode, workflow.OutcomeCodeSent} {
		msgs = append(msgs, o.Msg())
	}
	for _, what := range []string{"The user", "The token", "The resource", "The admin", "The directory", "The request"} {
		msgs = append(msgs, workflow.Subject(what))
	}
	for _, m := range msgs {
		for _, lang := range i18n.Langs {
			if got := i18n.MsgIn(lang, m); got == "" || got == m.ID {
				t.Errorf("%s: %s does not render (%q)", lang, m.ID, got)
			}
		}
	}
	if got := i18n.English(workflow.ErrorMsg(workflow.NotFound("The token"))); got != "The token was not found." {
		t.Errorf("not found: %q", got)
	}
	if got := i18n.MsgIn("de", workflow.ErrorMsg(workflow.NotFound("The token"))); got != "Das Token wurde nicht gefunden." {
		t.Errorf("not found in German: %q", got)
	}
}
