package notify

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// fieldsOf lists the data fields a text uses ({{.login}}, {{with .resource}}).
func fieldsOf(s string) []string {
	var out []string
	for _, action := range regexp.MustCompile(`\{\{.*?\}\}`).FindAllString(s, -1) {
		for _, m := range regexp.MustCompile(`\.([a-z_]+)`).FindAllStringSubmatch(action, -1) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCatalogComplete: every template is in every language, with the same
// fields in its subject, body and SMS text as the English one and a short SMS
// form exactly when English has one; every language has the same words.
func TestCatalogComplete(t *testing.T) {
	t.Parallel()
	names := Templates()
	if len(names) == 0 {
		t.Fatal("no templates")
	}
	for _, name := range names {
		en := catalog[name][Languages[0]]
		for _, l := range Languages {
			tx, ok := catalog[name][l]
			if !ok {
				t.Errorf("%s: no %s text", name, l)
				continue
			}
			for _, part := range []struct{ name, en, l string }{
				{"subject", en.Subject, tx.Subject}, {"body", en.Body, tx.Body}, {"sms", en.SMS, tx.SMS},
			} {
				if want, got := fieldsOf(part.en), fieldsOf(part.l); !slices.Equal(want, got) {
					t.Errorf("%s %s %s uses %v, English %v", name, l, part.name, got, want)
				}
			}
			if (tx.SMS == "") != (en.SMS == "") {
				t.Errorf("%s %s: a short SMS form in one language but not the other", name, l)
			}
			if !strings.HasSuffix(tx.Body, "\n\n-- \n"+words[l]["footer"]+"\n") {
				t.Errorf("%s %s: the body does not end with the footer", name, l)
			}
		}
	}
	keys := slices.Sorted(maps.Keys(words[Languages[0]]))
	for _, l := range Languages[1:] {
		if got := slices.Sorted(maps.Keys(words[l])); !slices.Equal(got, keys) {
			t.Errorf("words of %s are %v, English %v", l, got, keys)
		}
	}
	for _, p := range []string{PurposeSignIn, PurposeConfirmToken, PurposeConfirmEmail, PurposeRestoreAccess} {
		if words[Languages[0]]["purpose."+p] == "" {
			t.Errorf("no words for purpose %s", p)
		}
	}
	for _, l := range []string{LostToken, LostPassword, LostEmail} {
		if words[Languages[0]]["lost."+l] == "" {
			t.Errorf("no words for lost %s", l)
		}
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	words := &fstest.MapFile{Data: []byte("# a comment\nfooter = Automatic.\n\npurpose.sign-in = to sign in\n")}
	files := func(code string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, l := range Languages {
			fsys["catalog/"+l+"/words.txt"] = words
			fsys["catalog/"+l+"/code.txt"] = &fstest.MapFile{Data: []byte(code)}
		}
		return fsys
	}
	cat, ws, err := loadCatalog(files("Subject: Your code\r\nSMS:  Code {{.code}} \n\nHello,\n\n{{.code}}\n\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := text{Subject: "Your code", SMS: "Code {{.code}}", Body: "Hello,\n\n{{.code}}\n\n-- \nAutomatic.\n"}
	if got := cat["code"]["de"]; got != want || ws["nl"]["purpose.sign-in"] != "to sign in" {
		t.Fatalf("read %+v, words %v", got, ws["nl"])
	}
	for name, raw := range map[string]string{
		"no blank line":  "Subject: Your code\nHello",
		"no subject":     "SMS: x\n\nHello",
		"unknown header": "Subject: x\nFrom: y\n\nHello",
		"two subjects":   "Subject: x\nSubject: y\n\nHello",
		"empty body":     "Subject: x\n\n\n",
	} {
		if _, _, err := loadCatalog(files(raw)); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	fsys := files("Subject: x\n\nHello")
	fsys["catalog/fr/code.txt"] = &fstest.MapFile{Data: []byte("Subject: x\n\nBonjour")}
	if _, _, err := loadCatalog(fsys); err == nil || !strings.Contains(err.Error(), "Languages") {
		t.Errorf("a language not in Languages: %v", err)
	}
	fsys = files("Subject: x\n\nHello")
	fsys["catalog/en/words.txt"] = &fstest.MapFile{Data: []byte("purpose.sign-in = to sign in\n")}
	if _, _, err := loadCatalog(fsys); err == nil {
		t.Error("words without a footer read without error")
	}
}
