package workflow_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"strings"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/otp"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// TestSecretKeyRotation: after SECRET_KEY is replaced and the old key moves
// to SECRET_KEY_PREVIOUS, what was keyed with the old one still works —
// token PINs (rehashed under the new key at their next use), recovery
// codes, one-time codes sent just before.
func TestSecretKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	newKey := randomKey(t)
	rotated := func(keys ...[]byte) *workflow.Service {
		s, err := workflow.NewSealer(keys[0], keys[1:]...)
		must(t, err)
		svc := workflow.NewService(store.New(storetest.Pool(t)), s, 4, slog.New(slog.NewTextHandler(io.Discard, nil)))
		svc.Now, svc.Sleep = f.svc.Now, f.svc.Sleep
		return svc
	}
	// Under the old key: a PIN (1111, made an HMAC at its first use), a
	// user with a password, a token and recovery codes, a sent code.
	hash, _ := f.svc.Hasher.Hash("1111")
	tok := f.token(t, "hotp", func(tk *workflow.Token) { tk.PINHash, tk.PINPosition = hash, "after" })
	if o, _ := f.svc.VerifyTokenCode(ctx, tok, otp.Code(rfcSecret, 0, sixDigits)+"1111", true, nil); o != workflow.OutcomeAccepted {
		t.Fatalf("PIN under the old key: %q", o)
	}
	keyedOld := f.reload(t, tok).PINHash
	in := f.user.Input()
	in.Password = "Rotation-Safe-Passphrase-9"
	u, err := f.svc.UpdateUser(ctx, f.user.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	codes, err := f.svc.NewRecoveryCodes(ctx, u, workflow.Meta{})
	must(t, err)
	p, err := f.svc.SavePortal(ctx, f.resource.ID, workflow.DefaultPortalInput(strings.ToLower(unique("rot"))), workflow.SystemActor, workflow.Meta{})
	must(t, err)
	newEmail := "rotated-" + u.Email
	must(t, f.svc.RequestEmailChange(ctx, p, u, newEmail, workflow.Meta{}))
	code := queuedMessage(t, f.svc, newEmail).Data["code"]

	// Rotated: the new key seals and keys, the old one is previous.
	svc := rotated(newKey, f.key)
	if o, _ := svc.VerifyTokenCode(ctx, f.reload(t, tok), otp.Code(rfcSecret, 1, sixDigits)+"1111", true, nil); o != workflow.OutcomeAccepted {
		t.Fatalf("PIN after the rotation: %q", o)
	}
	if again := f.reload(t, tok).PINHash; again == keyedOld {
		t.Fatal("the PIN was not rehashed under the new key")
	}
	if _, err := svc.ConfirmEmailChange(ctx, p, u, code, workflow.Meta{}); err != nil {
		t.Fatalf("a code sent before the rotation: %v", err)
	}
	m := workflow.Meta{IP: "198.51.100.9"}
	fl, err := svc.LoginStart(ctx, p, u.Login, m)
	must(t, err)
	fl, err = svc.LoginFirstFactor(ctx, p, fl, in.Password, "", m)
	must(t, err)
	if fl.Step != workflow.StepOTP {
		t.Fatalf("step %q, want the OTP", fl.Step)
	}
	if _, err := svc.LoginSecondFactor(ctx, p, fl, codes[0], m); err != nil {
		t.Fatalf("a recovery code made before the rotation: %v", err)
	}

	// The rehashed PIN keeps working; a wrong one does not. (Seeds stay
	// sealed under the key that sealed them: the old key must stay in
	// SECRET_KEY_PREVIOUS until they are sealed again.)
	if o, _ := svc.VerifyTokenCode(ctx, f.reload(t, tok), otp.Code(rfcSecret, 2, sixDigits)+"1111", true, nil); o != workflow.OutcomeAccepted {
		t.Fatalf("the rehashed PIN: %q", o)
	}
	if o, _ := svc.VerifyTokenCode(ctx, f.reload(t, tok), otp.Code(rfcSecret, 3, sixDigits)+"2222", true, nil); o != workflow.OutcomeWrongPIN {
		t.Fatalf("wrong PIN: %q", o)
	}
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}
