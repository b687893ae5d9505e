package workflow

import "strings"

// adviceEnglish is the advice in English for the field errors that are still
// text (policyMessage). It goes when field errors are messages: then
// policyMessage passes p.Advice() and the pages translate it (strength.* in
// views/i18n/catalog/ux.*.toml).
var adviceEnglish = map[string]string{
	"strength.warning.common":             "This is a very common password.",
	"strength.warning.similar_common":     "This is similar to a commonly used password.",
	"strength.warning.word":               "A word by itself is easy to guess.",
	"strength.warning.names":              "Names and surnames by themselves are easy to guess.",
	"strength.warning.common_names":       "Common names and surnames are easy to guess.",
	"strength.warning.personal":           "Your name, login or email address is easy to guess.",
	"strength.warning.straight_row":       "Straight rows of keys are easy to guess.",
	"strength.warning.keyboard":           "Short keyboard patterns are easy to guess.",
	"strength.warning.repeat":             "Repeats like \"aaa\" are easy to guess.",
	"strength.warning.sequence":           "Sequences like abc or 6543 are easy to guess.",
	"strength.warning.recent_year":        "Recent years are easy to guess.",
	"strength.warning.date":               "Dates are often easy to guess.",
	"strength.suggestion.more_words":      "Add another word or two. Uncommon words are better.",
	"strength.suggestion.personal":        "Avoid your name, login or email address.",
	"strength.suggestion.capitalization":  "Capitalization doesn't help very much.",
	"strength.suggestion.all_upper":       "All-uppercase is almost as easy to guess as all-lowercase.",
	"strength.suggestion.l33t":            "Predictable substitutions like '@' instead of 'a' don't help very much.",
	"strength.suggestion.longer_keyboard": "Use a longer keyboard pattern with more turns.",
	"strength.suggestion.repeat":          "Avoid repeated words and characters.",
	"strength.suggestion.sequence":        "Avoid sequences.",
	"strength.suggestion.recent_years":    "Avoid recent years.",
	"strength.suggestion.years":           "Avoid years that are associated with you.",
	"strength.suggestion.dates":           "Avoid dates and years that are associated with you.",
}

// englishAdvice is advice in English, the sentences one after the other.
func englishAdvice(ms []Msg) string {
	s := make([]string, 0, len(ms))
	for _, m := range ms {
		s = append(s, adviceEnglish[m.ID])
	}
	return strings.Join(s, " ")
}
