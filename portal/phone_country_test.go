package portal_test

import (
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// A portal with a default country takes its national format and stores
// E.164; a number not valid there gets an example of that country.
func TestChangePhoneNationalFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(in *workflow.PortalInput) { in.DefaultCountry = "nl" })
	if f.portal.DefaultCountry != "NL" {
		t.Fatalf("default country %q", f.portal.DefaultCountry)
	}
	b := f.signIn(t, "")
	// The hint shows the country's own way first.
	if hint := b.Get(f.accountPath("change-phone")).Text("#phone-hint"); !strings.Contains(hint, "06 12345678") || !strings.Contains(hint, "+31 6 12345678") {
		t.Errorf("the phone hint of an NL portal: %q", hint)
	}
	wantDone(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "06 87654321")), "/home", "+31687654321")
	if got := f.reloadUser(t).Phone; got != "+31687654321" {
		t.Fatalf("phone %q", got)
	}
	// International numbers of any country still do.
	wantDone(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "+49 151 23456789")), "/home", "+4915123456789")
	wantFieldError(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "06 1234567")), "phone",
		"Enter a valid phone number, like 06 12345678 or +31 6 12345678.")
	b.Post(f.path("/language"), apptest.Form("lang", "nl", "return_to", f.path("/home")))
	wantFieldError(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "06 1234567")), "phone",
		"Vul een geldig telefoonnummer in, bijvoorbeeld 06 12345678 of +31 6 12345678.")

	de := newFixture(t, func(in *workflow.PortalInput) { in.DefaultCountry = "DE" })
	b = de.signIn(t, "")
	wantDone(t, b.Post(de.accountPath("change-phone"), apptest.Form("phone", "0151 23456789")), "/home", "+4915123456789")
	wantFieldError(t, b.Post(de.accountPath("change-phone"), apptest.Form("phone", "0151 2")), "phone", "like 01512 3456789 or +49 1512 3456789")
}

// Without a default country only the international format is taken, as
// before.
func TestChangePhoneNoCountry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	if hint := b.Get(f.accountPath("change-phone")).Text("#phone-hint"); !strings.Contains(hint, "nternational") {
		t.Errorf("the phone hint without a country: %q", hint)
	}
	wantFieldError(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "06 12345678")), "phone", "international format")
}
