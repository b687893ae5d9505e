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
func (s *Service) pinHash(tokenID int64, pin string) string { return s.pinHashes(tokenID, pin)[0] }

// pinHashes are the forms of pin under the current key and the previous
// ones, current first.
func (s *Service) pinHashes(tokenID int64, pin string) []string {
	macs := s.Sealer.MACs("token-pin:"+strconv.FormatInt(tokenID, 10), []byte(pin))
	out := make([]string, len(macs))
	for i, m := range macs {
		out[i] = pinPrefix + base64.RawStdEncoding.EncodeToString(m)
	}
	return out
}

// checkPIN compares pin with t's PIN in constant time. A correct PIN still
// stored as bcrypt, or keyed with a previous SECRET_KEY, is rehashed under
// the current key (only if nobody changed it meanwhile); a failure to
// rehash is logged and the check stands.
func (s *Service) checkPIN(ctx context.Context, t Token, pin string) bool {
	hashes := s.pinHashes(t.ID, pin)
	if strings.HasPrefix(t.PINHash, pinPrefix) {
		matched := -1
		for i, h := range hashes {
			if hmac.Equal([]byte(t.PINHash), []byte(h)) && matched < 0 {
				matched = i
			}
		}
		if matched <= 0 {
			return matched == 0
		}
	} else if !s.Hasher.Compare(t.PINHash, pin) {
		return false
	}
	if _, err := s.Store.RehashTokenPIN(ctx, t.ID, t.PINHash, hashes[0]); err != nil {
		s.Log.ErrorContext(ctx, "PIN not rehashed", "serial", t.Serial, "err", err)
	}
	return true
}
