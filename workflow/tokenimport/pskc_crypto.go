package tokenimport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// cbcKeyLen maps the XML Encryption CBC algorithms to their key length.
var cbcKeyLen = map[string]int{
	nsXENC + "aes128-cbc": 16,
	nsXENC + "aes192-cbc": 24,
	nsXENC + "aes256-cbc": 32,
}

// macHashes maps MACMethod algorithms to hashes. RFC 6030 names only
// hmac-sha1; the SHA-2 ones (RFC 6931) cost nothing to accept.
var macHashes = map[string]func() hash.Hash{
	nsDS + "hmac-sha1": sha1.New,
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha224": sha256.New224,
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": sha256.New,
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha384": sha512.New384,
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": sha512.New,
}

// cbcValue is an xenc CipherValue: IV || AES-CBC ciphertext.
type cbcValue []byte

// fieldError is a problem inside an encrypted element; path is relative to
// it, e.g. "/CipherData/CipherValue".
type fieldError struct{ path, msg string }

// parseEncrypted checks an EncryptedValue or MACKey before anything is
// decrypted: the algorithm must be AES-CBC with a key as long as the one
// we hold, and the CipherValue must be whole blocks after the IV.
func parseEncrypted(ev *xmlEncrypted, keyLen int) (cbcValue, *fieldError) {
	if ev.Method == nil {
		return nil, &fieldError{"", "the encrypted value has no EncryptionMethod"}
	}
	alg := strings.TrimSpace(ev.Method.Algorithm)
	n, ok := cbcKeyLen[alg]
	if !ok {
		return nil, &fieldError{"/EncryptionMethod/@Algorithm", fmt.Sprintf("the encryption algorithm %s is not supported (use %saes128-cbc, aes192-cbc or aes256-cbc)", quote(alg), nsXENC)}
	}
	if keyLen != n {
		return nil, &fieldError{"/EncryptionMethod/@Algorithm", fmt.Sprintf("the file uses %s, which needs a %d-byte pre-shared key, but the key given is %d bytes", strings.TrimPrefix(alg, nsXENC), n, keyLen)}
	}
	cd := ev.CipherData
	if cd == nil || cd.CipherValue == nil {
		if cd != nil && cd.CipherReference != nil {
			return nil, &fieldError{"/CipherData/CipherReference", "encrypted values stored outside the file (CipherReference) are not supported"}
		}
		return nil, &fieldError{"/CipherData/CipherValue", "the encrypted value has no CipherValue"}
	}
	raw, ok := decodeBase64(*cd.CipherValue)
	if !ok {
		return nil, &fieldError{"/CipherData/CipherValue", "the CipherValue is empty or not valid base64"}
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, &fieldError{"/CipherData/CipherValue", fmt.Sprintf("the CipherValue is %d bytes long; AES-CBC needs a 16-byte IV followed by whole 16-byte blocks", len(raw))}
	}
	return cbcValue(raw), nil
}

// decrypt returns the plaintext, or false when the padding is wrong, which
// is how a wrong key shows (it slips through about once in 256 tries; the
// ValueMAC, when the file has one, catches those).
func (v cbcValue) decrypt(key []byte) ([]byte, bool) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, false
	}
	iv, ct := v[:aes.BlockSize], v[aes.BlockSize:]
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ct)
	return unpad(out)
}

// unpad strips PKCS#7 padding, which RFC 6030 producers use.
func unpad(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// checkEncryptionKey says whether we can decrypt this file's secrets at all.
func (r *pskcReader) checkEncryptionKey(at *place) *Error {
	const path = "Data/Secret/EncryptedValue"
	if ek := r.c.EncryptionKey; ek != nil {
		switch {
		case ek.DerivedKey != nil:
			return at.err(path, "the secrets are encrypted with a key derived from a password (EncryptionKey/DerivedKey), which is not supported; export the file with a pre-shared key")
		case ek.X509Data != nil:
			return at.err(path, "the secrets are encrypted to a certificate (EncryptionKey/X509Data), which is not supported; export the file with a pre-shared key")
		}
	}
	if len(r.psk) == 0 {
		return at.err(path, "this file's secrets are encrypted; give the pre-shared key")
	}
	return nil
}

// encryptedSecret checks the ValueMAC, if any, and then decrypts.
func (r *pskcReader) encryptedSecret(at *place, s *xmlSecret) ([]byte, *Error) {
	const path = "Data/Secret/EncryptedValue"
	if e := r.checkEncryptionKey(at); e != nil {
		return nil, e
	}
	v, fe := parseEncrypted(s.EncryptedValue, len(r.psk))
	if fe != nil {
		return nil, at.err(path+fe.path, fe.msg)
	}
	if s.ValueMAC != nil {
		if e := r.verifyMAC(at, *s.ValueMAC, v); e != nil {
			return nil, e
		}
	}
	secret, ok := v.decrypt(r.psk)
	if !ok {
		return nil, at.err(path, "the secret could not be decrypted: the pre-shared key is wrong or the file is damaged")
	}
	return secret, nil
}

// macParams is the container's MACMethod, with the MAC key decrypted.
type macParams struct {
	hash func() hash.Hash
	key  []byte
	err  *Error
}

// verifyMAC checks ValueMAC = HMAC(MACKey, IV || ciphertext) (RFC 6030
// §6.1.1), before the ciphertext is decrypted.
func (r *pskcReader) verifyMAC(at *place, valueMAC string, v cbcValue) *Error {
	const path = "Data/Secret/ValueMAC"
	if r.c.MACMethod == nil {
		return at.err(path, "the secret has a ValueMAC but the file has no MACMethod to check it with")
	}
	if r.mac == nil {
		r.mac = loadMAC(r.c.MACMethod, r.psk)
	}
	if r.mac.err != nil {
		return r.mac.err
	}
	want, ok := decodeBase64(valueMAC)
	if !ok {
		return at.err(path, "the ValueMAC is empty or not valid base64")
	}
	m := hmac.New(r.mac.hash, r.mac.key)
	m.Write(v)
	if !hmac.Equal(m.Sum(nil), want) {
		return at.err(path, "the MAC of the encrypted secret does not match: the file was altered, or the pre-shared key is wrong")
	}
	return nil
}

// loadMAC reads the MACMethod once for the whole file.
func loadMAC(m *xmlMACMethod, psk []byte) *macParams {
	const path = "KeyContainer/MACMethod"
	alg := strings.TrimSpace(m.Algorithm)
	h, ok := macHashes[alg]
	if !ok {
		return &macParams{err: &Error{Element: path + "/@Algorithm", Message: fmt.Sprintf("the MAC algorithm %s is not supported (use %shmac-sha1)", quote(alg), nsDS)}}
	}
	switch {
	case m.MACKey != nil:
		v, fe := parseEncrypted(m.MACKey, len(psk))
		if fe != nil {
			return &macParams{err: &Error{Element: path + "/MACKey" + fe.path, Message: fe.msg}}
		}
		key, ok := v.decrypt(psk)
		if !ok || len(key) == 0 {
			return &macParams{err: &Error{Element: path + "/MACKey", Message: "the MAC key could not be decrypted: the pre-shared key is wrong or the file is damaged"}}
		}
		return &macParams{hash: h, key: key}
	case m.MACKeyReference != nil:
		return &macParams{err: &Error{Element: path + "/MACKeyReference", Message: "a MAC key given by reference (MACKeyReference) is not supported"}}
	default:
		// Drafts of RFC 6030 used the encryption key as the MAC key, and
		// files from that time still turn up.
		return &macParams{hash: h, key: psk}
	}
}
