package workflow

import (
	"strings"
	"testing"
)

func TestNormalizePhoneIn(t *testing.T) {
	tests := []struct {
		in, country, want string
		ok                bool
	}{
		{"06 12345678", "NL", "+31612345678", true},
		{"06-1234 5678", "NL", "+31612345678", true},
		{"020 123 4567", "NL", "+31201234567", true},
		{"0151 23456789", "DE", "+4915123456789", true},
		{"(030) 1234567", "DE", "+49301234567", true},
		{"+49 151 23456789", "NL", "+4915123456789", true}, // international: any country
		{"0031 6 12345678", "DE", "+31612345678", true},
		{"", "NL", "", true},
		{"06 1234567", "NL", "", false}, // a digit short
		{"0151 2345", "DE", "", false},
		{"06 12345678", "", "", false}, // no country: international only
		{"+31 6 12345678", "", "+31612345678", true},
		{"06 1234567a", "NL", "", false},
		{"tel:0612345678", "NL", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizePhoneIn(tt.in, tt.country)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("NormalizePhoneIn(%q, %q) = %q, %v; want %q, %v", tt.in, tt.country, got, ok, tt.want, tt.ok)
		}
	}
	if !ValidCountry("") || !ValidCountry("NL") || ValidCountry("XX") || ValidCountry("nl") || ValidCountry("NLD") {
		t.Error("ValidCountry")
	}
	if m := PhoneInvalid("NL"); m.ID != "phone.invalid_example" || m.Args[1] != "06 12345678" || m.Args[3] != "+31 6 12345678" {
		t.Errorf("PhoneInvalid(NL) = %+v", m)
	}
}

func FuzzNormalizePhoneIn(f *testing.F) {
	for _, s := range []string{"06 12345678", "0151 23456789", "+31 6 1234-5678", "00", "0", "(0)6 1234 5678", "٠٦١٢٣٤٥٦٧٨", "06 12345678 ext. 5"} {
		f.Add(s, "NL")
		f.Add(s, "DE")
	}
	f.Fuzz(func(t *testing.T, s, country string) {
		if !ValidCountry(country) {
			return
		}
		out, ok := NormalizePhoneIn(s, country)
		if !ok || out == "" {
			if ok && strings.TrimSpace(s) != "" {
				t.Fatalf("%q accepted as no phone number", s)
			}
			return
		}
		// What is accepted is E.164, the database's CHECK, and stays itself.
		if !phonePattern.MatchString(out) {
			t.Fatalf("%q (%s) normalised to %q, which is not E.164", s, country, out)
		}
		if o2, ok2 := NormalizePhoneIn(out, country); !ok2 || o2 != out {
			t.Fatalf("%q normalised to %q, which normalises to %q, %v", s, out, o2, ok2)
		}
	})
}
