package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// rawValueProperties are contact properties of every kind whose values the round trip reads.
var rawValueProperties = []sandbox.Property{
	{Name: "raw_number", Label: "Raw number", Type: "number", FieldType: "number"},
	{Name: "raw_date", Label: "Raw date", Type: "date", FieldType: "date"},
	{Name: "raw_datetime", Label: "Raw datetime", Type: "datetime", FieldType: "date"},
	{Name: "raw_bool", Label: "Raw bool", Type: "bool", FieldType: "booleancheckbox"},
	{Name: "raw_choice", Label: "Raw choice", Type: "enumeration", FieldType: "select",
		Options: []sandbox.Option{{Label: "Gold", Value: "gold"}, {Label: "Silver", Value: "silver"}}},
	{Name: "raw_choices", Label: "Raw choices", Type: "enumeration", FieldType: "checkbox",
		Options: []sandbox.Option{{Label: "Gold", Value: "gold"}, {Label: "Silver", Value: "silver"}}},
}

// TestRawValuesRoundTrip stores values of every kind in HubSpot and reads them back through
// GetRecord and EvaluateCondition, over gRPC and REST: raw is exactly the string HubSpot
// stores (a number read for a condition once came back as "1e+06" for 1000000), and the
// typed value is the one the field's kind promises (a date is midnight UTC).
func TestRawValuesRoundTrip(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, p := range rawValueProperties {
		p.GroupName = "contactinformation"
		if _, err := ts.sb.CreateProperty(ts.acct.HubID, "contacts", p); err != nil {
			t.Fatal(err)
		}
	}
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	ctx := context.Background()

	at := time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	number := func(x float64) *integrationsv1.FieldValue {
		return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_NumberValue{NumberValue: x}}
	}
	instant := func(t time.Time) *integrationsv1.FieldValue {
		return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_TimestampValue{TimestampValue: timestamppb.New(t)}}
	}
	boolean := func(b bool) *integrationsv1.FieldValue {
		return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_BoolValue{BoolValue: b}}
	}
	cases := []struct {
		name     string
		property string
		sent     string // what is written to HubSpot
		want     *integrationsv1.FieldValue
	}{
		{"integer", "raw_number", "42", number(42)},
		{"large integer", "raw_number", "1000000", number(1e6)},
		{"integer beyond float64's exact range", "raw_number", "12345678901234567", number(12345678901234567)},
		{"decimal", "raw_number", "12500.5", number(12500.5)},
		{"negative", "raw_number", "-12.5", number(-12.5)},
		{"date", "raw_date", "2026-11-27", instant(day)},
		{"date sent as epoch millis", "raw_date", fmt.Sprint(day.UnixMilli()), instant(day)},
		{"datetime ISO", "raw_datetime", "2026-11-27T14:30:00.000Z", instant(at)},
		{"datetime sent as epoch millis", "raw_datetime", fmt.Sprint(at.UnixMilli()), instant(at)},
		{"boolean true", "raw_bool", "true", boolean(true)},
		{"boolean false", "raw_bool", "false", boolean(false)},
		{"enumeration", "raw_choice", "gold", &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_StringValue{StringValue: "gold"}}},
		{"multiple enumeration", "raw_choices", "gold;silver", &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_StringListValue{
			StringListValue: &integrationsv1.StringList{Values: []string{"gold", "silver"}}}}},
	}
	for i, tc := range cases {
		id, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{
			"email": fmt.Sprintf("raw%d@example.com", i), tc.property: tc.sent})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		stored, _ := ts.sb.Record(ts.acct.HubID, "contacts", id)
		want := &integrationsv1.FieldValue{Value: tc.want.GetValue(), Raw: stored[tc.property]}
		record := client.RecordName(conn.GetName(), "contacts", id)
		evaluate := &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(), Expression: "has(contact." + tc.property + ")",
			Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: id}}}
		reads := map[string]func(t *testing.T) *integrationsv1.FieldValue{
			"GetRecord over gRPC": func(t *testing.T) *integrationsv1.FieldValue {
				rec, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: record, Properties: []string{tc.property}})
				if err != nil {
					t.Fatal(err)
				}
				return rec.GetProperties()[tc.property]
			},
			"GetRecord over REST": func(t *testing.T) *integrationsv1.FieldValue {
				r := ts.do(t, "GET", "/v1/"+record+"?properties="+tc.property, ts.keys["acme"], "")
				rec := &integrationsv1.Record{}
				if err := protojson.Unmarshal([]byte(r.raw), rec); r.code != 200 || err != nil {
					t.Fatalf("GET %s = %d %s (%v)", record, r.code, r.raw, err)
				}
				return rec.GetProperties()[tc.property]
			},
			"EvaluateCondition over gRPC": func(t *testing.T) *integrationsv1.FieldValue {
				resp, err := c.EvaluateCondition(ctx, evaluate)
				if err != nil || len(resp.GetValues()) != 1 {
					t.Fatalf("EvaluateCondition = %v, %v; want one value read", resp, err)
				}
				return resp.GetValues()[0].GetValue()
			},
			"EvaluateCondition over REST": func(t *testing.T) *integrationsv1.FieldValue {
				body, _ := protojson.Marshal(evaluate)
				r := ts.do(t, "POST", "/v1/"+conn.GetName()+":evaluateCondition", ts.keys["acme"], string(body))
				resp := &integrationsv1.EvaluateConditionResponse{}
				if err := protojson.Unmarshal([]byte(r.raw), resp); r.code != 200 || err != nil || len(resp.GetValues()) != 1 {
					t.Fatalf("POST :evaluateCondition = %d %s (%v); want one value read", r.code, r.raw, err)
				}
				return resp.GetValues()[0].GetValue()
			},
		}
		for how, read := range reads {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				if diff := cmp.Diff(want, read(t), protocmp.Transform()); diff != "" {
					t.Errorf("%s of %q stored as %q (-want +got):\n%s", how, tc.sent, stored[tc.property], diff)
				}
			})
		}
	}
}
