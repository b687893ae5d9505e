package otp

import (
	"strings"
	"testing"
	"time"
)

// RFC 4226 Appendix D: HOTP values of the ASCII secret "12345678901234567890".
func TestHOTPVectorsRFC4226(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, code := range want {
		if got := Code(secret, uint64(counter), Default); got != code {
			t.Errorf("counter %d: got %s, want %s", counter, got, code)
		}
	}
}

// RFC 6238 Appendix B: TOTP values, 8 digits, 30 s steps, for each hash.
func TestTOTPVectorsRFC6238(t *testing.T) {
	seeds := map[Algorithm][]byte{
		SHA1:   []byte("12345678901234567890"),
		SHA256: []byte("12345678901234567890123456789012"),
		SHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	vectors := []struct {
		unix int64
		want map[Algorithm]string
	}{
		{59, map[Algorithm]string{SHA1: "94287082", SHA256: "46119246", SHA512: "90693936"}},
		{1111111109, map[Algorithm]string{SHA1: "07081804", SHA256: "68084774", SHA512: "25091201"}},
		{1111111111, map[Algorithm]string{SHA1: "14050471", SHA256: "67062674", SHA512: "99943326"}},
		{1234567890, map[Algorithm]string{SHA1: "89005924", SHA256: "91819424", SHA512: "93441116"}},
		{2000000000, map[Algorithm]string{SHA1: "69279037", SHA256: "90698825", SHA512: "38618901"}},
		{20000000000, map[Algorithm]string{SHA1: "65353130", SHA256: "77737706", SHA512: "47863826"}},
	}
	for _, v := range vectors {
		for alg, want := range v.want {
			p := Params{Algorithm: alg, Digits: 8, Period: 30}
			if got := TOTPCode(seeds[alg], time.Unix(v.unix, 0), p); got != want {
				t.Errorf("%s at %d: got %s, want %s", alg, v.unix, got, want)
			}
		}
	}
}

func TestVerifyTOTPWindowAndReplay(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	step := Step(now, 30)
	tests := []struct {
		name     string
		at       int64 // step the code is from
		lastStep int64
		ok       bool
	}{
		{"current step", step, 0, true},
		{"one step behind", step - 1, 0, true},
		{"one step ahead", step + 1, 0, true},
		{"two steps behind", step - 2, 0, false},
		{"two steps ahead", step + 2, 0, false},
		{"current step already used", step, step, false},
		{"previous step after current was used", step - 1, step, false},
		{"next step after current was used", step + 1, step, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := Code(secret, uint64(tt.at), Default)
			got, ok := VerifyTOTP(secret, code, now, Default, 0, 1, tt.lastStep)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && got != tt.at {
				t.Fatalf("matched step %d, want %d", got, tt.at)
			}
		})
	}
}

func TestVerifyTOTPDrift(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1234567890, 0)
	step := Step(now, 30)
	code := Code(secret, uint64(step+40), Default) // a token running 20 minutes fast
	if _, ok := VerifyTOTP(secret, code, now, Default, 0, 1, -1); ok {
		t.Fatal("a code 40 steps ahead matched without drift")
	}
	if got, ok := VerifyTOTP(secret, code, now, Default, 40, 1, -1); !ok || got != step+40 {
		t.Fatalf("with drift 40: got %d %v", got, ok)
	}
}

func TestVerifyHOTPLookahead(t *testing.T) {
	secret := []byte("12345678901234567890")
	if c, ok := VerifyHOTP(secret, "520489", 0, 10, Default); !ok || c != 9 {
		t.Fatalf("counter 9 within lookahead: got %d %v", c, ok)
	}
	if _, ok := VerifyHOTP(secret, "755224", 1, 10, Default); ok {
		t.Fatal("counter 0 matched when the next expected counter is 1")
	}
	if _, ok := VerifyHOTP(secret, "520489", 0, 5, Default); ok {
		t.Fatal("counter 9 matched with a lookahead of 5")
	}
}

func TestWellFormed(t *testing.T) {
	for code, want := range map[string]bool{"123456": true, "12345": false, "1234567": false, "12345a": false, "": false, "１２３４５６": false} {
		if got := WellFormed(code, Default); got != want {
			t.Errorf("WellFormed(%q) = %v", code, got)
		}
	}
}

func TestURIAndQRCode(t *testing.T) {
	secret := []byte("12345678901234567890")
	uri := URI("totp", "Demo VPN", "jane.doe@example.com", secret, Default, 0)
	for _, part := range []string{"otpauth://totp/Demo%20VPN:jane.doe@example.com?", "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer=Demo%20VPN", "period=30", "digits=6", "algorithm=SHA1"} {
		if !strings.Contains(uri, part) {
			t.Errorf("URI %s lacks %s", uri, part)
		}
	}
	png, err := QRCodePNG(uri, 200)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatal("not a PNG")
	}
}

func TestParamsValidate(t *testing.T) {
	if err := (Params{Algorithm: "MD5", Digits: 6, Period: 30}).Validate(); err == nil {
		t.Error("MD5 accepted")
	}
	if err := (Params{Algorithm: SHA1, Digits: 7, Period: 30}).Validate(); err == nil {
		t.Error("7 digits accepted")
	}
	if err := (Params{Algorithm: SHA512, Digits: 8, Period: 60}).Validate(); err != nil {
		t.Error(err)
	}
}

func BenchmarkVerifyTOTP(b *testing.B) {
	secret := NewSecret(SHA1)
	now := time.Now()
	code := TOTPCode(secret, now, Default)
	for b.Loop() {
		if _, ok := VerifyTOTP(secret, code, now, Default, 0, 1, -1); !ok {
			b.Fatal("no match")
		}
	}
}
