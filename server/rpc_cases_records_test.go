package main

import (
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// stringValue and numberValue are property values as the API shows them: typed by their field,
// with the text HubSpot stores as raw.
func stringValue(s string) *integrationsv1.FieldValue {
	return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_StringValue{StringValue: s}, Raw: s}
}

func numberValue(n float64, raw string) *integrationsv1.FieldValue {
	return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_NumberValue{NumberValue: n}, Raw: raw}
}

// recordTimes are the times HubSpot stamps on a record.
var recordTimes = protocmp.IgnoreFields(&integrationsv1.Record{}, "create_time", "update_time")

// onlyFields compares the fields of a discovered schema named names only: an account has
// dozens, and the case is about how a few are described.
func onlyFields(names ...string) cmp.Option {
	return protocmp.FilterField(&integrationsv1.ObjectSchema{}, "fields", cmp.Transformer("onlyFields", func(fields []protocmp.Message) []protocmp.Message {
		var out []protocmp.Message
		for _, f := range fields {
			if slices.Contains(names, f["name"].(string)) {
				out = append(out, f)
			}
		}
		return out
	}))
}

// Owners of every sandbox account (see the sandbox README): Jonas Weber is in Senior Support,
// Grace Kim is archived.
const (
	sandboxOwnerJonas         = "41629780"
	sandboxOwnerGraceArchived = "41629783"
)

// recordCases are the table's cases of fields, contacts and records.
var recordCases = []rpcCase{
	{
		rpc: "DiscoverFields", name: "the deal fields", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"deals"}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsResponse{Schemas: []*integrationsv1.ObjectSchema{{ObjectType: "deals", SchemaVersion: 1,
				Fields: []*integrationsv1.Field{
					{Name: "amount", Label: "Amount", Description: "Amount.", GroupName: "dealinformation", HubspotType: "number",
						HubspotFieldType: "number", Kind: integrationsv1.FieldKind_FIELD_KIND_NUMBER, DisplayOrder: 1},
					{Name: "days_to_close", Label: "Days to close", Description: "Days to close.", GroupName: "dealinformation", HubspotType: "number",
						HubspotFieldType: "calculation_equation", Kind: integrationsv1.FieldKind_FIELD_KIND_NUMBER, ReadOnly: true, Calculated: true, DisplayOrder: 9},
					{Name: "deal_source", Label: "Deal Source", Description: "Sample custom property: Deal Source.", GroupName: "custom_properties",
						HubspotType: "enumeration", HubspotFieldType: "select", Kind: integrationsv1.FieldKind_FIELD_KIND_SINGLE_CHOICE, Custom: true, DisplayOrder: -1,
						Options: []*integrationsv1.FieldOption{{Label: "Inbound", Value: "inbound"}, {Label: "Outbound", Value: "outbound", DisplayOrder: 1},
							{Label: "Partner", Value: "partner", DisplayOrder: 2}}},
				}}}}
		},
		// Groups, pipelines and owners have cases of their own (discoveryCases).
		ignore: []cmp.Option{onlyFields("amount", "days_to_close", "deal_source"), protocmp.IgnoreFields(&integrationsv1.ObjectSchema{}, "discovered_at", "groups", "pipelines"),
			protocmp.IgnoreFields(&integrationsv1.DiscoverFieldsResponse{}, "owners")},
	},
	{
		rpc: "DiscoverFields", name: "an object type that is not served", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "object_types[0]"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"tickets"}}
		},
	},
	{
		rpc: "UpsertContact", name: "an existing contact by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: "ada.lovelace0@acme.example", Properties: props("firstname", "Augusta")}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactResponse{Contact: e.record("contacts", e.seed.Contacts[0]), ContactId: e.seed.Contacts[0]}
		},
	},
	{
		rpc: "UpsertContact", name: "an email that is not one", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "email"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: "not-an-email"}
		},
	},
	{
		rpc: "BatchUpsertContacts", name: "one good contact and one bad", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.BatchUpsertContactsRequest{Connection: e.conn.GetName(), Contacts: []*integrationsv1.ContactUpsert{
				{Email: "ada.lovelace0@acme.example", Properties: props("firstname", "Augusta")},
				{Email: "not-an-email"},
			}}
		},
		want: func(e *rpcEnv) proto.Message {
			const bad = `"not-an-email" is not an email address such as ada@example.com`
			st, err := status.New(codes.InvalidArgument, "contacts[1].email: "+bad).WithDetails(
				&errdetails.ErrorInfo{Reason: "INVALID_ARGUMENT", Domain: "integrations.connectflo.com", Metadata: map[string]string{"field": "contacts[1].email"}},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "contacts[1].email", Description: bad}}})
			if err != nil {
				e.t.Fatal(err)
			}
			return &integrationsv1.BatchUpsertContactsResponse{Results: []*integrationsv1.ContactUpsertResult{
				{Email: "ada.lovelace0@acme.example", Contact: e.record("contacts", e.seed.Contacts[0]), ContactId: e.seed.Contacts[0]},
				{Error: st.Proto()},
			}}
		},
	},
	{
		rpc: "BatchUpsertContacts", name: "no contacts", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "contacts"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.BatchUpsertContactsRequest{Connection: e.conn.GetName()}
		},
	},
	{
		rpc: "GetRecord", name: "a contact by id, typed by the schema", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetRecordRequest{Name: e.record("contacts", e.seed.Contacts[0]),
				Properties: []string{"email", "lifetime_value", "newsletter_opt_in", "renewal_date", "product_interests"}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("contacts", e.seed.Contacts[0]), Id: e.seed.Contacts[0], ObjectType: "contacts",
				Properties: map[string]*integrationsv1.FieldValue{
					"email":             stringValue("ada.lovelace0@acme.example"),
					"lifetime_value":    numberValue(1000, "1000"),
					"newsletter_opt_in": {Value: &integrationsv1.FieldValue_BoolValue{BoolValue: true}, Raw: "true"},
					"product_interests": {Value: &integrationsv1.FieldValue_StringListValue{StringListValue: &integrationsv1.StringList{Values: []string{"widgets"}}}, Raw: "widgets"},
					"renewal_date":      {Value: &integrationsv1.FieldValue_TimestampValue{TimestampValue: timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}, Raw: "2026-01-01"},
				}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "GetRecord", name: "a contact by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetRecordRequest{Name: e.record("contacts", "ada.lovelace0@acme.example"), IdProperty: "email", Properties: []string{"email"}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("contacts", e.seed.Contacts[0]), Id: e.seed.Contacts[0], ObjectType: "contacts",
				Properties: map[string]*integrationsv1.FieldValue{"email": stringValue("ada.lovelace0@acme.example")}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "GetRecord", name: "a record HubSpot does not have", setup: connected,
		wantErr: rpcError(codes.NotFound, "HUBSPOT_OBJECT_NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetRecordRequest{Name: e.record("contacts", "999999999")}
		},
	},
	{
		rpc: "SearchRecords", name: "contacts by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsRequest{Parent: e.conn.GetName() + "/objects/contacts", Properties: []string{"email"},
				FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "email",
					Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue("ada.lovelace0@acme.example")}}}}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsResponse{TotalSize: 1, Records: []*integrationsv1.Record{{Name: e.record("contacts", e.seed.Contacts[0]),
				Id: e.seed.Contacts[0], ObjectType: "contacts", Properties: map[string]*integrationsv1.FieldValue{"email": stringValue("ada.lovelace0@acme.example")}}}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "SearchRecords", name: "a filter on a field the account does not have", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "filter_groups[0].filters[0].field"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsRequest{Parent: e.conn.GetName() + "/objects/contacts",
				FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "no_such_field",
					Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue("x")}}}}}
		},
	},
	{
		rpc: "SearchRecords", name: "a sort on a field the account does not have", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "sorts[0].field"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsRequest{Parent: e.conn.GetName() + "/objects/contacts",
				Sorts: []*integrationsv1.Sort{{Field: "no_such_field"}}}
		},
	},
	{
		rpc: "UpdateRecord", name: "a deal's stage by its label", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("deals", e.seed.Deals[0]),
				Properties: map[string]*structpb.Value{"dealstage": structpb.NewStringValue("Closed Won")}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("deals", e.seed.Deals[0]), Id: e.seed.Deals[0], ObjectType: "deals",
				Properties: map[string]*integrationsv1.FieldValue{"dealstage": stringValue("closedwon")}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "UpdateRecord", name: "a deal's owner by email lands as the owner's id", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("deals", e.seed.Deals[0]),
				Properties: props("hubspot_owner_id", "Jonas.Weber@northwind.example")}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("deals", e.seed.Deals[0]), Id: e.seed.Deals[0], ObjectType: "deals",
				Properties: map[string]*integrationsv1.FieldValue{"hubspot_owner_id": stringValue(sandboxOwnerJonas)}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "UpdateRecord", name: "an owner email no owner has", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "properties.hubspot_owner_id"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("deals", e.seed.Deals[0]),
				Properties: props("hubspot_owner_id", "nobody@northwind.example")}
		},
	},
	{
		rpc: "UpdateRecord", name: "an archived owner", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "properties.hubspot_owner_id"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("contacts", e.seed.Contacts[0]),
				Properties: props("hubspot_owner_id", sandboxOwnerGraceArchived)}
		},
	},
	{
		rpc: "UpsertContact", name: "an owner by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: "ada.lovelace0@acme.example",
				Properties: props("hubspot_owner_id", "maya.patel@northwind.example")}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactResponse{Contact: e.record("contacts", e.seed.Contacts[0]), ContactId: e.seed.Contacts[0]}
		},
	},
	{
		rpc: "UpsertContact", name: "an archived owner by email", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "properties.hubspot_owner_id"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: "ada.lovelace0@acme.example",
				Properties: props("hubspot_owner_id", "grace.kim@northwind.example")}
		},
	},
	{
		rpc: "UpdateRecord", name: "a read-only field", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "properties.createdate"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("deals", e.seed.Deals[0]),
				Properties: map[string]*structpb.Value{"createdate": structpb.NewStringValue("2026-01-01T00:00:00Z")}}
		},
	},
	{
		rpc: "ListAssociations", name: "a contact's company", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAssociationsRequest{Parent: e.record("contacts", e.seed.Contacts[0]), ToObjectType: "companies"}
		},
		// SeedSampleData associates each contact with its company twice: unlabelled (type 279)
		// and as its primary company (type 1).
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAssociationsResponse{Associations: []*integrationsv1.Association{{Record: e.record("companies", e.seed.Companies[0]),
				RecordId: e.seed.Companies[0], Labels: []string{"Primary"}, TypeIds: []int32{1, 279}}}}
		},
	},
	{
		rpc: "ListAssociations", name: "an object type that is not served", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "to_object_type"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAssociationsRequest{Parent: e.record("contacts", e.seed.Contacts[0]), ToObjectType: "tickets"}
		},
	},
}
