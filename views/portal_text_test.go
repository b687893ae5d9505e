package views

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
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

// Every id given to emph is in the English catalog (the catalog test sees
// only calls named T, In and M).
func TestEmphIDsExist(t *testing.T) {
	cats, err := i18n.Entries()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.templ")
	call := regexp.MustCompile(`emph\("([^"]+)"`)
	n := 0
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := cats[i18n.Source][m[1]]; !ok {
				t.Errorf("%s: emph(%q): not in the English catalog", name, m[1])
			}
		}
	}
	if n == 0 {
		t.Fatal("no emph calls found")
	}
}

// The labels kept as ids in maps exist in every language.
func TestLabelIDsExist(t *testing.T) {
	for _, lang := range i18n.Langs {
		ctx := i18n.WithLang(context.Background(), lang)
		for _, id := range workflow.Actions {
			if l := ActionLabel(ctx, id); l == id || strings.HasPrefix(l, "portal.") {
				t.Errorf("%s: action %s has no label", lang, id)
			}
		}
		for _, typ := range workflow.TokenTypes {
			if l := TokenTypeLabel(ctx, typ); l == typ || strings.HasPrefix(l, "portal.") {
				t.Errorf("%s: token type %s has no label", lang, typ)
			}
		}
	}
	if got := ActionLabel(i18n.WithLang(context.Background(), "de"), "manage-environment"); got != "Geräte und Anmeldungen" {
		t.Errorf("de manage-environment: %q", got)
	}
}
