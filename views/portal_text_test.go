package views

import (
	"bytes"
	"context"
	"testing"

	"tokenportal/views/i18n"
)

// emph puts the value in <strong> inside the translated sentence, wherever
// the language puts it, and escapes both.
func TestEmph(t *testing.T) {
	for _, tc := range []struct {
		lang, value, want string
	}{
		{"en", "jane", "Signing in as <strong>jane</strong>."},
		{"de", "jane", "Anmeldung als <strong>jane</strong>."},
		{"en", `<script>"&`, "Signing in as <strong>&lt;script&gt;&#34;&amp;</strong>."},
	} {
		var b bytes.Buffer
		if err := emph("portal.login.signing_in_as", "Login", tc.value).Render(i18n.WithLang(context.Background(), tc.lang), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.lang, tc.value, b.String(), tc.want)
		}
	}
	var b bytes.Buffer
	_ = emph("portal.email_code.sent_to", "To", "j***@example.com").Render(i18n.WithLang(context.Background(), "nl"), &b)
	if want := "We hebben een code van 6 cijfers gestuurd naar <strong>j***@example.com</strong>. Hij is 10 minuten geldig."; b.String() != want {
		t.Errorf("nl: %q", b.String())
	}
}
