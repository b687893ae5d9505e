package otp

import (
	"testing"
	"time"
)

// FuzzVerify checks codes as people type them against any seed: no panic,
// WellFormed means exactly Digits ASCII digits, and whatever is accepted is
// the code of a step or counter inside the window, past the last used one.
func FuzzVerify(f *testing.F) {
	secret := []byte("12345678901234567890")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	for _, code := range []string{"755224", "287082", "94287082", "", "12345", "1234567", "７５５２２４", "75522a"} {
		f.Add(secret, code, uint8(0), uint32(0), t0, int16(0), int64(-1))
		f.Add(secret, code, uint8(5), uint32(1), int64(59), int16(-1), int64(0))
	}
	f.Add([]byte{}, "328482", uint8(0), uint32(0), int64(0), int16(0), int64(-1))
	f.Fuzz(func(t *testing.T, seed []byte, code string, kind uint8, counter uint32, unix int64, drift int16, lastStep int64) {
		// kind: bit 0 eight digits, bits 1-2 the algorithm, bit 3 a 60 s period.
		p := Params{Algorithm: []Algorithm{SHA1, SHA256, SHA512}[kind/2%3], Digits: 6 + 2*int(kind%2), Period: 30}
		if kind&8 != 0 {
			p.Period = 60
		}
		// The database keeps times and counters far from overflow.
		unix = max(0, unix%(1<<40))

		digits := len(code) == p.Digits
		for i := 0; i < len(code); i++ {
			digits = digits && code[i] >= '0' && code[i] <= '9'
		}
		if WellFormed(code, p) != digits {
			t.Fatalf("WellFormed(%q, %d digits) = %v", code, p.Digits, !digits)
		}

		if c, ok := VerifyHOTP(seed, code, uint64(counter), 10, p); ok {
			if c < uint64(counter) || c > uint64(counter)+10 || Code(seed, c, p) != code {
				t.Fatalf("HOTP %q accepted as counter %d (next %d)", code, c, counter)
			}
		}
		now := time.Unix(unix, 0)
		if step, ok := VerifyTOTP(seed, code, now, p, int64(drift), 1, lastStep); ok {
			center := Step(now, p.Period) + int64(drift)
			if step <= lastStep || step < center-1 || step > center+1 || Code(seed, uint64(step), p) != code {
				t.Fatalf("TOTP %q accepted as step %d (centre %d, last %d)", code, step, center, lastStep)
			}
		}
	})
}
