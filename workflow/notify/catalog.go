package notify

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The message catalog: the built-in texts of every template in every
// language, as files a translator can edit (catalog/README.md). They are
// read once at start; a file that does not parse stops the program there.

//go:embed catalog/*/*.txt
var catalogFiles embed.FS

// text is one template in one language. SMS, when set, is the short text for
// the SMS channel; otherwise an SMS carries the subject.
type text struct{ Subject, Body, SMS string }

// wordsFile holds a language's words: the mail footer and what the template
// functions translate (purpose.*, tokentype.*, lost.*).
const wordsFile = "words.txt"

var (
	// catalog holds the built-in templates: name → language → text.
	catalog map[string]map[string]text
	// words: language → key → word.
	words map[string]map[string]string
)

func init() {
	var err error
	if catalog, words, err = loadCatalog(catalogFiles); err == nil {
		err = validateCatalog()
	}
	if err != nil {
		panic(err)
	}
}

// loadCatalog reads catalog/<lang>/<template>.txt and catalog/<lang>/words.txt
// for every language of Languages.
func loadCatalog(fsys fs.FS) (map[string]map[string]text, map[string]map[string]string, error) {
	cat, ws := map[string]map[string]text{}, map[string]map[string]string{}
	dirs, err := fs.ReadDir(fsys, "catalog")
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for _, d := range dirs {
		if d.IsDir() && !slices.Contains(Languages, d.Name()) {
			errs = append(errs, fmt.Errorf("catalog/%s: not one of the languages %v (add it to Languages)", d.Name(), Languages))
		}
	}
	for _, l := range Languages {
		dir := path.Join("catalog", l)
		raw, err := fs.ReadFile(fsys, path.Join(dir, wordsFile))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ws[l], err = parseWords(string(raw)); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", dir, wordsFile, err))
			continue
		}
		files, err := fs.ReadDir(fsys, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			name, ok := strings.CutSuffix(f.Name(), ".txt")
			if !ok || f.IsDir() || f.Name() == wordsFile {
				continue
			}
			raw, err := fs.ReadFile(fsys, path.Join(dir, f.Name()))
			if err == nil {
				var t text
				if t, err = parseText(string(raw), ws[l]["footer"]); err == nil {
					if cat[name] == nil {
						cat[name] = map[string]text{}
					}
					cat[name][l] = t
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s/%s: %w", dir, f.Name(), err))
			}
		}
	}
	return cat, ws, errors.Join(errs...)
}

// parseText reads one template file: header lines "Subject: …" and, for a
// short SMS form, "SMS: …"; a blank line; the body. The body gets the
// language's footer below the signature separator "-- ".
func parseText(raw, footer string) (text, error) {
	head, body, ok := strings.Cut(strings.ReplaceAll(raw, "\r\n", "\n"), "\n\n")
	if !ok {
		return text{}, errors.New("no blank line between the header lines and the body")
	}
	var t text
	for _, line := range strings.Split(head, "\n") {
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch {
		case ok && key == "Subject" && t.Subject == "":
			t.Subject = value
		case ok && key == "SMS" && t.SMS == "":
			t.SMS = value
		default:
			return text{}, fmt.Errorf("header line %q: want one Subject line and at most one SMS line", line)
		}
	}
	body = strings.Trim(body, "\n")
	if t.Subject == "" || body == "" {
		return text{}, errors.New("the subject or the body is empty")
	}
	t.Body = body + "\n\n-- \n" + footer + "\n"
	return t, nil
}

// parseWords reads "key = word" lines; blank lines and lines starting with #
// are skipped.
func parseWords(raw string) (map[string]string, error) {
	ws := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(raw, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, word, ok := strings.Cut(line, "=")
		key, word = strings.TrimSpace(key), strings.TrimSpace(word)
		if !ok || key == "" || word == "" {
			return nil, fmt.Errorf("line %d: want key = word", i+1)
		}
		if _, dup := ws[key]; dup {
			return nil, fmt.Errorf("line %d: %s given twice", i+1, key)
		}
		ws[key] = word
	}
	if ws["footer"] == "" {
		return nil, errors.New("no footer")
	}
	return ws, nil
}

// validateCatalog parses every built-in text once, so a typo fails at start.
func validateCatalog() error {
	var errs []error
	for name, langs := range catalog {
		if _, ok := samples[name]; !ok {
			errs = append(errs, fmt.Errorf("template %s has no sample data", name))
		}
		for _, l := range Languages {
			t, ok := langs[l]
			if !ok {
				errs = append(errs, fmt.Errorf("template %s has no %s text", name, l))
				continue
			}
			for _, s := range []string{t.Subject, t.Body, t.SMS} {
				if _, err := parse(name, l, s); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
