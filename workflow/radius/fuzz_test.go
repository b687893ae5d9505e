package radius

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"testing"
	"unicode/utf8"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

// FuzzDecode feeds the decode and verify path what arrives from the network.
// With sign set the Message-Authenticator is made right first, so the fuzzer
// also explores what lies behind it. Nothing panics; only Access-Request and
// Status-Server pass; what passes carries a verifying Message-Authenticator
// when one is required; a request passed on to the core is bounded; and every
// answer verifies as a NAS checks it. `make fuzz` runs it; `make test` runs
// the seeds.
func FuzzDecode(f *testing.F) {
	auth := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, p := range []packet{
		{user: "alice", password: []byte("secret123456"), sign: true},
		{user: "alice", password: []byte("123456"), state: []byte("state-1"), sign: true,
			extra: radius.Attributes{attr(rfc2865.NASIdentifier_Type, "gw"), attr(rfc2865.ProxyState_Type, "p")}},
		{user: "alice", password: []byte("secret123456")},
		{user: "alice", rawPW: bytes.Repeat([]byte{7}, 144), sign: true},
		{user: "alice", sign: true, extra: radius.Attributes{attr(rfc2865.CHAPPassword_Type, "c")}},
		{code: radius.CodeStatusServer, sign: true},
		{code: radius.CodeAccountingRequest, sign: true},
	} {
		p.id, p.auth = 7, auth
		b := p.encode(f)
		f.Add(b, true, true)
		f.Add(b, false, false)
	}
	f.Add([]byte{}, false, false)
	f.Add([]byte{1, 0, 0, 20}, true, true)
	f.Add(append([]byte{1, 0, 0, 24}, make([]byte, 20)...), true, false)
	f.Fuzz(func(t *testing.T, data []byte, signIt, require bool) {
		secret := []byte(testSecret)
		raw := append([]byte(nil), data...)
		if signIt {
			sign(raw, secret)
		}
		p, err := decode(raw, secret, require)
		if err != nil {
			if p != nil {
				t.Fatal("a packet with an error")
			}
			return
		}
		if p.Code != radius.CodeAccessRequest && p.Code != radius.CodeStatusServer {
			t.Fatalf("passed code %v", p.Code)
		}
		wire := raw[:int(raw[2])<<8|int(raw[3])]
		off, n := findMA(wire)
		if (require || p.Code == radius.CodeStatusServer) && n != 1 {
			t.Fatal("passed without the required Message-Authenticator")
		}
		if n == 1 && (off < 0 || !hmac.Equal(wire[off:off+16], requestMA(wire, off, secret))) {
			t.Fatal("passed with a Message-Authenticator that does not verify")
		}
		if p.Code == radius.CodeAccessRequest {
			r, reason := readRequest(p)
			if reason == "" && (len(r.Password) > maxPassword || r.UserName == "" || !utf8.ValidString(r.UserName) || len(r.State) > maxAttrValue) {
				t.Fatalf("passed on %+v", r)
			}
		}
		for _, a := range []Answer{{Code: Accept, ReplyMessage: "Welcome"}, {Code: Reject}, {Code: Challenge, ReplyMessage: "Enter", State: []byte("s")}} {
			b, err := encodeAnswer(p, a)
			if errors.Is(err, errAnswerSize) {
				continue // Proxy-State made it too long
			}
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, b, wire, testSecret)
		}
	})
}
