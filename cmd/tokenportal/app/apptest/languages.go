package apptest

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/html"

	"tokenportal/views/i18n"
)

// The language tests of the pages (SPEC §13): a page shown in German or
// Dutch must not show a text that its English version shows too, unless
// that text is the same in both languages (a translation identical to its
// source, like "Status"), data (a login, a serial, an address), a
// language's own name in the switcher, or has no words at all.

// Segments are the texts a person sees or hears on p: every text node of the
// document (the title included, scripts and styles not), and the
// placeholder, aria-label, title and alt attributes and the value of
// buttons, each with its whitespace collapsed.
func Segments(p *Page) []string {
	var out []string
	add := func(s string) {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			out = append(out, s)
		}
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			add(n.Data)
		case html.ElementNode:
			if n.Data == "script" || n.Data == "style" {
				return
			}
			typ := attr(n, "type")
			for _, a := range n.Attr {
				switch a.Key {
				case "placeholder", "aria-label", "title", "alt":
					add(a.Val)
				case "value":
					if n.Data == "input" && (typ == "submit" || typ == "button") {
						add(a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range p.Doc.Nodes {
		walk(n)
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

var (
	sameOnce sync.Once
	same     map[string][]*regexp.Regexp // lang → texts translated as themselves
)

// sameTexts are, per language, the catalog texts whose translation is the
// English source itself, as patterns (placeholders match anything).
func sameTexts() map[string][]*regexp.Regexp {
	sameOnce.Do(func() {
		cats, err := i18n.Entries()
		if err != nil {
			panic(err)
		}
		same = map[string][]*regexp.Regexp{}
		placeholder := regexp.MustCompile(`\{\{[^}]*\}\}`)
		for _, lang := range i18n.Langs[1:] {
			for id, src := range cats[i18n.Source] {
				tr := cats[lang][id]
				for form, s := range src.Forms {
					if tr.Forms[form] != s {
						continue
					}
					parts := placeholder.Split(strings.Join(strings.Fields(s), " "), -1)
					for i := range parts {
						parts[i] = regexp.QuoteMeta(parts[i])
					}
					same[lang] = append(same[lang], regexp.MustCompile("^"+strings.Join(parts, ".+")+"$"))
				}
			}
		}
	})
	return same
}

var (
	noWords    = regexp.MustCompile(`^[^\pL]*$`)
	dataLike   = regexp.MustCompile(`^[^\s]*[0-9@_./:+-][^\s]*$`) // logins, serials, addresses, ids
	identifier = regexp.MustCompile(`^([a-z][a-z0-9]*)$|^([A-Z][a-z]+){2,}$`)
)

// Untranslated lists the texts of tr (the page in lang) that en (the same
// page in English) shows too and that are not explained: not a text the
// catalogs translate as itself, not data (data lists the fixture's values
// the page may show), not a language name, not without words.
func Untranslated(en, tr *Page, lang string, data ...string) []string {
	english := map[string]bool{}
	for _, s := range Segments(en) {
		english[s] = true
	}
	var out []string
	for _, s := range Segments(tr) {
		if !english[s] || slices.Contains(out, s) || explained(s, lang, data) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func explained(s, lang string, data []string) bool {
	if noWords.MatchString(s) || dataLike.MatchString(s) || identifier.MatchString(s) {
		return true
	}
	for _, l := range i18n.Langs {
		if s == i18n.Name(l) {
			return true
		}
	}
	for _, d := range data {
		if d != "" && strings.Contains(s, d) && len(strings.TrimSpace(strings.ReplaceAll(s, d, ""))) <= 2 {
			return true
		}
	}
	for _, re := range sameTexts()[lang] {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
