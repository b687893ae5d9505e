package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func readCatalogs(t *testing.T) map[string]map[string]Entry {
	t.Helper()
	cats, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	return cats
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// TestCatalogsComplete: every message of the English source is in every
// catalog, with the same placeholders in every form, and names the English
// text it was translated from, so a changed source shows up as a failure
// until the translation follows it (SPEC §13).
func TestCatalogsComplete(t *testing.T) {
	cats := readCatalogs(t)
	en := cats[Source]
	if len(en) == 0 {
		t.Fatal("the English catalog is empty")
	}
	for _, lang := range Langs[1:] {
		tr := cats[lang]
		for id, src := range en {
			got, ok := tr[id]
			if !ok {
				t.Errorf("%s: %s is not translated (%q)", lang, id, src.Forms["other"])
				continue
			}
			if got.Description != src.Forms["other"] {
				t.Errorf("%s: %s was translated from %q, the source now says %q", lang, id, got.Description, src.Forms["other"])
			}
			want := placeholders(src.Forms["other"])
			for form, s := range got.Forms {
				if p := placeholders(s); !slices.Equal(p, want) {
					t.Errorf("%s: %s (%s) has placeholders %v, the source %v", lang, id, form, p, want)
				}
			}
		}
		for id := range tr {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not in the English source", lang, id)
			}
		}
	}
	// Every message renders in every language.
	for id := range en {
		for _, lang := range Langs {
			if s := In(lang, id, "Count", 2); s == id {
				t.Errorf("%s: %s does not render", lang, id)
			}
		}
	}
}

// idCalls are the functions whose first argument (after ctx or lang, for
// T and In) is a message id.
var idCalls = map[string]int{"T": 1, "In": 1, "M": 0}

// TestSourceIDsExist: every message id written in the code (i18n.T,
// i18n.In, workflow.M with a literal id) is in the English catalog.
func TestSourceIDsExist(t *testing.T) {
	en := readCatalogs(t)[Source]
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	found := 0
	for _, dir := range []string{"views", "portal", "admin", "workflow", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				pos, ok := idCalls[name]
				if !ok || len(call.Args) <= pos {
					return true
				}
				lit, ok := call.Args[pos].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				id, _ := strconv.Unquote(lit.Value)
				if !strings.Contains(id, ".") || strings.Contains(id, " ") {
					return true // not an id (some other T or M)
				}
				found++
				if _, ok := en[id]; !ok {
					t.Errorf("%s: message %q is not in the English catalog", fset.Position(lit.Pos()), id)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found == 0 {
		t.Fatal("no message ids found in the code: the scan is broken")
	}
}

func TestMatchAndFormat(t *testing.T) {
	for header, want := range map[string]string{
		"": "en", "de-DE,de;q=0.9,en;q=0.8": "de", "nl-BE": "nl", "fr-FR,nl;q=0.5": "nl",
		"fr": "en", "en-GB,de;q=0.9": "en", "garbage;;q=x": "en", "de-AT": "de",
	} {
		if got := Match(header); got != want {
			t.Errorf("Match(%q) = %s, want %s", header, got, want)
		}
	}
	for header, want := range map[string]bool{"": false, "fr": false, "ken": false, "en-US": true, "fr, en;q=0.5": true, "nl-BE": true} {
		if _, explicit := match(header); explicit != want {
			t.Errorf("match(%q) names one of ours: %v, want %v", header, explicit, want)
		}
	}
	if got := NumberIn("de", 1234567); got != "1.234.567" {
		t.Errorf("NumberIn(de) = %s", got)
	}
	if got := NumberIn("en", -1234); got != "-1,234" {
		t.Errorf("NumberIn(en) = %s", got)
	}
}
