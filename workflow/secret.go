package workflow

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Sealer encrypts secrets at rest (token seeds, admin TOTP secrets) with
// AES-256-GCM and keys codes with HMAC-SHA256. Both keys are derived from the
// configured SECRET_KEY with HKDF, and the id of the key that sealed a value is
// stored beside it so keys can be rotated: Open accepts any key it was given.
type Sealer struct {
	current string
	aeads   map[string]cipher.AEAD
	// macKeys are the MAC keys of the current key, then of the previous
	// ones: what was keyed before a rotation is still recognised.
	macKeys [][]byte
}

// NewSealer builds a Sealer that seals with key and also opens values sealed
// with any of the previous keys. Every key must be 32 bytes.
func NewSealer(key []byte, previous ...[]byte) (*Sealer, error) {
	s := &Sealer{aeads: map[string]cipher.AEAD{}}
	for i, k := range append([][]byte{key}, previous...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("secret key %d: need 32 bytes, got %d", i, len(k))
		}
		encKey, err := hkdf.Key(sha256.New, k, nil, "tokenportal seal v1", 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(encKey)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		idBytes, err := hkdf.Key(sha256.New, k, nil, "tokenportal key id v1", 4)
		if err != nil {
			return nil, err
		}
		id := "k" + hex.EncodeToString(idBytes)
		s.aeads[id] = aead
		if i == 0 {
			s.current = id
		}
		macKey, err := hkdf.Key(sha256.New, k, nil, "tokenportal mac v1", 32)
		if err != nil {
			return nil, err
		}
		s.macKeys = append(s.macKeys, macKey)
	}
	return s, nil
}

// KeyID names the key new values are sealed with.
func (s *Sealer) KeyID() string { return s.current }

// Seal encrypts plain; context binds the ciphertext to the row it belongs to
// (for example "token:SERIAL"), so a sealed value copied elsewhere will not open.
func (s *Sealer) Seal(plain []byte, context string) (sealed []byte, keyID string, err error) {
	aead := s.aeads[s.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", err
	}
	return aead.Seal(nonce, nonce, plain, []byte(context)), s.current, nil
}

// ErrUnseal means a sealed value could not be decrypted: the key is unknown or
// wrong, or the value was tampered with. It is never ignored.
var ErrUnseal = errors.New("sealed secret could not be decrypted")

// Open decrypts a value sealed by Seal under the same context.
func (s *Sealer) Open(sealed []byte, keyID, context string) ([]byte, error) {
	aead, ok := s.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not configured", ErrUnseal, keyID)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: value too short", ErrUnseal)
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, fmt.Errorf("%w (key %s, %s)", ErrUnseal, keyID, context)
	}
	return plain, nil
}

// MAC keys data (one-time codes, recovery codes, PINs) under purpose with
// the current key, so stored hashes of low-entropy codes are useless
// without the server's key.
func (s *Sealer) MAC(purpose string, data []byte) []byte { return mac(s.macKeys[0], purpose, data) }

// MACs keys data under the current key and each previous one, current
// first: a value keyed before a rotation (SECRET_KEY_PREVIOUS) still
// matches one of them.
func (s *Sealer) MACs(purpose string, data []byte) [][]byte {
	out := make([][]byte, len(s.macKeys))
	for i, k := range s.macKeys {
		out[i] = mac(k, purpose, data)
	}
	return out
}

func mac(key []byte, purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum(nil)
}
