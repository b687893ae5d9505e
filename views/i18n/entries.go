package i18n

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Entry is one message of a catalog as its file has it: the plural forms
// and, in a translation, the English source it was made from
// (description).
type Entry struct {
	Description string
	Forms       map[string]string // one, other, …
}

var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// Entries reads every catalog file into lang → id → entry. It is what the
// catalog checks and the language tests of the pages read; pages use T.
func Entries() (map[string]map[string]Entry, error) {
	out := map[string]map[string]Entry{}
	names, err := fs.Glob(files, "catalog/*.toml")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no catalogs: %v", err)
	}
	var errs []string
	for _, name := range names {
		parts := strings.Split(filepath.Base(name), ".")
		lang := parts[len(parts)-2]
		if !Supported(lang) {
			errs = append(errs, fmt.Sprintf("%s: language %q is not one of %v", name, lang, Langs))
			continue
		}
		b, _ := files.ReadFile(name)
		var raw map[string]any
		if err := toml.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if out[lang] == nil {
			out[lang] = map[string]Entry{}
		}
		errs = append(errs, flatten(name, "", raw, out[lang])...)
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return out, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

func isMessage(m map[string]any) bool {
	for k, v := range m {
		if _, ok := v.(string); !ok {
			return false
		}
		if k != "description" && k != "hash" && !slices.Contains(pluralForms, k) {
			return false
		}
	}
	return true
}

func flatten(file, prefix string, m map[string]any, into map[string]Entry) []string {
	var errs []string
	for k, v := range m {
		id := k
		if prefix != "" {
			id = prefix + "." + k
		}
		sub, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: %s is not a message", file, id))
			continue
		}
		if !isMessage(sub) {
			errs = append(errs, flatten(file, id, sub, into)...)
			continue
		}
		if _, dup := into[id]; dup {
			errs = append(errs, fmt.Sprintf("%s: %s is defined twice", file, id))
		}
		e := Entry{Forms: map[string]string{}}
		for f, s := range sub {
			if f == "description" {
				e.Description = s.(string)
			} else if f != "hash" {
				e.Forms[f] = s.(string)
			}
		}
		if e.Forms["other"] == "" {
			errs = append(errs, fmt.Sprintf("%s: %s has no text (other)", file, id))
		}
		into[id] = e
	}
	return errs
}
