package workflow

import (
	"crypto/rand"
	"strings"
)

// unambiguous has no 0/O, 1/I/L: codes people read and type.
const unambiguous = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// RandomString returns n characters drawn uniformly from alphabet.
func RandomString(n int, alphabet string) string {
	var b strings.Builder
	b.Grow(n)
	// rand.Text-style rejection sampling keeps the distribution uniform.
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, 1)
	for b.Len() < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(buf[0]) < limit {
			b.WriteByte(alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return b.String()
}

// GeneratePassword returns a strong random password that is easy to read
// aloud: four groups of five unambiguous characters.
func GeneratePassword() string {
	s := strings.ToLower(RandomString(20, unambiguous))
	return s[0:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20]
}
