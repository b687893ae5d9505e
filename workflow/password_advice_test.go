package workflow

import (
	"slices"
	"testing"
)

func adviceIDs(ms []Msg) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

// The advice fits the password (issue 15): a word and a year is not a
// keyboard pattern; a row of keys is.
func TestPasswordAdvice(t *testing.T) {
	tests := []struct {
		password string
		warning  string   // the first piece of advice
		has      []string // among the rest
		not      []string
	}{
		{"Summer2024!", "strength.warning.similar_common",
			[]string{"strength.suggestion.more_words", "strength.suggestion.recent_years", "strength.suggestion.capitalization"},
			[]string{"strength.warning.keyboard", "strength.warning.straight_row", "strength.suggestion.longer_keyboard"}},
		{"qwertyuiop", "strength.warning.straight_row", []string{"strength.suggestion.longer_keyboard", "strength.suggestion.more_words"}, nil},
		{"monkey1987", "strength.warning.similar_common", []string{"strength.suggestion.years"}, []string{"strength.suggestion.sequence"}},
		{"1987abcxyz!", "strength.warning.recent_year", []string{"strength.suggestion.recent_years"}, nil},
		{"password123", "strength.warning.similar_common", []string{"strength.suggestion.sequence"}, nil},
		{"P@ssw0rd99", "strength.warning.similar_common", []string{"strength.suggestion.l33t"}, nil},
		{"aaaaaaaaaaaa", "strength.warning.repeat", []string{"strength.suggestion.repeat"}, nil},
		{"abcdefgh12", "strength.warning.sequence", []string{"strength.suggestion.sequence"}, nil},
		{"janedoe2024", "strength.warning.personal", []string{"strength.suggestion.personal", "strength.suggestion.recent_years"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			p := CheckPassword(tt.password, "janedoe", "")
			ids := adviceIDs(p.Hints)
			if len(ids) == 0 || ids[0] != tt.warning {
				t.Fatalf("advice %v, want %s first", ids, tt.warning)
			}
			for _, id := range tt.has {
				if !slices.Contains(ids, id) {
					t.Errorf("advice %v lacks %s", ids, id)
				}
			}
			for _, id := range tt.not {
				if slices.Contains(ids, id) {
					t.Errorf("advice %v has %s", ids, id)
				}
			}
			if len(ids) != len(slices.Compact(slices.Clone(ids))) {
				t.Errorf("advice repeats itself: %v", ids)
			}
		})
	}
	// A strong passphrase passes without advice.
	if p := CheckPassword("violet-tractor-sunbeam-42", "janedoe", ""); !p.OK() || len(p.Hints) != 0 {
		t.Fatalf("strong passphrase: %+v", p)
	}
	adv := PasswordProblem{Hints: []Msg{M("a"), M("b"), M("c")}}.Advice()
	if adv.ID != "strength.sentences" || adv.Args[1].(Msg).ID != "a" || adv.Args[3].(Msg).Args[3].(Msg).ID != "c" {
		t.Fatalf("advice as one message: %+v", adv)
	}
}
