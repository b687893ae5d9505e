package views

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"tokenportal/views/i18n"
)

// The view models of the Settings area (SPEC §7, §9): mail server, SMS
// gateway, who is mailed about new user issues, and the mail templates.

// SettingsHref is the Settings page; the sections are its fragments.
const SettingsHref = "/admin/settings"

// SettingsOverview is the Settings page.
type SettingsOverview struct {
	Capture    bool // dev mode: mail and SMS are captured, not sent
	Mail       MailSettings
	SMS        SMSSettings
	Recipients []RecipientRow
	Templates  []TemplateRow
	// IssueHandling holds owners_handle_enrolment: owners verify and delete
	// the new-token requests of their resources.
	IssueHandling Form
	// SelfID is the signed-in admin, whose own subscription is edited on
	// the Notifications page.
	SelfID int64
	// Problem says why stored settings cannot be used (a password that no
	// longer decrypts); empty when fine.
	Problem string
}

// SettingValue is a setting in force and where it comes from.
type SettingValue struct {
	Value  string // shown as is: passwords are already masked; "" when not set
	Source string // "settings", or the environment variable
	Stored bool   // the value comes from the settings
}

// MailSettings is the Mail section.
type MailSettings struct {
	Form    Form // smtp_url (password masked), mail_from: the stored values
	Stored  bool // a mail setting is stored (Clear is offered)
	SMTPURL SettingValue
	From    SettingValue
	// Problem says why the settings in force cannot send (a stored value
	// that stopped being valid); empty when fine.
	Problem string
	Test    TestSend
}

// SMSSettings is the SMS gateway section.
type SMSSettings struct {
	Form    Form // sms_gateway_url (password masked)
	Stored  bool
	Gateway SettingValue
}

// TestSend is a form that sends a message now and shows the outcome.
type TestSend struct {
	Action string
	Form   Form // to
	Result *TestResult
}

// TestResult is the outcome of a test message.
type TestResult struct {
	OK      bool
	Message string
}

// Receives says which new user issues an admin is mailed about.
const (
	ReceivesAll  = "all"
	ReceivesSome = "some"
	ReceivesNone = "none"
)

// RecipientRow is an admin in the overview of who is mailed about new user
// issues.
type RecipientRow struct {
	ID        int64
	Login     string
	Role      string
	Email     string
	Disabled  bool
	Receives  string   // ReceivesAll, ReceivesSome or ReceivesNone
	Resources []string // names, with ReceivesSome
	// Note says why mail does not arrive although subscribed (no address,
	// disabled account).
	Note string
	Self bool
}

// ReceivesText says in words, in the language of ctx, what the admin
// receives.
func (r RecipientRow) ReceivesText(ctx context.Context) string {
	switch r.Receives {
	case ReceivesAll:
		if r.Role == "owner" {
			return i18n.T(ctx, "console.settings.receives_owned")
		}
		return i18n.T(ctx, "console.settings.receives_all")
	case ReceivesSome:
		if len(r.Resources) == 0 {
			return i18n.T(ctx, "console.settings.receives_chosen_none")
		}
		return i18n.T(ctx, "console.settings.receives_chosen", "Resources", strings.Join(r.Resources, ", "))
	}
	return i18n.T(ctx, "common.none")
}

// EditHref is where the admin's subscription is changed: the Notifications
// page for oneself, the settings' form for others.
func (r RecipientRow) EditHref() string {
	if r.Self {
		return "/admin/notifications"
	}
	return RecipientHref(r.ID)
}

// RecipientHref is the form that edits another admin's subscription.
func RecipientHref(id int64) string {
	return SettingsHref + "/recipients/" + strconv.FormatInt(id, 10)
}

// RecipientEdit edits another admin's subscription to new user issues.
type RecipientEdit struct {
	ID        int64
	Login     string
	Role      string
	Form      Form // email, subscribe (none, all, some)
	Resources []ResourceChoice
	Owner     bool // "all" means all the resources they own
}

// TemplateRow is a mail template with its state in each language.
type TemplateRow struct {
	Name  string
	Label string
	Langs []TemplateLang
}

// TemplateLang is one language of a template.
type TemplateLang struct {
	Lang       string
	Label      string
	Overridden bool
	Href       string
}

// TemplateHref is the page that edits a template in a language.
func TemplateHref(name, lang string) string {
	return SettingsHref + "/templates/" + url.PathEscape(name) + "/" + url.PathEscape(lang)
}

// TemplateEdit edits one template in one language.
type TemplateEdit struct {
	Name       string
	Label      string
	Lang       string
	LangLabel  string
	Overridden bool // an override is stored
	Form       Form // subject, body: as stored, or the built-in text
	Fields     []string
	Funcs      []string
	Preview    *TemplatePreview
	Test       TestSend
}

// Href is the template's page (and where its save form posts).
func (p TemplateEdit) Href() string { return TemplateHref(p.Name, p.Lang) }

// TemplatePreview is a template rendered with example data.
type TemplatePreview struct {
	Subject string
	Body    string
}

// LanguageLabelIn names a language code of the templates in the language
// of ctx.
func LanguageLabelIn(ctx context.Context, code string) string {
	switch code {
	case "en":
		return i18n.T(ctx, "console.settings.lang_en")
	case "de":
		return i18n.T(ctx, "console.settings.lang_de")
	case "nl":
		return i18n.T(ctx, "console.settings.lang_nl")
	}
	return code
}

// templateLabels are the catalog ids of the mail templates' names.
var templateLabels = map[string]string{
	"code":              "console.settings.tpl_code",
	"test":              "console.settings.tpl_test",
	"email_changed":     "console.settings.tpl_email_changed",
	"password_changed":  "console.settings.tpl_password_changed",
	"token_registered":  "console.settings.tpl_token_registered",
	"token_removed":     "console.settings.tpl_token_removed",
	"new_environment":   "console.settings.tpl_new_environment",
	"issue_created":     "console.settings.tpl_issue_created",
	"issue_outcome":     "console.settings.tpl_issue_outcome",
	"issue_filed":       "console.settings.tpl_issue_filed",
	"phone_changed":     "console.settings.tpl_phone_changed",
	"enrolment_created": "console.settings.tpl_enrolment_created",
	"enrolment_outcome": "console.settings.tpl_enrolment_outcome",
}

// TemplateLabelIn names a mail template for people, in the language of ctx.
func TemplateLabelIn(ctx context.Context, name string) string {
	if id, ok := templateLabels[name]; ok {
		return i18n.T(ctx, id)
	}
	return name
}
