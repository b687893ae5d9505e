package workflow

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"strconv"
	"strings"
)

// PINs (SPEC §8) are 4–8 digits: a slow hash would gain nothing against a
// search of at most 10^8 values, and a bcrypt per validation would cap
// throughput. What protects them is the key: an HMAC-SHA256 under a key
// derived from SECRET_KEY, bound to the token. PINs stored as bcrypt by
// earlier versions are checked once more that way and then rehashed.

// pinPrefix marks a PIN hash made by pinHash; anything else is bcrypt.
const pinPrefix = "hmac-sha256$"

// pinHash is the stored form of pin on token id.
func (s *Service) pinHash(tokenID int64, pin string) string {
	mac := s.Sealer.MAC("token-pin:"+strconv.FormatInt(tokenID, 10), []byte(pin))
	return pinPrefix + base64.RawStdEncoding.EncodeToString(mac)
}

// checkPIN compares pin with t's PIN in constant time. A correct PIN still
// stored as bcrypt is rehashed (only if nobody changed it meanwhile); a
// failure to rehash is logged and the check stands.
func (s *Service) checkPIN(ctx context.Context, t Token, pin string) bool {
	if strings.HasPrefix(t.PINHash, pinPrefix) {
		return hmac.Equal([]byte(t.PINHash), []byte(s.pinHash(t.ID, pin)))
	}
	if !s.Hasher.Compare(t.PINHash, pin) {
		return false
	}
	if _, err := s.Store.RehashTokenPIN(ctx, t.ID, t.PINHash, s.pinHash(t.ID, pin)); err != nil {
		s.Log.ErrorContext(ctx, "PIN not rehashed", "serial", t.Serial, "err", err)
	}
	return true
}
