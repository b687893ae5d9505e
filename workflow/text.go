package workflow

import (
	"regexp"
	"strings"
)

// Small helpers for text people type or see: cutting, masking, checking.

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

var emailPattern = regexp.MustCompile(`^[^\s@<>()",;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)

// validEmail accepts the addresses people actually have; delivery proves the rest.
func validEmail(s string) bool { return len(s) <= 254 && emailPattern.MatchString(s) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maskEmail shows enough of an address to recognise it: j***@example.com;
// an address without a name before the @ is only stars and its domain.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	switch {
	case at < 0:
		return "***"
	case at == 0:
		return "***" + e
	}
	return e[:1] + "***" + e[at:]
}

// maskPhone shows the last digits of a number: ******5678.
func maskPhone(p string) string {
	if len(p) < 4 {
		return strings.Repeat("•", 4)
	}
	return strings.Repeat("•", 4) + p[len(p)-4:]
}

// MaskEmail shows enough of an address to recognise it: j***@example.com.
func MaskEmail(e string) string { return maskEmail(e) }
