package main

import (
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// sandboxDealPipelines are the sandbox account's deal pipelines as DiscoverFields describes
// them: HubSpot's default one, and one whose stage ids are portal numbers and whose labels
// repeat the default's.
func sandboxDealPipelines() []*integrationsv1.Pipeline {
	stage := func(order int32, id, label string, probability float64, closed bool) *integrationsv1.PipelineStage {
		return &integrationsv1.PipelineStage{Id: id, Label: label, DisplayOrder: order, Probability: probability,
			Closed: closed, Won: closed && probability == 1}
	}
	return []*integrationsv1.Pipeline{
		{Id: "default", Label: "Sales Pipeline", Stages: []*integrationsv1.PipelineStage{
			stage(0, "appointmentscheduled", "Appointment Scheduled", 0.2, false),
			stage(1, "qualifiedtobuy", "Qualified To Buy", 0.4, false),
			stage(2, "presentationscheduled", "Presentation Scheduled", 0.6, false),
			stage(3, "decisionmakerboughtin", "Decision Maker Bought-In", 0.8, false),
			stage(4, "contractsent", "Contract Sent", 0.9, false),
			stage(5, "closedwon", "Closed Won", 1, true),
			stage(6, "closedlost", "Closed Lost", 0, true),
		}},
		{Id: "1467822", Label: "Enterprise", DisplayOrder: 1, Stages: []*integrationsv1.PipelineStage{
			stage(0, "2096391", "Discovery", 0.1, false),
			stage(1, "2096392", "Proposal", 0.5, false),
			stage(2, "2096393", "Negotiation", 0.8, false),
			stage(3, "2096394", "Closed Won", 1, true),
			stage(4, "2096395", "Closed Lost", 0, true),
		}},
	}
}

// sandboxOwners are the sandbox account's owners: active ones, then the archived one.
func sandboxOwners() []*integrationsv1.Owner {
	sales := func(primary bool) *integrationsv1.OwnerTeam {
		return &integrationsv1.OwnerTeam{Id: "5801", Name: "Sales", Primary: primary}
	}
	senior := func(primary bool) *integrationsv1.OwnerTeam {
		return &integrationsv1.OwnerTeam{Id: "5802", Name: "Senior Support", Primary: primary}
	}
	return []*integrationsv1.Owner{
		{Id: "41629779", Email: "maya.patel@northwind.example", FirstName: "Maya", LastName: "Patel", Teams: []*integrationsv1.OwnerTeam{sales(true)}},
		{Id: "41629780", Email: "jonas.weber@northwind.example", FirstName: "Jonas", LastName: "Weber", Teams: []*integrationsv1.OwnerTeam{senior(true)}},
		{Id: "41629781", Email: "aiko.tanaka@northwind.example", FirstName: "Aiko", LastName: "Tanaka", Teams: []*integrationsv1.OwnerTeam{senior(true), sales(false)}},
		{Id: "41629782", Email: "luis.ortega@northwind.example", FirstName: "Luis", LastName: "Ortega"},
		{Id: "41629783", Email: "grace.kim@northwind.example", FirstName: "Grace", LastName: "Kim", Teams: []*integrationsv1.OwnerTeam{senior(true)}, Archived: true},
	}
}

// dealStageField is deals' dealstage as discovered: every stage of every pipeline, each
// option naming its pipeline.
func dealStageField(pipelines []*integrationsv1.Pipeline) *integrationsv1.Field {
	f := &integrationsv1.Field{Name: "dealstage", Label: "Deal Stage", Description: "Deal Stage.", GroupName: "dealinformation",
		HubspotType: "enumeration", HubspotFieldType: "radio", Kind: integrationsv1.FieldKind_FIELD_KIND_SINGLE_CHOICE, DisplayOrder: 4}
	for _, p := range pipelines {
		for _, s := range p.GetStages() {
			f.Options = append(f.Options, &integrationsv1.FieldOption{Label: s.GetLabel(), Value: s.GetId(),
				DisplayOrder: int32(len(f.Options)), Pipeline: p.GetId()})
		}
	}
	return f
}

// discoveryCases are the table's cases of what DiscoverFields returns beside the fields.
var discoveryCases = []rpcCase{
	{
		rpc: "DiscoverFields", name: "deal pipelines, stage choices by pipeline, groups and owners", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"deals"}}
		},
		want: func(e *rpcEnv) proto.Message {
			pipelines := sandboxDealPipelines()
			return &integrationsv1.DiscoverFieldsResponse{
				Schemas: []*integrationsv1.ObjectSchema{{ObjectType: "deals", SchemaVersion: 1,
					Fields: []*integrationsv1.Field{
						dealStageField(pipelines),
						{Name: "pipeline", Label: "Pipeline", Description: "Pipeline.", GroupName: "dealinformation", HubspotType: "enumeration",
							HubspotFieldType: "select", Kind: integrationsv1.FieldKind_FIELD_KIND_SINGLE_CHOICE, DisplayOrder: 3,
							Options: []*integrationsv1.FieldOption{{Label: "Sales Pipeline", Value: "default"}, {Label: "Enterprise", Value: "1467822", DisplayOrder: 1}}},
					},
					Groups: []*integrationsv1.PropertyGroup{{Name: "dealinformation", Label: "Deal information"},
						{Name: "sales_properties", Label: "Sales properties", DisplayOrder: 1},
						{Name: "custom_properties", Label: "Custom properties", DisplayOrder: 2}},
					Pipelines: pipelines,
				}},
				Owners: sandboxOwners(),
			}
		},
		ignore: []cmp.Option{onlyFields("dealstage", "pipeline"), protocmp.IgnoreFields(&integrationsv1.ObjectSchema{}, "discovered_at")},
	},
	{
		rpc: "DiscoverFields", name: "without the owners scope: the fields, and why the owners are missing", setup: connectedWithoutOwnersScope,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"contacts"}, Refresh: true}
		},
		want: func(e *rpcEnv) proto.Message {
			st, err := status.New(codes.FailedPrecondition, "the token lacks the scope to read owners (crm.objects.owners.read), so no owners "+
				"are listed. In HubSpot open Settings → Integrations → Private Apps → your app → Scopes, add crm.objects.owners.read and "+
				"commit the changes, then refresh fields").WithDetails(
				&errdetails.ErrorInfo{Reason: "HUBSPOT_MISSING_SCOPES", Domain: "integrations.connectflo.com",
					Metadata: map[string]string{"missing_scopes": "crm.objects.owners.read"}})
			if err != nil {
				e.t.Fatal(err)
			}
			return &integrationsv1.DiscoverFieldsResponse{
				Schemas: []*integrationsv1.ObjectSchema{{ObjectType: "contacts", SchemaVersion: 2, Fields: []*integrationsv1.Field{
					{Name: "email", Label: "Email", Description: "Email.", GroupName: "contactinformation", HubspotType: "string",
						HubspotFieldType: "text", Kind: integrationsv1.FieldKind_FIELD_KIND_STRING},
				}}},
				// The owners read when the token still had the scope stay, with the error.
				Owners:      sandboxOwners(),
				OwnersError: st.Proto(),
			}
		},
		ignore: []cmp.Option{onlyFields("email"), protocmp.IgnoreFields(&integrationsv1.ObjectSchema{}, "discovered_at", "groups")},
	},
}
