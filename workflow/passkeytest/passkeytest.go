// Package passkeytest is a software authenticator for tests (SPEC §14): an
// ECDSA P-256 key that answers the options of a WebAuthn ceremony as a
// browser with a security key would — "none" attestation, authenticatorData
// with its flags and signature counter, clientDataJSON with the challenge
// and origin, and assertion signatures — so the ceremonies are tested with
// real cryptography and no browser.
package passkeytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
)

// Authenticator is one credential on a software key.
type Authenticator struct {
	Origin string // what the browser would put in clientDataJSON
	AAGUID [16]byte
	// Counter is the signature counter the next assertion increments and
	// sends; a test sets it back to play a cloned key.
	Counter uint32
	// UV says the authenticator verified its user (PIN, biometrics).
	UV bool

	key        *ecdsa.PrivateKey
	id         []byte
	userHandle []byte
}

// New makes an authenticator for the relying party at origin.
func New(origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	a := &Authenticator{Origin: origin, key: key, id: id, UV: true}
	_, _ = rand.Read(a.AAGUID[:])
	return a
}

// Clone is a second authenticator holding the same credential (the same
// private key and id), with its own counter: a copied key.
func (a *Authenticator) Clone() *Authenticator {
	c := *a
	return &c
}

// ID is the credential id.
func (a *Authenticator) ID() []byte { return a.id }

var b64 = base64.RawURLEncoding

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Flags of authenticatorData.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

func (a *Authenticator) flags() byte {
	f := byte(flagUP)
	if a.UV {
		f |= flagUV
	}
	return f
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// Create answers the options of navigator.credentials.create: the JSON a
// browser posts back (attestation "none").
func (a *Authenticator) Create(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	if o.PublicKey.Challenge == "" || o.PublicKey.RP.ID == "" {
		return nil, errors.New("passkeytest: no challenge or rp.id in the creation options")
	}
	if a.userHandle, _ = b64.DecodeString(o.PublicKey.User.ID); a.userHandle == nil {
		return nil, errors.New("passkeytest: no user.id")
	}
	rpHash := sha256.Sum256([]byte(o.PublicKey.RP.ID))
	var auth bytes.Buffer
	auth.Write(rpHash[:])
	auth.WriteByte(a.flags() | flagAT)
	_ = binary.Write(&auth, binary.BigEndian, a.Counter)
	auth.Write(a.AAGUID[:])
	_ = binary.Write(&auth, binary.BigEndian, uint16(len(a.id)))
	auth.Write(a.id)
	auth.Write(a.coseKey())
	att := cborMap(
		cborText("fmt"), cborText("none"),
		cborText("attStmt"), cborMap(),
		cborText("authData"), cborBytes(auth.Bytes()),
	)
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, a.Origin)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"usb"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Get answers the options of navigator.credentials.get: the counter moves
// on by one and the assertion is signed.
func (a *Authenticator) Get(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	rpID := o.PublicKey.RPID
	if o.PublicKey.Challenge == "" || rpID == "" {
		return nil, errors.New("passkeytest: no challenge or rpId in the request options")
	}
	a.Counter++
	rpHash := sha256.Sum256([]byte(rpID))
	var auth bytes.Buffer
	auth.Write(rpHash[:])
	auth.WriteByte(a.flags())
	_ = binary.Write(&auth, binary.BigEndian, a.Counter)
	cd := clientData("webauthn.get", o.PublicKey.Challenge, a.Origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(auth.Bytes(), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	resp := map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"authenticatorData": b64.EncodeToString(auth.Bytes()),
		"signature":         b64.EncodeToString(sig),
	}
	if a.userHandle != nil {
		resp["userHandle"] = b64.EncodeToString(a.userHandle)
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": resp, "clientExtensionResults": map[string]any{},
	})
}

// coseKey is the public key as COSE_Key: EC2, ES256, P-256.
func (a *Authenticator) coseKey() []byte {
	pub, _ := a.key.PublicKey.Bytes() // 0x04 || X || Y
	return cborMap(
		cborInt(1), cborInt(2), // kty: EC2
		cborInt(3), cborInt(-7), // alg: ES256
		cborInt(-1), cborInt(1), // crv: P-256
		cborInt(-2), cborBytes(pub[1:33]),
		cborInt(-3), cborBytes(pub[33:65]),
	)
}

// A little CBOR (RFC 8949), enough for attestation objects and COSE keys.

func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	}
	return []byte{major<<5 | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func cborInt(n int64) []byte {
	if n < 0 {
		return cborHead(1, uint64(-1-n))
	}
	return cborHead(0, uint64(n))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }

// cborMap joins key, value, key, value, …
func cborMap(kv ...[]byte) []byte {
	out := cborHead(5, uint64(len(kv)/2))
	for _, b := range kv {
		out = append(out, b...)
	}
	return out
}
