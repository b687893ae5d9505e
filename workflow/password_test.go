package workflow

import (
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	h := &Hasher{Cost: 4}
	current, _ := h.Hash("correct horse battery staple")
	tests := []struct {
		name, password, login, current string
		want                           string // the message id; "" means accepted
		hint                           string // part of one hint
	}{
		{"empty", "", "jane", "", "password.choose", ""},
		{"too short", "Xk9#mQ2", "jane", "", "password.min_length", ""},
		{"control character", "abc\tdefghijk", "jane", "", "password.printable", ""},
		{"too long", strings.Repeat("ab9Q", 19), "jane", "", "password.max_bytes", ""},
		{"the login", "Jane.Doe.1984", "jane.doe.1984", "", "password.is_login", ""},
		{"the current password", "correct horse battery staple", "jane", current, "password.same", ""},
		{"common password", "password123", "jane", "", "password.weak", "commonly used password"},
		{"keyboard walk", "zxcvbnm,./", "jane", "", "password.weak", "keyboard patterns"},
		{"repeated", "aaaaaaaaaaaa", "jane", "", "password.weak", "repeated"},
		{"name in it", "janedoe2024", "janedoe", "", "password.weak", ""},
		{"strong", "violet-tractor-sunbeam-42", "jane", current, "", ""},
		{"strong with accents", "café-über-Straße-nine", "jane", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := CheckPassword(tt.password, tt.login, tt.current)
			if tt.want == "" {
				if !p.OK() {
					t.Fatalf("refused: %s %v", p.Message, p.Hints)
				}
				return
			}
			if p.Message.ID != tt.want {
				t.Fatalf("message %s, want %s", p.Message, tt.want)
			}
			if tt.hint != "" && !strings.Contains(strings.Join(p.Hints, " "), tt.hint) {
				t.Fatalf("hints %q do not mention %q", p.Hints, tt.hint)
			}
		})
	}
}

func TestHasherCompare(t *testing.T) {
	h := &Hasher{Cost: 4}
	hash, err := h.Hash("s3cret-enough-pass")
	if err != nil {
		t.Fatal(err)
	}
	if !h.Compare(hash, "s3cret-enough-pass") {
		t.Error("right password refused")
	}
	if h.Compare(hash, "s3cret-enough-pasS") {
		t.Error("wrong password accepted")
	}
	if h.Compare("", "") || h.Compare("", "anything") {
		t.Error("an empty hash matched")
	}
}

func TestSealer(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, id, err := s.Seal([]byte("seed"), "token:A")
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := s.Open(sealed, id, "token:A"); err != nil || string(plain) != "seed" {
		t.Fatalf("open: %q %v", plain, err)
	}
	if _, err := s.Open(sealed, id, "token:B"); err == nil {
		t.Error("opened under another context")
	}
	tampered := append([]byte{}, sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := s.Open(tampered, id, "token:A"); err == nil {
		t.Error("opened a tampered value")
	}
	if _, err := s.Open(sealed, "kdeadbeef", "token:A"); err == nil {
		t.Error("opened with an unknown key id")
	}
	// Rotation: a new key still opens values sealed under the previous one.
	newKey := []byte("fedcba9876543210fedcba9876543210")
	rotated, err := NewSealer(newKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.KeyID() == id {
		t.Fatal("key ids of different keys are equal")
	}
	if plain, err := rotated.Open(sealed, id, "token:A"); err != nil || string(plain) != "seed" {
		t.Fatalf("rotated open: %q %v", plain, err)
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

func TestGeneratePasswordPassesPolicy(t *testing.T) {
	for range 20 {
		p := GeneratePassword()
		if c := CheckPassword(p, "admin", ""); !c.OK() {
			t.Fatalf("%s refused: %s", p, c.Message)
		}
	}
}
