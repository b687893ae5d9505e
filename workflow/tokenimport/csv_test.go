package tokenimport

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"tokenportal/workflow/otp"
)

const rfc4226Hex = "3132333435363738393031323334353637383930"

var validCSV = "# exported by the token vendor\r\n" +
	"Serial, Seed, Type, Digits, Step\r\n" +
	"\r\n" +
	"HOTP-0001, " + rfc4226Hex + ", hotp, 6, 0\r\n" +
	"   # an indented comment, with \"quotes\"\r\n" +
	"totp.0002,00112233445566778899AABBCCDDEEFF00112233,TOTP,8,60\r\n" +
	"   \r\n" +
	"t:3,00112233445566778899aabbccddeeff00112233,hotp,8,42\n" +
	"t_4,00112233445566778899aabbccddeeff00112233,totp\n" +
	"t-5,00112233445566778899aabbccddeeff00112233,hotp,,\n"

func TestParseCSV(t *testing.T) {
	toks, err := ParseCSV([]byte(validCSV))
	if err != nil {
		t.Fatal(err)
	}
	seed := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33}
	want := []Token{
		{Serial: "HOTP-0001", Type: "hotp", Secret: []byte(rfc4226Secret), Algorithm: "SHA1", Digits: 6, Period: 30},
		{Serial: "totp.0002", Type: "totp", Secret: seed, Algorithm: "SHA1", Digits: 8, Period: 60},
		{Serial: "t:3", Type: "hotp", Secret: seed, Algorithm: "SHA1", Digits: 8, Period: 30, Counter: 42},
		{Serial: "t_4", Type: "totp", Secret: seed, Algorithm: "SHA1", Digits: 6, Period: 30},
		{Serial: "t-5", Type: "hotp", Secret: seed, Algorithm: "SHA1", Digits: 6, Period: 30},
	}
	if !reflect.DeepEqual(toks, want) {
		t.Errorf("got  %+v\nwant %+v", toks, want)
	}
	checkTokens(t, toks)

	code := otp.Code(toks[0].Secret, toks[0].Counter, otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30})
	if code != "755224" {
		t.Errorf("HOTP code of the RFC 4226 seed = %s, want 755224", code)
	}
}

func TestParseCSVHeaderOnlyFirst(t *testing.T) {
	// "serial" is a valid serial, so only a first line is taken as a header.
	in := "a1," + rfc4226Hex + ",hotp\nserial,seed,hotp\n"
	toks, err := ParseCSV([]byte(in))
	requireError(t, toks, err, 2, "", "not hexadecimal")
}

func TestParseCSVErrors(t *testing.T) {
	const seed = rfc4226Hex
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"bad hex", "t1,31323g,hotp,6,0\n", 1, `the seed is not hexadecimal ("g" at position 6)`},
		{"odd-length hex", "t1,3132333435363738393031323334353637383930a,hotp,6,0\n", 1, "odd number of hex digits (41)"},
		{"empty seed", "t1, ,hotp,6,0\n", 1, "the seed is empty"},
		{"short seed", "t1,313233343536373839,hotp,6,0\n", 1, "the seed is 9 bytes long; it must be between 10 and 128 bytes"},
		{"long seed", "t1," + strings.Repeat("ab", 129) + ",totp\n", 1, "the seed is 129 bytes long"},
		{"unknown type", "t1," + seed + ",motp,6,0\n", 1, `the token type "motp" is unknown (use hotp or totp)`},
		{"digits 7", "t1," + seed + ",hotp,7,0\n", 1, "7 digits are not supported (use 6 or 8)"},
		{"digits not a number", "t1," + seed + ",hotp,six,0\n", 1, `the number of digits "six" is not a number`},
		{"step 45", "t1," + seed + ",totp,6,45\n", 1, "a time step of 45 seconds is not supported (use 30 or 60)"},
		{"step not a number", "t1," + seed + ",totp,6,30s\n", 1, `the time step "30s" is not a number`},
		{"negative counter", "t1," + seed + ",hotp,6,-1\n", 1, `the counter "-1" is not a whole number`},
		{"counter too large", "t1," + seed + ",hotp,6,9223372036854775808\n", 1, "the counter \"9223372036854775808\" is too large"},
		{"counter overflows uint64", "t1," + seed + ",hotp,6,99999999999999999999\n", 1, "is too large"},
		{"missing columns", "t1," + seed + "\n", 1, "the line has 2 fields; expected serial,seed_hex,type[,digits[,step_or_counter]]"},
		{"one column", "t1\n", 1, "the line has 1 field;"},
		{"too many columns", "t1," + seed + ",totp,6,30,SHA1\n", 1, "the line has 6 fields"},
		{"bad serial", "-t1," + seed + ",totp,6,30\n", 1, `the serial "-t1" may only contain letters`},
		{"serial with space", "t 1," + seed + ",totp,6,30\n", 1, `the serial "t 1" may only contain`},
		{"long serial", strings.Repeat("s", 65) + "," + seed + ",totp\n", 1, "the serial is 65 characters long"},
		{"empty serial", "," + seed + ",totp\n", 1, "the serial is empty"},
		{"duplicate serial", "# c\nAB1," + seed + ",totp\n\nab1," + seed + ",hotp\n", 4, `the serial "ab1" appears twice in the file (first on line 2, as "AB1")`},
		{"bad line after good ones", "serial,seed,type\nt1," + seed + ",totp\nt2," + seed + ",totp,6,45\n", 3, "time step of 45"},
		{"empty file", "", 0, "the file contains no tokens"},
		{"comments only", "# nothing\n\n   \n", 0, "the file contains no tokens"},
		{"header only", "serial,seed_hex,type,digits,step\n", 0, "the file contains no tokens"},
		{"bare quote", "t\"1," + seed + ",totp\n", 1, `a quote (") appears inside a field that is not quoted`},
		{"unclosed quote", "t1," + seed + ",totp\n\"t2," + seed + ",totp\n", 2, "a quoted field is not closed"},
		{"crlf line numbers", "t1," + seed + ",totp\r\n\r\nt2,zz,totp\r\n", 3, "not hexadecimal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := ParseCSV([]byte(tc.in))
			requireError(t, toks, err, tc.line, "", tc.msg)
		})
	}
}

func TestParseCSVTooManyTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,001-line file")
	}
	var b bytes.Buffer
	b.WriteString("serial,seed\n")
	for i := range MaxTokens + 1 {
		fmt.Fprintf(&b, "t%d,%s,totp\n", i, rfc4226Hex)
	}
	toks, err := ParseCSV(b.Bytes())
	requireError(t, toks, err, MaxTokens+2, "", "more than 100000 tokens")

	// Exactly the limit is fine.
	b.Truncate(b.Len() - len(fmt.Sprintf("t%d,%s,totp\n", MaxTokens, rfc4226Hex)))
	toks, err = ParseCSV(b.Bytes())
	if err != nil || len(toks) != MaxTokens {
		t.Fatalf("at the limit: %d tokens, %v", len(toks), err)
	}
}
