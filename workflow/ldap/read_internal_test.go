package ldap

import "testing"

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		attr      string
		low, high int
		ranged    bool
	}{
		{"member", "member", 0, 0, false},
		{"member;range=0-1499", "member", 0, 1499, true},
		{"member;range=1500-2999", "member", 1500, 2999, true},
		{"member;range=3000-*", "member", 3000, -1, true},
		{"Member;Range=0-*", "Member", 0, -1, true},
		{"member;binary;range=0-9", "member;binary", 0, 9, true},
		{"member;range=5-1", "member;range=5-1", 0, 0, false},
		{"member;range=x-1", "member;range=x-1", 0, 0, false},
		{"member;range=10", "member;range=10", 0, 0, false},
		{"member;ranged=0-1", "member;ranged=0-1", 0, 0, false},
	}
	for _, tt := range tests {
		attr, low, high, ranged := parseRange(tt.name)
		if attr != tt.attr || low != tt.low || high != tt.high || ranged != tt.ranged {
			t.Errorf("parseRange(%q) = %q, %d, %d, %v; want %q, %d, %d, %v",
				tt.name, attr, low, high, ranged, tt.attr, tt.low, tt.high, tt.ranged)
		}
	}
}

func TestDNKey(t *testing.T) {
	t.Parallel()
	want, _ := dnKey("uid=user00001,ou=people,dc=example,dc=org")
	for _, dn := range []string{
		"UID=User00001,OU=People,DC=Example,DC=Org",
		"uid=user00001, ou=people, dc=example, dc=org",
		" uid = user00001 ,ou=people,dc=example,dc=org",
	} {
		if got, ok := dnKey(dn); !ok || got != want {
			t.Errorf("dnKey(%q) = %q, %v; want %q", dn, got, ok, want)
		}
	}
	if other, _ := dnKey("uid=user00002,ou=people,dc=example,dc=org"); other == want {
		t.Error("two DNs, one key")
	}
	for _, bad := range []string{"", "not a dn"} {
		if _, ok := dnKey(bad); ok {
			t.Errorf("dnKey(%q) ok", bad)
		}
	}
}

func TestEscapeBytes(t *testing.T) {
	t.Parallel()
	if got := escapeBytes([]byte{0x00, 0x2a, 0x28, 0xff}); got != `\00\2a\28\ff` {
		t.Errorf("escapeBytes = %s", got)
	}
}

func TestUniqueMemberSuffix(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"uid=a,dc=example,dc=org#'0101'B": "uid=a,dc=example,dc=org",
		"uid=a,dc=example,dc=org#''B":     "uid=a,dc=example,dc=org",
		"uid=a\\#'1'B,dc=example,dc=org":  "uid=a\\#'1'B,dc=example,dc=org",
		"uid=a,dc=example,dc=org":         "uid=a,dc=example,dc=org",
	} {
		if got := uidSuffix.ReplaceAllString(in, ""); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
