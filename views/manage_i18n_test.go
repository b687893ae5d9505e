package views_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// mainIn renders c in lang and returns the text of its <main>.
func mainIn(t *testing.T, lang string, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(i18n.WithLang(context.Background(), lang), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(doc.Find("main").Text()), " ")
}

// TestManagePagesTranslated: the console's settings, portal settings,
// resources, tokens (list, import, Check OTP), RADIUS and directories pages
// speak German and Dutch, and none of their English sentences is left.
func TestManagePagesTranslated(t *testing.T) {
	chrome := views.AdminChrome{Login: "root", Role: workflow.RoleSuperadmin}
	form := views.Form{Values: map[string]string{"remember_device_days": "30", "pin_length": "6", "max_tokens_per_user": "2", "radius_first_factor": "password"}}
	portal := views.ResourcePortal{ResourceID: 7, Exists: true, Alias: "vpn", Enabled: true, CanEdit: true, Form: form,
		Actions:    []views.PortalActionRow{{ID: "register-token", On: true}, {ID: "set-pin"}},
		TokenTypes: []views.PortalChoice{{Value: "totp", On: true}, {Value: "sms"}}}
	readOnly := portal
	readOnly.CanEdit = false
	tokens := []views.TokenRow{{Serial: "HW-1", Type: "hotp", Enabled: true, LastUsed: "never"}}
	check := views.TokenDetail{TokenRow: views.TokenRow{Serial: "HW-1", Type: "hotp", PIN: true}, PINPosition: "after",
		Check: &views.CheckView{Outcome: "wrong code"}, Can: views.TokenPerms{Operate: true, Manage: true}}
	sync := &views.DirectorySync{At: "now", Problems: []string{"p1"}, More: 2}
	pages := []struct {
		name    string
		page    templ.Component
		english []string
		want    map[string]string
	}{
		{"settings", views.SettingsPage(chrome, views.SettingsOverview{Capture: true,
			Recipients: []views.RecipientRow{{Login: "ann", Receives: views.ReceivesAll}},
			Templates:  []views.TemplateRow{{Name: "code", Label: "x", Langs: []views.TemplateLang{{Lang: "de"}}}},
			Mail:       views.MailSettings{Test: views.TestSend{Action: "/x"}}}),
			[]string{"Development mode", "Save mail settings", "Who is mailed when", "Subjects and bodies", "Send a test mail", "All resources"},
			map[string]string{"de": "E-Mail-Einstellungen speichern", "nl": "E-mailinstellingen opslaan"}},
		{"template", views.TemplatePage(chrome, views.TemplateEdit{Name: "code", Lang: "de", Label: "Einmalcode",
			Preview: &views.TemplatePreview{Subject: "S"}, Test: views.TestSend{Action: "/x"}}),
			[]string{"The texts are Go templates", "Preview with example data", "Sends the saved version"},
			map[string]string{"de": "Vorschau mit Beispieldaten", "nl": "Voorbeeld met voorbeeldgegevens"}},
		{"recipient", views.RecipientPage(chrome, views.RecipientEdit{ID: 2, Login: "ann"}),
			[]string{"when a user files a restore-access request", "Only for the resources ticked below", "There are no resources"},
			map[string]string{"de": "Antrag auf Wiederherstellung", "nl": "herstelverzoek"}},
		{"resources", views.ResourcesPage(chrome, views.ResourceList{CanEdit: true,
			Rows: []views.ResourceRow{{ID: 1, Name: "VPN", Alias: "vpn"}}}),
			[]string{"Resources, ordered by name", "New resource", "Create resource", "Beginning of the name"},
			map[string]string{"de": "Ressource anlegen", "nl": "Resource aanmaken"}},
		{"portal settings", views.ResourcePage(chrome, views.ResourceDetail{ID: 7, Name: "VPN", Tab: "selfservice", Portal: portal, ShowRadius: true}),
			[]string{"Token types users may register", "Trusted networks", "Ask for the OTP only outside", "Save settings", "Move down", "Password and OTP"},
			map[string]string{"de": "Vertrauenswürdige Netze", "nl": "Vertrouwde netwerken"}},
		{"portal summary", views.ResourcePage(chrome, views.ResourceDetail{ID: 7, Name: "VPN", Tab: "selfservice", Portal: readOnly}),
			[]string{"Actions, in the order users see them", "Only a superadmin", "30 days", "6 digits"},
			map[string]string{"de": "30 Tage", "nl": "30 dagen"}},
		{"portal enable", views.ResourcePage(chrome, views.ResourceDetail{ID: 7, Name: "VPN", Tab: "selfservice", Portal: views.ResourcePortal{ResourceID: 7, CanEdit: true}}),
			[]string{"A self-service portal lets", "Enable the self-service portal"},
			map[string]string{"de": "Self-Service-Portal aktivieren", "nl": "Selfserviceportaal inschakelen"}},
		{"resource users", views.ResourcePage(chrome, views.ResourceDetail{ID: 7, Name: "VPN", Tab: "users", CanEdit: true}),
			[]string{"Assigned users", "No user is assigned", "Assign a user by login"},
			map[string]string{"de": "Zugeordnete Benutzer", "nl": "Toegewezen gebruikers"}},
		{"RADIUS", views.ResourcePage(chrome, views.ResourceDetail{ID: 7, Name: "VPN", Tab: "radius", ShowRadius: true,
			Radius: views.ResourceRadius{ResourceID: 7, FirstFactor: "otp", Clients: []views.RadiusClientRow{{ID: 1, Name: "gw", Address: "192.0.2.1"}}}}),
			[]string{"ask tokenportal over RADIUS", "Add a RADIUS client", "Shared secret", "OTP only", "These are the defaults"},
			map[string]string{"de": "RADIUS-Client hinzufügen", "nl": "RADIUS-client toevoegen"}},
		{"tokens and import", views.TokensPage(chrome, views.TokenList{CanImport: true, Rows: tokens}),
			[]string{"Import tokens", "Upload a PSKC file", "refused as a whole", "Pre-shared key", "Tokens, ordered by serial", "Only tokens with a user"},
			map[string]string{"de": "Tokens importieren", "nl": "Tokens importeren"}},
		{"token and Check OTP", views.TokenPage(chrome, check),
			[]string{"Checks a code as a sign-in would", "Not valid", "Reset failcount", "Where the token is", "Set, after the code"},
			map[string]string{"de": "OTP prüfen", "nl": "OTP controleren"}},
		{"directories", views.DirectoriesPage(chrome, []views.DirectoryRow{{ID: 1, Name: "Corp", Users: 3, LastSync: sync, Unencrypted: true}}),
			[]string{"are read from it", "Test connection", "Sync now", "passwords travel unencrypted", "problems", "more."},
			map[string]string{"de": "Verbindung testen", "nl": "Verbinding testen"}},
		{"directory form", views.DirectoryFormPage(chrome, views.DirectoryEdit{Groups: 1}),
			[]string{"New directory", "Bind password", "Login attribute", "Nested groups", "Add directory"},
			map[string]string{"de": "Verschachtelte Gruppen", "nl": "Geneste groepen"}},
		{"dev mail", views.DevMail([]notify.Sent{{Channel: "email", To: "a@example.com", At: time.Now()}}),
			[]string{"Captured mail and SMS", "In dev mode nothing is sent"},
			map[string]string{"de": "Abgefangene Mails und SMS", "nl": "Onderschepte mail en sms"}},
	}
	for _, p := range pages {
		en := mainIn(t, "en", p.page)
		for _, s := range p.english {
			if !strings.Contains(en, s) {
				t.Errorf("%s in English lacks %q: %s", p.name, s, en)
			}
		}
		for lang, want := range p.want {
			text := mainIn(t, lang, p.page)
			if !strings.Contains(text, want) {
				t.Errorf("%s in %s lacks %q: %s", p.name, lang, want, text)
			}
			for _, s := range p.english {
				if strings.Contains(text, s) {
					t.Errorf("%s in %s still says %q", p.name, lang, s)
				}
			}
		}
	}
}
