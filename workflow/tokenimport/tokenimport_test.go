package tokenimport

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"tokenportal/workflow/otp"
)

// rfc4226Secret is the test secret of RFC 4226 Appendix D.
const rfc4226Secret = "12345678901234567890"

// requireError checks that err is an *Error at line with an Element
// containing element and a Message containing msg, and that it reads as
// words, not Go internals.
func requireError(t *testing.T, toks []Token, err error, line int, element, msg string) *Error {
	t.Helper()
	if toks != nil {
		t.Errorf("got %d tokens with the error, want none", len(toks))
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	if e.Line != line {
		t.Errorf("Line = %d, want %d (%v)", e.Line, line, e)
	}
	if !strings.Contains(e.Element, element) {
		t.Errorf("Element = %q, want it to contain %q", e.Element, element)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("Message = %q, want it to contain %q", e.Message, msg)
	}
	checkReadable(t, e)
	return e
}

// quoted matches the file's own text, quoted in messages with %q.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// checkReadable fails on messages that leak Go's error texts.
func checkReadable(t testing.TB, e *Error) {
	t.Helper()
	if e.Message == "" {
		t.Errorf("empty message in %#v", e)
	}
	own := quoted.ReplaceAllString(e.Error(), `"…"`)
	for _, bad := range []string{"strconv", "xml: ", "XML syntax error", "encoding/", "csv: ", "parse error on line", "%!", "<nil>", "runtime", "panic"} {
		if strings.Contains(own, bad) {
			t.Errorf("error %q contains %q", e.Error(), bad)
		}
	}
}

// checkTokens asserts what every successful parse promises.
func checkTokens(t testing.TB, toks []Token) {
	t.Helper()
	if len(toks) == 0 || len(toks) > MaxTokens {
		t.Fatalf("got %d tokens without an error", len(toks))
	}
	seen := map[string]bool{}
	for i, tok := range toks {
		if !ValidSerial(tok.Serial) {
			t.Errorf("token %d: bad serial %q", i, tok.Serial)
		}
		if k := strings.ToLower(tok.Serial); seen[k] {
			t.Errorf("token %d: duplicate serial %q", i, tok.Serial)
		} else {
			seen[k] = true
		}
		if tok.Type != "hotp" && tok.Type != "totp" {
			t.Errorf("token %d: type %q", i, tok.Type)
		}
		if len(tok.Secret) < MinSecretLen || len(tok.Secret) > MaxSecretLen {
			t.Errorf("token %d: secret of %d bytes", i, len(tok.Secret))
		}
		p := otp.Params{Algorithm: otp.Algorithm(tok.Algorithm), Digits: tok.Digits, Period: tok.Period}
		if err := p.Validate(); err != nil {
			t.Errorf("token %d: %v", i, err)
		}
		if tok.Counter > maxCounter {
			t.Errorf("token %d: counter %d", i, tok.Counter)
		}
		if tok.Type == "totp" && tok.Counter != 0 {
			t.Errorf("token %d: TOTP with counter %d", i, tok.Counter)
		}
		if tok.Type == "hotp" && tok.Period != 30 {
			t.Errorf("token %d: HOTP with period %d", i, tok.Period)
		}
	}
}

// checkResult is the fuzz invariant: tokens and no error, or an *Error and
// no tokens.
func checkResult(t testing.TB, toks []Token, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is %T, want *Error", err, err)
		}
		if toks != nil {
			t.Fatalf("tokens returned with error %v", err)
		}
		checkReadable(t, e)
		return
	}
	checkTokens(t, toks)
}

func TestRFC4226Code(t *testing.T) {
	// Guards the assertion the other tests make on parsed secrets.
	got := otp.Code([]byte(rfc4226Secret), 0, otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30})
	if got != "755224" {
		t.Fatalf("HOTP(counter 0) = %s, want 755224", got)
	}
}

func TestParseDetectsFormat(t *testing.T) {
	csvToks, err := Parse([]byte("\ufeff  \r\nt1,3132333435363738393031323334353637383930,hotp\n"), Options{})
	if err != nil || len(csvToks) != 1 || csvToks[0].Serial != "t1" {
		t.Fatalf("CSV: %v, %v", csvToks, err)
	}
	xmlToks, err := Parse([]byte("\ufeff\n  "+container(pkg(kp{serial: "x1"}))), Options{})
	if err != nil || len(xmlToks) != 1 || xmlToks[0].Serial != "x1" {
		t.Fatalf("PSKC: %v, %v", xmlToks, err)
	}
	for _, empty := range []string{"", "  \r\n\t", "\ufeff"} {
		toks, err := Parse([]byte(empty), Options{})
		requireError(t, toks, err, 0, "", "empty")
	}
}

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Line: 3, Message: "the seed is not hexadecimal"}, "line 3: the seed is not hexadecimal"},
		{Error{Element: `KeyPackage 2 (serial "9"): Data/Secret`, Message: "m"}, `KeyPackage 2 (serial "9"): Data/Secret: m`},
		{Error{Line: 7, Element: "KeyContainer", Message: "m"}, "line 7: KeyContainer: m"},
		{Error{Message: "the file is empty"}, "the file is empty"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestParseAlgorithm(t *testing.T) {
	for in, want := range map[string]string{
		"SHA1": "SHA1", "sha1": "SHA1", "SHA-1": "SHA1", "HMAC-SHA1": "SHA1",
		"SHA-256": "SHA256", "hmac-sha256": "SHA256", "HMAC_SHA256": "SHA256",
		" sha512 ": "SHA512", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": "SHA512",
		"MD5": "", "SHA384": "", "": "", "HMAC": "",
	} {
		got, ok := parseAlgorithm(in)
		if got != want || ok != (want != "") {
			t.Errorf("parseAlgorithm(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestValidSerial(t *testing.T) {
	for s, want := range map[string]bool{
		"987654321": true, "A": true, "ab.c_d:e-f": true, strings.Repeat("a", 64): true,
		"": false, "-a": false, ".a": false, "a b": false, "a/b": false, "é": false,
		strings.Repeat("a", 65): false,
	} {
		if got := ValidSerial(s); got != want {
			t.Errorf("ValidSerial(%q) = %v", s, got)
		}
	}
}
