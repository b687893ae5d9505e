package portal_test

import (
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
)

// The advice on a refused password fits it (issue 15): Summer2024! is a
// common word and a year, not a keyboard pattern; the advice is in the
// page's language.
func TestPasswordAdviceFits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	p := b.Post(f.accountPath("change-password"), apptest.Form("password", f.password, "new_password", "Summer2024!"))
	wantFieldError(t, p, "new_password", "This password is too easy to guess. This is similar to a commonly used password. Add another word or two.")
	wantFieldError(t, p, "new_password", "Avoid recent years.")
	if e := p.Text("#new_password-error"); strings.Contains(e, "keyboard") || strings.Contains(e, "{{") {
		t.Fatalf("advice %q", e)
	}
	p = b.Post(f.accountPath("change-password"), apptest.Form("password", f.password, "new_password", "qwertyuiop"))
	wantFieldError(t, p, "new_password", "Straight rows of keys are easy to guess.")

	b.Post(f.path("/language"), apptest.Form("lang", "de", "return_to", f.path("/home")))
	p = b.Post(f.accountPath("change-password"), apptest.Form("password", f.password, "new_password", "Summer2024!"))
	wantFieldError(t, p, "new_password", "Dies ähnelt einem häufig verwendeten Passwort.")
	wantFieldError(t, p, "new_password", "Vermeiden Sie Jahreszahlen der letzten Jahre.")
}
