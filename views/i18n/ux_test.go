package i18n_test

import (
	"strings"
	"testing"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// The phone and password messages of issue 15 in each language.
func TestPhoneAndStrengthMessages(t *testing.T) {
	nl := workflow.PhoneInvalid("NL")
	if got := i18n.MsgIn("en", nl); got != "Enter a valid phone number, like 06 12345678 or +31 6 12345678." {
		t.Fatalf("en: %q", got)
	}
	if got := i18n.MsgIn("de", workflow.PhoneInvalid("DE")); got != "Geben Sie eine gültige Telefonnummer ein, etwa 01512 3456789 oder +49 1512 3456789." {
		t.Fatalf("de: %q", got)
	}
	if got := i18n.MsgIn("nl", nl); got != "Vul een geldig telefoonnummer in, bijvoorbeeld 06 12345678 of +31 6 12345678." {
		t.Fatalf("nl: %q", got)
	}
	if got := i18n.MsgIn("en", workflow.PhoneInvalid("")); !strings.Contains(got, "international format") {
		t.Fatalf("no country: %q", got)
	}
	p := workflow.CheckPassword("qwertyuiop", "jane", "")
	for lang, want := range map[string]string{"en": "Straight rows of keys", "de": "Gerade Tastenreihen", "nl": "Rechte rijen toetsen"} {
		if got := i18n.MsgIn(lang, p.Hints[0]); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q", lang, got)
		}
	}
}
