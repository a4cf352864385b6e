package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// seeded connects a server whose sandbox account holds the sample records.
func seeded(t *testing.T) (*testServer, *client.Client, *integrationsv1.Connection, sandbox.SeedSummary) {
	t.Helper()
	return seededWith(t, serverOptions{})
}

// seededWith is seeded with options.
func seededWith(t *testing.T, opts serverOptions) (*testServer, *client.Client, *integrationsv1.Connection, sandbox.SeedSummary) {
	t.Helper()
	ts := startServerWith(t, opts)
	seed, err := ts.sb.SeedSampleData(ts.acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	conn := ts.connect(t, "prod")
	return ts, ts.client(t, ts.keys["acme"]), conn, seed
}

func TestGetRecordTypedByTheSchema(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	byID, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", seed.Contacts[0]),
		Properties: []string{"email", "lifetime_value", "renewal_date", "newsletter_opt_in", "product_interests", "account_tier", "createdate", "bio_html"}})
	if err != nil {
		t.Fatal(err)
	}
	p := byID.GetProperties()
	if p["email"].GetStringValue() != "ada.lovelace0@acme.example" || p["lifetime_value"].GetNumberValue() != 1000 ||
		p["renewal_date"].GetTimestampValue().AsTime().Format("2006-01-02") != "2026-01-01" || !p["newsletter_opt_in"].GetBoolValue() ||
		fmt.Sprint(p["product_interests"].GetStringListValue().GetValues()) != "[widgets]" || p["account_tier"].GetStringValue() != "free" ||
		p["createdate"].GetTimestampValue() == nil {
		t.Errorf("typed properties = %v", p)
	}
	if v := p["bio_html"]; v == nil || v.GetValue() != nil || v.GetRaw() != "" {
		t.Errorf("an empty requested property must be present without a value: %v", v)
	}
	// By email (detected from the id), with HubSpot's default properties.
	byEmail, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", "Ada.Lovelace0@acme.example")})
	if err != nil || byEmail.GetId() != seed.Contacts[0] || byEmail.GetName() != byID.GetName() || byEmail.GetProperties()["firstname"].GetStringValue() != "Ada" {
		t.Errorf("by email = %v, %v", byEmail, err)
	}
	// By a custom unique property.
	byExt, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", "ext-001"), IdProperty: "external_id"})
	if err != nil || byExt.GetId() != seed.Contacts[0] {
		t.Errorf("by external_id = %v, %v", byExt, err)
	}
	cases := []struct {
		name   string
		req    *integrationsv1.GetRecordRequest
		code   codes.Code
		reason string
		field  string
	}{
		{"missing record", &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", "999999")}, codes.NotFound, "HUBSPOT_OBJECT_NOT_FOUND", ""},
		{"unknown property", &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", seed.Contacts[0]), Properties: []string{"emial"}},
			codes.InvalidArgument, "INVALID_ARGUMENT", "properties.emial"},
		{"non-unique id property", &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", "Ada"), IdProperty: "firstname"},
			codes.InvalidArgument, "INVALID_ARGUMENT", "id_property"},
		{"not an id", &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "deals", "big-deal")}, codes.InvalidArgument, "INVALID_ARGUMENT", "name"},
		{"unknown object type", &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "tickets", "1")}, codes.InvalidArgument, "INVALID_ARGUMENT", "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetRecord(ctx, tc.req)
			e := client.ErrorDetails(err)
			if e.Code != tc.code || e.Reason != tc.reason {
				t.Fatalf("error = %+v; want %v %s", e, tc.code, tc.reason)
			}
			if tc.field != "" && (len(e.FieldViolations) == 0 || e.FieldViolations[0].Field != tc.field) {
				t.Errorf("violations = %+v; want one on %s", e.FieldViolations, tc.field)
			}
		})
	}
	if e := client.ErrorDetails(errOf(c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", seed.Contacts[0]), Properties: []string{"emial"}}))); !strings.Contains(e.Message, `did you mean "email"?`) {
		t.Errorf("unknown property message %q has no suggestion", e.Message)
	}
	r := ts.do(t, "GET", "/v1/"+client.RecordName(conn.GetName(), "companies", seed.Companies[0])+"?properties=annualrevenue&properties=name", ts.keys["acme"], "")
	props, _ := r.body["properties"].(map[string]any)
	if r.code != 200 || props["annualrevenue"].(map[string]any)["numberValue"] != 1.25e7 {
		t.Errorf("REST GetRecord = %d %.400s", r.code, r.raw)
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestUpdateDealStageByLabelOrValue(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	deal := client.RecordName(conn.GetName(), "deals", seed.Deals[0])
	got, err := c.UpdateRecord(ctx, &integrationsv1.UpdateRecordRequest{Name: deal, Properties: map[string]*structpb.Value{"dealstage": structpb.NewStringValue("Closed Won")}})
	if err != nil || got.GetProperties()["dealstage"].GetStringValue() != "closedwon" {
		t.Fatalf("update by label = %v, %v", got, err)
	}
	if rec, _ := ts.sb.Record(ts.acct.HubID, "deals", seed.Deals[0]); rec["dealstage"] != "closedwon" {
		t.Errorf("HubSpot holds dealstage %q, want closedwon", rec["dealstage"])
	}
	r := ts.do(t, "PATCH", "/v1/"+deal, ts.keys["acme"], `{"properties":{"dealstage":"closedlost","amount":12500.5}}`)
	if r.code != 200 {
		t.Fatalf("REST update = %d %s", r.code, r.raw)
	}
	if rec, _ := ts.sb.Record(ts.acct.HubID, "deals", seed.Deals[0]); rec["dealstage"] != "closedlost" || rec["amount"] != "12500.5" {
		t.Errorf("after REST update HubSpot holds %v", rec)
	}
	_, err = c.UpdateRecord(ctx, &integrationsv1.UpdateRecordRequest{Name: deal, Properties: map[string]*structpb.Value{
		"dealstage": structpb.NewStringValue("Won-ish"), "hs_object_id": structpb.NewStringValue("5"), "amount": structpb.NewStringValue("1,000")}})
	e := client.ErrorDetails(err)
	got3 := map[string]string{}
	for _, v := range e.FieldViolations {
		got3[v.Field] = v.Description
	}
	if e.Code != codes.InvalidArgument || len(got3) != 3 || !strings.Contains(got3["properties.dealstage"], "closedwon (\"Closed Won\")") ||
		!strings.Contains(got3["properties.hs_object_id"], "read-only") || !strings.Contains(got3["properties.amount"], "thousands separators") {
		t.Errorf("bad update: %+v", e)
	}
	if rec, _ := ts.sb.Record(ts.acct.HubID, "deals", seed.Deals[0]); rec["dealstage"] != "closedlost" {
		t.Error("a refused update reached HubSpot")
	}
	// A contact updated by email.
	if _, err := c.UpdateRecord(ctx, &integrationsv1.UpdateRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", "ada.lovelace0@acme.example"),
		Properties: map[string]*structpb.Value{"lifecyclestage": structpb.NewStringValue("Customer")}}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := ts.sb.Record(ts.acct.HubID, "contacts", seed.Contacts[0]); rec["lifecyclestage"] != "customer" {
		t.Errorf("contact lifecyclestage = %q", rec["lifecyclestage"])
	}
}

func TestSearchRecords(t *testing.T) {
	t.Parallel()
	ts, c, conn, _ := seeded(t)
	ctx := context.Background()
	parent := client.ObjectTypeName(conn.GetName(), "contacts")
	str := structpb.NewStringValue
	// VIP routing: enterprise tier (by label), lifetime value over 5,000.
	req := &integrationsv1.SearchRecordsRequest{Parent: parent, PageSize: 2, Properties: []string{"email", "account_tier", "lifetime_value"},
		Sorts: []*integrationsv1.Sort{{Field: "lifetime_value", Descending: true}},
		FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{
			{Field: "account_tier", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: str("Enterprise")},
			{Field: "lifetime_value", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_GT, Value: structpb.NewNumberValue(5000)},
		}}}}
	var values []float64
	for page := 0; ; page++ {
		resp, err := c.SearchRecords(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetTotalSize() != 5 {
			t.Errorf("total = %d, want 5", resp.GetTotalSize())
		}
		for _, r := range resp.GetRecords() {
			if r.GetProperties()["account_tier"].GetStringValue() != "enterprise" {
				t.Errorf("record %s is not enterprise", r.GetId())
			}
			values = append(values, r.GetProperties()["lifetime_value"].GetNumberValue())
		}
		if resp.GetNextPageToken() == "" || page > 5 {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if fmt.Sprint(values) != "[18000 15000 12000 9000 6000]" {
		t.Errorf("paged values = %v, want the 5 enterprise contacts over 5,000, highest first", values)
	}
	// Dates, IN, HAS_PROPERTY and CONTAINS_TOKEN over REST.
	r := ts.do(t, "POST", "/v1/"+parent+"/records:search", ts.keys["acme"], `{"filterGroups":[{"filters":[
		{"field":"renewal_date","operator":"FILTER_OPERATOR_BETWEEN","value":"2026-03-01","highValue":"2026-04-01"},
		{"field":"lifecyclestage","operator":"FILTER_OPERATOR_IN","values":["Marketing Qualified Lead","subscriber"]},
		{"field":"email","operator":"FILTER_OPERATOR_CONTAINS_TOKEN","value":"*.example"},
		{"field":"phone","operator":"FILTER_OPERATOR_HAS_PROPERTY"}]}],"properties":["renewal_date"]}`)
	if r.code != 200 || r.body["totalSize"] != "2" {
		t.Errorf("REST search = %d %.500s", r.code, r.raw)
	}
	bad := []struct {
		name   string
		filter *integrationsv1.Filter
		field  string
		want   string
	}{
		{"unknown field", &integrationsv1.Filter{Field: "lifecylestage", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: str("lead")}, "filter_groups[0].filters[0].field", `did you mean "lifecyclestage"`},
		{"operator for numbers on text", &integrationsv1.Filter{Field: "email", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_GT, Value: str("a")}, "filter_groups[0].filters[0].operator", "GT works on number, date, datetime fields"},
		{"unknown option", &integrationsv1.Filter{Field: "account_tier", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: str("Platinum")}, "filter_groups[0].filters[0].value", "not one of its options"},
		{"missing value", &integrationsv1.Filter{Field: "lifetime_value", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_LT}, "filter_groups[0].filters[0].value", "needs a value"},
		{"no operator", &integrationsv1.Filter{Field: "email", Value: str("x")}, "filter_groups[0].filters[0].operator", "is not one of EQ"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SearchRecords(ctx, &integrationsv1.SearchRecordsRequest{Parent: parent, FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{tc.filter}}}})
			e := client.ErrorDetails(err)
			if e.Code != codes.InvalidArgument || len(e.FieldViolations) != 1 || e.FieldViolations[0].Field != tc.field || !strings.Contains(e.FieldViolations[0].Description, tc.want) {
				t.Errorf("error = %+v; want a violation on %s saying %q", e, tc.field, tc.want)
			}
		})
	}
	// The 10,000-result cap is explained before HubSpot is asked.
	_, err := c.SearchRecords(ctx, &integrationsv1.SearchRecordsRequest{Parent: parent, PageSize: 200,
		PageToken: testPageToken(parent, 9900)})
	if e := client.ErrorDetails(err); e.Code != codes.OutOfRange || e.Reason != "HUBSPOT_SEARCH_LIMIT" || !strings.Contains(e.Message, "narrow the filters") {
		t.Errorf("past 10,000: %+v", e)
	}
}

func TestListAssociations(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	contact := client.RecordName(conn.GetName(), "contacts", seed.Contacts[0])
	companies, err := c.ListAssociations(ctx, &integrationsv1.ListAssociationsRequest{Parent: contact, ToObjectType: "companies"})
	if err != nil || len(companies.GetAssociations()) != 1 || companies.GetAssociations()[0].GetRecordId() != seed.Companies[0] {
		t.Fatalf("contact's companies = %v, %v", companies, err)
	}
	a := companies.GetAssociations()[0]
	if !strings.Contains(fmt.Sprint(a.GetTypeIds()), "279") || !strings.Contains(fmt.Sprint(a.GetLabels()), "Primary") {
		t.Errorf("association types %v labels %v; want 279 and the Primary label", a.GetTypeIds(), a.GetLabels())
	}
	deals, err := c.ListAssociations(ctx, &integrationsv1.ListAssociationsRequest{Parent: client.RecordName(conn.GetName(), "contacts", "ada.lovelace0@acme.example"), ToObjectType: "deals"})
	if err != nil || len(deals.GetAssociations()) != 1 || deals.GetAssociations()[0].GetRecordId() != seed.Deals[0] {
		t.Errorf("contact's deals (by email) = %v, %v", deals, err)
	}
	r := ts.do(t, "GET", "/v1/"+client.RecordName(conn.GetName(), "deals", seed.Deals[0])+"/associations/contacts", ts.keys["acme"], "")
	list, _ := r.body["associations"].([]any)
	if r.code != 200 || len(list) != 1 || list[0].(map[string]any)["recordId"] != seed.Contacts[0] {
		t.Errorf("REST deal's contacts = %d %s", r.code, r.raw)
	}
	_, err = c.ListAssociations(ctx, &integrationsv1.ListAssociationsRequest{Parent: contact, ToObjectType: "tickets"})
	if e := client.ErrorDetails(err); e.Code != codes.InvalidArgument || e.FieldViolations[0].Field != "to_object_type" {
		t.Errorf("unknown type: %+v", e)
	}
}
