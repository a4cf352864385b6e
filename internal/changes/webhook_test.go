package changes

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDetect: each HubSpot event type becomes its change; types the service does not keep
// are skipped.
func TestDetect(t *testing.T) {
	t.Parallel()
	occur := time.UnixMilli(1764493200123).UTC()
	base := `"portalId":62515,"appId":4321,"occurredAt":1764493200123,"objectId":101`
	for _, tc := range []struct {
		name, event string
		want        Detected
		ok          bool
	}{
		{"creation", `{` + base + `,"subscriptionType":"contact.creation"}`,
			Detected{ObjectType: "contacts", RecordID: "101", Kind: KindCreated}, true},
		{"property change", `{` + base + `,"subscriptionType":"deal.propertyChange","propertyName":"dealstage","propertyValue":"closedwon"}`,
			Detected{ObjectType: "deals", RecordID: "101", Kind: KindUpdated, Fields: map[string]string{"dealstage": "closedwon"}}, true},
		{"a property cleared", `{` + base + `,"subscriptionType":"company.propertyChange","propertyName":"city","propertyValue":""}`,
			Detected{ObjectType: "companies", RecordID: "101", Kind: KindUpdated, Fields: map[string]string{"city": ""}}, true},
		{"deletion", `{` + base + `,"subscriptionType":"company.deletion"}`,
			Detected{ObjectType: "companies", RecordID: "101", Kind: KindDeleted}, true},
		{"restore", `{` + base + `,"subscriptionType":"contact.restore"}`,
			Detected{ObjectType: "contacts", RecordID: "101", Kind: KindRestored}, true},
		{"merge", `{` + base + `,"subscriptionType":"contact.merge","primaryObjectId":101,"mergedObjectIds":[102,103],"newObjectId":104}`,
			Detected{ObjectType: "contacts", RecordID: "104", Kind: KindMerged, MergedIDs: []string{"102", "103"}}, true},
		{"association added", `{` + base + `,"subscriptionType":"contact.associationChange","fromObjectId":101,"toObjectId":7,"associationType":"CONTACT_TO_COMPANY","associationRemoved":false}`,
			Detected{ObjectType: "contacts", RecordID: "101", Kind: KindAssociationAdded, AssociatedType: "companies", AssociatedID: "7"}, true},
		{"association removed", `{` + base + `,"subscriptionType":"deal.associationChange","fromObjectId":101,"toObjectId":9,"associationType":"DEAL_TO_CONTACT","associationRemoved":true}`,
			Detected{ObjectType: "deals", RecordID: "101", Kind: KindAssociationRemoved, AssociatedType: "contacts", AssociatedID: "9"}, true},
		{"generic object type", `{` + base + `,"subscriptionType":"object.creation","objectTypeId":"0-3"}`,
			Detected{ObjectType: "deals", RecordID: "101", Kind: KindCreated}, true},
		{"written by this connection's app", `{` + base + `,"subscriptionType":"contact.creation","changeSource":"INTEGRATION","sourceId":"4321"}`,
			Detected{ObjectType: "contacts", RecordID: "101", Kind: KindCreated, SelfWritten: true}, true},
		{"written by another app", `{` + base + `,"subscriptionType":"contact.creation","changeSource":"INTEGRATION","sourceId":"999"}`,
			Detected{ObjectType: "contacts", RecordID: "101", Kind: KindCreated}, true},
		{"a ticket", `{` + base + `,"subscriptionType":"ticket.creation"}`, Detected{}, false},
		{"a custom object", `{` + base + `,"subscriptionType":"object.creation","objectTypeId":"2-123"}`, Detected{}, false},
		{"an unknown action", `{` + base + `,"subscriptionType":"contact.privacyDeletion"}`, Detected{}, false},
	} {
		var e Event
		if err := json.Unmarshal([]byte(tc.event), &e); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, ok := e.Detect(4321)
		if tc.ok {
			tc.want.Occur, tc.want.Source = occur, SourceWebhook
		}
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.name, ok, tc.ok)
		}
		if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

// TestSignature: HubSpot's v3 signature verifies with its secret over method, URI, body and
// timestamp, and with nothing else changed.
func TestSignature(t *testing.T) {
	t.Parallel()
	secret, uri, body, ts := []byte("s3cret"), "https://integrations.example.com/webhooks/hubspot", []byte(`[{"eventId":1}]`), "1764493200123"
	sig := Sign(secret, "POST", uri, body, ts)
	for _, tc := range []struct {
		name                 string
		secret               []byte
		method, uri, ts, sig string
		body                 []byte
		want                 bool
	}{
		{"as signed", secret, "POST", uri, ts, sig, body, true},
		{"another secret", []byte("other"), "POST", uri, ts, sig, body, false},
		{"another URI", secret, "POST", uri + "?x=1", ts, sig, body, false},
		{"another body", secret, "POST", uri, ts, sig, []byte(`[]`), false},
		{"another timestamp", secret, "POST", uri, "1764493200124", sig, body, false},
		{"another method", secret, "PUT", uri, ts, sig, body, false},
	} {
		if got := Verify(tc.secret, tc.method, tc.uri, tc.body, tc.ts, tc.sig); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	now := time.UnixMilli(1764493200123)
	for _, tc := range []struct {
		name string
		ts   string
		want error
	}{
		{"now", strconv.FormatInt(now.UnixMilli(), 10), nil},
		{"5 minutes old", strconv.FormatInt(now.Add(-MaxClockSkew).UnixMilli(), 10), nil},
		{"5 minutes and 1 ms old", strconv.FormatInt(now.Add(-MaxClockSkew-time.Millisecond).UnixMilli(), 10), ErrStaleTimestamp},
		{"5 minutes and 1 ms ahead", strconv.FormatInt(now.Add(MaxClockSkew+time.Millisecond).UnixMilli(), 10), ErrStaleTimestamp},
		{"not a number", "yesterday", ErrNoTimestamp},
	} {
		if got := CheckTimestamp(tc.ts, now); !errors.Is(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
