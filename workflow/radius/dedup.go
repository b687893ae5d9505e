package radius

import (
	"net/netip"
	"sync"
	"time"
)

// dupKey identifies a request as RFC 5080 §2.2.2 does: a retransmission has the
// same source, Identifier and Request Authenticator.
type dupKey struct {
	src  netip.AddrPort
	id   byte
	auth [16]byte
}

type dupEntry struct {
	answer  []byte    // nil while the request is in flight
	expires time.Time // zero while in flight
}

// dupCache remembers recent requests for ttl after they were answered, so a
// retransmission gets the same answer instead of being processed twice (an
// OTP would be refused as replayed the second time). It holds at most max
// entries; beyond that new requests are processed without being remembered.
type dupCache struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	m     map[dupKey]*dupEntry
	swept time.Time
}

func newDupCache(ttl time.Duration, max int) *dupCache {
	return &dupCache{ttl: ttl, max: max, m: make(map[dupKey]*dupEntry)}
}

// begin reports whether k was seen: its answer, or nil while the first copy
// is still in flight (the retransmission is dropped; the answer is coming).
// When k is new it is marked in flight, and finish must follow.
func (c *dupCache) begin(k dupKey, now time.Time) (answer []byte, dup bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok && (e.expires.IsZero() || now.Before(e.expires)) {
		return e.answer, true
	}
	if now.Sub(c.swept) >= c.ttl/5 || len(c.m) >= c.max {
		c.swept = now
		for key, e := range c.m {
			if !e.expires.IsZero() && !now.Before(e.expires) {
				delete(c.m, key)
			}
		}
	}
	if len(c.m) < c.max {
		c.m[k] = &dupEntry{}
	}
	return nil, false
}

// finish stores the answer to k; nil (no answer) forgets k, so the NAS's
// retry is processed.
func (c *dupCache) finish(k dupKey, answer []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return
	}
	if answer == nil {
		delete(c.m, k)
		return
	}
	e.answer, e.expires = answer, now.Add(c.ttl)
}
