package workflow

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go/match"
)

// The advice on a refused password (issue 15): zxcvbn's own feedback — a
// warning about the weakest part and suggestions — derived from the matches
// the strength library returns, as the original zxcvbn's feedback does (the
// Go port gives none). Each warning and suggestion is one message
// (strength.*).

// passwordAdvice is the warning (if any) and the suggestions for password,
// from its zxcvbn matches.
func passwordAdvice(password string, matches []match.Match) []Msg {
	found := adviceMatches(password, matches)
	var advice []Msg
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			advice = append(advice, M(id))
		}
	}
	// The warning is about the longest weak part, like zxcvbn's.
	var longest *weakPart
	for i := range found {
		if longest == nil || found[i].length > longest.length ||
			found[i].length == longest.length && found[i].rank < longest.rank {
			longest = &found[i]
		}
	}
	if longest != nil && longest.warning != "" {
		add(longest.warning)
	}
	add("strength.suggestion.more_words")
	// The weakest part's suggestions first, then the others' from left to
	// right.
	if longest != nil {
		for _, s := range longest.suggestions {
			add(s)
		}
	}
	slices.SortStableFunc(found, func(a, b weakPart) int { return a.start - b.start })
	for _, p := range found {
		for _, s := range p.suggestions {
			add(s)
		}
	}
	// A warning and three suggestions are as much as anyone reads.
	if len(advice) > maxAdvice {
		advice = advice[:maxAdvice]
	}
	return advice
}

const maxAdvice = 4

// weakPart is a guessable part of a password with what to say about it.
type weakPart struct {
	start, end  int // bytes of the password
	length      int // characters
	rank        int // among parts of one length: the lower, the more telling its warning
	warning     string
	suggestions []string
}

// keyboardRows are the rows of a US keyboard, a walk along one of them the
// most common keyboard pattern (qwertyuiop, asdf, 12345).
var keyboardRows = []string{"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./"}

// yearPattern finds years of the last and this century; zxcvbn-go sees
// "2024" as a walk on a keypad.
var yearPattern = regexp.MustCompile(`(19|20)[0-9]{2}`)

func adviceMatches(password string, matches []match.Match) []weakPart {
	var parts []weakPart
	covered := func(i, j int) bool {
		for _, p := range parts {
			if i < p.end && j > p.start {
				return true
			}
		}
		return false
	}
	// Years first: the parts of the library that overlap them are the year.
	for _, loc := range yearPattern.FindAllStringIndex(password, -1) {
		if (loc[0] > 0 && isDigit(password[loc[0]-1])) || (loc[1] < len(password) && isDigit(password[loc[1]])) {
			continue
		}
		parts = append(parts, weakPart{start: loc[0], end: loc[1], length: 4, rank: 3,
			warning: "strength.warning.recent_year", suggestions: []string{"strength.suggestion.recent_years", "strength.suggestion.years"}})
	}
	// Straight rows of keys, which the library may list as a common password.
	lower := strings.ToLower(password)
	for i := 0; i < len(lower); {
		n := keyboardRun(lower[i:])
		if n >= 4 && !covered(i, i+n) {
			parts = append(parts, weakPart{start: i, end: i + n, length: n, rank: 0,
				warning: "strength.warning.straight_row", suggestions: []string{"strength.suggestion.longer_keyboard"}})
			i += n
			continue
		}
		i++
	}
	for _, m := range matches {
		if m.I < 0 || m.J >= len(password) || m.I > m.J {
			continue
		}
		orig := password[m.I : m.J+1]
		n := utf8.RuneCountInString(orig)
		if covered(m.I, m.J+1) {
			continue
		}
		p := weakPart{start: m.I, end: m.J + 1, length: n}
		switch m.Pattern {
		case "dictionary":
			if n < 3 {
				continue // single letters the library finds everywhere
			}
			p.rank = 5
			p.warning, p.suggestions = dictionaryAdvice(m, orig, n == utf8.RuneCountInString(password))
		case "spatial":
			if n < 4 {
				continue
			}
			p.rank = 1
			p.warning, p.suggestions = "strength.warning.keyboard", []string{"strength.suggestion.longer_keyboard"}
		case "repeat":
			if n < 3 {
				continue
			}
			p.rank = 2
			p.warning, p.suggestions = "strength.warning.repeat", []string{"strength.suggestion.repeat"}
		case "sequence":
			if n < 3 {
				continue
			}
			p.rank = 2
			p.warning, p.suggestions = "strength.warning.sequence", []string{"strength.suggestion.sequence"}
		case "date":
			p.rank = 3
			p.warning, p.suggestions = "strength.warning.date", []string{"strength.suggestion.dates"}
		default:
			continue
		}
		parts = append(parts, p)
	}
	return parts
}

// dictionaryAdvice is what zxcvbn says of a word from one of its lists;
// sole: the word is the whole password.
func dictionaryAdvice(m match.Match, orig string, sole bool) (string, []string) {
	var warning string
	var suggestions []string
	switch dict := strings.ToLower(strings.TrimSuffix(m.DictionaryName, "_3117")); {
	case dict == "user_inputs":
		warning = "strength.warning.personal"
		suggestions = append(suggestions, "strength.suggestion.personal")
	case strings.HasPrefix(dict, "passwords") && sole:
		warning = "strength.warning.common"
	case strings.HasPrefix(dict, "passwords"):
		warning = "strength.warning.similar_common"
	case strings.Contains(dict, "name") && sole:
		warning = "strength.warning.names"
	case strings.Contains(dict, "name"):
		warning = "strength.warning.common_names"
	case sole:
		warning = "strength.warning.word"
	}
	switch {
	case len(orig) > 1 && orig == strings.ToUpper(orig) && orig != strings.ToLower(orig):
		suggestions = append(suggestions, "strength.suggestion.all_upper")
	case orig != strings.ToLower(orig):
		suggestions = append(suggestions, "strength.suggestion.capitalization")
	}
	if !strings.EqualFold(orig, m.Token) || strings.HasSuffix(m.DictionaryName, "_3117") {
		suggestions = append(suggestions, "strength.suggestion.l33t")
	}
	return warning, suggestions
}

// keyboardRun is the length of the walk along one keyboard row (either way)
// that s starts with.
func keyboardRun(s string) int {
	best := 0
	for _, row := range keyboardRows {
		for _, r := range []string{row, reverse(row)} {
			i := strings.IndexByte(r, s[0])
			if i < 0 {
				continue
			}
			n := 0
			for n < len(s) && i+n < len(r) && s[n] == r[i+n] {
				n++
			}
			best = max(best, n)
		}
	}
	return best
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// Advice is the advice of p as one message: its sentences one after the
// other (strength.sentences nests them), for a field error.
func (p PasswordProblem) Advice() Msg { return sentences(p.Hints) }

func sentences(ms []Msg) Msg {
	switch len(ms) {
	case 0:
		return Msg{}
	case 1:
		return ms[0]
	}
	return M("strength.sentences", "First", ms[0], "Rest", sentences(ms[1:]))
}
