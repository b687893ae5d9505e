package ldap_test

import (
	"bytes"
	"testing"

	"tokenportal/workflow/ldap"
)

func TestGUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  []byte
		text string
	}{
		// The layout of a Windows GUID: Data1-3 little-endian.
		{[]byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff},
			"00112233-4455-6677-8899-aabbccddeeff"},
		// .NET's Guid.ToByteArray example.
		{[]byte{0xc9, 0x8b, 0x91, 0x35, 0x6d, 0x19, 0xea, 0x40, 0x97, 0x79, 0x88, 0x9d, 0x79, 0xb7, 0x53, 0xf0},
			"35918bc9-196d-40ea-9779-889d79b753f0"},
		{make([]byte, 16), "00000000-0000-0000-0000-000000000000"},
	}
	for _, tt := range tests {
		got, err := ldap.GUIDString(tt.raw)
		if err != nil || got != tt.text {
			t.Errorf("GUIDString(%x) = %q, %v; want %q", tt.raw, got, err, tt.text)
		}
		raw, err := ldap.GUIDBytes(tt.text)
		if err != nil || !bytes.Equal(raw, tt.raw) {
			t.Errorf("GUIDBytes(%q) = %x, %v; want %x", tt.text, raw, err, tt.raw)
		}
	}
	if raw, err := ldap.GUIDBytes("{35918BC9-196D-40EA-9779-889D79B753F0}"); err != nil || !bytes.Equal(raw, tests[1].raw) {
		t.Errorf("GUIDBytes with braces and upper case: %x, %v", raw, err)
	}
	for _, bad := range []string{"", "35918bc9196d40ea9779889d79b753f0", "35918bc9-196d-40ea-9779-889d79b753fg",
		"35918bc9-196d-40ea-9779-889d79b753f", "35918bc9-196d-40ea-9779_889d79b753f0"} {
		if _, err := ldap.GUIDBytes(bad); err == nil {
			t.Errorf("GUIDBytes(%q) succeeded", bad)
		}
	}
	for _, n := range []int{0, 15, 17} {
		if _, err := ldap.GUIDString(make([]byte, n)); err == nil {
			t.Errorf("GUIDString of %d bytes succeeded", n)
		}
	}
}
