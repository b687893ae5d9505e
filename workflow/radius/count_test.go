package radius

import (
	"maps"
	"sync"
	"testing"
	"time"

	"layeh.com/radius"
)

// results records what Server.Count reports.
type results struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *results) count(result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[result]++
}

func (r *results) get() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.n)
}

// TestCount: every Access-Request answered is counted by its answer's code
// and every packet dropped as dropped; a retransmission answered from the
// cache and a Status-Server are not counted.
func TestCount(t *testing.T) {
	t.Parallel()
	r := &results{n: map[string]int{}}
	_, addr := serve(t, newStub(), func(s *Server) { s.Count = r.count })

	conn := dial(t, addr)
	accept := packet{user: "alice", password: []byte("secret123456"), sign: true}.encode(t)
	roundTrip(t, conn, accept, testTimeout)
	roundTrip(t, conn, accept, testTimeout) // a retransmission
	exchange(t, addr, packet{user: "alice", password: []byte("wrong"), sign: true}.encode(t), testTimeout)
	exchange(t, addr, packet{user: "alice", password: []byte("secret"), sign: true}.encode(t), testTimeout)
	exchange(t, addr, packet{code: radius.CodeStatusServer, sign: true}.encode(t), testTimeout)
	exchange(t, addr, packet{user: "error", password: []byte("x"), sign: true}.encode(t), silence)
	exchange(t, addr, packet{user: "alice", password: []byte("secret123456"), sign: true, secret: "another-secret-entirely"}.encode(t), silence)

	want := map[string]int{ResultAccept: 1, ResultReject: 1, ResultChallenge: 1, ResultDropped: 2}
	deadline := time.Now().Add(testTimeout)
	for !maps.Equal(r.get(), want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.get(); !maps.Equal(got, want) {
		t.Fatalf("counted %v, want %v", got, want)
	}
}
