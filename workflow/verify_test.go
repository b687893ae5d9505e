package workflow_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store/storetest"
)

var sixDigits = otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30}

func totpNow(f *fixture, offset time.Duration) string {
	return otp.TOTPCode(rfcSecret, f.clock.Now().Add(offset), sixDigits)
}

// 32 goroutines submit the same OTP through the real store: exactly one wins.
func TestReplayUnderConcurrency(t *testing.T) {
	for _, typ := range []string{"totp", "hotp"} {
		t.Run(typ, func(t *testing.T) {
			f := newFixture(t)
			tok := f.token(t, typ, nil)
			code := otp.Code(rfcSecret, 0, sixDigits)
			if typ == "totp" {
				code = totpNow(f, 0)
			}
			var accepted atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					outcome, err := f.svc.VerifyTokenCode(context.Background(), tok, code, true, nil)
					if err != nil {
						t.Error(err)
					}
					if outcome == workflow.OutcomeAccepted {
						accepted.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if accepted.Load() != 1 {
				t.Fatalf("%d of 32 accepted the same code", accepted.Load())
			}
			// And afterwards the code is refused as a replay.
			if o, _ := f.svc.VerifyTokenCode(context.Background(), f.reload(t, tok), code, true, nil); o != workflow.OutcomeReplayed {
				t.Fatalf("replay outcome %q", o)
			}
		})
	}
}

func TestVerifyTOTPWindow(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "totp", nil)
	ctx := context.Background()
	cases := []struct {
		name   string
		offset time.Duration
		want   workflow.Outcome
	}{
		{"90 s behind", -90 * time.Second, workflow.OutcomeWrong},
		{"30 s behind", -30 * time.Second, workflow.OutcomeAccepted},
		{"now", 0, workflow.OutcomeAccepted},
		{"30 s ahead", 30 * time.Second, workflow.OutcomeAccepted},
		{"90 s ahead", 90 * time.Second, workflow.OutcomeWrong},
	}
	for _, c := range cases {
		tok = f.reload(t, tok)
		if o, err := f.svc.VerifyTokenCode(ctx, tok, totpNow(f, c.offset), true, nil); err != nil || o != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, o, err, c.want)
		}
	}
	// After the step 30 s ahead was used, the current step is a replay.
	if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), totpNow(f, 0), true, nil); o != workflow.OutcomeReplayed {
		t.Errorf("older step after a newer one: %q", o)
	}
}

func TestPINBeforeAndAfter(t *testing.T) {
	ctx := context.Background()
	for _, pos := range []string{"before", "after"} {
		t.Run(pos, func(t *testing.T) {
			f := newFixture(t)
			hash, _ := f.svc.Hasher.Hash("1111")
			tok := f.token(t, "hotp", func(tk *workflow.Token) { tk.PINHash, tk.PINPosition = hash, pos })
			join := func(pin, code string) string {
				if pos == "before" {
					return pin + code
				}
				return code + pin
			}
			if o, _ := f.svc.VerifyTokenCode(ctx, tok, otp.Code(rfcSecret, 0, sixDigits), true, nil); o != workflow.OutcomeMalformed {
				t.Fatalf("code without PIN: %q", o)
			}
			if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), join("2222", otp.Code(rfcSecret, 0, sixDigits)), true, nil); o != workflow.OutcomeWrongPIN {
				t.Fatalf("wrong PIN: %q", o)
			}
			if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), join("1111", otp.Code(rfcSecret, 0, sixDigits)), true, nil); o != workflow.OutcomeAccepted {
				t.Fatalf("PIN+OTP: %q", o)
			}
			if got := f.reload(t, tok); got.Failcount != 0 || got.Counter != 1 {
				t.Fatalf("after success: failcount %d, counter %d", got.Failcount, got.Counter)
			}
		})
	}
	// SPEC §5.6: PIN 1111 after OTP 123456 is typed 1234561111.
	f := newFixture(t)
	hash, _ := f.svc.Hasher.Hash("1111")
	tok := f.token(t, "hotp", func(tk *workflow.Token) { tk.PINHash, tk.PINPosition = hash, "after" })
	code := otp.Code(rfcSecret, 0, sixDigits)
	if o, _ := f.svc.VerifyTokenCode(ctx, tok, code+"1111", true, nil); o != workflow.OutcomeAccepted {
		t.Fatalf("%s1111: %q", code, o)
	}
}

func TestFailcountLocksAndResetUnlocks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.token(t, "hotp", nil)
	for i := range workflow.MaxFailcount {
		if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), "000000", true, nil); o != workflow.OutcomeWrong {
			t.Fatalf("attempt %d: %q", i+1, o)
		}
	}
	tok = f.reload(t, tok)
	if tok.Failcount != workflow.MaxFailcount || !tok.Locked() {
		t.Fatalf("failcount %d", tok.Failcount)
	}
	// Locked: even the right code is refused, and the failcount stays.
	if o, _ := f.svc.VerifyTokenCode(ctx, tok, otp.Code(rfcSecret, 0, sixDigits), true, nil); o != workflow.OutcomeLocked {
		t.Fatalf("locked token: %q", o)
	}
	if _, err := f.svc.ResetTokenFailcount(ctx, tok.Serial, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), otp.Code(rfcSecret, 0, sixDigits), true, nil); o != workflow.OutcomeAccepted {
		t.Fatalf("after reset: %q", o)
	}
	// Disabled tokens refuse without counting.
	if _, err := f.svc.SetTokenEnabled(ctx, tok.Serial, false, workflow.SystemActor, workflow.Meta{}); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), otp.Code(rfcSecret, 1, sixDigits), true, nil); o != workflow.OutcomeDisabled {
		t.Fatalf("disabled: %q", o)
	}
	if got := f.reload(t, tok); got.Failcount != 0 {
		t.Fatalf("failcount of disabled token changed to %d", got.Failcount)
	}
}

func TestResync(t *testing.T) {
	ctx := context.Background()
	t.Run("hotp far ahead", func(t *testing.T) {
		f := newFixture(t)
		tok := f.token(t, "hotp", nil)
		// The token was pressed 500 times without use: out of the window.
		c500, c501, c502 := otp.Code(rfcSecret, 500, sixDigits), otp.Code(rfcSecret, 501, sixDigits), otp.Code(rfcSecret, 502, sixDigits)
		if o, _ := f.svc.VerifyTokenCode(ctx, tok, c500, true, nil); o != workflow.OutcomeWrong {
			t.Fatalf("code 500 before resync: %q", o)
		}
		if err := f.svc.Resync(ctx, f.reload(t, tok), c501, c500); workflow.ErrorCode(err) != workflow.CodeInvalid {
			t.Fatalf("codes in the wrong order: %v", err)
		}
		if err := f.svc.Resync(ctx, f.reload(t, tok), c500, c501); err != nil {
			t.Fatal(err)
		}
		tok = f.reload(t, tok)
		if tok.Counter != 502 || tok.Failcount != 0 {
			t.Fatalf("counter %d failcount %d", tok.Counter, tok.Failcount)
		}
		if o, _ := f.svc.VerifyTokenCode(ctx, tok, c502, true, nil); o != workflow.OutcomeAccepted {
			t.Fatalf("next code after resync: %q", o)
		}
		// The resync codes cannot be replayed.
		if o, _ := f.svc.VerifyTokenCode(ctx, f.reload(t, tok), c501, true, nil); o == workflow.OutcomeAccepted {
			t.Fatal("resync code accepted again")
		}
	})
	t.Run("totp clock 20 minutes fast", func(t *testing.T) {
		f := newFixture(t)
		tok := f.token(t, "totp", nil)
		ahead := f.clock.Now().Add(20 * time.Minute)
		c1 := otp.TOTPCode(rfcSecret, ahead, sixDigits)
		c2 := otp.TOTPCode(rfcSecret, ahead.Add(30*time.Second), sixDigits)
		if err := f.svc.Resync(ctx, tok, c1, c2); err != nil {
			t.Fatal(err)
		}
		tok = f.reload(t, tok)
		if tok.Drift != 41 {
			t.Fatalf("drift %d, want 41 steps", tok.Drift)
		}
		f.clock.Advance(time.Minute)
		code := otp.TOTPCode(rfcSecret, f.clock.Now().Add(20*time.Minute), sixDigits)
		if o, _ := f.svc.VerifyTokenCode(ctx, tok, code, true, nil); o != workflow.OutcomeAccepted {
			t.Fatalf("code of the fast token after resync: %q", o)
		}
	})
	t.Run("totp beyond an hour", func(t *testing.T) {
		f := newFixture(t)
		tok := f.token(t, "totp", nil)
		far := f.clock.Now().Add(2 * time.Hour)
		if err := f.svc.Resync(ctx, tok, otp.TOTPCode(rfcSecret, far, sixDigits), otp.TOTPCode(rfcSecret, far.Add(30*time.Second), sixDigits)); err == nil {
			t.Fatal("resync two hours away accepted")
		}
	})
}

func TestCheckOTPDoesNotLock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.token(t, "totp", nil)
	for range 12 {
		r, err := f.svc.CheckOTP(ctx, tok.Serial, "000000", workflow.SystemActor, workflow.Meta{})
		if err != nil || r.Valid {
			t.Fatalf("%+v %v", r, err)
		}
	}
	if got := f.reload(t, tok); got.Failcount != 0 {
		t.Fatalf("Check OTP counted failures: %d", got.Failcount)
	}
	r, _ := f.svc.CheckOTP(ctx, tok.Serial, otp.TOTPCode(rfcSecret, f.clock.Now().Add(-10*time.Minute), sixDigits), workflow.SystemActor, workflow.Meta{})
	if r.Valid || r.Hint.ID != "token.hint_clock" {
		t.Fatalf("a code 10 minutes old should give a drift hint: %+v", r)
	}
	r, _ = f.svc.CheckOTP(ctx, tok.Serial, totpNow(f, 0), workflow.SystemActor, workflow.Meta{})
	if !r.Valid {
		t.Fatalf("right code: %+v", r)
	}
}

func TestSecretsEncryptedAtRest(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "hotp", nil)
	var raw []byte
	var keyID string
	pool := storetest.Pool(t)
	if err := pool.QueryRow(context.Background(), "SELECT secret, key_id FROM tokens WHERE id = $1", tok.ID).Scan(&raw, &keyID); err != nil {
		t.Fatal(err)
	}
	if string(raw) == string(rfcSecret) || len(raw) < len(rfcSecret)+16 || keyID != f.svc.Sealer.KeyID() {
		t.Fatalf("stored secret %x under %q", raw, keyID)
	}
	// A token whose sealed seed was tampered with fails loudly, not silently.
	if _, err := pool.Exec(context.Background(), "UPDATE tokens SET secret = set_byte(secret, 20, get_byte(secret, 20) # 1) WHERE id = $1", tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.VerifyTokenCode(context.Background(), f.reload(t, tok), otp.Code(rfcSecret, 0, sixDigits), true, nil)
	if workflow.ErrorCode(err) != workflow.CodeInternal {
		t.Fatalf("tampered secret: %v", err)
	}
}
