package notify

import (
	"cmp"
	"context"
	"errors"
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
	TemplateTokenRegistered = "token_registered" // [login, serial, type, resource]
	TemplateTokenRemoved    = "token_removed"    // [login, serial, resource]
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

// Languages are the languages of the built-in templates; the first is the
// fallback for any other language.
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
			if p, ok := purposes[l][purposeKey(s)]; ok {
				return p
			}
			return "(" + s + ")"
		},
		"tokentype": func(s string) string {
			if t, ok := tokenTypes[l][strings.ToLower(strings.TrimSpace(s))]; ok {
				return t
			}
			return s
		},
		"lost": func(s string) string {
			var out []string
			for _, item := range lostItems(s) {
				if t, ok := lostNames[l][item]; ok {
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

var purposes = map[string]map[string]string{
	"en": {
		PurposeSignIn:        "to sign in",
		PurposeConfirmToken:  "to confirm your token",
		PurposeConfirmEmail:  "to confirm your new email address",
		PurposeRestoreAccess: "to restore access",
	},
	"de": {
		PurposeSignIn:        "zur Anmeldung",
		PurposeConfirmToken:  "zur Bestätigung Ihres Tokens",
		PurposeConfirmEmail:  "zur Bestätigung Ihrer neuen E-Mail-Adresse",
		PurposeRestoreAccess: "zur Wiederherstellung Ihres Zugangs",
	},
	"nl": {
		PurposeSignIn:        "om in te loggen",
		PurposeConfirmToken:  "om uw token te bevestigen",
		PurposeConfirmEmail:  "om uw nieuwe e-mailadres te bevestigen",
		PurposeRestoreAccess: "om uw toegang te herstellen",
	},
}

var tokenTypes = map[string]map[string]string{
	"en": {"totp": "TOTP (authenticator app)", "hotp": "HOTP", "email": "code by email", "sms": "code by SMS"},
	"de": {"totp": "TOTP (Authenticator-App)", "hotp": "HOTP", "email": "Code per E-Mail", "sms": "Code per SMS"},
	"nl": {"totp": "TOTP (authenticator-app)", "hotp": "HOTP", "email": "code per e-mail", "sms": "code per sms"},
}

var lostNames = map[string]map[string]string{
	"en": {LostToken: "token", LostPassword: "password", LostEmail: "email address"},
	"de": {LostToken: "Token", LostPassword: "Passwort", LostEmail: "E-Mail-Adresse"},
	"nl": {LostToken: "token", LostPassword: "wachtwoord", LostEmail: "e-mailadres"},
}

// text is one template in one language. SMS, when set, is the short text for
// the SMS channel; otherwise an SMS carries the subject.
type text struct{ Subject, Body, SMS string }

const (
	footerEN = "-- \nThis message was sent automatically. Please do not reply to it.\n"
	footerDE = "-- \nDiese Nachricht wurde automatisch versandt. Bitte antworten Sie nicht darauf.\n"
	footerNL = "-- \nDit bericht is automatisch verzonden. Beantwoord het alstublieft niet.\n"
)

// catalog holds the built-in templates: name → language → text.
var catalog = map[string]map[string]text{
	TemplateCode: {
		"en": {
			Subject: `Your verification code`,
			Body: `Hello,

Your verification code{{with .purpose}} {{purpose .}}{{end}} is:

    {{.code}}

{{with .minutes}}The code expires in {{.}} minutes. {{end}}Do not share it with anyone.

If you did not ask for this code, you can ignore this message; nothing changes without the code.

` + footerEN,
			SMS: `Your verification code: {{.code}}{{with .minutes}} (valid {{.}} min){{end}}. Do not share it.`,
		},
		"de": {
			Subject: `Ihr Bestätigungscode`,
			Body: `Guten Tag,

Ihr Einmalcode{{with .purpose}} {{purpose .}}{{end}} lautet:

    {{.code}}

{{with .minutes}}Der Code ist {{.}} Minuten lang gültig. {{end}}Geben Sie ihn an niemanden weiter.

Falls Sie diesen Code nicht angefordert haben, können Sie diese Nachricht ignorieren; ohne den Code ändert sich nichts.

` + footerDE,
			SMS: `Ihr Bestätigungscode: {{.code}}{{with .minutes}} (gültig {{.}} Min.){{end}}. Nicht weitergeben.`,
		},
		"nl": {
			Subject: `Uw verificatiecode`,
			Body: `Goedendag,

Uw verificatiecode{{with .purpose}} {{purpose .}}{{end}} is:

    {{.code}}

{{with .minutes}}De code is {{.}} minuten geldig. {{end}}Deel deze code met niemand.

Heeft u deze code niet aangevraagd? Dan kunt u dit bericht negeren; zonder de code verandert er niets.

` + footerNL,
			SMS: `Uw verificatiecode: {{.code}}{{with .minutes}} ({{.}} min geldig){{end}}. Deel hem met niemand.`,
		},
	},

	TemplateTest: {
		"en": {
			Subject: `Test message from tokenportal`,
			Body: `Hello,

This is a test message sent from the settings of tokenportal. If you can read it, delivery works.

No action is needed.

` + footerEN,
			SMS: `Test message from tokenportal: SMS delivery works.`,
		},
		"de": {
			Subject: `Testnachricht von tokenportal`,
			Body: `Guten Tag,

dies ist eine Testnachricht aus den Einstellungen von tokenportal. Wenn Sie sie lesen können, funktioniert der Versand.

Sie müssen nichts weiter tun.

` + footerDE,
			SMS: `Testnachricht von tokenportal: Der SMS-Versand funktioniert.`,
		},
		"nl": {
			Subject: `Testbericht van tokenportal`,
			Body: `Goedendag,

Dit is een testbericht vanuit de instellingen van tokenportal. Als u het kunt lezen, werkt de verzending.

U hoeft niets te doen.

` + footerNL,
			SMS: `Testbericht van tokenportal: verzending per sms werkt.`,
		},
	},

	TemplateEmailChanged: {
		"en": {
			Subject: `Your email address was changed`,
			Body: `Hello{{with .login}} {{.}}{{end}},

The email address of your account{{with .resource}} for {{.}}{{end}} was changed{{with .new_email}} to {{.}}{{end}}. From now on, messages go to the new address; this is the last one sent to this address.

If you made this change, there is nothing to do. If you did not, contact your helpdesk right away: someone else may be using your account.

` + footerEN,
		},
		"de": {
			Subject: `Ihre E-Mail-Adresse wurde geändert`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

die E-Mail-Adresse Ihres Kontos{{with .resource}} für {{.}}{{end}} wurde{{with .new_email}} auf {{.}}{{end}} geändert. Nachrichten gehen ab jetzt an die neue Adresse; dies ist die letzte Nachricht an diese Adresse.

Wenn Sie die Änderung selbst vorgenommen haben, ist nichts weiter zu tun. Andernfalls wenden Sie sich bitte umgehend an Ihren Helpdesk: Möglicherweise nutzt jemand anderes Ihr Konto.

` + footerDE,
		},
		"nl": {
			Subject: `Uw e-mailadres is gewijzigd`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

Het e-mailadres van uw account{{with .resource}} voor {{.}}{{end}} is gewijzigd{{with .new_email}} in {{.}}{{end}}. Berichten gaan voortaan naar het nieuwe adres; dit is het laatste bericht aan dit adres.

Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, neem dan direct contact op met uw helpdesk: mogelijk gebruikt iemand anders uw account.

` + footerNL,
		},
	},

	TemplatePasswordChanged: {
		"en": {
			Subject: `Your password was changed`,
			Body: `Hello{{with .login}} {{.}}{{end}},

The password of your account{{with .resource}} for {{.}}{{end}} was just changed.

If you made this change, there is nothing to do. If you did not, contact your helpdesk right away.

` + footerEN,
		},
		"de": {
			Subject: `Ihr Passwort wurde geändert`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

das Passwort Ihres Kontos{{with .resource}} für {{.}}{{end}} wurde soeben geändert.

Wenn Sie das selbst waren, ist nichts weiter zu tun. Andernfalls wenden Sie sich bitte umgehend an Ihren Helpdesk.

` + footerDE,
		},
		"nl": {
			Subject: `Uw wachtwoord is gewijzigd`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

Het wachtwoord van uw account{{with .resource}} voor {{.}}{{end}} is zojuist gewijzigd.

Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, neem dan direct contact op met uw helpdesk.

` + footerNL,
		},
	},

	TemplateTokenRegistered: {
		"en": {
			Subject: `A new token was added to your account`,
			Body: `Hello{{with .login}} {{.}}{{end}},

A new token was registered to your account{{with .resource}} for {{.}}{{end}}:

  Serial: {{.serial}}
  Type:   {{tokentype .type}}

If you did this, there is nothing to do. If you did not, contact your helpdesk right away.

` + footerEN,
		},
		"de": {
			Subject: `Ein neues Token wurde Ihrem Konto hinzugefügt`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

Ihrem Konto{{with .resource}} für {{.}}{{end}} wurde ein neues Token hinzugefügt:

  Seriennummer: {{.serial}}
  Typ:          {{tokentype .type}}

Wenn Sie das selbst waren, ist nichts weiter zu tun. Andernfalls wenden Sie sich bitte umgehend an Ihren Helpdesk.

` + footerDE,
		},
		"nl": {
			Subject: `Er is een nieuw token aan uw account toegevoegd`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

Aan uw account{{with .resource}} voor {{.}}{{end}} is een nieuw token toegevoegd:

  Serienummer: {{.serial}}
  Type:        {{tokentype .type}}

Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, neem dan direct contact op met uw helpdesk.

` + footerNL,
		},
	},

	TemplateTokenRemoved: {
		"en": {
			Subject: `A token was removed from your account`,
			Body: `Hello{{with .login}} {{.}}{{end}},

The token{{with .serial}} {{.}}{{end}} was removed from your account{{with .resource}} for {{.}}{{end}} and can no longer be used to sign in there.

If you did this, there is nothing to do. If you did not, contact your helpdesk right away.

` + footerEN,
		},
		"de": {
			Subject: `Ein Token wurde aus Ihrem Konto entfernt`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

das Token{{with .serial}} {{.}}{{end}} wurde aus Ihrem Konto{{with .resource}} für {{.}}{{end}} entfernt und kann dort nicht mehr zur Anmeldung verwendet werden.

Wenn Sie das selbst waren, ist nichts weiter zu tun. Andernfalls wenden Sie sich bitte umgehend an Ihren Helpdesk.

` + footerDE,
		},
		"nl": {
			Subject: `Er is een token uit uw account verwijderd`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

Het token{{with .serial}} {{.}}{{end}} is verwijderd uit uw account{{with .resource}} voor {{.}}{{end}} en kan daar niet meer worden gebruikt om in te loggen.

Heeft u dit zelf gedaan, dan hoeft u niets te doen. Zo niet, neem dan direct contact op met uw helpdesk.

` + footerNL,
		},
	},

	TemplateNewEnvironment: {
		"en": {
			Subject: `New sign-in to your account`,
			Body: `Hello{{with .login}} {{.}}{{end}},

Someone just signed in to your account{{with .resource}} for {{.}}{{end}} from a device or place we have not seen before:

  Time:       {{.time}}
  IP address: {{.ip}}
  Browser:    {{.browser}}

If this was you, there is nothing to do. If not, change your password right away and contact your helpdesk.

` + footerEN,
		},
		"de": {
			Subject: `Neue Anmeldung bei Ihrem Konto`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

soeben hat sich jemand mit Ihrem Konto{{with .resource}} für {{.}}{{end}} von einem bisher unbekannten Gerät oder Ort angemeldet:

  Zeit:       {{.time}}
  IP-Adresse: {{.ip}}
  Browser:    {{.browser}}

Wenn Sie das waren, ist nichts weiter zu tun. Andernfalls ändern Sie bitte sofort Ihr Passwort und wenden Sie sich an Ihren Helpdesk.

` + footerDE,
		},
		"nl": {
			Subject: `Nieuwe aanmelding op uw account`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

Er is zojuist ingelogd op uw account{{with .resource}} voor {{.}}{{end}} vanaf een apparaat of plaats die we nog niet kenden:

  Tijd:     {{.time}}
  IP-adres: {{.ip}}
  Browser:  {{.browser}}

Was u dit zelf, dan hoeft u niets te doen. Zo niet, wijzig dan direct uw wachtwoord en neem contact op met uw helpdesk.

` + footerNL,
		},
	},

	TemplateIssueCreated: {
		"en": {
			Subject: `New restore-access request{{with .login}} from {{.}}{{end}}`,
			Body: `Hello,

A user asked to restore their access{{with .resource}} to {{.}}{{end}}:

  Login:    {{.login}}
  Name:     {{.name}}
  Resource: {{.resource}}
  Lost:     {{lost .lost}}

Please verify the person's identity through a channel you trust before you approve the request.{{with .url}}

Open the request: {{.}}{{end}}

` + footerEN,
		},
		"de": {
			Subject: `Neue Anfrage zur Wiederherstellung des Zugangs{{with .login}} von {{.}}{{end}}`,
			Body: `Guten Tag,

ein Benutzer bittet um die Wiederherstellung seines Zugangs{{with .resource}} zu {{.}}{{end}}:

  Login:     {{.login}}
  Name:      {{.name}}
  Ressource: {{.resource}}
  Verloren:  {{lost .lost}}

Bitte prüfen Sie die Identität der Person über einen vertrauenswürdigen Weg, bevor Sie die Anfrage bestätigen.{{with .url}}

Zur Anfrage: {{.}}{{end}}

` + footerDE,
		},
		"nl": {
			Subject: `Nieuw verzoek om toegangsherstel{{with .login}} van {{.}}{{end}}`,
			Body: `Goedendag,

Een gebruiker vraagt om herstel van de toegang{{with .resource}} tot {{.}}{{end}}:

  Login:    {{.login}}
  Naam:     {{.name}}
  Resource: {{.resource}}
  Kwijt:    {{lost .lost}}

Controleer de identiteit van de persoon via een kanaal dat u vertrouwt voordat u het verzoek goedkeurt.{{with .url}}

Naar het verzoek: {{.}}{{end}}

` + footerNL,
		},
	},

	TemplateIssueOutcome: {
		"en": {
			Subject: `{{if verified .outcome}}Your access has been restored{{else if eq .outcome "deleted"}}Your request to restore access was declined{{else}}Your request to restore access{{end}}`,
			Body: `Hello{{with .login}} {{.}}{{end}},

{{if verified .outcome}}The helpdesk has verified your identity and processed your request to restore access{{with .resource}} to {{.}}{{end}}.{{if .lost}}
{{end}}{{if has .lost "token"}}
- Your tokens{{with .resource}} for {{.}}{{end}} have been disabled. You can now sign in without a one-time code; please register a new token right away.{{end}}{{if has .lost "password"}}
- The new password you chose in your request is now active.{{end}}{{if has .lost "email"}}
- {{if .to_new}}Your new email address is now on record; this message was sent to it.{{else}}Your email address was changed{{with .new_email}} to {{.}}{{end}}; this is the last message sent to this address.{{end}}{{end}}{{else if eq .outcome "deleted"}}The helpdesk has declined the request to restore access{{with .resource}} to {{.}}{{end}} that was filed in your name. Nothing was changed.{{else}}The helpdesk has handled your request to restore access{{with .resource}} to {{.}}{{end}}: {{.outcome}}{{end}}

If you did not make this request, contact your helpdesk right away.

` + footerEN,
			SMS: `{{if verified .outcome}}Your request to restore access{{with .resource}} to {{.}}{{end}} was approved.{{else}}The request to restore access{{with .resource}} to {{.}}{{end}} filed in your name was declined.{{end}} Not you? Call your helpdesk.`,
		},
		"de": {
			Subject: `{{if verified .outcome}}Ihr Zugang wurde wiederhergestellt{{else if eq .outcome "deleted"}}Ihre Anfrage zur Wiederherstellung des Zugangs wurde abgelehnt{{else}}Ihre Anfrage zur Wiederherstellung des Zugangs{{end}}`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

{{if verified .outcome}}der Helpdesk hat Ihre Identität geprüft und Ihre Anfrage zur Wiederherstellung des Zugangs{{with .resource}} zu {{.}}{{end}} bearbeitet.{{if .lost}}
{{end}}{{if has .lost "token"}}
- Ihre Tokens{{with .resource}} für {{.}}{{end}} wurden deaktiviert. Sie können sich jetzt ohne Einmalcode anmelden; bitte registrieren Sie gleich ein neues Token.{{end}}{{if has .lost "password"}}
- Das neue Passwort aus Ihrer Anfrage ist jetzt aktiv.{{end}}{{if has .lost "email"}}
- {{if .to_new}}Ihre neue E-Mail-Adresse ist jetzt hinterlegt; diese Nachricht wurde an sie gesendet.{{else}}Ihre E-Mail-Adresse wurde{{with .new_email}} auf {{.}}{{end}} geändert; dies ist die letzte Nachricht an diese Adresse.{{end}}{{end}}{{else if eq .outcome "deleted"}}der Helpdesk hat die in Ihrem Namen gestellte Anfrage zur Wiederherstellung des Zugangs{{with .resource}} zu {{.}}{{end}} abgelehnt. Es wurde nichts geändert.{{else}}der Helpdesk hat Ihre Anfrage zur Wiederherstellung des Zugangs{{with .resource}} zu {{.}}{{end}} bearbeitet: {{.outcome}}{{end}}

Falls Sie diese Anfrage nicht gestellt haben, wenden Sie sich bitte umgehend an Ihren Helpdesk.

` + footerDE,
			SMS: `{{if verified .outcome}}Ihre Anfrage zur Wiederherstellung des Zugangs{{with .resource}} zu {{.}}{{end}} wurde bestätigt.{{else}}Die Anfrage zur Wiederherstellung des Zugangs{{with .resource}} zu {{.}}{{end}} in Ihrem Namen wurde abgelehnt.{{end}} Nicht Sie? Rufen Sie Ihren Helpdesk an.`,
		},
		"nl": {
			Subject: `{{if verified .outcome}}Uw toegang is hersteld{{else if eq .outcome "deleted"}}Uw verzoek om toegangsherstel is afgewezen{{else}}Uw verzoek om toegangsherstel{{end}}`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

{{if verified .outcome}}De helpdesk heeft uw identiteit gecontroleerd en uw verzoek om herstel van de toegang{{with .resource}} tot {{.}}{{end}} verwerkt.{{if .lost}}
{{end}}{{if has .lost "token"}}
- Uw tokens{{with .resource}} voor {{.}}{{end}} zijn uitgeschakeld. U kunt nu inloggen zonder eenmalige code; registreer meteen een nieuw token.{{end}}{{if has .lost "password"}}
- Het nieuwe wachtwoord uit uw verzoek is nu actief.{{end}}{{if has .lost "email"}}
- {{if .to_new}}Uw nieuwe e-mailadres is nu vastgelegd; dit bericht is daarnaartoe verzonden.{{else}}Uw e-mailadres is gewijzigd{{with .new_email}} in {{.}}{{end}}; dit is het laatste bericht aan dit adres.{{end}}{{end}}{{else if eq .outcome "deleted"}}De helpdesk heeft het verzoek om herstel van de toegang{{with .resource}} tot {{.}}{{end}} dat op uw naam is ingediend, afgewezen. Er is niets gewijzigd.{{else}}De helpdesk heeft uw verzoek om herstel van de toegang{{with .resource}} tot {{.}}{{end}} behandeld: {{.outcome}}{{end}}

Heeft u dit verzoek niet gedaan? Neem dan direct contact op met uw helpdesk.

` + footerNL,
			SMS: `{{if verified .outcome}}Uw verzoek om herstel van de toegang{{with .resource}} tot {{.}}{{end}} is goedgekeurd.{{else}}Het verzoek om herstel van de toegang{{with .resource}} tot {{.}}{{end}} op uw naam is afgewezen.{{end}} Was u dit niet? Bel uw helpdesk.`,
		},
	},

	TemplateIssueFiled: {
		"en": {
			Subject: `Someone asked to restore access to your account`,
			Body: `Hello{{with .login}} {{.}}{{end}},

A request to restore access to your account{{with .resource}} for {{.}}{{end}} was just filed in your name. The helpdesk will review it.

The request asks for:{{if has .lost "token"}}
- your tokens{{with .resource}} for {{.}}{{end}} to be disabled (reported lost){{end}}{{if has .lost "password"}}
- your password to be replaced by one the requester chose (reported forgotten){{end}}{{if has .lost "email"}}
- your email address to be changed{{with .new_email}} to {{.}}{{end}} (access reported lost){{end}}

  Time:       {{.time}}
  IP address: {{.ip}}
  Browser:    {{.browser}}

If this was you, there is nothing to do; the helpdesk will be in touch.

If this was not you, simply sign in{{with .url}} at {{.}}{{end}}: that cancels the request. Then call your helpdesk, because someone is trying to take over your account.

` + footerEN,
			SMS: `{{with .resource}}{{.}}: {{end}}someone asked to restore access to your account {{.login}}. Not you? Sign in to cancel it and call your helpdesk.`,
		},
		"de": {
			Subject: `Jemand möchte den Zugang zu Ihrem Konto wiederherstellen`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

soeben wurde in Ihrem Namen beantragt, den Zugang zu Ihrem Konto{{with .resource}} für {{.}}{{end}} wiederherzustellen. Der Helpdesk prüft die Anfrage.

Beantragt wurde:{{if has .lost "token"}}
- die Deaktivierung Ihrer Tokens{{with .resource}} für {{.}}{{end}} (als verloren gemeldet){{end}}{{if has .lost "password"}}
- ein neues Passwort, das die anfragende Person gewählt hat (Ihr Passwort als vergessen gemeldet){{end}}{{if has .lost "email"}}
- die Änderung Ihrer E-Mail-Adresse{{with .new_email}} auf {{.}}{{end}} (Zugriff als verloren gemeldet){{end}}

  Zeit:       {{.time}}
  IP-Adresse: {{.ip}}
  Browser:    {{.browser}}

Wenn Sie das waren, ist nichts weiter zu tun; der Helpdesk meldet sich bei Ihnen.

Wenn nicht, melden Sie sich einfach an{{with .url}} unter {{.}}{{end}}: Damit wird die Anfrage zurückgezogen. Rufen Sie danach Ihren Helpdesk an, denn jemand versucht, Ihr Konto zu übernehmen.

` + footerDE,
			SMS: `{{with .resource}}{{.}}: {{end}}Jemand möchte den Zugang zu Ihrem Konto {{.login}} wiederherstellen. Nicht Sie? Melden Sie sich an, um das abzubrechen, und rufen Sie Ihren Helpdesk an.`,
		},
		"nl": {
			Subject: `Iemand wil de toegang tot uw account herstellen`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

Zojuist is op uw naam een verzoek ingediend om de toegang tot uw account{{with .resource}} voor {{.}}{{end}} te herstellen. De helpdesk beoordeelt het verzoek.

Er wordt gevraagd om:{{if has .lost "token"}}
- uw tokens{{with .resource}} voor {{.}}{{end}} uit te schakelen (als kwijt gemeld){{end}}{{if has .lost "password"}}
- uw wachtwoord te vervangen door een wachtwoord dat de aanvrager heeft gekozen (als vergeten gemeld){{end}}{{if has .lost "email"}}
- uw e-mailadres te wijzigen{{with .new_email}} in {{.}}{{end}} (toegang als kwijt gemeld){{end}}

  Tijd:     {{.time}}
  IP-adres: {{.ip}}
  Browser:  {{.browser}}

Was u dit zelf, dan hoeft u niets te doen; de helpdesk neemt contact met u op.

Was u dit niet? Log dan gewoon in{{with .url}} via {{.}}{{end}}: daarmee wordt het verzoek ingetrokken. Bel daarna uw helpdesk, want iemand probeert uw account over te nemen.

` + footerNL,
			SMS: `{{with .resource}}{{.}}: {{end}}iemand wil de toegang tot uw account {{.login}} herstellen. Was u dit niet? Log in om dat te annuleren en bel uw helpdesk.`,
		},
	},

	TemplatePhoneChanged: {
		"en": {
			Subject: `Your phone number was changed`,
			Body: `Hello{{with .login}} {{.}}{{end}},

{{if .phone}}The phone number of your account{{with .resource}} for {{.}}{{end}} was changed to {{.phone}}. Text messages for your account go to the new number from now on.{{else}}The phone number of your account{{with .resource}} for {{.}}{{end}} was removed.{{end}}

If you made this change, or asked your helpdesk to, there is nothing to do. If not, contact your helpdesk right away: someone else may be using your account.

` + footerEN,
		},
		"de": {
			Subject: `Ihre Telefonnummer wurde geändert`,
			Body: `Guten Tag{{with .login}} {{.}}{{end}},

{{if .phone}}die Telefonnummer Ihres Kontos{{with .resource}} für {{.}}{{end}} wurde auf {{.phone}} geändert. SMS für Ihr Konto gehen ab jetzt an die neue Nummer.{{else}}die Telefonnummer Ihres Kontos{{with .resource}} für {{.}}{{end}} wurde entfernt.{{end}}

Wenn Sie die Änderung selbst vorgenommen oder bei Ihrem Helpdesk veranlasst haben, ist nichts weiter zu tun. Andernfalls wenden Sie sich bitte umgehend an Ihren Helpdesk: Möglicherweise nutzt jemand anderes Ihr Konto.

` + footerDE,
		},
		"nl": {
			Subject: `Uw telefoonnummer is gewijzigd`,
			Body: `Beste {{with .login}}{{.}}{{else}}gebruiker{{end}},

{{if .phone}}Het telefoonnummer van uw account{{with .resource}} voor {{.}}{{end}} is gewijzigd in {{.phone}}. Sms-berichten voor uw account gaan voortaan naar het nieuwe nummer.{{else}}Het telefoonnummer van uw account{{with .resource}} voor {{.}}{{end}} is verwijderd.{{end}}

Heeft u dit zelf gedaan of uw helpdesk erom gevraagd, dan hoeft u niets te doen. Zo niet, neem dan direct contact op met uw helpdesk: mogelijk gebruikt iemand anders uw account.

` + footerNL,
		},
	},
}

// validateCatalog parses every built-in text once, so a typo fails at start.
func validateCatalog() error {
	var errs []error
	for name, langs := range catalog {
		if _, ok := samples[name]; !ok {
			errs = append(errs, fmt.Errorf("template %s has no sample data", name))
		}
		for _, l := range Languages {
			t, ok := langs[l]
			if !ok {
				errs = append(errs, fmt.Errorf("template %s has no %s text", name, l))
				continue
			}
			for _, s := range []string{t.Subject, t.Body, t.SMS} {
				if _, err := parse(name, l, s); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

func init() {
	if err := validateCatalog(); err != nil {
		panic(err)
	}
}
