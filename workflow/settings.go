package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The messaging settings of the Settings page (SPEC §7, §9): the mail server
// and sender, the SMS gateway and overrides of the mail templates. They live
// in the settings table and take precedence over SMTP_URL, MAIL_FROM and
// SMS_GATEWAY_URL while set; notify reads them (MessagingSettings) before it
// sends, so a change applies to the next message on every instance.

// Setting keys.
const (
	SettingMail = "mail"
	SettingSMS  = "sms"
	// settingTemplate + name + "." + lang holds one template override; one
	// key each, so two admins editing different templates never overwrite
	// each other.
	settingTemplate = "template:"
)

// MaskedPassword replaces the password of a URL shown on a page; a form
// that sends it back unchanged keeps the stored password.
const MaskedPassword = "xxxxx"

// Limits of the settings inputs.
const (
	maxSettingURL   = 2000
	maxMailFrom     = 320
	maxTemplateHead = 500
	maxTemplateBody = 20000
)

// MessagingSettings are the stored messaging settings. An empty field keeps
// the configured value (the environment's).
type MessagingSettings struct {
	// SMTPURL replaces SMTP_URL; its password is in clear here and sealed in
	// the database.
	SMTPURL  string
	MailFrom string
	// SMSGatewayURL replaces SMS_GATEWAY_URL (its password, if any, is
	// sealed like the SMTP one).
	SMSGatewayURL string
	// Templates replace built-in subjects and bodies; an empty part keeps
	// the built-in one.
	Templates map[TemplateID]TemplateText
}

// TemplateID names a mail template in a language.
type TemplateID struct {
	Name string // notify.Templates()
	Lang string // notify.Languages
}

func (id TemplateID) key() string { return settingTemplate + id.Name + "." + id.Lang }

// TemplateText is a subject and body in text/template syntax.
type TemplateText struct {
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
}

// storedURL is a URL as stored: without its password, which is sealed.
type storedURL struct {
	URL    string `json:"url,omitempty"`
	Sealed []byte `json:"sealed_password,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
}

type storedMail struct {
	SMTP     storedURL `json:"smtp"`
	MailFrom string    `json:"mail_from,omitempty"`
}

type storedSMS struct {
	Gateway storedURL `json:"gateway"`
}

// MessagingSettings reads the stored messaging settings. A stored password
// that does not decrypt (SECRET_KEY lost) is an error wrapping ErrUnseal;
// the settings are then returned all the same, that URL without its
// password, so the settings page can show them and offer to replace them.
func (s *Service) MessagingSettings(ctx context.Context) (MessagingSettings, error) {
	var out MessagingSettings
	var mail storedMail
	if _, err := s.Store.GetSetting(ctx, SettingMail, &mail); err != nil {
		return out, fmt.Errorf("read setting %s: %w", SettingMail, err)
	}
	var unsealErr, err error
	if out.SMTPURL, err = s.openURL(SettingMail, mail.SMTP); err != nil {
		out.SMTPURL, unsealErr = mail.SMTP.URL, err
	}
	out.MailFrom = mail.MailFrom
	var sms storedSMS
	if _, err := s.Store.GetSetting(ctx, SettingSMS, &sms); err != nil {
		return out, fmt.Errorf("read setting %s: %w", SettingSMS, err)
	}
	if out.SMSGatewayURL, err = s.openURL(SettingSMS, sms.Gateway); err != nil {
		out.SMSGatewayURL, unsealErr = sms.Gateway.URL, err
	}
	raw, err := s.Store.SettingsWithPrefix(ctx, settingTemplate)
	if err != nil {
		return out, fmt.Errorf("read the template overrides: %w", err)
	}
	for key, v := range raw {
		name, lang, ok := strings.Cut(strings.TrimPrefix(key, settingTemplate), ".")
		var t TemplateText
		if !ok || json.Unmarshal(v, &t) != nil {
			s.Log.WarnContext(ctx, "ignoring a malformed template override", "key", key)
			continue
		}
		if out.Templates == nil {
			out.Templates = map[TemplateID]TemplateText{}
		}
		out.Templates[TemplateID{Name: name, Lang: lang}] = t
	}
	return out, unsealErr
}

// SetMailSettings stores the mail server and sender; both empty removes the
// setting, so SMTP_URL and MAIL_FROM apply again. An SMTP URL whose password
// is MaskedPassword keeps the stored password, if the scheme, user and server
// are unchanged. The caller has checked the values (notify.CheckSMTPURL,
// notify.CheckMailFrom).
func (s *Service) SetMailSettings(ctx context.Context, smtpURL, mailFrom string, by Admin, m Meta) error {
	smtpURL, mailFrom = strings.TrimSpace(smtpURL), strings.TrimSpace(mailFrom)
	fields := map[string]Msg{}
	if len(smtpURL) > maxSettingURL {
		fields["smtp_url"] = M("error.max_chars", "Count", maxSettingURL)
	}
	if len(mailFrom) > maxMailFrom {
		fields["mail_from"] = M("error.max_chars", "Count", maxMailFrom)
	}
	if len(fields) > 0 {
		return FieldsInvalid(fields)
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if smtpURL == "" && mailFrom == "" {
			return s.clearSetting(ctx, st, SettingMail, by, m)
		}
		var old storedMail
		if _, err := st.GetSetting(ctx, SettingMail, &old); err != nil {
			return err
		}
		oldURL := s.oldURL(ctx, SettingMail, old.SMTP)
		full, err := unmask(smtpURL, oldURL, "smtp_url")
		if err != nil {
			return err
		}
		sealed, err := s.sealURL(SettingMail, full)
		if err != nil {
			return err
		}
		changed := []string{}
		if full != oldURL {
			changed = append(changed, "smtp_url")
		}
		if mailFrom != old.MailFrom {
			changed = append(changed, "mail_from")
		}
		return s.putSetting(ctx, st, SettingMail, storedMail{SMTP: sealed, MailFrom: mailFrom}, changed, by, m)
	})
}

// SetSMSSettings stores the SMS gateway URL; empty removes the setting. A
// password shown masked is kept like SetMailSettings does. The caller has
// checked the URL (notify.CheckSMSGatewayURL).
func (s *Service) SetSMSSettings(ctx context.Context, gatewayURL string, by Admin, m Meta) error {
	gatewayURL = strings.TrimSpace(gatewayURL)
	if len(gatewayURL) > maxSettingURL {
		return FieldsInvalid(map[string]Msg{"sms_gateway_url": M("error.max_chars", "Count", maxSettingURL)})
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if gatewayURL == "" {
			return s.clearSetting(ctx, st, SettingSMS, by, m)
		}
		var old storedSMS
		if _, err := st.GetSetting(ctx, SettingSMS, &old); err != nil {
			return err
		}
		oldURL := s.oldURL(ctx, SettingSMS, old.Gateway)
		full, err := unmask(gatewayURL, oldURL, "sms_gateway_url")
		if err != nil {
			return err
		}
		sealed, err := s.sealURL(SettingSMS, full)
		if err != nil {
			return err
		}
		changed := []string{}
		if full != oldURL {
			changed = append(changed, "sms_gateway_url")
		}
		return s.putSetting(ctx, st, SettingSMS, storedSMS{Gateway: sealed}, changed, by, m)
	})
}

var (
	templateNamePattern = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
	templateLangPattern = regexp.MustCompile(`^[a-z]{2}$`)
)

// SetTemplateOverride stores the subject and body that replace a built-in
// template; both empty removes the override (back to the built-in text).
// The caller has checked that the template exists and that the texts parse
// (notify.CheckTemplate).
func (s *Service) SetTemplateOverride(ctx context.Context, id TemplateID, t TemplateText, by Admin, m Meta) error {
	if !templateNamePattern.MatchString(id.Name) || !templateLangPattern.MatchString(id.Lang) {
		return Fail(CodeNotFound, M("settings.no_template"))
	}
	t.Subject = strings.TrimSpace(t.Subject)
	t.Body = strings.TrimSpace(strings.ReplaceAll(t.Body, "\r\n", "\n"))
	fields := map[string]Msg{}
	if len(t.Subject) > maxTemplateHead {
		fields["subject"] = M("error.max_chars", "Count", maxTemplateHead)
	}
	if len(t.Body) > maxTemplateBody {
		fields["body"] = M("error.max_chars", "Count", maxTemplateBody)
	}
	if len(fields) > 0 {
		return FieldsInvalid(fields)
	}
	return s.Store.Tx(ctx, func(st Store) error {
		if t == (TemplateText{}) {
			return s.clearSetting(ctx, st, id.key(), by, m)
		}
		changed := []string{}
		if t.Subject != "" {
			changed = append(changed, "subject")
		}
		if t.Body != "" {
			changed = append(changed, "body")
		}
		return s.putSetting(ctx, st, id.key(), t, changed, by, m)
	})
}

// RecordTestMessage writes the activity of a test message sent from the
// settings page.
func (s *Service) RecordTestMessage(ctx context.Context, template, lang, to string, sent bool, by Admin, m Meta) {
	s.record(ctx, Activity{Actor: by.Actor(), Event: EventTestMessageSent, IP: m.IP, UserAgent: m.UserAgent,
		Details: map[string]any{"template": template, "lang": lang, "to": to, "sent": sent}})
}

// SetAdminIssueSubscription is SetIssueSubscription done by a superadmin for
// another admin from the settings page; the activity names both.
func (s *Service) SetAdminIssueSubscription(ctx context.Context, target Admin, email string, all bool, resources []int64, by Admin, m Meta) error {
	return s.setIssueSubscription(ctx, target, email, all, resources, by.Actor(), m)
}

func (s *Service) putSetting(ctx context.Context, st Store, key string, v any, changed []string, by Admin, m Meta) error {
	if err := st.PutSetting(ctx, key, v, &by.ID); err != nil {
		return err
	}
	return st.AddActivity(ctx, s.stamp(Activity{Actor: by.Actor(), Event: EventSettingsChanged, IP: m.IP, UserAgent: m.UserAgent,
		Details: map[string]any{"key": key, "action": "set", "fields": changed}}))
}

// clearSetting removes a setting; removing one that is not there changes
// nothing and records nothing.
func (s *Service) clearSetting(ctx context.Context, st Store, key string, by Admin, m Meta) error {
	gone, err := st.DeleteSetting(ctx, key)
	if err != nil || !gone {
		return err
	}
	return st.AddActivity(ctx, s.stamp(Activity{Actor: by.Actor(), Event: EventSettingsChanged, IP: m.IP, UserAgent: m.UserAgent,
		Details: map[string]any{"key": key, "action": "cleared"}}))
}

// sealURL splits the password off raw and seals it, bound to the setting.
func (s *Service) sealURL(key, raw string) (storedURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return storedURL{}, FieldsInvalid(map[string]Msg{urlField(key): M("settings.url_invalid")})
	}
	pass, ok := "", false
	if u.User != nil {
		pass, ok = u.User.Password()
	}
	if !ok {
		return storedURL{URL: raw}, nil
	}
	u.User = url.User(u.User.Username())
	sealed, keyID, err := s.Sealer.Seal([]byte(pass), "setting:"+key)
	if err != nil {
		return storedURL{}, err
	}
	return storedURL{URL: u.String(), Sealed: sealed, KeyID: keyID}, nil
}

// oldURL is the stored URL a new one replaces; one whose password no longer
// decrypts counts as none (a masked password then has to be typed again).
func (s *Service) oldURL(ctx context.Context, key string, st storedURL) string {
	u, err := s.openURL(key, st)
	if err != nil {
		s.Log.WarnContext(ctx, "the stored password of a setting does not decrypt; it is replaced", "key", key, "err", err)
		return ""
	}
	return u
}

// openURL puts the sealed password back into a stored URL.
func (s *Service) openURL(key string, st storedURL) (string, error) {
	if st.URL == "" || st.Sealed == nil {
		return st.URL, nil
	}
	pass, err := s.Sealer.Open(st.Sealed, st.KeyID, "setting:"+key)
	if err != nil {
		return "", fmt.Errorf("open the password of setting %s: %w", key, err)
	}
	u, err := url.Parse(st.URL)
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	user := ""
	if u.User != nil {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, string(pass))
	return u.String(), nil
}

func urlField(key string) string {
	if key == SettingSMS {
		return "sms_gateway_url"
	}
	return "smtp_url"
}

// unmask replaces a MaskedPassword in raw with the password of old, when
// both name the same scheme, user and server: a form shows the stored URL
// masked, and sending it back unchanged must not replace the password with
// the mask. Anyone who changes the server has to type the password again,
// so the console never sends a stored password somewhere new.
func unmask(raw, old, field string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw, nil
	}
	if pass, ok := u.User.Password(); !ok || pass != MaskedPassword {
		return raw, nil
	}
	o, err := url.Parse(old)
	if err == nil && o.User != nil {
		if oldPass, ok := o.User.Password(); ok && strings.EqualFold(o.Scheme, u.Scheme) &&
			o.User.Username() == u.User.Username() && strings.EqualFold(o.Host, u.Host) {
			u.User = url.UserPassword(u.User.Username(), oldPass)
			return u.String(), nil
		}
	}
	return "", FieldsInvalid(map[string]Msg{field: M("settings.password_retype")})
}

// RedactURL shows a URL with its password masked (MaskedPassword); one that
// cannot be parsed is not shown at all, since it might hold a password.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), MaskedPassword)
		}
	}
	return u.String()
}

// IssueRecipient is an admin account with its subscription to new user
// issues, for the overview of the settings page.
type IssueRecipient struct {
	Admin     Admin
	All       bool    // every resource (an owner's: every resource they own)
	Resources []int64 // chosen resources when not All
}
