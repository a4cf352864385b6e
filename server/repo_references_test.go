package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The repository stands on its own: its code, protos, docs and scripts name no file that is
// not in it (a reference document, house-rule files, a section of one of those) and no path
// of the machine they were written on. A HubSpot fact is stated in the code's own words,
// with its public source.

// externalReference is one kind of pointer out of the repository.
type externalReference struct {
	pattern *regexp.Regexp
	what    string
}

var externalReferences = []externalReference{
	{regexp.MustCompile(`REFERENCE(\.md|\s*§)`), "a reference document that is not in the repository"},
	{regexp.MustCompile(`\b(CONVENTIONS|DESIGN)\.md\b`), "a house-rule file that is not in the repository"},
	{regexp.MustCompile(`§\s*\d`), "a numbered section of a document that is not in the repository"},
	{regexp.MustCompile(`(^|[^\w.:/-])/(work|home|Users|root)/`), "an absolute path of a machine"},
}

// scannedFile reports whether a file is one of the repository's own texts: code, protos, docs,
// configuration and scripts.
func scannedFile(name string, head []byte) bool {
	switch filepath.Ext(name) {
	case ".go", ".proto", ".md", ".sh", ".yml", ".yaml", ".mjs":
		return true
	case "":
		return bytes.HasPrefix(head, []byte("#!")) // scripts/test, .ci/run
	}
	return false
}

// skipped reports whether a path (relative to the repository, with slashes) is generated or
// fetched, or git's own: gen/ and third_party/ at the root, node_modules and .git anywhere.
func skipped(rel, name string) bool {
	return rel == "gen" || rel == "third_party" || name == "node_modules" || name == ".git"
}

// thisFile names the patterns it forbids, so the walk leaves it out.
const thisFile = "server/repo_references_test.go"

// findExternalReferences returns "line: what: text" for every line of text that points out of
// the repository.
func findExternalReferences(text string) []string {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		for _, r := range externalReferences {
			if r.pattern.MatchString(line) {
				out = append(out, fmt.Sprintf("%d: %s: %s", i+1, r.what, strings.TrimSpace(line)))
			}
		}
	}
	return out
}

func TestFindExternalReferences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{
			name: "a section of the reference document",
			text: "// HubSpot's batch limit (REFERENCE §3).",
			want: []string{
				"1: a reference document that is not in the repository: // HubSpot's batch limit (REFERENCE §3).",
				"1: a numbered section of a document that is not in the repository: // HubSpot's batch limit (REFERENCE §3).",
			},
		},
		{
			name: "the reference document by file name",
			text: "line one\nThe wire shapes follow REFERENCE.md.",
			want: []string{"2: a reference document that is not in the repository: The wire shapes follow REFERENCE.md."},
		},
		{
			name: "house-rule files",
			text: "# see CONVENTIONS.md\n// DESIGN.md: missing scopes",
			want: []string{
				"1: a house-rule file that is not in the repository: # see CONVENTIONS.md",
				"2: a house-rule file that is not in the repository: // DESIGN.md: missing scopes",
			},
		},
		{
			name: "an absolute machine path",
			text: "// follows /work/shared/hubspot/x",
			want: []string{"1: an absolute path of a machine: // follows /work/shared/hubspot/x"},
		},
		{
			name: "SQL foreign keys are no reference",
			text: "workspace TEXT NOT NULL REFERENCES workspaces(id),",
		},
		{
			name: "a URL path is no machine path",
			text: "// https://example.com/work/items and ./work/ and ../home/x",
		},
		{
			name: "files of the repository may be named",
			text: "see docs/outbox.md and README.md",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findExternalReferences(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findExternalReferences(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestScannedFile(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"records.go", "package records", true},
		{"service.proto", "syntax", true},
		{"outbox.md", "# Outbox", true},
		{".golangci.yml", "version", true},
		{"buf.yaml", "# buf", true},
		{"test", "#!/usr/bin/env bash", true},
		{"LICENSE", "Copyright", false},
		{"0002_connections.sql", "CREATE TABLE", false},
		{"package-lock.json", "{", false},
	}
	for _, tt := range tests {
		if got := scannedFile(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("scannedFile(%q, %q) = %v, want %v", tt.name, tt.head, got, tt.want)
		}
	}
}

func TestRepositoryReferencesNoFilesOutsideIt(t *testing.T) {
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository root is not at %s: %v", root, err)
	}
	scanned := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skipped(rel, d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's .git is a file
		}
		if d.IsDir() || !d.Type().IsRegular() || rel == thisFile {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !scannedFile(d.Name(), data) {
			return nil
		}
		scanned++
		for _, f := range findExternalReferences(string(data)) {
			t.Errorf("%s:%s", rel, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have read the repository, not an empty folder.
	if scanned < 100 {
		t.Fatalf("scanned %d files under %s; expected the whole repository", scanned, root)
	}
}
