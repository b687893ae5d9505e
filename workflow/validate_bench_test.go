package workflow_test

import (
	"context"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// BenchmarkValidateCases measures one validation through the service and
// PostgreSQL for cases whose timing must not tell them apart (SPEC §8): an
// unknown login, a token without a PIN and one with a PIN (an HMAC), each
// sent the next right HOTP code. "bcrypt-pin-check" is what one PIN check
// cost while PINs were bcrypt (cost 12), for comparison in the same run.
func BenchmarkValidateCases(b *testing.B) {
	ctx := context.Background()
	code := func(c uint64) string { return otp.Code(rfcSecret, c, otp.Default) }
	run := func(name string, f *fixture, login string, pass func(i uint64) string) {
		want := login == f.user.Login
		var next uint64 // b.Run calls the function several times: codes go on
		b.Run(name, func(b *testing.B) {
			for i := range b.N {
				ok, err := f.svc.Validate(ctx, f.resource.ID, login, pass(next), workflow.SystemActor, workflow.Meta{})
				next++
				if err != nil || ok != want {
					b.Fatalf("validation %d: %v, %v", i, ok, err)
				}
			}
		})
	}
	unknown := newFixture(b)
	run("unknown-login", unknown, "nobody-"+unique("x"), code)

	plain := newFixture(b)
	plain.token(b, "hotp", nil)
	run("no-pin", plain, plain.user.Login, code)

	pinned := newFixture(b)
	tok := pinned.token(b, "hotp", nil)
	p := workflow.Portal{ResourceID: pinned.resource.ID, PINLength: 4}
	if _, err := pinned.svc.SetPIN(ctx, p, pinned.user, workflow.PINInput{Serial: tok.Serial, PIN: "2468", Position: "before", OTP: code(0)}, workflow.Meta{}); err != nil {
		b.Fatal(err)
	}
	run("hmac-pin", pinned, pinned.user.Login, func(i uint64) string { return "2468" + code(i+1) })

	b.Run("bcrypt-pin-check", func(b *testing.B) {
		h := workflow.Hasher{Cost: 12}
		hash, err := h.Hash("2468")
		if err != nil {
			b.Fatal(err)
		}
		for range b.N {
			h.Compare(hash, "1357")
		}
	})
}
