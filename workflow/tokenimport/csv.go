package tokenimport

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseCSV reads the OATH CSV layout, one token a line:
//
//	serial,seed_hex,type,digits,step_or_counter
//
// type is hotp or totp; the fifth field is the time step (30 or 60) of a
// TOTP token and the initial counter of an HOTP token. The algorithm is
// always SHA1, as the layout has no column for it.
//
// Vendors' files differ in how much they spell out, so the last two columns
// may be omitted or left empty: digits then default to 6, the time step to
// 30 and the counter to 0. Fewer than three or more than five fields is an
// error, because guessing which column went missing could import a wrong
// seed.
//
// Blank lines and lines starting with '#' are skipped, as is a first line
// whose first field is "serial" (a header). Fields may be surrounded by
// spaces; CRLF line ends and a UTF-8 byte-order mark are accepted.
func ParseCSV(data []byte) ([]Token, error) {
	r := csv.NewReader(bytes.NewReader(blankComments(bytes.TrimPrefix(data, utf8BOM))))
	r.FieldsPerRecord = -1 // counted by csvToken, with a better message
	r.TrimLeadingSpace = true
	r.ReuseRecord = true

	var tokens []Token
	seen := serials{}
	header := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvSyntaxError(err)
		}
		line, _ := r.FieldPos(0)
		if skipRecord(rec) {
			continue
		}
		if header {
			header = false
			if strings.EqualFold(strings.TrimSpace(rec[0]), "serial") {
				continue
			}
		}
		if len(tokens) == MaxTokens {
			return nil, &Error{Line: line, Message: tooManyTokens()}
		}
		tok, msg := csvToken(rec)
		if msg != "" {
			return nil, &Error{Line: line, Message: msg}
		}
		if msg := seen.add(tok.Serial, fmt.Sprintf("on line %d", line)); msg != "" {
			return nil, &Error{Line: line, Message: msg}
		}
		tokens = append(tokens, tok)
	}
	if len(tokens) == 0 {
		return nil, &Error{Message: "the file contains no tokens"}
	}
	return tokens, nil
}

// blankComments empties comment lines, keeping their line ends so line
// numbers stay right. csv.Reader.Comment would only see a '#' in column 1,
// and would still parse the quotes of an indented comment.
func blankComments(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for line := range bytes.Lines(data) {
		if body := bytes.TrimLeft(line, " \t"); len(body) > 0 && body[0] == '#' {
			line = line[len(bytes.TrimRight(line, "\r\n")):]
		}
		out = append(out, line...)
	}
	return out
}

// skipRecord reports lines that hold no token: ones with only spaces.
func skipRecord(rec []string) bool {
	return len(rec) == 1 && strings.TrimSpace(rec[0]) == ""
}

// csvSyntaxError turns an encoding/csv error into one a person can act on.
func csvSyntaxError(err error) *Error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &Error{Message: "the file cannot be read as CSV"}
	}
	msg := "the line cannot be read as CSV"
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = `a quote (") appears inside a field that is not quoted`
	case errors.Is(pe.Err, csv.ErrQuote):
		msg = `a quoted field is not closed, or has text after its closing quote`
	}
	return &Error{Line: pe.Line, Message: msg}
}

const csvLayout = "serial,seed_hex,type[,digits[,step_or_counter]]"

// csvToken checks one record; the message names the first problem.
func csvToken(rec []string) (Token, string) {
	if n := len(rec); n < 3 || n > 5 {
		return Token{}, fmt.Sprintf("the line has %d %s; expected %s", n, plural(n, "field", "fields"), csvLayout)
	}
	f := make([]string, 5)
	for i, v := range rec {
		f[i] = strings.TrimSpace(v)
	}
	tok := Token{Serial: f[0], Algorithm: "SHA1", Digits: 6, Period: 30}
	if msg := checkSerial(tok.Serial); msg != "" {
		return Token{}, msg
	}
	var msg string
	if tok.Secret, msg = parseHexSeed(f[1]); msg != "" {
		return Token{}, msg
	}
	tok.Type = strings.ToLower(f[2])
	if tok.Type != "hotp" && tok.Type != "totp" {
		return Token{}, fmt.Sprintf("the token type %s is unknown (use hotp or totp)", quote(f[2]))
	}
	if f[3] != "" {
		n, err := strconv.Atoi(f[3])
		if err != nil {
			return Token{}, fmt.Sprintf("the number of digits %s is not a number", quote(f[3]))
		}
		if msg := checkDigits(n); msg != "" {
			return Token{}, msg
		}
		tok.Digits = n
	}
	if tok.Type == "totp" {
		msg = csvPeriod(&tok, f[4])
	} else {
		msg = csvCounter(&tok, f[4])
	}
	if msg != "" {
		return Token{}, msg
	}
	return tok, ""
}

func csvPeriod(tok *Token, s string) string {
	if s == "" {
		return ""
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Sprintf("the time step %s is not a number", quote(s))
	}
	if msg := checkPeriod(n); msg != "" {
		return msg
	}
	tok.Period = n
	return ""
}

func csvCounter(tok *Token, s string) string {
	if s == "" {
		return ""
	}
	n, msg := parseCounter(s)
	tok.Counter = n
	return msg
}

// parseCounter reads an HOTP counter that the database can store.
func parseCounter(s string) (uint64, string) {
	n, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) || (err == nil && n > maxCounter) {
		return 0, fmt.Sprintf("the counter %s is too large (at most %d)", quote(s), uint64(maxCounter))
	}
	if err != nil {
		return 0, fmt.Sprintf("the counter %s is not a whole number of 0 or more", quote(s))
	}
	return n, ""
}

// parseHexSeed decodes the seed column. It checks the characters before
// the length so that "not hex at all" is not reported as "odd length".
func parseHexSeed(s string) ([]byte, string) {
	if s == "" {
		return nil, "the seed is empty"
	}
	for i, c := range s {
		if !isHex(c) {
			return nil, fmt.Sprintf("the seed is not hexadecimal (%s at position %d)", quote(string(c)), i+1)
		}
	}
	if len(s)%2 != 0 {
		return nil, fmt.Sprintf("the seed has an odd number of hex digits (%d); each byte needs two", len(s))
	}
	secret, err := hex.DecodeString(s)
	if err != nil { // unreachable after the checks above
		return nil, "the seed is not hexadecimal"
	}
	if msg := checkSecretLen(secret); msg != "" {
		return nil, msg
	}
	return secret, ""
}

func isHex(c rune) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
