package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectflo/integrations/internal/audit"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestProtoCommentsQuoteTheLimits: every limit a proto comment quotes is the number of the
// constant that enforces it, in the package that owns it. A limit changed in code without its
// comment (or the reverse) fails here, naming the sentence to fix.
func TestProtoCommentsQuoteTheLimits(t *testing.T) {
	tests := []struct {
		proto string // file under proto/connectflo/integrations/v1
		quote string // the comment's words, wrapped lines joined
	}{
		// Conditions.
		{"conditions.proto", quotef("HubSpot id of the company (digits, at most %d)", hubspot.MaxObjectIDDigits)},
		{"conditions.proto", quotef("HubSpot id of the deal (digits, at most %d)", hubspot.MaxObjectIDDigits)},
		// Timeline events: the outbox owns their limits.
		{"timeline.proto", quotef("a HubSpot id of at most %d digits", hubspot.MaxObjectIDDigits)},
		{"timeline.proto", quotef("checked as UpsertContactRequest.properties (at most %d)", records.MaxProperties)},
		{"timeline.proto", quotef("From 2000-01-01T00:00:00Z to %d hours after now", int(outbox.MaxOccurAhead.Hours()))},
		{"timeline.proto", quotef("\"Support call about invoice #1042\". At most %s characters.", thousands(outbox.MaxTitleChars))},
		{"timeline.proto", quotef("HubSpot takes at most %s characters in the engagement body", thousands(outbox.MaxEngagementBodyChars))},
		{"timeline.proto", quotef("Length of a call, from 0 to %d hours.", int(outbox.MaxCallDuration.Hours()))},
		{"timeline.proto", quotef("Caller's phone number (calls, SMS, WhatsApp). At most %d characters.", outbox.MaxPhoneChars)},
		{"timeline.proto", quotef("Callee's phone number. At most %d characters.", outbox.MaxPhoneChars)},
		{"timeline.proto", quotef("HTTPS link to the call recording. At most %s characters.", thousands(outbox.MaxURLChars))},
		{"timeline.proto", quotef("(http or https). At most %s characters.", thousands(outbox.MaxURLChars))},
		{"timeline.proto", quotef("at most %d entries, keys of 1 to %d characters, values of at most %s characters",
			outbox.MaxMetadataEntries, outbox.MaxMetadataKeyChars, thousands(outbox.MaxMetadataValueChars))},
		{"timeline.proto", quotef("At most this many events (default %d, at most %d). A page also ends once its events reach about %d MiB",
			outbox.DefaultPageSize, outbox.MaxPageSize, outbox.MaxPageBytes>>20)},
		{"service.proto", quotef("A connection holds at most %s undelivered events by default", thousands(outbox.DefaultMaxQueued))},
		// Records and searches.
		{"records.proto", quotef("At most %d properties; a field name is at most %d bytes.", records.MaxProperties, fields.MaxNameLength)},
		{"records.proto", quotef("an error lists at most %d violations", rpcerr.MaxViolations)},
		{"records.proto", quotef("1 to %s contacts. The same email twice", thousands(upsert.MaxBulk))},
		{"service.proto", quotef("creates or updates up to %s contacts", thousands(upsert.MaxBulk))},
		{"records.proto", quotef("HubSpot's limits: at most %d groups, %d filters in a group and %d in all",
			records.MaxFilterGroups, records.MaxFiltersPerGroup, records.MaxFilters)},
		{"records.proto", quotef("The filters: at most %d (HubSpot's limit), and %d over all groups.", records.MaxFiltersPerGroup, records.MaxFilters)},
		{"records.proto", quotef("at most %s characters.", thousands(records.MaxQueryLength))},
		{"records.proto", quotef("At most this many records (default %d, at most %d).", defaultSearchPageSize, records.MaxSearchPageSize)},
		{"records.proto", quotef("The values of IN and NOT_IN, at most %d.", records.MaxFilterValues)},
		{"records.proto", quotef("only the first %s can be paged through", thousands(records.MaxSearchResults))},
		{"service.proto", quotef("HubSpot serves at most %s results per query.", thousands(records.MaxSearchResults))},
		{"records.proto", quotef("At most this many associations (default %d, at most %d).", defaultAssocPageSize, maxAssocPageSize)},
		{"fields.proto", quotef("A single-line string (HubSpot string/text). At most %s characters.", thousands(fields.MaxStringLength))},
		// Connections and the audit log.
		{"connections.proto", quotef("unique within the workspace, at most %d characters.", connections.MaxDisplayNameLength)},
		{"connections.proto", quotef("At most this many connections (default %d, at most %d).", defaultConnectionsPageSize, maxConnectionsPageSize)},
		{"service.proto", quotef("connections (default %d)", connections.DefaultMaxPerWorkspace)},
		{"audit.proto", quotef("keeps its events for %d days and at most its newest %s", int(audit.Retention.MaxAge.Hours()/24), thousands(audit.Retention.MaxEvents))},
		{"audit.proto", quotef("At most this many events (default %d, at most %d).", defaultAuditPageSize, maxAuditPageSize)},
	}
	comments := map[string]string{}
	for _, tt := range tests {
		text, ok := comments[tt.proto]
		if !ok {
			text = protoComments(t, tt.proto)
			comments[tt.proto] = text
		}
		if !strings.Contains(text, tt.quote) {
			t.Errorf("%s does not say %q: make its comment quote the limit the code enforces", tt.proto, tt.quote)
		}
	}
}

func quotef(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// thousands writes a number as the comments do: 65,536.
func thousands(v int) string {
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// protoComments is the text of a proto file's comments, wrapped lines joined by one space.
func protoComments(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "proto", "connectflo", "integrations", "v1", file))
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, line := range strings.Split(string(b), "\n") {
		if _, comment, ok := strings.Cut(line, "//"); ok {
			words = append(words, strings.Fields(comment)...)
		}
	}
	return strings.Join(words, " ")
}
