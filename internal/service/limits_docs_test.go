package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/idempotency"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestDocsQuoteTheLimits: every limit the pages of docs/ quote is the number of the constant
// that enforces it, as TestProtoCommentsQuoteTheLimits checks for the proto comments. A limit
// changed in code without its page fails here, naming the sentence to fix.
func TestDocsQuoteTheLimits(t *testing.T) {
	tests := []struct {
		page  string // file under docs/
		quote string // the page's words: emphasis and code marks removed, lines joined
	}{
		// Request limits.
		{"guarantees.md", quotef("filters in all | %d / %d / %d | HubSpot's |", records.MaxFilterGroups, records.MaxFiltersPerGroup, records.MaxFilters)},
		{"guarantees.md", quotef("SearchRecords sorts; query | %d; %s characters |", records.MaxSorts, thousands(records.MaxQueryLength))},
		{"guarantees.md", quotef("results one search can page through | %d; %s |", records.MaxSearchPageSize, thousands(records.MaxSearchResults))},
		{"guarantees.md", quotef("Values of one IN / NOT_IN filter | %d |", records.MaxFilterValues)},
		{"guarantees.md", quotef("LogTimelineEvent's contact_properties) | %d |", records.MaxProperties)},
		{"guarantees.md", quotef("Length of a field name | %d bytes", fields.MaxNameLength)},
		{"guarantees.md", quotef("the first %d of a request", fields.MaxSuggestions)},
		// request_id.
		{"guarantees.md", quotef("at most %d characters without control characters", idempotency.MaxRequestIDLength)},
		{"guarantees.md", quotef("gets the first call's answer for %d hours", int(store.RequestIDRetention.Hours()))},
		{"guarantees.md", quotef("of at most %d KiB; after any other answer", idempotency.MaxKeptAnswerBytes>>10)},
		{"guarantees.md", quotef("A call with a request_id runs at most %d minutes.", int(idempotency.MaxCallDuration.Minutes()))},
		{"guarantees.md", quotef("remembered for %d hours", int(store.RequestIDRetention.Hours()))},
		{"guarantees.md", quotef("a kept answer is at most %d KiB", idempotency.MaxKeptAnswerBytes>>10)},
		// Timeline events.
		{"guarantees.md", quotef("title %d characters, phone numbers %d, URLs %s, contact.id %d digits, metadata %d entries with keys of %d and values of %s characters, call duration 0–%d h, occur_time from 2000-01-01T00:00:00Z to %d h after now",
			outbox.MaxTitleChars, outbox.MaxPhoneChars, thousands(outbox.MaxURLChars), hubspot.MaxObjectIDDigits, outbox.MaxMetadataEntries,
			outbox.MaxMetadataKeyChars, thousands(outbox.MaxMetadataValueChars), int(outbox.MaxCallDuration.Hours()), int(outbox.MaxOccurAhead.Hours()))},
		{"guarantees.md", quotef("must fit HubSpot's %s characters", thousands(outbox.MaxEngagementBodyChars))},
		{"guarantees.md", quotef("at most --timeline-max-queued (%s) not yet delivered", thousands(outbox.DefaultMaxQueued))},
		{"guarantees.md", quotef("at about %d MiB of events", outbox.MaxPageBytes>>20)},
		// Per workspace.
		{"guarantees.md", quotef("at most --max-connections-per-workspace (default %d) per workspace", connections.DefaultMaxPerWorkspace)},
		// Errors and upserts.
		{"errors.md", quotef("An INVALID_ARGUMENT lists at most %d field violations", rpcerr.MaxViolations)},
		{"design.md", quotef("BatchUpsertContacts takes up to %s contacts", thousands(upsert.MaxBulk))},
		{"design.md", quotef("and %d contacts per batch upsert", hubspot.MaxBatchInputs)},
	}
	pages := map[string]string{}
	for _, tt := range tests {
		text, ok := pages[tt.page]
		if !ok {
			b, err := os.ReadFile(filepath.Join("..", "..", "docs", tt.page))
			if err != nil {
				t.Fatal(err)
			}
			text = strings.Join(strings.Fields(strings.NewReplacer("**", "", "`", "").Replace(string(b))), " ")
			pages[tt.page] = text
		}
		if !strings.Contains(text, tt.quote) {
			t.Errorf("docs/%s does not say %q: make it quote the limit the code enforces", tt.page, tt.quote)
		}
	}
}
