package outbox

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOneDeliveryGuarantee: the README, docs/outbox.md and the LogTimelineEvent comment of
// service.proto state one delivery guarantee, in the same words, with its limit (the in-doubt
// check through HubSpot's search), and none of them promises "exactly once" elsewhere.
func TestOneDeliveryGuarantee(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	sources := map[string]string{
		"README.md":      read("README.md"),
		"docs/outbox.md": read("docs/outbox.md"),
		"service.proto":  read("proto/connectflo/integrations/v1/service.proto"),
	}
	const start, end = "The delivery guarantee.", "finished by default)."
	statements := map[string]string{}
	for name, text := range sources {
		text = strings.NewReplacer("**", "", "`", "", "//", "").Replace(text)
		text = strings.Join(strings.Fields(text), " ")
		i := strings.Index(text, start)
		if i < 0 {
			t.Errorf("%s states no delivery guarantee (%q)", name, start)
			continue
		}
		j := strings.Index(text[i:], end)
		if j < 0 {
			t.Errorf("%s: the guarantee does not end with %q", name, end)
			continue
		}
		statements[name] = text[i : i+j+len(end)]
		if strings.Count(text, start) != 1 {
			t.Errorf("%s states the delivery guarantee %d times", name, strings.Count(text, start))
		}
		if m := regexp.MustCompile(`(?i)exactly[ -]once`).FindString(text); m != "" {
			t.Errorf("%s promises %q: the guarantee is at most once up to HubSpot's search lag", name, m)
		}
	}
	want := statements["docs/outbox.md"]
	for _, limit := range []string{"--timeline-check-delay", "eventually consistent", "can be created twice"} {
		if !strings.Contains(want, limit) {
			t.Errorf("the guarantee does not state its limit: %q missing from %q", limit, want)
		}
	}
	for name, got := range statements {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s states another guarantee than docs/outbox.md (-docs +%s):\n%s", name, name, diff)
		}
	}
}
