package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// restError takes a REST error body apart as client.ErrorDetails does a gRPC status, so that
// both transports are held to the same expectations.
func restError(t *testing.T, r httpResult) *client.Error {
	t.Helper()
	code, _ := r.body["code"].(float64)
	e := &client.Error{Code: codes.Code(code)}
	e.Message, _ = r.body["message"].(string)
	details, _ := r.body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		switch m["@type"] {
		case "type.googleapis.com/google.rpc.ErrorInfo":
			e.Reason, _ = m["reason"].(string)
			e.Metadata = map[string]string{}
			md, _ := m["metadata"].(map[string]any)
			for k, v := range md {
				e.Metadata[k], _ = v.(string)
			}
		case "type.googleapis.com/google.rpc.BadRequest":
			vs, _ := m["fieldViolations"].([]any)
			for _, v := range vs {
				fv, _ := v.(map[string]any)
				field, _ := fv["field"].(string)
				desc, _ := fv["description"].(string)
				e.FieldViolations = append(e.FieldViolations, client.FieldViolation{Field: field, Description: desc})
			}
		}
	}
	return e
}

// restBody is the REST gateway's JSON for a request message (lowerCamelCase, as callers send it).
func restBody(t *testing.T, m proto.Message) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func unknownNames(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func valuesOf(names []string) map[string]*structpb.Value {
	out := map[string]*structpb.Value{}
	for _, n := range names {
		out[n] = structpb.NewStringValue("x")
	}
	return out
}

// searchCalls counts the searches HubSpot (the sandbox) has answered.
func (ts *testServer) searchCalls() int {
	n := 0
	for endpoint, byStatus := range ts.sb.Counters().Requests {
		if strings.HasSuffix(endpoint, "/search") {
			for _, c := range byStatus {
				n += c
			}
		}
	}
	return n
}

// A request over a limit is refused with INVALID_ARGUMENT naming the limit before anything
// is looked up or sent to HubSpot; a request with many bad names is answered with the first
// few and a count, over gRPC and REST alike.
func TestRequestLimits(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	contact := client.RecordName(conn.GetName(), "contacts", seed.Contacts[0])
	deal := client.RecordName(conn.GetName(), "deals", seed.Deals[0])
	contacts := client.ObjectTypeName(conn.GetName(), "contacts")
	filter := &integrationsv1.Filter{Field: "email", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_HAS_PROPERTY}
	group := func(n int) *integrationsv1.FilterGroup {
		g := &integrationsv1.FilterGroup{}
		for range n {
			g.Filters = append(g.Filters, filter)
		}
		return g
	}
	search := func(groups ...*integrationsv1.FilterGroup) *integrationsv1.SearchRecordsRequest {
		return &integrationsv1.SearchRecordsRequest{Parent: contacts, FilterGroups: groups}
	}
	get := func(names []string) *integrationsv1.GetRecordRequest {
		return &integrationsv1.GetRecordRequest{Name: contact, Properties: names}
	}
	getPath := func(names []string) string {
		q := url.Values{"properties": names}
		return "/v1/" + contact + "?" + q.Encode()
	}
	update := func(names []string) *integrationsv1.UpdateRecordRequest {
		return &integrationsv1.UpdateRecordRequest{Name: deal, Properties: valuesOf(names)}
	}
	longName := strings.Repeat("q", 250)
	type want struct {
		fields    []string          // the violations listed, in order
		say       string            // in the first violation's description
		metadata  map[string]string // beyond "field"
		suggested int               // how many violations carry a "did you mean"
	}
	cases := []struct {
		name   string
		grpc   func() error
		method string
		path   string
		body   string
		want   want
	}{
		{"seven filters in a group",
			func() error { return errOf(c.SearchRecords(ctx, search(group(7)))) },
			"POST", "/v1/" + contacts + "/records:search", restBody(t, search(group(7))),
			want{fields: []string{"filter_groups[0].filters"}, say: "has 7 filters; HubSpot allows at most 6 in a group and 18 in all"}},
		{"nineteen filters in all",
			func() error { return errOf(c.SearchRecords(ctx, search(group(6), group(6), group(6), group(1)))) },
			"POST", "/v1/" + contacts + "/records:search", restBody(t, search(group(6), group(6), group(6), group(1))),
			want{fields: []string{"filter_groups"}, say: "has 19 filters in all; HubSpot allows at most 18"}},
		{"six filter groups",
			func() error {
				return errOf(c.SearchRecords(ctx, search(group(1), group(1), group(1), group(1), group(1), group(1))))
			},
			"POST", "/v1/" + contacts + "/records:search", restBody(t, search(group(1), group(1), group(1), group(1), group(1), group(1))),
			want{fields: []string{"filter_groups"}, say: "has 6 groups; HubSpot allows at most 5"}},
		{"251 properties to read",
			func() error { return errOf(c.GetRecord(ctx, get(unknownNames(251, "p%d")))) },
			"GET", getPath(unknownNames(251, "p%d")), "",
			want{fields: []string{"properties"}, say: "names 251 properties; at most 250 per request"}},
		{"251 properties to write",
			func() error { return errOf(c.UpdateRecord(ctx, update(unknownNames(251, "p%d")))) },
			"PATCH", "/v1/" + deal, restBody(t, update(unknownNames(251, "p%d"))),
			want{fields: []string{"properties"}, say: "names 251 properties; at most 250 per request"}},
		{"251 properties of one contact in a batch",
			func() error {
				return errOf(c.BatchUpsertContacts(ctx, &integrationsv1.BatchUpsertContactsRequest{Connection: conn.GetName(), Contacts: []*integrationsv1.ContactUpsert{
					{Email: "a@example.com"}, {Email: "b@example.com", Properties: valuesOf(unknownNames(251, "p%d"))}}}))
			},
			"POST", "/v1/" + conn.GetName() + "/contacts:batchUpsert", restBody(t, &integrationsv1.BatchUpsertContactsRequest{Contacts: []*integrationsv1.ContactUpsert{
				{Email: "a@example.com"}, {Email: "b@example.com", Properties: valuesOf(unknownNames(251, "p%d"))}}}),
			want{fields: []string{"contacts[1].properties"}, say: "names 251 properties; at most 250 per request"}},
		{"a name longer than any field's",
			func() error { return errOf(c.GetRecord(ctx, get([]string{longName}))) },
			"GET", getPath([]string{longName}), "",
			want{fields: []string{"properties." + strings.Repeat("q", 200-len("properties.")-len("…")) + "…"}, say: "is a name of 250 bytes; field names are at most 100"}},
		{"200 unknown names: the first 10 listed, the rest counted",
			func() error { return errOf(c.GetRecord(ctx, get(unknownNames(200, "no_such_property_%03d")))) },
			"GET", getPath(unknownNames(200, "no_such_property_%03d")), "",
			want{fields: prefixed("properties.", unknownNames(10, "no_such_property_%03d")), say: `contacts has no field "no_such_property_000"`,
				metadata: map[string]string{"violations": "200", "violations_omitted": "190"}}},
		{"suggestions for the first five misses only",
			func() error { return errOf(c.UpdateRecord(ctx, update(unknownNames(10, "amout%d")))) },
			"PATCH", "/v1/" + deal, restBody(t, update(unknownNames(10, "amout%d"))),
			want{fields: prefixed("properties.", unknownNames(10, "amout%d")), say: `did you mean "amount"?`, suggested: 5}},
	}
	searchesBefore := ts.searchCalls()
	for _, tc := range cases {
		check := func(t *testing.T, e *client.Error) {
			t.Helper()
			if e.Code != codes.InvalidArgument || e.Reason != "INVALID_ARGUMENT" {
				t.Fatalf("error = %v %s %q; want INVALID_ARGUMENT", e.Code, e.Reason, e.Message)
			}
			var fields []string
			suggested := 0
			for _, v := range e.FieldViolations {
				fields = append(fields, v.Field)
				if strings.Contains(v.Description, "did you mean") {
					suggested++
				}
				if strings.Contains(v.Description, longName) {
					t.Errorf("violation %s echoes the 250-byte name", v.Field)
				}
			}
			if d := cmp.Diff(tc.want.fields, fields); d != "" {
				t.Errorf("violated fields (-want +got):\n%s", d)
			}
			if len(e.FieldViolations) > 0 && !strings.Contains(e.FieldViolations[0].Description, tc.want.say) {
				t.Errorf("first violation says %q; want %q in it", e.FieldViolations[0].Description, tc.want.say)
			}
			if suggested != tc.want.suggested {
				t.Errorf("%d violations suggest a field; want %d", suggested, tc.want.suggested)
			}
			wantMeta := map[string]string{"field": tc.want.fields[0]}
			for k, v := range tc.want.metadata {
				wantMeta[k] = v
			}
			if d := cmp.Diff(wantMeta, e.Metadata); d != "" {
				t.Errorf("metadata (-want +got):\n%s", d)
			}
			if omitted := tc.want.metadata["violations_omitted"]; omitted != "" && !strings.Contains(e.Message, "and "+omitted+" more violations") {
				t.Errorf("message %q does not say how many violations were left out", e.Message)
			}
			if len(e.Message) > 4<<10 {
				t.Errorf("message of %d bytes; the answer must not grow with the request", len(e.Message))
			}
		}
		t.Run(tc.name+"/gRPC", func(t *testing.T) { check(t, client.ErrorDetails(tc.grpc())) })
		t.Run(tc.name+"/REST", func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, ts.keys["acme"], tc.body)
			if r.code != 400 {
				t.Errorf("HTTP %d; want 400", r.code)
			}
			if len(r.raw) > 8<<10 {
				t.Errorf("answer of %d bytes; the answer must not grow with the request", len(r.raw))
			}
			check(t, restError(t, r))
		})
	}
	if n := ts.searchCalls() - searchesBefore; n != 0 {
		t.Errorf("HubSpot was searched %d times by refused requests", n)
	}
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}
