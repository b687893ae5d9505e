package workflow

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"
	"sync"
	"time"
)

// API keys look like tpk_<prefix>_<secret>: the prefix finds the row, the
// secret is only ever stored as a SHA-256 hash (it has 160 bits of entropy,
// so a slow hash adds nothing).
const (
	apiKeyScheme    = "tpk_"
	apiKeyPrefixLen = 10
	apiKeySecretLen = 32
	apiKeyAlphabet  = "abcdefghijkmnpqrstuvwxyz23456789"
)

// NewAPIKey is the input of CreateAPIKey.
type NewAPIKey struct {
	Name       string
	Role       Role
	ResourceID *int64
}

// CreateAPIKey creates a key and returns it in full; only its hash is kept,
// so this is the one time anybody sees it.
func (s *Service) CreateAPIKey(ctx context.Context, n NewAPIKey, by Actor, m Meta) (string, APIKey, error) {
	n.Name = strings.TrimSpace(n.Name)
	f := map[string]Msg{}
	if n.Name == "" || len(n.Name) > 100 {
		f["name"] = M("apikey.name")
	}
	if !slices.Contains(APIKeyRoles, n.Role) {
		f["role"] = M("apikey.role")
	}
	if n.Role == RoleOwner && n.ResourceID == nil {
		f["resource"] = M("apikey.owner_resource")
	}
	if len(f) > 0 {
		return "", APIKey{}, FieldsInvalid(f)
	}
	prefix := RandomString(apiKeyPrefixLen, apiKeyAlphabet)
	secret := RandomString(apiKeySecretLen, apiKeyAlphabet)
	full := apiKeyScheme + prefix + "_" + secret
	sum := sha256.Sum256([]byte(full))
	k := APIKey{Name: n.Name, Prefix: prefix, KeyHash: sum[:], Role: n.Role, ResourceID: n.ResourceID}
	if by.Type == ActorAdmin {
		k.CreatedBy = &by.ID
	}
	err := s.Store.Tx(ctx, func(st Store) error {
		if err := st.CreateAPIKey(ctx, &k); err != nil {
			return err
		}
		return st.AddActivity(ctx, Activity{At: s.Now(), Actor: by, ResourceID: n.ResourceID, Event: EventAPIKeyCreated,
			IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"name": k.Name, "role": string(k.Role), "prefix": prefix}})
	})
	if err != nil {
		return "", APIKey{}, err
	}
	return full, k, nil
}

// AuthenticateAPIKey finds the live key behind an Authorization: Bearer value.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	if key == "" {
		return APIKey{}, Fail(CodeUnauthenticated, M("apikey.required"))
	}
	bad := Fail(CodeUnauthenticated, M("apikey.invalid"))
	rest, ok := strings.CutPrefix(key, apiKeyScheme)
	prefix, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(prefix) != apiKeyPrefixLen || len(secret) != apiKeySecretLen {
		return APIKey{}, bad
	}
	sum := sha256.Sum256([]byte(key))
	k, ok, gen := s.keys.get(sum, s.Now())
	if ok {
		return k, nil
	}
	k, err := s.Store.APIKeyByPrefix(ctx, prefix)
	if ErrorCode(err) == CodeNotFound {
		return APIKey{}, bad
	} else if err != nil {
		return APIKey{}, Internal(err)
	}
	if subtle.ConstantTimeCompare(sum[:], k.KeyHash) != 1 || k.RevokedAt != nil {
		return APIKey{}, bad
	}
	s.keys.put(sum, k, s.Now(), gen)
	// Stamp the last use at most once a minute: busy validate clients must
	// not turn every request into a write.
	if now := s.Now(); k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		if err := s.Store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.Log.WarnContext(ctx, "api key last use not stamped", "err", err)
		}
	}
	return k, nil
}

// APIKeyCacheTTL is how long an instance trusts a key it checked: a busy
// validate client then costs one query less per request. A key revoked on
// another instance is refused here at most this much later.
const APIKeyCacheTTL = 10 * time.Second

// keyCache holds recently authenticated keys by the hash of the full key.
// gen counts the forgets: a key looked up before a revocation committed
// must not be cached after it was forgotten.
type keyCache struct {
	mu  sync.Mutex
	m   map[[32]byte]cachedKey
	gen uint64
}

type cachedKey struct {
	key   APIKey
	until time.Time
}

// get returns the cached key, if any, and the generation to put it with.
func (c *keyCache) get(sum [32]byte, now time.Time) (APIKey, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[sum]
	if !ok || now.After(e.until) {
		return APIKey{}, false, c.gen
	}
	return e.key, true, c.gen
}

// put caches k unless the cache was forgotten since gen was read.
func (c *keyCache) put(sum [32]byte, k APIKey, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[[32]byte]cachedKey{}
	}
	c.m[sum] = cachedKey{key: k, until: now.Add(APIKeyCacheTTL)}
}

// forget drops every cached key, so a revocation here takes effect at once.
func (c *keyCache) forget() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}

// APIKey authenticates a program calling /api/v1.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string
	KeyHash    []byte
	Role       Role
	ResourceID *int64
	CreatedBy  *int64
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Actor is the key as the author of an activity.
func (k APIKey) Actor() Actor { return Actor{Type: ActorAPIKey, ID: k.ID, Name: k.Name} }
