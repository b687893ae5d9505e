package workflow

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers in a portal's national format (issue 15): a portal with a
// default country takes "06 12345678" as well as "+31 6 12345678"; every
// number is stored in E.164. Where there is no portal (the console, the API,
// a directory) numbers are international, as a user may belong to the
// portals of several countries.

// ValidCountry reports whether c is a country phonenumbers knows (ISO 3166
// alpha-2, upper case), or empty (none).
func ValidCountry(c string) bool {
	if c == "" {
		return true
	}
	return len(c) == 2 && phonenumbers.GetCountryCodeForRegion(c) != 0
}

// NormalizePhoneIn is NormalizePhone with a default country: a number that
// does not start with + (or 00) is read in country's national format and must
// be a valid number there. With no country it is NormalizePhone.
func NormalizePhoneIn(s, country string) (string, bool) {
	t := strings.TrimSpace(s)
	if country == "" || t == "" || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "00") {
		return NormalizePhone(s)
	}
	if strings.ContainsFunc(t, func(r rune) bool {
		return !(r >= '0' && r <= '9' || strings.ContainsRune(" -.()/", r))
	}) {
		return "", false
	}
	n, err := phonenumbers.Parse(t, country)
	if err != nil || !phonenumbers.IsValidNumberForRegion(n, country) {
		return "", false
	}
	e := phonenumbers.Format(n, phonenumbers.E164)
	return e, phonePattern.MatchString(e)
}

// PhoneInvalid is the field error for a number NormalizePhoneIn refused,
// with an example of country's national and international formats.
func PhoneInvalid(country string) Msg {
	if country == "" {
		return M("phone.invalid") // in international format
	}
	national, international := PhoneExample(country)
	return M("phone.invalid_example", "Example", national, "International", international)
}

// PhoneExample is a mobile number of country written the national and the
// international way, like "06 12345678" and "+31 6 12345678".
func PhoneExample(country string) (national, international string) {
	n := phonenumbers.GetExampleNumberForType(country, phonenumbers.MOBILE)
	if n == nil {
		return "", ""
	}
	return phonenumbers.Format(n, phonenumbers.NATIONAL), phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
