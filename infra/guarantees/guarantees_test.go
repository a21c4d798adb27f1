package guarantees

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../.."

// reference is `folder.TestName` (or Fuzz…) inside backquotes.
var reference = regexp.MustCompile("`((?:shared|infra|functions)(?:/[a-z0-9_/]+)?)\\.((?:Test|Fuzz)[A-Za-z0-9_]+)`")

// testFunc finds func name( in the folder's test files and returns its body.
func testFunc(t *testing.T, dir, name string) (string, bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		i := strings.Index(src, "\nfunc "+name+"(")
		if i < 0 {
			continue
		}
		body := src[i+1:]
		if j := strings.Index(body, "\n}\n"); j >= 0 {
			body = body[:j]
		}
		return body, true
	}
	return "", false
}

func TestEveryNamedTestExists(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "docs", "guarantees.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	open := strings.Index(doc, "\n## Not yet guaranteed")
	if open < 0 {
		t.Fatal(`docs/guarantees.md has no "## Not yet guaranteed" section`)
	}
	named := 0
	for i, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| guarantee") || strings.HasPrefix(line, "| open race") {
			continue
		}
		refs := reference.FindAllStringSubmatch(line, -1)
		if len(refs) == 0 {
			t.Errorf("docs/guarantees.md line %d names no test: %s", i+1, line)
			continue
		}
		guarantee := strings.Index(doc, line) < open
		for _, r := range refs {
			named++
			body, ok := testFunc(t, r[1], r[2])
			if !ok {
				t.Errorf("docs/guarantees.md line %d names %s.%s, which does not exist", i+1, r[1], r[2])
				continue
			}
			skipped := strings.Contains(body, "knownRace(")
			if guarantee && skipped {
				t.Errorf("docs/guarantees.md line %d rests a guarantee on %s, which is skipped as a known race", i+1, r[2])
			}
			if !guarantee && !skipped {
				t.Errorf("docs/guarantees.md line %d lists %s as an open race, but it runs: move the line up", i+1, r[2])
			}
		}
	}
	if named < 20 {
		t.Fatalf("only %d tests named; the reference pattern no longer matches the page", named)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "(docs/guarantees.md)") {
		t.Error("the README does not link docs/guarantees.md")
	}
}
