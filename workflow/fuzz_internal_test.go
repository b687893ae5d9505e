package workflow

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"tokenportal/workflow/otp"
)

// Fuzz tests of what people type: OTPs with and without PIN, recovery
// codes, phone numbers and networks. They live inside the package because
// the parsers are unexported; `make fuzz` runs them, `make test` runs their
// seeds and the regression cases under testdata/fuzz.

func FuzzSplitPIN(f *testing.F) {
	for _, s := range []string{"", "1", "123456", "1234123456", "1234567", "12345678", "0000123456789", "ü1234567", "\x00\xff"} {
		f.Add(s, uint8(0), false)
		f.Add(s, uint8(1), true)
		f.Add(s, uint8(2), true)
	}
	f.Fuzz(func(t *testing.T, pass string, kind uint8, before bool) {
		tok := Token{Type: []TokenType{TokenTOTP, TokenHOTP, TokenEmail, TokenSMS}[kind%4], Digits: 6 + 2*int(kind/4%2), PINHash: "x", PINPosition: "after"}
		if before {
			tok.PINPosition = "before"
		}
		if kind/8%2 == 1 {
			tok.PINHash = ""
		}
		pin, code, ok := splitPIN(tok, pass)
		if !tok.HasPIN() {
			if !ok || pin != "" || code != pass {
				t.Fatalf("no PIN: got (%q, %q, %v) for %q", pin, code, ok, pass)
			}
			return
		}
		codeLen := tok.Digits
		if tok.Type == "email" || tok.Type == "sms" {
			codeLen = CodeDigits
		}
		if !ok {
			if len(pass) > codeLen {
				t.Fatalf("%q (longer than the code) was not split", pass)
			}
			return
		}
		if len(code) != codeLen || pin == "" {
			t.Fatalf("split %q into PIN %q and code %q: code must have %d bytes and the PIN at least one", pass, pin, code, codeLen)
		}
		joined := code + pin
		if before {
			joined = pin + code
		}
		if joined != pass {
			t.Fatalf("PIN %q and code %q do not make %q again", pin, code, pass)
		}
	})
}

// FuzzMatch is the pure part of Service.VerifyTokenCode: splitting off the
// PIN, checking it and the code against a software token.
func FuzzMatch(f *testing.F) {
	secret := []byte("12345678901234567890")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, pass := range []string{
		otp.Code(secret, 0, otp.Default), otp.Code(secret, 3, otp.Default), "1234" + otp.Code(secret, 0, otp.Default),
		otp.Code(secret, 0, otp.Default) + "1234", otp.TOTPCode(secret, now, otp.Default), "1234" + otp.TOTPCode(secret, now, otp.Default),
		"", "12345", "abcdef", "1234567890",
	} {
		for mode := range uint8(6) {
			f.Add(pass, mode, uint16(0))
		}
	}
	sealer, err := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	s := NewService(nil, sealer, 4, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pinHash := s.pinHash(0, "1234") // the fuzzed token has id 0
	f.Fuzz(func(t *testing.T, pass string, mode uint8, counter uint16) {
		// mode: bit 0 TOTP or HOTP, bits 1-2 no PIN, PIN before or after.
		tok := Token{Serial: "FUZZ1", Type: "hotp", Enabled: true, Algorithm: "SHA1", Digits: 6, Period: 30,
			Counter: int64(counter), LastStep: int64(counter) - 1}
		if mode%2 == 1 {
			tok.Type, tok.LastStep = "totp", otp.Step(now, 30)-2
		}
		switch mode / 2 % 3 {
		case 1:
			tok.PINHash, tok.PINPosition = pinHash, "before"
		case 2:
			tok.PINHash, tok.PINPosition = pinHash, "after"
		}
		if err := s.sealSecret(&tok, secret); err != nil {
			t.Fatal(err)
		}
		step, outcome, err := s.match(context.Background(), tok, pass, now)
		if err != nil {
			t.Fatalf("match(%q): %v", pass, err)
		}
		switch outcome {
		case OutcomeWrong, OutcomeWrongPIN, OutcomeReplayed, OutcomeMalformed:
			return
		case OutcomeAccepted:
		default:
			t.Fatalf("match(%q): outcome %q", pass, outcome)
		}
		pin, code, _ := splitPIN(tok, pass)
		if tok.HasPIN() && pin != "1234" {
			t.Fatalf("%q accepted with PIN %q", pass, pin)
		}
		if tok.Type == "hotp" {
			if step < tok.Counter || step > tok.Counter+hotpLookahead || otp.Code(secret, uint64(step), tok.Params()) != code {
				t.Fatalf("%q accepted as counter %d of a token at %d", pass, step, tok.Counter)
			}
			return
		}
		center := otp.Step(now, 30)
		if step <= tok.LastStep || step < center-totpWindow || step > center+totpWindow || otp.Code(secret, uint64(step), tok.Params()) != code {
			t.Fatalf("%q accepted as step %d (now %d, last %d)", pass, step, center, tok.LastStep)
		}
	})
}

func FuzzNormalizeRecoveryCode(f *testing.F) {
	for _, s := range []string{"abcde-fghjk", "ABCDE-FGHJK", " 23456-789ab ", "2345678923", "abcde-fghj1", "ſſſſſ-ſſſſſ", "", "-----------"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := normalizeRecoveryCode(s)
		if out == "" {
			if ok {
				t.Fatalf("%q: empty code accepted", s)
			}
			return
		}
		if len(out) != recoveryCodeLen || strings.Trim(out, unambiguous) != "" {
			t.Fatalf("%q normalised to %q: not %d characters of the alphabet", s, out, recoveryCodeLen)
		}
		if ok != strings.ContainsAny(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("%q normalised to %q: ok %v disagrees with its letters", s, out, ok)
		}
		// The canonical form and the way codes are shown map to themselves.
		for _, again := range []string{out, strings.ToLower(out[:5] + "-" + out[5:])} {
			if o2, ok2 := normalizeRecoveryCode(again); o2 != out || ok2 != ok {
				t.Fatalf("%q normalised to %q, but %q to %q", s, out, again, o2)
			}
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+31 6 1234-5678", "0031612345678", "(030) 123 45 67", "+1 (555) 010-9999", "", " ", "+", "00", "+0123456789", "+31612345678901234", "٣١٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := NormalizePhone(s)
		if !ok {
			return
		}
		if out == "" {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("%q accepted as no phone number", s)
			}
			return
		}
		// What is accepted passes the database's CHECK and is a fixed point.
		if !phonePattern.MatchString(out) {
			t.Fatalf("%q normalised to %q, which is not E.164", s, out)
		}
		if o2, ok2 := NormalizePhone(out); !ok2 || o2 != out {
			t.Fatalf("%q normalised to %q, which normalises to %q, %v", s, out, o2, ok2)
		}
	})
}

func FuzzParseNetwork(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "10.1.2.3/8", "192.0.2.1", "2001:db8::/32", "2001:db8::1", "::ffff:10.0.0.0/104",
		"::ffff:1.2.3.4", "::ffff:0:0/95", "fe80::1%eth0", "0.0.0.0/0", "::/0", " 10.0.0.0/8 ", "1.2.3.4/33", "1.2.3.4/-1", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParseNetwork(s)
		if !ok {
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
			t.Fatalf("%q parsed to %v: not a valid masked prefix", s, p)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			t.Fatalf("%q parsed to %v: an IPv4-mapped network kept in IPv6 form", s, p)
		}
		if p2, ok2 := ParseNetwork(p.String()); !ok2 || p2 != p {
			t.Fatalf("%q parsed to %v, whose text %q parses to %v, %v", s, p, p.String(), p2, ok2)
		}
	})
}

// FuzzPortalNetworks feeds the trusted networks of a portal's settings, one
// per line as the console's text area sends them.
func FuzzPortalNetworks(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8\n192.168.1.0/24", "10.0.0.1/8\n10.0.0.0/8", "2001:db8::/32\n192.0.2.7", "", "x", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := DefaultPortalInput("fuzz")
		for line := range strings.Lines(s) {
			if line = strings.TrimSpace(line); line != "" {
				in.TrustedNetworks = append(in.TrustedNetworks, line)
			}
		}
		out, errs := in.validate()
		if _, bad := errs["trusted_networks"]; bad {
			return
		}
		for i, n := range out.TrustedNetworks {
			p, ok := ParseNetwork(n)
			if !ok || p.String() != n {
				t.Fatalf("accepted network %q does not parse to itself (%v, %v)", n, p, ok)
			}
			if slices.Contains(out.TrustedNetworks[:i], n) {
				t.Fatalf("%q kept twice in %q", n, out.TrustedNetworks)
			}
		}
		again, errs := out.validate()
		if _, bad := errs["trusted_networks"]; bad || !slices.Equal(again.TrustedNetworks, out.TrustedNetworks) {
			t.Fatalf("validated networks %q validate to %q (%v)", out.TrustedNetworks, again.TrustedNetworks, errs)
		}
	})
}
