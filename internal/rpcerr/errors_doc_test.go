package rpcerr

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the reasons section of docs/errors.md from errors.proto")

var (
	errorsProto = filepath.Join("..", "..", "proto", "connectflo", "integrations", "v1", "errors.proto")
	errorsDoc   = filepath.Join("..", "..", "docs", "errors.md")
)

// reasonsHeading starts the part of docs/errors.md that is rendered from errors.proto; it runs
// to the end of the file, and everything above it is prose written by hand.
const reasonsHeading = "## Reasons\n"

// TestErrorsDocListsEveryReason: the reasons section of docs/errors.md is the ErrorReason
// enum's comments, in the proto's order and groups, so the page cannot say something else
// than the contract. After editing errors.proto, rewrite it with
//
//	go test ./internal/rpcerr -run TestErrorsDocListsEveryReason -update
func TestErrorsDocListsEveryReason(t *testing.T) {
	groups := parseErrorReasons(t, errorsProto)

	// The parser must see every value of the generated enum (Reasons, in the proto's order),
	// so that a value it missed cannot silently drop out of the page.
	var parsed []string
	for _, g := range groups {
		for _, v := range g.values {
			parsed = append(parsed, v.name)
		}
	}
	if diff := cmp.Diff(Reasons, parsed); diff != "" {
		t.Fatalf("errors.proto as parsed here differs from the ErrorReason enum (-enum +parsed):\n%s", diff)
	}

	want := renderReasons(groups)
	doc, err := os.ReadFile(errorsDoc)
	if err != nil {
		t.Fatal(err)
	}
	prose, got, found := strings.Cut(string(doc), reasonsHeading)
	if !found {
		t.Fatalf("docs/errors.md has no line %q", strings.TrimSpace(reasonsHeading))
	}
	if *update {
		if err := os.WriteFile(errorsDoc, []byte(prose+reasonsHeading+want), 0o644); err != nil { //nolint:gosec // a document of the repository
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/errors.md's reasons differ from errors.proto (-proto +docs); rewrite them with "+
			"go test ./internal/rpcerr -run TestErrorsDocListsEveryReason -update:\n%s", diff)
	}
}

// reasonGroup is a run of ErrorReason values under one standalone comment of errors.proto
// ("// The request."), or before the first such comment.
type reasonGroup struct {
	title, note string // the comment's first sentence, and the rest
	values      []documentedReason
}

type documentedReason struct {
	name, doc string // the wire name, and the value's comment with its lines joined
}

var enumValueLine = regexp.MustCompile(`^ERROR_REASON_([A-Z0-9_]+) = \d+;$`)

// parseErrorReasons reads the ErrorReason enum of errors.proto: a comment followed by a blank
// line opens a group, a comment followed by a value documents that value. UNSPECIFIED is never
// sent, so it is left out.
func parseErrorReasons(t *testing.T, path string) []reasonGroup {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		groups  = []reasonGroup{{}}
		comment []string
		inEnum  bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "enum ErrorReason {":
			inEnum, comment = true, nil
		case !inEnum:
			comment = nil
		case line == "}":
			inEnum = false
		case strings.HasPrefix(line, "//"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(line, "//")))
		case line == "":
			if len(comment) > 0 {
				title, note, _ := strings.Cut(strings.Join(comment, " "), ". ")
				groups = append(groups, reasonGroup{title: strings.TrimSuffix(title, "."), note: note})
			}
			comment = nil
		default:
			m := enumValueLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s: cannot read the ErrorReason line %q", path, line)
			}
			if m[1] != "UNSPECIFIED" {
				if len(comment) == 0 {
					t.Errorf("%s: ERROR_REASON_%s has no comment saying what it means and what to do", path, m[1])
				}
				g := &groups[len(groups)-1]
				g.values = append(g.values, documentedReason{name: m[1], doc: strings.Join(comment, " ")})
			}
			comment = nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var out []reasonGroup
	for _, g := range groups {
		if len(g.values) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// renderReasons writes the reasons section of docs/errors.md, below its heading.
func renderReasons(groups []reasonGroup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n<!-- Rendered from the comments of the ErrorReason enum in\n"+
		"proto/connectflo/integrations/v1/errors.proto by TestErrorsDocListsEveryReason\n"+
		"(internal/rpcerr): edit the proto, then run\n"+
		"go test ./internal/rpcerr -run TestErrorsDocListsEveryReason -update -->\n")
	fmt.Fprintf(&b, "\nWhere a reason always comes with the same status code, its description starts with it.\n")
	cell := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")
	for _, g := range groups {
		if g.title != "" {
			fmt.Fprintf(&b, "\n### %s\n", g.title)
		}
		if g.note != "" {
			fmt.Fprintf(&b, "\n%s\n", g.note)
		}
		fmt.Fprintf(&b, "\n| Reason | What it means and what to do |\n|---|---|\n")
		for _, v := range g.values {
			fmt.Fprintf(&b, "| `%s` | %s |\n", v.name, cell.Replace(v.doc))
		}
	}
	return b.String()
}
