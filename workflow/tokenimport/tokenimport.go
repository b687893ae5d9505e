// Package tokenimport reads token seed files — PSKC (RFC 6030) and the OATH
// CSV layout — into a list of tokens.
//
// An import is all-or-nothing: a file with any problem yields no tokens and
// an *Error that says where the first problem is (a CSV line, or a PSKC key
// package and element), so an administrator fixes the file and uploads it
// again instead of working out which half of it went in. The package does no
// I/O and knows nothing of the database; it only guarantees that every token
// it returns satisfies the constraints of the tokens table.
package tokenimport

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Token is one token read from a file. Secret is the raw seed bytes.
type Token struct {
	Serial    string
	Type      string // "hotp" or "totp"
	Secret    []byte
	Algorithm string // "SHA1", "SHA256" or "SHA512"
	Digits    int    // 6 or 8
	Period    int    // TOTP time step in seconds: 30 or 60 (set 30 for HOTP)
	Counter   uint64 // HOTP counter (0 for TOTP)
}

// Options for Parse.
type Options struct {
	// PreSharedKey decrypts PSKC EncryptedValue secrets (RFC 6030 §6.1,
	// AES-128-CBC, 16 bytes; 24 or 32 bytes for files that use AES-192-CBC
	// or AES-256-CBC).
	PreSharedKey []byte
}

// Limits of what a file may contain.
const (
	// MaxTokens bounds one import so it stays one reasonable transaction.
	MaxTokens = 100_000
	// MaxPSKCSize bounds the XML we are willing to parse.
	MaxPSKCSize = 10 << 20
	// MinSecretLen is lenient: RFC 4226 asks for 16 bytes, but the RFC 6030
	// examples and many hardware tokens use 10.
	MinSecretLen = 10
	// MaxSecretLen is far above any HMAC block size; longer seeds are junk.
	MaxSecretLen = 128
	// maxCounter is the largest counter the bigint column can hold.
	maxCounter = math.MaxInt64
)

// Error says exactly where a file is wrong; Parse returns *Error for every
// problem with the input.
type Error struct {
	Line    int    // CSV: 1-based line number; 0 when not applicable
	Element string // PSKC: which KeyPackage / element, e.g. `KeyPackage 2 (serial "987654321"): Data/Secret/EncryptedValue`
	Message string // a message a person understands, e.g. "the seed is not hexadecimal"
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Element != "" {
		b.WriteString(e.Element)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

var utf8BOM = []byte("\xef\xbb\xbf")

// Parse detects the format (PSKC XML if the first non-space byte is '<',
// else OATH CSV) and parses it.
func Parse(data []byte, opts Options) ([]Token, error) {
	rest := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	switch {
	case len(rest) == 0:
		return nil, &Error{Message: "the file is empty"}
	case rest[0] == '<':
		return ParsePSKC(data, opts)
	default:
		return ParseCSV(data)
	}
}

// The serial pattern is the CHECK constraint of tokens.serial.
var serialRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// ValidSerial reports whether s can be stored as a token serial.
func ValidSerial(s string) bool { return serialRE.MatchString(s) }

// checkSerial explains what is wrong with a serial, or returns "".
func checkSerial(s string) string {
	switch {
	case serialRE.MatchString(s):
		return ""
	case s == "":
		return "the serial is empty"
	case len(s) > 64:
		return fmt.Sprintf("the serial is %d characters long; at most 64 are allowed", len(s))
	default:
		return fmt.Sprintf("the serial %s may only contain letters, digits, '.', '_', ':' and '-', and must start with a letter or digit", quote(s))
	}
}

// checkSecretLen explains why a seed has an unusable length, or returns "".
func checkSecretLen(secret []byte) string {
	if n := len(secret); n < MinSecretLen || n > MaxSecretLen {
		return fmt.Sprintf("the seed is %d bytes long; it must be between %d and %d bytes", n, MinSecretLen, MaxSecretLen)
	}
	return ""
}

// parseAlgorithm maps the many spellings of a hash found in token files
// ("sha1", "SHA-256", "HMAC-SHA512", an xmldsig URI) to the stored name.
func parseAlgorithm(s string) (string, bool) {
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "HMAC")
	s = strings.NewReplacer("-", "", "_", "").Replace(s)
	switch s {
	case "SHA1", "SHA256", "SHA512":
		return s, true
	}
	return "", false
}

func checkDigits(n int) string {
	if n != 6 && n != 8 {
		return fmt.Sprintf("%d digits are not supported (use 6 or 8)", n)
	}
	return ""
}

func checkPeriod(n int) string {
	if n != 30 && n != 60 {
		return fmt.Sprintf("a time step of %d seconds is not supported (use 30 or 60)", n)
	}
	return ""
}

// serials finds serials used twice in one file. The tokens table has a
// unique index on lower(serial), so the comparison ignores case.
type serials map[string]seenSerial

type seenSerial struct{ serial, where string }

// add records serial, found at where ("on line 3", "in KeyPackage 2"); for
// a serial seen before it returns the message saying so.
func (s serials) add(serial, where string) (dupMsg string) {
	k := strings.ToLower(serial)
	first, dup := s[k]
	if !dup {
		s[k] = seenSerial{serial, where}
		return ""
	}
	spelling := ""
	if first.serial != serial {
		spelling = ", as " + quote(first.serial)
	}
	return fmt.Sprintf("the serial %s appears twice in the file (first %s%s)", quote(serial), first.where, spelling)
}

func tooManyTokens() string {
	return fmt.Sprintf("the file has more than %d tokens; split it into smaller files", MaxTokens)
}

// quote quotes a value from the file for a message, cut short so that a
// huge field does not make a huge message.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		r := []rune(s)
		if len(r) > max {
			return fmt.Sprintf("%q…", string(r[:max]))
		}
	}
	return fmt.Sprintf("%q", s)
}
