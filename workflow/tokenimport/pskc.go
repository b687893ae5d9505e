package tokenimport

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Key algorithms of RFC 6030 §10.
const (
	algHOTP = nsPSKC + ":hotp"
	algTOTP = nsPSKC + ":totp"
	algPIN  = nsPSKC + ":pin"
)

// ParsePSKC reads a Portable Symmetric Key Container (RFC 6030).
//
// Each KeyPackage becomes one token: its serial is DeviceInfo/SerialNo (or
// Key/@Id when there is none), and its Key must be an HOTP or a TOTP key
// (any other algorithm is an error). Digits come from
// AlgorithmParameters/ResponseFormat/@Length (default 6), the hash from a
// Suite such as "HMAC-SHA256" (default SHA1), the HOTP counter from
// Data/Counter (default 0) and the TOTP step from Data/TimeInterval
// (default 30).
//
// Secrets are either PlainValue (base64) or EncryptedValue under the
// pre-shared key in opts (AES-128/192/256-CBC, RFC 6030 §6.1); a ValueMAC,
// when present, is checked before decrypting. A ValueMAC next to a
// PlainValue is ignored, as there is nothing it protects against that the
// upload channel does not.
//
// A PIN key (algorithm ...:pin) that a token's PINPolicy refers to is not a
// token and is skipped, but only PINs checked on the device itself
// (PINUsageMode "Local") are accepted: a token whose PIN the server must
// check would otherwise be imported without it.
func ParsePSKC(data []byte, opts Options) ([]Token, error) {
	if len(data) > MaxPSKCSize {
		return nil, &Error{Message: fmt.Sprintf("the file is larger than %d MiB; split it into smaller files", MaxPSKCSize>>20)}
	}
	c, e := decodeContainer(bytes.TrimPrefix(data, utf8BOM))
	if e != nil {
		return nil, e
	}
	tokens, e := newPSKCReader(c, opts).tokens()
	if e != nil {
		return nil, e
	}
	return tokens, nil
}

// pskcReader turns a decoded container into tokens.
type pskcReader struct {
	c       *xmlContainer
	psk     []byte
	pinKeys map[string]bool // Key/@Id of PIN keys that tokens refer to
	mac     *macParams      // loaded on the first ValueMAC
}

func newPSKCReader(c *xmlContainer, opts Options) *pskcReader {
	r := &pskcReader{c: c, psk: opts.PreSharedKey, pinKeys: map[string]bool{}}
	for _, kp := range c.KeyPackages {
		if k := kp.Key; k != nil && k.PINPolicy != nil && k.PINPolicy.PINKeyID != "" {
			r.pinKeys[strings.TrimSpace(k.PINPolicy.PINKeyID)] = true
		}
	}
	return r
}

func (r *pskcReader) tokens() ([]Token, *Error) {
	if v := strings.TrimSpace(r.c.Version); v != "" && v != "1.0" {
		return nil, &Error{Element: "KeyContainer/@Version", Message: fmt.Sprintf("PSKC version %s is not supported (only 1.0)", quote(v))}
	}
	var tokens []Token
	seen := serials{}
	for i := range r.c.KeyPackages {
		kp := &r.c.KeyPackages[i]
		if r.isPINKey(kp) {
			continue
		}
		at := &place{n: i + 1}
		if len(tokens) == MaxTokens {
			return nil, at.err("", tooManyTokens())
		}
		tok, e := r.keyPackage(at, kp, seen)
		if e != nil {
			return nil, e
		}
		tokens = append(tokens, tok)
	}
	if len(tokens) == 0 {
		return nil, &Error{Element: "KeyContainer", Message: "the file contains no tokens (no KeyPackage with an HOTP or TOTP key)"}
	}
	return tokens, nil
}

func (r *pskcReader) isPINKey(kp *xmlKeyPackage) bool {
	k := kp.Key
	return k != nil && strings.TrimSpace(k.Algorithm) == algPIN && r.pinKeys[strings.TrimSpace(k.ID)]
}

// place names a KeyPackage in messages: its 1-based position and, once
// known to be valid, its serial.
type place struct {
	n      int
	serial string
}

func (p *place) String() string {
	if p.serial == "" {
		return fmt.Sprintf("KeyPackage %d", p.n)
	}
	return fmt.Sprintf("KeyPackage %d (serial %q)", p.n, p.serial)
}

// err is a problem at path, an element below the KeyPackage. Paths of the
// Key's children start below Key ("Data/Secret"), as in RFC 6030's prose.
func (p *place) err(path, msg string) *Error {
	el := p.String()
	if path != "" {
		el += ": " + path
	}
	return &Error{Element: el, Message: msg}
}

// keyStep reads one aspect of a Key into tok.
type keyStep func(at *place, k *xmlKey, tok *Token) *Error

func (r *pskcReader) keyPackage(at *place, kp *xmlKeyPackage, seen serials) (Token, *Error) {
	if kp.Key == nil {
		return Token{}, at.err("Key", "the key package has no Key")
	}
	serial, path, e := keySerial(at, kp)
	if e != nil {
		return Token{}, e
	}
	if msg := seen.add(serial, fmt.Sprintf("in KeyPackage %d", at.n)); msg != "" {
		return Token{}, at.err(path, msg)
	}
	at.serial = serial

	tok := Token{Serial: serial, Algorithm: "SHA1", Digits: 6, Period: 30}
	for _, step := range []keyStep{keyType, checkPINPolicy, keyHash, keyDigits, r.keyData} {
		if e := step(at, kp.Key, &tok); e != nil {
			return Token{}, e
		}
	}
	return tok, nil
}

func keySerial(at *place, kp *xmlKeyPackage) (serial, path string, e *Error) {
	serial, path = strings.TrimSpace(kp.SerialNo), "DeviceInfo/SerialNo"
	if serial == "" {
		serial, path = strings.TrimSpace(kp.Key.ID), "Key/@Id"
	}
	if serial == "" {
		return "", "", at.err("DeviceInfo/SerialNo", "the key package has no serial number: neither DeviceInfo/SerialNo nor Key/@Id is set")
	}
	if msg := checkSerial(serial); msg != "" {
		return "", "", at.err(path, msg)
	}
	return serial, path, nil
}

func keyType(at *place, k *xmlKey, tok *Token) *Error {
	switch alg := strings.TrimSpace(k.Algorithm); alg {
	case algHOTP:
		tok.Type = "hotp"
	case algTOTP:
		tok.Type = "totp"
	case "":
		return at.err("Key/@Algorithm", "the Key has no Algorithm attribute")
	default:
		return at.err("Key/@Algorithm", fmt.Sprintf("the key algorithm %s is not supported; only HOTP (%s) and TOTP (%s) keys can be imported", quote(alg), algHOTP, algTOTP))
	}
	return nil
}

func checkPINPolicy(at *place, k *xmlKey, _ *Token) *Error {
	if k.PINPolicy == nil {
		return nil
	}
	const path = "Policy/PINPolicy/@PINUsageMode"
	switch mode := strings.TrimSpace(k.PINPolicy.PINUsageMode); {
	case strings.EqualFold(mode, "Local"):
		return nil
	case mode == "":
		return at.err(path, "the PINPolicy has no PINUsageMode, so it is unclear who checks the PIN")
	default:
		return at.err(path, fmt.Sprintf("the token expects its PIN to be checked by the server (PINUsageMode %s); only PINs checked on the device (Local) can be imported", quote(mode)))
	}
}

func keyHash(at *place, k *xmlKey, tok *Token) *Error {
	suite, path := strings.TrimSpace(k.Suite), "Key/@Suite"
	if p := k.Params; p != nil {
		switch {
		case p.Suite != nil:
			suite, path = strings.TrimSpace(*p.Suite), "AlgorithmParameters/Suite"
		case p.SuiteAttr != "":
			suite, path = strings.TrimSpace(p.SuiteAttr), "AlgorithmParameters/@Suite"
		}
	}
	if suite == "" {
		return nil
	}
	alg, ok := parseAlgorithm(suite)
	if !ok {
		return at.err(path, fmt.Sprintf("the hash %s is not supported (use HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512)", quote(suite)))
	}
	tok.Algorithm = alg
	return nil
}

func keyDigits(at *place, k *xmlKey, tok *Token) *Error {
	if k.Params == nil || k.Params.ResponseFormat == nil {
		return nil
	}
	rf := k.Params.ResponseFormat
	const path = "AlgorithmParameters/ResponseFormat"
	if enc := strings.TrimSpace(rf.Encoding); enc != "" && !strings.EqualFold(enc, "DECIMAL") {
		return at.err(path+"/@Encoding", fmt.Sprintf("codes encoded as %s are not supported; only DECIMAL", quote(enc)))
	}
	if cd := strings.TrimSpace(rf.CheckDigits); cd == "true" || cd == "1" {
		return at.err(path+"/@CheckDigits", "codes with a Luhn check digit are not supported")
	}
	length := strings.TrimSpace(rf.Length)
	if length == "" {
		return at.err(path+"/@Length", "the ResponseFormat has no Length (the number of digits)")
	}
	n, err := strconv.Atoi(length)
	if err != nil {
		return at.err(path+"/@Length", fmt.Sprintf("the number of digits %s is not a number", quote(length)))
	}
	if msg := checkDigits(n); msg != "" {
		return at.err(path+"/@Length", msg)
	}
	tok.Digits = n
	return nil
}

func (r *pskcReader) keyData(at *place, k *xmlKey, tok *Token) *Error {
	d := k.Data
	if d == nil || d.Secret == nil {
		if k.KeyReference != nil {
			return at.err("KeyReference", fmt.Sprintf("the key is derived from a master key (KeyReference %s), which is not supported; the file must carry the secret", quote(strings.TrimSpace(*k.KeyReference))))
		}
		return at.err("Data/Secret", "the key has no secret")
	}
	secret, e := r.secret(at, d.Secret)
	if e != nil {
		return e
	}
	tok.Secret = secret
	if tok.Type == "hotp" {
		return counter(at, d.Counter, tok)
	}
	return timeInterval(at, d.TimeInterval, tok)
}

func (r *pskcReader) secret(at *place, s *xmlSecret) ([]byte, *Error) {
	const path = "Data/Secret"
	var (
		secret []byte
		where  string
		e      *Error
	)
	switch {
	case s.PlainValue != nil && s.EncryptedValue != nil:
		return nil, at.err(path, "the secret has both a PlainValue and an EncryptedValue")
	case s.PlainValue != nil:
		where = path + "/PlainValue"
		var ok bool
		if secret, ok = decodeBase64(*s.PlainValue); !ok {
			return nil, at.err(where, "the secret is empty or not valid base64")
		}
	case s.EncryptedValue != nil:
		where = path + "/EncryptedValue"
		if secret, e = r.encryptedSecret(at, s); e != nil {
			return nil, e
		}
	default:
		return nil, at.err(path, "the secret has neither a PlainValue nor an EncryptedValue")
	}
	if msg := checkSecretLen(secret); msg != "" {
		return nil, at.err(where, msg)
	}
	return secret, nil
}

func counter(at *place, v *xmlValue, tok *Token) *Error {
	const path = "Data/Counter"
	s, ok, e := plainValue(at, path, "Counter", v)
	if !ok {
		return e
	}
	n, msg := parseCounter(s)
	if msg != "" {
		return at.err(path+"/PlainValue", msg)
	}
	tok.Counter = n
	return nil
}

func timeInterval(at *place, v *xmlValue, tok *Token) *Error {
	const path = "Data/TimeInterval"
	s, ok, e := plainValue(at, path, "TimeInterval", v)
	if !ok {
		return e
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return at.err(path+"/PlainValue", fmt.Sprintf("the time step %s is not a number", quote(s)))
	}
	if msg := checkPeriod(n); msg != "" {
		return at.err(path+"/PlainValue", msg)
	}
	tok.Period = n
	return nil
}

// plainValue returns the text of a non-secret Data value, ok false when it
// is absent or wrong (then e says why, or is nil for absent). Such values
// are hardly ever encrypted, and are not supported when they are.
func plainValue(at *place, path, name string, v *xmlValue) (s string, ok bool, e *Error) {
	switch {
	case v == nil:
		return "", false, nil
	case v.EncryptedValue != nil:
		return "", false, at.err(path+"/EncryptedValue", "an encrypted "+name+" is not supported; only the secret may be encrypted")
	case v.PlainValue == nil:
		return "", false, at.err(path, "the "+name+" has no PlainValue")
	}
	return strings.TrimSpace(*v.PlainValue), true, nil
}

// decodeBase64 decodes an xs:base64Binary, which may be spread over
// indented lines.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}
