package tokenimport

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"reflect"
	"strings"
	"testing"

	"tokenportal/workflow/otp"
)

// The RFC 6030 examples in testdata/rfc6030 are transcribed from the RFC's
// figures. RFC 6030 numbers them: 2 the minimal container (a 4-byte
// secret), 3 the one with supplementary data (serial 987654321, the RFC
// 4226 secret, 8 digits), 4 a key derived from a master key (no secret),
// 5 a PIN policy, 6 AES-128-CBC under a pre-shared key with a MAC, 7 a
// PBKDF2-derived key, 10 bulk provisioning.

// rfc6030PSK is the pre-shared key of RFC 6030 Figure 6.
var rfc6030PSK = mustHex("12345678901234567890123456789012")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func readFigure(t testing.TB, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("testdata/rfc6030/figure%d.xml", n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rfc4226Token is what Figures 3, 5 and 6 all describe.
var rfc4226Token = Token{Serial: "987654321", Type: "hotp", Secret: []byte(rfc4226Secret), Algorithm: "SHA1", Digits: 8, Period: 30}

func requireRFC4226Token(t *testing.T, toks []Token, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 1 || !reflect.DeepEqual(toks[0], rfc4226Token) {
		t.Fatalf("got %+v, want [%+v]", toks, rfc4226Token)
	}
	if code := otp.Code(toks[0].Secret, 0, otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30}); code != "755224" {
		t.Errorf("HOTP code = %s, want 755224", code)
	}
	if code := otp.Code(toks[0].Secret, 0, otp.Params{Algorithm: otp.SHA1, Digits: 8, Period: 30}); code != "84755224" {
		t.Errorf("8-digit HOTP code = %s, want 84755224", code)
	}
}

func TestRFC6030Figure3SupplementaryData(t *testing.T) {
	toks, err := ParsePSKC(readFigure(t, 3), Options{})
	requireRFC4226Token(t, toks, err)
}

func TestRFC6030Figure5PINPolicy(t *testing.T) {
	// The second KeyPackage is the PIN of the first (PINKeyId), checked on
	// the device: it is not a token, and its serial is not a duplicate.
	toks, err := ParsePSKC(readFigure(t, 5), Options{})
	requireRFC4226Token(t, toks, err)
}

func TestRFC6030Figure6PreSharedKey(t *testing.T) {
	toks, err := ParsePSKC(readFigure(t, 6), Options{PreSharedKey: rfc6030PSK})
	requireRFC4226Token(t, toks, err)
	if !bytes.Equal(toks[0].Secret, mustHex("3132333435363738393031323334353637383930")) {
		t.Errorf("secret = %x", toks[0].Secret)
	}
}

func TestRFC6030Figure6Errors(t *testing.T) {
	fig := readFigure(t, 6)
	const where = `KeyPackage 1 (serial "987654321"): Data/Secret`

	t.Run("no key", func(t *testing.T) {
		toks, err := ParsePSKC(fig, Options{})
		requireError(t, toks, err, 0, where+"/EncryptedValue", "this file's secrets are encrypted; give the pre-shared key")
	})
	t.Run("wrong key", func(t *testing.T) {
		// The MAC key is encrypted under the same key, so it fails first.
		toks, err := ParsePSKC(fig, Options{PreSharedKey: mustHex("00000000000000000000000000000000")})
		requireError(t, toks, err, 0, "KeyContainer/MACMethod/MACKey", "the pre-shared key is wrong")
	})
	t.Run("key of the wrong length", func(t *testing.T) {
		toks, err := ParsePSKC(fig, Options{PreSharedKey: bytes.Repeat(rfc6030PSK, 2)})
		requireError(t, toks, err, 0, where+"/EncryptedValue/EncryptionMethod/@Algorithm", "aes128-cbc, which needs a 16-byte pre-shared key, but the key given is 32 bytes")
	})
	t.Run("bad MAC", func(t *testing.T) {
		bad := bytes.Replace(fig, []byte("Su+NvtQfmvfJzF6bmQiJqoLRExc="), []byte("Tu+NvtQfmvfJzF6bmQiJqoLRExc="), 1)
		toks, err := ParsePSKC(bad, Options{PreSharedKey: rfc6030PSK})
		requireError(t, toks, err, 0, where+"/ValueMAC", "the MAC of the encrypted secret does not match")
	})
	t.Run("altered ciphertext", func(t *testing.T) {
		bad := bytes.Replace(fig, []byte("AAECAwQFBgcICQoLDA0OD+cI"), []byte("AAECAwQFBgcICQoLDA0OD+cJ"), 1)
		toks, err := ParsePSKC(bad, Options{PreSharedKey: rfc6030PSK})
		requireError(t, toks, err, 0, where+"/ValueMAC", "does not match")
	})
	t.Run("unknown MAC algorithm", func(t *testing.T) {
		bad := bytes.Replace(fig, []byte("xmldsig#hmac-sha1"), []byte("xmldsig#hmac-md5"), 1)
		toks, err := ParsePSKC(bad, Options{PreSharedKey: rfc6030PSK})
		requireError(t, toks, err, 0, "KeyContainer/MACMethod/@Algorithm", `the MAC algorithm "http://www.w3.org/2000/09/xmldsig#hmac-md5" is not supported`)
	})
}

func TestRFC6030UnsupportedFigures(t *testing.T) {
	for _, tc := range []struct {
		figure           int
		element, message string
	}{
		{2, `KeyPackage 1 (serial "12345678"): Data/Secret/PlainValue`, "the seed is 4 bytes long"},
		{4, `KeyPackage 1 (serial "987654321"): KeyReference`, `derived from a master key (KeyReference "MasterKeyLabel")`},
		{7, `KeyPackage 1 (serial "987654321"): Data/Secret/EncryptedValue`, "derived from a password"},
		{10, "KeyPackage 4: DeviceInfo/SerialNo", `the serial "9999999" appears twice in the file (first in KeyPackage 3)`},
	} {
		t.Run(fmt.Sprint("figure", tc.figure), func(t *testing.T) {
			toks, err := ParsePSKC(readFigure(t, tc.figure), Options{PreSharedKey: rfc6030PSK})
			requireError(t, toks, err, 0, tc.element, tc.message)
		})
	}
}

// Builders for our own fixtures.

const containerHead = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
`

func container(parts ...string) string {
	return containerHead + strings.Join(parts, "\n") + "\n</KeyContainer>\n"
}

// omit leaves a kp part out; an empty part takes the default.
const omit = "-"

// kp describes a KeyPackage; empty fields take an HOTP default.
type kp struct {
	serial, alg, params, data, policy string
}

func pkg(k kp) string {
	def := func(v, d string) string {
		switch v {
		case "":
			return d
		case omit:
			return ""
		}
		return v
	}
	serial := def(k.serial, "h1")
	if serial != "" {
		serial = "<DeviceInfo><SerialNo>" + serial + "</SerialNo></DeviceInfo>"
	}
	return fmt.Sprintf("<KeyPackage>%s<Key Id=\"k1\" Algorithm=%q>%s<Data>%s</Data>%s</Key></KeyPackage>",
		serial,
		def(k.alg, algHOTP),
		def(k.params, `<AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>`),
		def(k.data, plainSecret(rfc4226Secret)+`<Counter><PlainValue>0</PlainValue></Counter>`),
		def(k.policy, ""))
}

func plainSecret(secret string) string {
	return "<Secret><PlainValue>" + base64.StdEncoding.EncodeToString([]byte(secret)) + "</PlainValue></Secret>"
}

// encryptCBC is RFC 6030 §6.1: base64(IV || AES-CBC(PKCS#7(plain))).
func encryptCBC(t testing.TB, key, iv, plain []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	out := append(bytes.Clone(iv), make([]byte, len(padded))...)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out[len(iv):], padded)
	return out
}

func encryptedValue(alg string, raw []byte) string {
	return fmt.Sprintf(`<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#%s"/>
<xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData>`, alg, base64.StdEncoding.EncodeToString(raw))
}

func hmacOf(h func() hash.Hash, key, data []byte) string {
	m := hmac.New(h, key)
	m.Write(data)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// encryptedFixture builds a two-token file encrypted under psk with
// aes<bits>-cbc, MAC'd with HMAC-SHA256 under an encrypted MAC key.
type encryptedFixture struct {
	psk, macKey []byte
	alg         string // aes128-cbc, aes192-cbc, aes256-cbc
	noMAC       bool
}

func (f encryptedFixture) build(t testing.TB) []byte {
	iv := func(b byte) []byte { return bytes.Repeat([]byte{b}, aes.BlockSize) }
	secret := func(plain []byte, ivByte byte) string {
		raw := encryptCBC(t, f.psk, iv(ivByte), plain)
		s := "<Secret><EncryptedValue>" + encryptedValue(f.alg, raw) + "</EncryptedValue>"
		if !f.noMAC {
			s += "<ValueMAC>" + hmacOf(sha256.New, f.macKey, raw) + "</ValueMAC>"
		}
		return s + "</Secret>"
	}
	var mac string
	if !f.noMAC {
		mac = `<MACMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"><MACKey>` +
			encryptedValue(f.alg, encryptCBC(t, f.psk, iv(9), f.macKey)) + `</MACKey></MACMethod>`
	}
	totp := pkg(kp{
		serial: "TOTP-1",
		alg:    algTOTP,
		params: `<AlgorithmParameters><Suite>HMAC-SHA256</Suite><ResponseFormat Length="8" Encoding="DECIMAL"/></AlgorithmParameters>`,
		data: secret([]byte("12345678901234567890123456789012"), 1) +
			`<Time><PlainValue>0</PlainValue></Time><TimeInterval><PlainValue>60</PlainValue></TimeInterval>`,
	})
	hotp := pkg(kp{
		serial: "HOTP-2",
		data:   secret([]byte(rfc4226Secret), 2) + `<Counter><PlainValue>17</PlainValue></Counter>`,
	})
	return []byte(container(`<EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>`, mac, totp, hotp))
}

func TestPSKCEncrypted(t *testing.T) {
	want := []Token{
		{Serial: "TOTP-1", Type: "totp", Secret: []byte("12345678901234567890123456789012"), Algorithm: "SHA256", Digits: 8, Period: 60},
		{Serial: "HOTP-2", Type: "hotp", Secret: []byte(rfc4226Secret), Algorithm: "SHA1", Digits: 6, Period: 30, Counter: 17},
	}
	macKey := mustHex("1122334455667788990011223344556677889900")
	for _, f := range []encryptedFixture{
		{psk: bytes.Repeat([]byte{0xA5}, 16), macKey: macKey, alg: "aes128-cbc"},
		{psk: bytes.Repeat([]byte{0xA5}, 24), macKey: macKey, alg: "aes192-cbc"},
		{psk: bytes.Repeat([]byte{0xA5}, 32), macKey: macKey, alg: "aes256-cbc"},
		{psk: bytes.Repeat([]byte{0xA5}, 16), alg: "aes128-cbc", noMAC: true},
	} {
		t.Run(fmt.Sprintf("%s MAC %v", f.alg, !f.noMAC), func(t *testing.T) {
			toks, err := ParsePSKC(f.build(t), Options{PreSharedKey: f.psk})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(toks, want) {
				t.Fatalf("got  %+v\nwant %+v", toks, want)
			}
			checkTokens(t, toks)
		})
	}
}

func TestPSKCEncryptedWrongKeyWithoutMAC(t *testing.T) {
	// Without a MAC, a wrong key shows as bad padding.
	f := encryptedFixture{psk: bytes.Repeat([]byte{0xA5}, 16), alg: "aes128-cbc", noMAC: true}
	toks, err := ParsePSKC(f.build(t), Options{PreSharedKey: bytes.Repeat([]byte{0x5A}, 16)})
	requireError(t, toks, err, 0, `KeyPackage 1 (serial "TOTP-1"): Data/Secret/EncryptedValue`, "the secret could not be decrypted: the pre-shared key is wrong")
}

func TestPSKCEncryptedWrongKeyWithMAC(t *testing.T) {
	f := encryptedFixture{psk: bytes.Repeat([]byte{0xA5}, 32), macKey: []byte("0123456789abcdef0123"), alg: "aes256-cbc"}
	toks, err := ParsePSKC(f.build(t), Options{PreSharedKey: bytes.Repeat([]byte{0x5A}, 32)})
	requireError(t, toks, err, 0, "KeyContainer/MACMethod/MACKey", "the MAC key could not be decrypted: the pre-shared key is wrong")
}

func TestPSKCMACWithEncryptionKey(t *testing.T) {
	// Pre-RFC files have a MACMethod without MACKey: the MAC key is the
	// encryption key.
	psk := bytes.Repeat([]byte{7}, 16)
	raw := encryptCBC(t, psk, bytes.Repeat([]byte{1}, 16), []byte(rfc4226Secret))
	data := "<Secret><EncryptedValue>" + encryptedValue("aes128-cbc", raw) + "</EncryptedValue><ValueMAC>" +
		hmacOf(sha1.New, psk, raw) + "</ValueMAC></Secret>"
	doc := container(`<MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"/>`, pkg(kp{data: data}))
	toks, err := ParsePSKC([]byte(doc), Options{PreSharedKey: psk})
	if err != nil || len(toks) != 1 || string(toks[0].Secret) != rfc4226Secret {
		t.Fatalf("%+v, %v", toks, err)
	}
}

func TestPSKCTOTPPlain(t *testing.T) {
	// Namespace prefixes, Suite as an attribute, a secret over several
	// lines, default digits and step, and a Counter that TOTP ignores.
	secret := strings.Repeat("1234567890", 6) + "1234"
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	doc := `<?xml version="1.0"?>
<pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
  <pskc:KeyPackage>
    <pskc:Key Id="TOTP-A" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <pskc:AlgorithmParameters Suite="sha512"/>
      <pskc:Data>
        <pskc:Secret><pskc:PlainValue>
          ` + b64[:40] + `
          ` + b64[40:] + `
        </pskc:PlainValue></pskc:Secret>
        <pskc:Time><pskc:PlainValue>0</pskc:PlainValue></pskc:Time>
        <pskc:Counter><pskc:PlainValue>5</pskc:PlainValue></pskc:Counter>
      </pskc:Data>
    </pskc:Key>
  </pskc:KeyPackage>
</pskc:KeyContainer>`
	toks, err := ParsePSKC([]byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Token{{Serial: "TOTP-A", Type: "totp", Secret: []byte(secret), Algorithm: "SHA512", Digits: 6, Period: 30}}
	if !reflect.DeepEqual(toks, want) {
		t.Fatalf("got  %+v\nwant %+v", toks, want)
	}
}

func TestPSKCErrors(t *testing.T) {
	hotp := func(k kp) string { return container(pkg(k)) }
	const pk1 = `KeyPackage 1 (serial "h1"): `
	for _, tc := range []struct {
		name, in   string
		line       int
		element    string
		msg        string
		presharedK []byte
	}{
		{name: "not XML", in: "<KeyContainer xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n<KeyPackage>\n</KeyContainer>", line: 3, msg: "the file is not well-formed XML: element <KeyPackage> closed by </KeyContainer>"},
		{name: "truncated", in: containerHead + "<KeyPackage>", line: 6, msg: "not well-formed XML: unexpected EOF"},
		{name: "undefined entity", in: containerHead + "<KeyPackage>&xxe;</KeyPackage></KeyContainer>", line: 6, msg: "not well-formed XML"},
		{name: "DOCTYPE", in: `<?xml version="1.0"?>
<!DOCTYPE KeyContainer [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>`, line: 2, msg: "DOCTYPE"},
		{name: "DOCTYPE inside", in: containerHead + "<!DOCTYPE x>" + pkg(kp{}) + "</KeyContainer>", line: 6, msg: "DOCTYPE"},
		{name: "other encoding", in: `<?xml version="1.0" encoding="ISO-8859-1"?><KeyContainer/>`, msg: `the file is encoded as "ISO-8859-1"; only UTF-8 is supported`},
		{name: "not PSKC", in: `<html><body/></html>`, line: 1, element: "html", msg: "this is not a PSKC file: the top element is <html>"},
		{name: "no namespace", in: `<KeyContainer Version="1.0"/>`, line: 1, element: "KeyContainer", msg: "no XML namespace"},
		{name: "draft namespace", in: `<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc:1.0"/>`, line: 1, element: "KeyContainer", msg: "pre-standard PSKC drafts are not supported"},
		{name: "two roots", in: container(pkg(kp{})) + "<KeyContainer/>", line: 8, msg: "more than one top-level element"},
		{name: "no Algorithm", in: hotp(kp{alg: omit}), element: pk1 + "Key/@Algorithm", msg: "the Key has no Algorithm attribute"},
		{name: "long Algorithm", in: hotp(kp{alg: strings.Repeat("x", 100)}), element: pk1 + "Key/@Algorithm", msg: `"` + strings.Repeat("x", 64) + `"… is not supported`},
		{name: "PIN policy without mode", in: hotp(kp{policy: `<Policy><PINPolicy PINKeyId="p"/></Policy>`}), element: pk1 + "Policy/PINPolicy/@PINUsageMode", msg: "no PINUsageMode"},
		{name: "CipherReference", in: hotp(kp{data: `<Secret><EncryptedValue><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><xenc:CipherData><xenc:CipherReference URI="x"/></xenc:CipherData></EncryptedValue></Secret>`}), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/EncryptedValue/CipherData/CipherReference", msg: "stored outside the file"},
		{name: "CipherValue not base64", in: hotp(kp{data: `<Secret><EncryptedValue><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><xenc:CipherData><xenc:CipherValue>!!</xenc:CipherValue></xenc:CipherData></EncryptedValue></Secret>`}), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/EncryptedValue/CipherData/CipherValue", msg: "not valid base64"},
		{name: "MACKeyReference", in: container(`<MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"><MACKeyReference>k</MACKeyReference></MACMethod>`, pkg(kp{data: "<Secret><EncryptedValue>" + encryptedValue("aes128-cbc", make([]byte, 32)) + "</EncryptedValue><ValueMAC>AAAA</ValueMAC></Secret>"})), presharedK: make([]byte, 16), element: "KeyContainer/MACMethod/MACKeyReference", msg: "not supported"},
		{name: "TimeInterval without PlainValue", in: hotp(kp{alg: algTOTP, data: plainSecret(rfc4226Secret) + "<TimeInterval/>"}), element: pk1 + "Data/TimeInterval", msg: "the TimeInterval has no PlainValue"},
		{name: "too deep", in: containerHead + strings.Repeat("<a>", 100), line: 6, msg: "nested more than 64 elements deep"},
		{name: "text after root", in: container(pkg(kp{})) + "junk", line: 8, msg: "text outside the KeyContainer"},
		{name: "version", in: strings.Replace(container(pkg(kp{})), `Version="1.0"`, `Version="2.0"`, 1), element: "KeyContainer/@Version", msg: `PSKC version "2.0" is not supported`},
		{name: "no key packages", in: container(), element: "KeyContainer", msg: "the file contains no tokens"},
		{name: "no Key", in: container("<KeyPackage><DeviceInfo><SerialNo>x</SerialNo></DeviceInfo></KeyPackage>"), element: "KeyPackage 1: Key", msg: "the key package has no Key"},
		{name: "unknown Key Algorithm", in: hotp(kp{alg: "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA1-6:QN08"}), element: pk1 + "Key/@Algorithm", msg: `the key algorithm "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA1-6:QN08" is not supported; only HOTP`},
		{name: "unreferenced PIN key", in: hotp(kp{alg: algPIN}), element: pk1 + "Key/@Algorithm", msg: "pskc:pin\" is not supported"},
		{name: "missing secret", in: hotp(kp{data: "<Counter><PlainValue>0</PlainValue></Counter>"}), element: pk1 + "Data/Secret", msg: "the key has no secret"},
		{name: "missing Data", in: container("<KeyPackage><DeviceInfo><SerialNo>h1</SerialNo></DeviceInfo><Key Algorithm=\"" + algHOTP + "\"/></KeyPackage>"), element: pk1 + "Data/Secret", msg: "the key has no secret"},
		{name: "empty secret", in: hotp(kp{data: "<Secret/>"}), element: pk1 + "Data/Secret", msg: "neither a PlainValue nor an EncryptedValue"},
		{name: "bad base64", in: hotp(kp{data: "<Secret><PlainValue>MTIz*NA==</PlainValue></Secret>"}), element: pk1 + "Data/Secret/PlainValue", msg: "not valid base64"},
		{name: "secret too long", in: hotp(kp{data: plainSecret(strings.Repeat("x", 129))}), element: pk1 + "Data/Secret/PlainValue", msg: "the seed is 129 bytes long"},
		{name: "both values", in: hotp(kp{data: "<Secret><PlainValue>MTIzNA==</PlainValue><EncryptedValue/></Secret>"}), element: pk1 + "Data/Secret", msg: "both a PlainValue and an EncryptedValue"},
		{name: "encrypted without key", in: hotp(kp{data: "<Secret><EncryptedValue/></Secret>"}), element: pk1 + "Data/Secret/EncryptedValue", msg: "give the pre-shared key"},
		{name: "unsupported cipher", in: hotp(kp{data: "<Secret><EncryptedValue>" + encryptedValue("kw-aes128", make([]byte, 24)) + "</EncryptedValue></Secret>"}), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/EncryptedValue/EncryptionMethod/@Algorithm", msg: "kw-aes128\" is not supported"},
		{name: "no EncryptionMethod", in: hotp(kp{data: "<Secret><EncryptedValue/></Secret>"}), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/EncryptedValue", msg: "no EncryptionMethod"},
		{name: "short ciphertext", in: hotp(kp{data: "<Secret><EncryptedValue>" + encryptedValue("aes128-cbc", make([]byte, 20)) + "</EncryptedValue></Secret>"}), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/EncryptedValue/CipherData/CipherValue", msg: "the CipherValue is 20 bytes long"},
		{name: "ValueMAC without MACMethod", in: hotp(kp{data: "<Secret><EncryptedValue>" + encryptedValue("aes128-cbc", make([]byte, 32)) + "</EncryptedValue><ValueMAC>AAAA</ValueMAC></Secret>"}), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/ValueMAC", msg: "no MACMethod"},
		{name: "certificate encryption", in: container("<EncryptionKey><ds:X509Data/></EncryptionKey>", pkg(kp{data: "<Secret><EncryptedValue/></Secret>"})), presharedK: make([]byte, 16), element: pk1 + "Data/Secret/EncryptedValue", msg: "encrypted to a certificate"},
		{name: "bad digits", in: hotp(kp{params: `<AlgorithmParameters><ResponseFormat Length="7" Encoding="DECIMAL"/></AlgorithmParameters>`}), element: pk1 + "AlgorithmParameters/ResponseFormat/@Length", msg: "7 digits are not supported (use 6 or 8)"},
		{name: "digits not a number", in: hotp(kp{params: `<AlgorithmParameters><ResponseFormat Length="six"/></AlgorithmParameters>`}), element: pk1 + "AlgorithmParameters/ResponseFormat/@Length", msg: `"six" is not a number`},
		{name: "no Length", in: hotp(kp{params: `<AlgorithmParameters><ResponseFormat Encoding="DECIMAL"/></AlgorithmParameters>`}), element: pk1 + "AlgorithmParameters/ResponseFormat/@Length", msg: "no Length"},
		{name: "hex encoding", in: hotp(kp{params: `<AlgorithmParameters><ResponseFormat Length="8" Encoding="HEXADECIMAL"/></AlgorithmParameters>`}), element: pk1 + "AlgorithmParameters/ResponseFormat/@Encoding", msg: `codes encoded as "HEXADECIMAL" are not supported; only DECIMAL`},
		{name: "check digits", in: hotp(kp{params: `<AlgorithmParameters><ResponseFormat Length="6" CheckDigits="true"/></AlgorithmParameters>`}), element: pk1 + "AlgorithmParameters/ResponseFormat/@CheckDigits", msg: "Luhn"},
		{name: "unknown suite", in: hotp(kp{params: `<AlgorithmParameters><Suite>HMAC-MD5</Suite></AlgorithmParameters>`}), element: pk1 + "AlgorithmParameters/Suite", msg: `the hash "HMAC-MD5" is not supported`},
		{name: "negative counter", in: hotp(kp{data: plainSecret(rfc4226Secret) + "<Counter><PlainValue>-1</PlainValue></Counter>"}), element: pk1 + "Data/Counter/PlainValue", msg: `the counter "-1" is not a whole number`},
		{name: "encrypted counter", in: hotp(kp{data: plainSecret(rfc4226Secret) + "<Counter><EncryptedValue/></Counter>"}), element: pk1 + "Data/Counter/EncryptedValue", msg: "an encrypted Counter is not supported"},
		{name: "bad step", in: hotp(kp{alg: algTOTP, data: plainSecret(rfc4226Secret) + "<TimeInterval><PlainValue>45</PlainValue></TimeInterval>"}), element: pk1 + "Data/TimeInterval/PlainValue", msg: "a time step of 45 seconds is not supported"},
		{name: "server PIN", in: hotp(kp{policy: `<Policy><PINPolicy PINKeyId="p" PINUsageMode="Prepend"/></Policy>`}), element: pk1 + "Policy/PINPolicy/@PINUsageMode", msg: `(PINUsageMode "Prepend"); only PINs checked on the device`},
		{name: "bad serial", in: hotp(kp{serial: "bad serial!"}), element: "KeyPackage 1: DeviceInfo/SerialNo", msg: `the serial "bad serial!" may only contain`},
		{name: "bad Key Id as serial", in: container(strings.Replace(pkg(kp{serial: omit}), ` Id="k1"`, ` Id="k 1"`, 1)), element: "KeyPackage 1: Key/@Id", msg: `the serial "k 1" may only contain`},
		{name: "no serial at all", in: container(strings.Replace(pkg(kp{serial: omit}), ` Id="k1"`, "", 1)), element: "KeyPackage 1: DeviceInfo/SerialNo", msg: "no serial number"},
		{name: "duplicate serial", in: container(pkg(kp{serial: "AB"}), pkg(kp{serial: "ab"})), element: "KeyPackage 2: DeviceInfo/SerialNo", msg: `the serial "ab" appears twice in the file (first in KeyPackage 1, as "AB")`},
		{name: "first problem wins", in: container(pkg(kp{serial: "a"}), pkg(kp{serial: "b", alg: algTOTP + "x"}), pkg(kp{serial: "c", params: `<AlgorithmParameters><ResponseFormat Length="7"/></AlgorithmParameters>`})), element: `KeyPackage 2 (serial "b"): Key/@Algorithm`, msg: "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := ParsePSKC([]byte(tc.in), Options{PreSharedKey: tc.presharedK})
			requireError(t, toks, err, tc.line, tc.element, tc.msg)
		})
	}
}

func TestPSKCTooLarge(t *testing.T) {
	big := container(pkg(kp{}), "<!--"+strings.Repeat("x", MaxPSKCSize)+"-->")
	toks, err := ParsePSKC([]byte(big), Options{})
	requireError(t, toks, err, 0, "", "larger than 10 MiB")
}
