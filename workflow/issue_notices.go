package workflow

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// A restore-access request can be filed by anybody who knows a login, so the
// person on record is told of it and of its outcome at every contact on
// record (issue #11).

// tellUser queues a notice to the person on record of u, in their language:
// a mail to each of emails (empty and repeated addresses skipped) and an
// SMS to phone when not empty.
func (s *Service) tellUser(ctx context.Context, st Store, u User, template string, data map[string]string, emails []string, phone string) error {
	var sent []string
	for _, to := range emails {
		if to == "" || slices.ContainsFunc(sent, func(x string) bool { return strings.EqualFold(x, to) }) {
			continue
		}
		sent = append(sent, to)
		if err := s.enqueue(ctx, st, Message{Channel: ChannelEmail, To: to, Template: template, Lang: u.Language, Data: data}); err != nil {
			return err
		}
	}
	if phone == "" {
		return nil
	}
	return s.enqueue(ctx, st, Message{Channel: ChannelSMS, To: phone, Template: template, Lang: u.Language, Data: data})
}

// tellIssueFiled tells the person on record that a request was filed in
// their name: what was asked, from which address and browser, and that
// signing in cancels it. It goes to the address on record even when the
// request says it is lost: that is exactly when its owner must hear of it.
func (s *Service) tellIssueFiled(ctx context.Context, st Store, p Portal, u User, is Issue) error {
	data := map[string]string{"login": u.Login, "resource": p.ResourceName, "lost": strings.Join(is.Lost, ","),
		"new_email": is.NewEmail, "ip": is.IP, "browser": BrowserLabel(is.UserAgent),
		"time": is.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")}
	if s.BaseURL != "" && p.Alias != "" {
		data["url"] = s.BaseURL + "/selfservice/" + p.Alias + "/login"
	}
	return s.tellUser(ctx, st, u, "issue_filed", data, []string{u.Email}, u.Phone)
}

// OutcomeContacts are where the person on record is told the outcome of
// a request: the address on record before it, the new address it asked for
// (when it differs), and the phone on record.
func OutcomeContacts(is Issue) (emails []string, phone string) {
	if is.UserEmail != "" {
		emails = append(emails, is.UserEmail)
	}
	if slices.Contains(is.Lost, LostEmail) && is.NewEmail != "" && !strings.EqualFold(is.NewEmail, is.UserEmail) {
		emails = append(emails, is.NewEmail)
	}
	return emails, is.UserPhone
}

// OutcomeContactsMsg says OutcomeContacts in words, for the helpdesk: "by
// mail at a@example.com and by SMS to +31…"; false when nobody is told.
func OutcomeContactsMsg(is Issue) (Msg, bool) {
	emails, phone := OutcomeContacts(is)
	switch {
	case len(emails) == 0 && phone == "":
		return Msg{}, false
	case len(emails) == 0:
		return M("issue.contacts.sms", "Phone", phone), true
	case len(emails) == 1 && phone == "":
		return M("issue.contacts.mail", "Email", emails[0]), true
	case len(emails) == 1:
		return M("issue.contacts.mail_sms", "Email", emails[0], "Phone", phone), true
	case phone == "":
		return M("issue.contacts.mail_mail", "Email", emails[0], "Email2", emails[1]), true
	}
	return M("issue.contacts.mail_mail_sms", "Email", emails[0], "Email2", emails[1], "Phone", phone), true
}

// tellIssueOutcome tells the person on record that the helpdesk verified
// or deleted a request, at each of OutcomeContacts.
func (s *Service) tellIssueOutcome(ctx context.Context, st Store, is Issue, u User) error {
	// A verified request tells what changed (PlanIssue, as applied); a
	// deleted one what was asked.
	items := is.Lost
	if is.Status == IssueVerified {
		items = PlanIssue(is, nil).Items()
	}
	data := map[string]string{"login": u.Login, "resource": is.ResourceName, "lost": strings.Join(items, ","),
		"outcome": is.Status, "new_email": is.NewEmail}
	emails, phone := OutcomeContacts(is)
	for _, to := range emails {
		d := data
		if to != is.UserEmail {
			d = maps.Clone(data)
			d["to_new"] = "yes" // this copy says it went to the new address
		}
		if err := s.tellUser(ctx, st, u, "issue_outcome", d, []string{to}, ""); err != nil {
			return err
		}
	}
	return s.tellUser(ctx, st, u, "issue_outcome", data, nil, phone)
}
