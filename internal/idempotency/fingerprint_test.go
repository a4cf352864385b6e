package idempotency

import (
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

func printOf(t *testing.T, req proto.Message) requestPrint {
	t.Helper()
	p, err := fingerprint(upsertMethod, req, req.ProtoReflect().Descriptor().Fields().ByName("request_id"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFingerprintIgnoresRequestIDAndMapOrder: the hash is of the request without its
// request_id, and a map built in another order hashes the same.
func TestFingerprintIgnoresRequestIDAndMapOrder(t *testing.T) {
	a := &integrationsv1.UpdateRecordRequest{Name: prod + "/objects/deals/records/1", RequestId: "r1", Properties: map[string]*structpb.Value{}}
	b := &integrationsv1.UpdateRecordRequest{Name: prod + "/objects/deals/records/1", RequestId: "r2", Properties: map[string]*structpb.Value{}}
	keys := []string{"amount", "dealname", "dealstage", "closedate", "pipeline"}
	for i, k := range keys {
		a.Properties[k] = structpb.NewStringValue(k)
		b.Properties[keys[len(keys)-1-i]] = structpb.NewStringValue(keys[len(keys)-1-i])
	}
	pa, pb := printOf(t, a), printOf(t, b)
	if !sameRequest(pa, upsertMethod, pb.sum) {
		t.Errorf("the same request hashes differently: %x vs %x", pa.sum, pb.sum)
	}
	if d := cmp.Diff(pa.fields, pb.fields, cmp.AllowUnexported(fieldDigest{})); d != "" {
		t.Errorf("field digests differ:\n%s", d)
	}
}

// TestFirstDifference names the first field, in field order, that differs.
func TestFirstDifference(t *testing.T) {
	contacts := func(emails ...string) *integrationsv1.BatchUpsertContactsRequest {
		r := &integrationsv1.BatchUpsertContactsRequest{Connection: prod}
		for _, e := range emails {
			r.Contacts = append(r.Contacts, &integrationsv1.ContactUpsert{Email: e})
		}
		return r
	}
	many := make([]string, maxElementDigests+5)
	for i := range many {
		many[i] = "x@example.com"
	}
	changedTail := append([]string(nil), many...)
	changedTail[len(changedTail)-1] = "y@example.com"
	tests := []struct {
		name        string
		first, then proto.Message
		want        string
	}{
		{"same", contacts("a", "b"), contacts("a", "b"), ""},
		{"an element", contacts("a", "b"), contacts("a", "c"), "contacts[1]"},
		{"one fewer", contacts("a", "b"), contacts("a"), "contacts[1]"},
		{"the earlier field wins", contacts("a", "b"), &integrationsv1.BatchUpsertContactsRequest{Connection: prod + "x", Contacts: contacts("z").Contacts}, "connection"},
		{"past the per-element digests", contacts(many...), contacts(changedTail...), "contacts[100:]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := decodeFields(encodeFields(printOf(t, tc.first).fields))
			if got := firstDifference(first, printOf(t, tc.then).fields); got != tc.want {
				t.Errorf("firstDifference = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzFingerprint: whatever the request, its stored digests read back as written, a request
// shows no difference with itself, and two requests hash alike exactly when no field differs.
func FuzzFingerprint(f *testing.F) {
	f.Add("a@example.com", "b@example.com", "firstname", "Ada")
	f.Add("", "=\n", "x=y", "\n")
	f.Fuzz(func(t *testing.T, email1, email2, key, value string) {
		for _, s := range []string{email1, email2, key, value} {
			if !utf8.ValidString(s) {
				t.Skip("requests reach the interceptor with valid UTF-8 only (internal/rpcdecode)")
			}
		}
		a := &integrationsv1.BatchUpsertContactsRequest{Connection: prod, Contacts: []*integrationsv1.ContactUpsert{{Email: email1},
			{Email: email2, Properties: map[string]*structpb.Value{key: structpb.NewStringValue(value)}}}}
		b := &integrationsv1.BatchUpsertContactsRequest{Connection: prod, Contacts: []*integrationsv1.ContactUpsert{{Email: email2}}}
		pa, pb := printOf(t, a), printOf(t, b)
		stored := decodeFields(encodeFields(pa.fields))
		if d := cmp.Diff(pa.fields, stored, cmp.AllowUnexported(fieldDigest{})); d != "" {
			t.Fatalf("digests read back otherwise:\n%s", d)
		}
		if got := firstDifference(stored, pa.fields); got != "" {
			t.Errorf("a request differs from itself at %q", got)
		}
		if same, diff := sameRequest(pa, upsertMethod, pb.sum), firstDifference(stored, pb.fields); same != (diff == "") {
			t.Errorf("same hash %v but first difference %q", same, diff)
		}
	})
}
