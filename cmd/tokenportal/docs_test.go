package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The map for newcomers must not send them to files that moved: every file
// ARCHITECTURE.md names exists (paths from the repository root, or from
// workflow/ for its subpackages), and no link leaves the repository.
func TestArchitectureNamesFilesThatExist(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile("`([A-Za-z0-9_./-]+\\.(?:go|md|sql|txt))`").FindAllStringSubmatch(string(doc), -1)
	if len(named) < 20 {
		t.Fatalf("only %d files named: the traces are gone?", len(named))
	}
	for _, m := range named {
		p := m[1]
		if strings.Contains(p, "NNN") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "workflow", p)); err != nil {
			t.Errorf("ARCHITECTURE.md names %s, which does not exist", p)
		}
	}
	for _, link := range regexp.MustCompile(`\]\(([^)]+)\)`).FindAllStringSubmatch(string(doc), -1) {
		if strings.Contains(link[1], "://") || strings.HasPrefix(link[1], "..") {
			t.Errorf("ARCHITECTURE.md links outside the repository: %s", link[1])
		}
	}
}
