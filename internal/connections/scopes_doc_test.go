package connections

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScopesDocListsEveryScope: the scopes table of docs/api.md is requiredScopes and
// recommendedScopes, in their order, with their purposes, so that a customer creating the
// private app reads the list Connect checks.
func TestScopesDocListsEveryScope(t *testing.T) {
	var want [][3]string
	for _, s := range requiredScopes {
		want = append(want, [3]string{s.Name, s.Purpose, "required"})
	}
	for _, s := range recommendedScopes {
		want = append(want, [3]string{s.Name, s.Purpose, "recommended"})
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	const heading = "### Scopes"
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/api.md has no %q section", heading)
	}
	var got [][3]string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "#") {
			break // the next section
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !strings.HasPrefix(line, "| `") || len(cells) != 3 {
			continue // prose, the header and its rule
		}
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		got = append(got, [3]string{cells[0], cells[1], cells[2]})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/api.md %q differs from requiredScopes and recommendedScopes (-code +docs):\n%s", heading, diff)
	}
}
