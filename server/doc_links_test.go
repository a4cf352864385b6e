package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestDocLinksResolve: every relative link of the README and of docs/ names a file of the
// repository, and an anchor names a heading of that file, so that a page moved or a heading
// renamed cannot leave a reader at a dead end. Links to the web are not fetched.
func TestDocLinksResolve(t *testing.T) {
	root := filepath.Join("..")
	pages := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no pages under docs/")
	}
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, rel)
	}
	anchors := map[string]map[string]bool{} // page → its heading anchors, read once
	anchorsOf := func(page string) map[string]bool {
		if a, ok := anchors[page]; ok {
			return a
		}
		text, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		a := headingAnchors(string(text))
		anchors[page] = a
		return a
	}
	checked := 0
	for _, page := range pages {
		text, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range markdownLinks(string(text)) {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			checked++
			if err := resolveLink(root, page, l.target, anchorsOf); err != nil {
				t.Errorf("%s:%d: link %q: %v", page, l.line, l.target, err)
			}
		}
	}
	if checked == 0 {
		t.Error("no relative links found: the link reader is broken")
	}
}

// resolveLink checks one relative link of page: its path (relative to the page's folder, or
// the page itself when the link is only an anchor) must be a file or folder inside the
// repository, and its anchor, if any, a heading of that file.
func resolveLink(root, page, target string, anchorsOf func(page string) map[string]bool) error {
	path, anchor, _ := strings.Cut(target, "#")
	file := page
	if path != "" {
		if filepath.IsAbs(path) {
			return fmt.Errorf("an absolute path; link relative to the page")
		}
		file = filepath.Clean(filepath.Join(filepath.Dir(page), path))
		if file == ".." || strings.HasPrefix(file, ".."+string(filepath.Separator)) {
			return fmt.Errorf("leaves the repository")
		}
		info, err := os.Stat(filepath.Join(root, file))
		if err != nil {
			return fmt.Errorf("no such file in the repository")
		}
		if info.IsDir() {
			if anchor != "" {
				return fmt.Errorf("an anchor into a folder")
			}
			return nil
		}
	}
	if anchor == "" {
		return nil
	}
	if !strings.HasSuffix(file, ".md") {
		return fmt.Errorf("an anchor into a file that is not markdown")
	}
	if !anchorsOf(file)[anchor] {
		return fmt.Errorf("%s has no heading with the anchor %q", file, anchor)
	}
	return nil
}

type markdownLink struct {
	target string
	line   int
}

var (
	inlineLink = regexp.MustCompile(`\[[^\]]*\]\(([^()\s]+)\)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
)

// markdownLinks returns the inline links of a markdown text outside fenced code blocks and
// code spans, where brackets are code, not links.
func markdownLinks(text string) []markdownLink {
	var out []markdownLink
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range inlineLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
			out = append(out, markdownLink{target: m[1], line: i + 1})
		}
	}
	return out
}

// headingAnchors returns the anchors GitHub gives the headings of a markdown text: lower
// case, punctuation dropped but for "-" and "_", spaces as "-", and "-1", "-2"… appended to
// repeats.
func headingAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		anchor := b.String()
		if n := seen[anchor]; n > 0 {
			seen[anchor]++
			anchor = fmt.Sprintf("%s-%d", anchor, n)
		} else {
			seen[anchor] = 1
		}
		out[anchor] = true
	}
	return out
}

// TestHeadingAnchors pins the anchor rule on headings of these pages.
func TestHeadingAnchors(t *testing.T) {
	text := "# Guarantees\n## Retries and `request_id`\n### Contact upserts at HubSpot's ceiling\n" +
		"## Engine decision: our own table, not River (for now)\n```\n# not a heading\n```\n## Limits\n## Limits\n"
	got := headingAnchors(text)
	for _, want := range []string{"guarantees", "retries-and-request_id", "contact-upserts-at-hubspots-ceiling",
		"engine-decision-our-own-table-not-river-for-now", "limits", "limits-1"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a line of a code block was read as a heading")
	}
}
