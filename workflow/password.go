package workflow

import (
	"context"
	"errors"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"github.com/ccojocar/zxcvbn-go/match"
	"golang.org/x/crypto/bcrypt"
)

// Password policy of SPEC §8.
const (
	PasswordMinLength = 9
	// bcrypt reads at most 72 bytes; longer passwords would be cut silently.
	PasswordMaxBytes = 72
	PasswordMinScore = 3
	// MaxSecretLength bounds a password or code that is checked (not
	// chosen): longer input is wrong without work.
	MaxSecretLength = 1024
)

// PasswordProblem says why a chosen password is refused, with zxcvbn-style
// hints on making a better one. A zero PasswordProblem means acceptable.
type PasswordProblem struct {
	Message Msg
	Hints   []string
}

// OK reports whether the password passed every rule.
func (p PasswordProblem) OK() bool { return p.Message.ID == "" }

// CheckPassword applies the one password policy used wherever a password is
// chosen. currentHash (may be empty) is the bcrypt hash of the password being
// replaced; personal holds names and addresses that make weak passwords.
func CheckPassword(password, login, currentHash string, personal ...string) PasswordProblem {
	switch {
	case password == "":
		return PasswordProblem{Message: M("password.choose")}
	case !utf8.ValidString(password) || strings.IndexFunc(password, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return PasswordProblem{Message: M("password.printable")}
	case utf8.RuneCountInString(password) < PasswordMinLength:
		return PasswordProblem{Message: M("password.min_length")}
	case len(password) > PasswordMaxBytes:
		return PasswordProblem{Message: M("password.max_bytes")}
	case login != "" && strings.EqualFold(password, login):
		return PasswordProblem{Message: M("password.is_login")}
	case currentHash != "" && bcrypt.CompareHashAndPassword([]byte(currentHash), []byte(password)) == nil:
		return PasswordProblem{Message: M("password.same")}
	}
	inputs := append([]string{login}, personal...)
	result := zxcvbn.PasswordStrength(password, inputs)
	if result.Score >= PasswordMinScore {
		return PasswordProblem{}
	}
	return PasswordProblem{Message: M("password.weak"), Hints: passwordHints(result.MatchSequence)}
}

// passwordHints turns zxcvbn's matches into advice, like zxcvbn's feedback.
func passwordHints(matches []match.Match) []string {
	seen := map[string]bool{}
	var hints []string
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			hints = append(hints, h)
		}
	}
	for _, m := range matches {
		switch m.Pattern {
		case "dictionary":
			switch {
			case m.DictionaryName == "user_inputs":
				add("Avoid your name, login or email address.")
			case strings.HasPrefix(strings.ToLower(m.DictionaryName), "passwords"):
				add("This is similar to a commonly used password.")
			default:
				add("Avoid common words and names on their own.")
			}
			if strings.HasSuffix(m.DictionaryName, "_3117") {
				add("Predictable substitutions like '@' for 'a' don't help much.")
			}
		case "spatial":
			add("Avoid keyboard patterns like qwerty or asdf.")
		case "repeat":
			add("Avoid repeated characters and words like aaa or abcabc.")
		case "sequence":
			add("Avoid sequences like abc or 6789.")
		case "date":
			add("Avoid dates and years that are associated with you.")
		}
	}
	add("Add another word or two; uncommon words are better. A few random words make a strong, memorable password.")
	return hints
}

// Hasher hashes passwords and PINs with bcrypt at a configured cost.
type Hasher struct {
	Cost int

	dummyOnce sync.Once
	dummy     []byte
}

// Hash returns the bcrypt hash of secret.
func (h *Hasher) Hash(secret string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(secret), h.Cost)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Compare reports whether secret matches hash. An empty hash (no password)
// still costs one bcrypt comparison, so callers take the same time whether
// or not an account or password exists.
func (h *Hasher) Compare(hash, secret string) bool {
	if hash == "" {
		h.dummyOnce.Do(func() {
			h.dummy, _ = bcrypt.GenerateFromPassword([]byte("tokenportal dummy password"), h.Cost)
		})
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(secret))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)) == nil
}

// passwordCheck is the outcome of checking a user's password.
type passwordCheck int

const (
	passwordWrong passwordCheck = iota // or no user, or no password
	passwordOK
	// passwordUnavailable: the user's directory could not answer; the
	// check fails closed, but is not the user's failure.
	passwordUnavailable
)

// checkPassword is the one check of a user's password wherever one is
// proven (portal sign-in and re-authentication, RADIUS, restore access): an
// LDAP bind for a directory's user (SPEC §12: never stored, never cached,
// never a fallback; after a bcrypt like everyone's), else one bcrypt
// comparison — also for nobody, so an unknown login costs the same.
func (s *Service) checkPassword(ctx context.Context, u *User, password string) passwordCheck {
	if u == nil || u.ID == 0 || !u.FromDirectory() {
		hash := ""
		if u != nil {
			hash = u.PasswordHash
		}
		if s.Hasher.Compare(hash, password) && u != nil && u.ID != 0 {
			return passwordOK
		}
		return passwordWrong
	}
	// The bcrypt every other answer costs, so the time of a sign-in does
	// not tell a stranger that a login exists and is a directory's.
	s.Hasher.Compare("", password)
	if password == "" || len(password) > MaxSecretLength {
		return passwordWrong
	}
	d, err := s.openDirectory(ctx, *u.DirectoryID)
	if err == nil && s.Directories == nil {
		err = errors.New("no directory client configured")
	}
	if err == nil {
		err = s.Directories.Authenticate(ctx, d, u.ExternalID, u.Login, password)
	}
	switch {
	case err == nil:
		return passwordOK
	case errors.Is(err, ErrDirectoryCredentials):
		return passwordWrong
	}
	s.Log.WarnContext(ctx, "directory unreachable: password sign-in refused", "directory", u.DirectoryName,
		"login", u.Login, "err", err)
	return passwordUnavailable
}
