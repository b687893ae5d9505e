package notify

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"

	"tokenportal/workflow"
)

// Template names (workflow.Message.Template) and the Data keys each uses.
const (
	// TemplateCode: a one-time code [code, minutes, purpose]; also the SMS
	// text of SMS tokens.
	TemplateCode = "code"
	// TemplateTest: the "send test message" button of the settings [].
	TemplateTest = "test"
	// TemplateEmailChanged goes to the old address [login, new_email, resource].
	TemplateEmailChanged    = "email_changed"
	TemplatePasswordChanged = "password_changed" // [login, resource]
	// TemplateTokenRegistered [login, serial, type, resource, pending,
	// replaces]: pending is set when the token waits for approval (SPEC §15),
	// replaces names the token that keeps working meanwhile.
	TemplateTokenRegistered = "token_registered"
	TemplateTokenRemoved    = "token_removed" // [login, serial, resource]
	// TemplateNewEnvironment: a sign-in from an unseen device or place
	// [login, resource, ip, browser, time].
	TemplateNewEnvironment = "new_environment"
	// TemplateIssueCreated tells admins of a restore-access request
	// [login, name, resource, lost, url].
	TemplateIssueCreated = "issue_created"
	// TemplateIssueOutcome tells the user what the helpdesk did with the
	// request, at the address on record and at the new one it asked for
	// [login, resource, lost, outcome, new_email, to_new]; to_new is set on
	// the copy to the new address. Its SMS form goes to the phone on record.
	TemplateIssueOutcome = "issue_outcome"
	// TemplateIssueFiled tells the person on record (mail and SMS) that a
	// restore-access request was filed in their name, and how to stop it
	// [login, resource, lost, new_email, ip, browser, time, url].
	TemplateIssueFiled = "issue_filed"
	// TemplatePhoneChanged tells the address on record that the phone
	// number changed [login, phone (masked; empty when removed), resource].
	TemplatePhoneChanged = "phone_changed"
	// TemplateEnrolmentCreated tells admins of a new token waiting for
	// approval (SPEC §15) [login, name, resource, serial, type, how,
	// replaces, url]; how is one of workflow.Enrol….
	TemplateEnrolmentCreated = "enrolment_created"
	// TemplateEnrolmentOutcome tells the user whether the helpdesk approved
	// their new token [login, resource, serial, type, outcome, how,
	// replaced]; outcome as for TemplateIssueOutcome. Mail and SMS.
	TemplateEnrolmentOutcome = "enrolment_outcome"
)

// Purposes of a one-time code (Data["purpose"] of TemplateCode). They are
// translated into the message's language; other text is shown as given.
const (
	PurposeSignIn        = "sign-in"
	PurposeConfirmToken  = "confirm-token"
	PurposeConfirmEmail  = "confirm-email"
	PurposeRestoreAccess = "restore-access"
)

// Data["lost"] of the issue templates is a comma-separated list of these.
const (
	LostToken    = "token"
	LostPassword = "password"
	LostEmail    = "email"
)

// OutcomeVerified is Data["outcome"] of TemplateIssueOutcome when the helpdesk
// verified the request (also assumed when empty), OutcomeDeleted when it
// deleted it; other text is shown as given.
const (
	OutcomeVerified = "verified"
	OutcomeDeleted  = "deleted"
)

// Languages are the languages of the built-in templates, each a folder of
// the catalog (catalog.go); the first is the fallback for any other language.
var Languages = []string{"en", "de", "nl"}

// Templates lists the names of the built-in templates, sorted.
func Templates() []string { return slices.Sorted(maps.Keys(catalog)) }

// TemplateSource returns the built-in subject and body of a template in a
// language (text/template source), e.g. to prefill the settings page.
func TemplateSource(name, language string) (subject, body string, ok bool) {
	t, ok := catalog[name][lang(language)]
	return t.Subject, t.Body, ok
}

// CheckTemplate parses an override text the way Render will, so settings can
// refuse a broken one before saving it.
func CheckTemplate(text string) error {
	_, err := parse("check", "en", text)
	return err
}

// lang maps a language tag to one of Languages ("de-AT" → "de"; unknown → "en").
func lang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if slices.Contains(Languages, l) {
		return l
	}
	return Languages[0]
}

// Render returns the subject and body of m in its language: for email the
// mail's subject and body, for SMS the subject and the one-line SMS text.
// Overrides (the stored settings', then SetOverrides') replace the mail
// texts; a broken override is logged and the built-in text used, so a bad
// setting never stops mail.
func (n *Notifier) Render(ctx context.Context, m workflow.Message) (subject, body string, err error) {
	st, err := n.state(ctx)
	if err != nil {
		return "", "", err
	}
	return n.render(ctx, st, m, nil)
}

// Preview renders m with the texts t instead of the template's override,
// as Render would once t is saved; an empty part is the built-in one. Unlike
// Render it reports a broken text (a *TemplateError) instead of falling back.
func (n *Notifier) Preview(ctx context.Context, m workflow.Message, t workflow.TemplateText) (subject, body string, err error) {
	return n.render(ctx, n.env, m, &t)
}

// TemplateError is a subject or body that does not parse or render.
type TemplateError struct {
	Part string // "subject" or "body"
	Err  error
}

func (e *TemplateError) Error() string { return e.Part + ": " + e.Err.Error() }
func (e *TemplateError) Unwrap() error { return e.Err }

// render renders m with the overrides of st, or with preview when not nil.
func (n *Notifier) render(ctx context.Context, st *state, m workflow.Message, preview *workflow.TemplateText) (subject, body string, err error) {
	channel := m.Channel
	if channel == "" {
		channel = workflow.ChannelEmail
	}
	if channel != workflow.ChannelEmail && channel != workflow.ChannelSMS {
		return "", "", permanent(fmt.Errorf("unknown message channel %q", m.Channel))
	}
	l := lang(m.Lang)
	t, ok := catalog[m.Template][l]
	if !ok {
		return "", "", permanent(fmt.Errorf("unknown message template %q", m.Template))
	}
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}

	overridden := false
	if preview != nil {
		s := cmp.Or(strings.TrimSpace(preview.Subject), t.Subject)
		b := cmp.Or(strings.TrimSpace(preview.Body), t.Body)
		if subject, err = executeOne(m.Template+".subject", l, s, data); err != nil {
			return "", "", &TemplateError{Part: "subject", Err: err}
		}
		if body, err = executeOne(m.Template+".body", l, b, data); err != nil {
			return "", "", &TemplateError{Part: "body", Err: err}
		}
		subject, body = oneLine(subject), strings.TrimSpace(body)+"\n"
		overridden = true
	} else if s, b, ok := n.override(ctx, st, m.Template, l); ok {
		// An empty part keeps the built-in one.
		s = cmp.Or(strings.TrimSpace(s), t.Subject)
		b = cmp.Or(strings.TrimSpace(b), t.Body)
		subject, body, err = execute(m.Template, l, s, b, data)
		if err == nil {
			overridden = true
		} else {
			n.log.Error("template override is broken; using the built-in text", "template", m.Template, "lang", l, "err", err)
		}
	}
	if !overridden {
		subject, body, err = execute(m.Template, l, t.Subject, t.Body, data)
		if err != nil {
			return "", "", permanent(err)
		}
	}
	if channel == workflow.ChannelSMS {
		text := subject
		if t.SMS != "" {
			if text, err = executeOne(m.Template+".sms", l, t.SMS, data); err != nil {
				return "", "", permanent(err)
			}
		}
		body = oneLine(text)
	}
	return subject, body, nil
}

// override finds the texts that replace a built-in template: the stored
// settings' first, then those of SetOverrides.
func (n *Notifier) override(ctx context.Context, st *state, template, l string) (subject, body string, ok bool) {
	if t, ok := st.templates[workflow.TemplateID{Name: template, Lang: l}]; ok && t != (workflow.TemplateText{}) {
		return t.Subject, t.Body, true
	}
	n.mu.Lock()
	o := n.overrides
	n.mu.Unlock()
	if o == nil {
		return "", "", false
	}
	return o(ctx, template, l)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// execute renders a subject (one line) and a body.
func execute(name, l, subject, body string, data map[string]string) (string, string, error) {
	s, err := executeOne(name+".subject", l, subject, data)
	if err != nil {
		return "", "", err
	}
	b, err := executeOne(name+".body", l, body, data)
	if err != nil {
		return "", "", err
	}
	return oneLine(s), strings.TrimSpace(b) + "\n", nil
}

func executeOne(name, l, text string, data map[string]string) (string, error) {
	t, err := parse(name, l, text)
	if err != nil {
		return "", err
	}
	out, err := run(t, data)
	if err != nil {
		return "", fmt.Errorf("template %s (%s): %w", name, l, err)
	}
	return out, nil
}

// parse compiles a text with the functions of language l, refusing what
// could make it render without bound (checkTree). Missing data keys render
// as empty text.
func parse(name, l, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Funcs(funcs(l)).Parse(text)
	if err == nil {
		err = checkTree(t)
	}
	if err != nil {
		return nil, fmt.Errorf("template %s (%s): %w", name, l, err)
	}
	return t, nil
}

// funcs are the template functions, translating codes into language l.
//
//	purpose  a PurposeX (or its English wording) → phrase ("to sign in")
//	tokentype totp/hotp/email/sms → name
//	lost     "token,password" → localised list
//	has      has .lost "token" → whether the list names it
//	verified whether an outcome is OutcomeVerified (or empty)
func funcs(l string) template.FuncMap {
	return template.FuncMap{
		"purpose": func(s string) string {
			if p, ok := words[l]["purpose."+purposeKey(s)]; ok {
				return p
			}
			return "(" + s + ")"
		},
		"tokentype": func(s string) string {
			if t, ok := words[l]["tokentype."+strings.ToLower(strings.TrimSpace(s))]; ok {
				return t
			}
			return s
		},
		"lost": func(s string) string {
			var out []string
			for _, item := range lostItems(s) {
				if t, ok := words[l]["lost."+item]; ok {
					item = t
				}
				out = append(out, item)
			}
			return strings.Join(out, ", ")
		},
		"has": func(list, item string) bool { return slices.Contains(lostItems(list), item) },
		"verified": func(s string) bool {
			s = strings.ToLower(strings.TrimSpace(s))
			return s == "" || s == OutcomeVerified || s == "approved"
		},
	}
}

func purposeKey(s string) string {
	s = strings.Join(strings.Fields(strings.ToLower(strings.NewReplacer("-", " ", "_", " ").Replace(s))), " ")
	switch s {
	case "sign in", "signin", "login", "log in":
		return PurposeSignIn
	case "confirm token", "confirm your token", "register token":
		return PurposeConfirmToken
	case "confirm email", "confirm your new email address", "change email", "email change":
		return PurposeConfirmEmail
	case "restore access", "restore":
		return PurposeRestoreAccess
	}
	return s
}

// lostItems splits a list of lost things, accepting the restore form's names.
func lostItems(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		switch f {
		case "lost_token", "tokens":
			f = LostToken
		case "forgot_password", "forgotten_password":
			f = LostPassword
		case "lost_email", "mail":
			f = LostEmail
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
