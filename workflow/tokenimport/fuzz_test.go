package tokenimport

import (
	"bytes"
	"testing"
)

// The fuzz targets check that no input makes the parsers panic, and that
// whatever they accept satisfies the database constraints (checkResult).

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		validCSV,
		"t1," + rfc4226Hex + ",hotp\n",
		"t1," + rfc4226Hex + ",totp,8,60\r\nt2," + rfc4226Hex + ",hotp,6,9223372036854775807\r\n",
		"serial,seed\n# c\n\"t1\",\"" + rfc4226Hex + "\",\"totp\"\n",
		"t1,31323g,hotp,6,0\n",
		"t\"1,x\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := ParseCSV(data)
		checkResult(t, toks, err)
		if !bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n"), []byte("<")) {
			toks2, err2 := Parse(data, Options{})
			if (err == nil) != (err2 == nil) || len(toks) != len(toks2) {
				t.Fatalf("Parse and ParseCSV disagree: %v / %v", err, err2)
			}
		}
	})
}

func FuzzParsePSKC(f *testing.F) {
	for _, n := range []int{2, 3, 4, 5, 6, 7, 10} {
		f.Add(readFigure(f, n))
	}
	macKey := mustHex("1122334455667788990011223344556677889900")
	f.Add(encryptedFixture{psk: rfc6030PSK, macKey: macKey, alg: "aes128-cbc"}.build(f))
	f.Add(encryptedFixture{psk: rfc6030PSK, alg: "aes128-cbc", noMAC: true}.build(f))
	f.Add([]byte(container(pkg(kp{alg: algTOTP, data: plainSecret(rfc4226Secret) + "<TimeInterval><PlainValue>60</PlainValue></TimeInterval>"}))))
	f.Add([]byte(`<!DOCTYPE x><KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The Figure 6 key opens the fixtures above, so mutations reach
		// the MAC and decryption code.
		toks, err := ParsePSKC(data, Options{PreSharedKey: rfc6030PSK})
		checkResult(t, toks, err)
		toks, err = Parse(data, Options{})
		checkResult(t, toks, err)
	})
}
