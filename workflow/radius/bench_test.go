package radius

import (
	"testing"

	"layeh.com/radius"
)

// BenchmarkAccessRequest measures the protocol work of one request: decode,
// verify the Message-Authenticator, read it, and encode the signed answer.
func BenchmarkAccessRequest(b *testing.B) {
	raw := packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(b)
	secret := []byte(testSecret)
	b.ReportAllocs()
	for b.Loop() {
		p, err := decode(raw, secret, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, reason := readRequest(p); reason != "" {
			b.Fatal(reason)
		}
		if _, err := encodeAnswer(p, Answer{Code: Accept}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServer measures a round trip over UDP with a core that answers at once.
func BenchmarkServer(b *testing.B) {
	_, addr := serve(b, newStub())
	conn := dial(b, addr)
	req := packet{user: "alice", password: []byte("secret123456"), sign: true}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req.id, req.auth = byte(i), [16]byte{byte(i >> 8), byte(i >> 16), 1} // no duplicate
		if p, _ := radius.Parse(roundTrip(b, conn, req.encode(b), testTimeout), nil); p == nil || p.Code != radius.CodeAccessAccept {
			b.Fatal("no accept")
		}
	}
}
