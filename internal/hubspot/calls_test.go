package hubspot

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// TestCallShapes checks, for every call, what goes on the wire and what the
// decoded result holds.
func TestCallShapes(t *testing.T) {
	t.Parallel()
	created := time.Date(2019, 10, 30, 3, 30, 17, 883_000_000, time.UTC)
	tests := []struct {
		name      string
		status    int
		response  string
		call      func(context.Context, *Client) (any, error)
		wantReq   seen // Method, Path, Query, Body (Body compared as JSON)
		wantValue any
	}{
		{
			name:     "introspect token sends the token in body and header",
			status:   200,
			response: `{"userId":123,"hubId":456,"appId":789,"scopes":["crm.objects.contacts.read","oauth"]}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.IntrospectToken(ctx) },
			wantReq: seen{Method: "POST", Path: "/oauth/v2/private-apps/get/access-token-info",
				Body: `{"tokenKey":"` + testTokenValue + `"}`},
			wantValue: &TokenInfo{UserID: "123", HubID: "456", AppID: "789", Scopes: []string{"crm.objects.contacts.read", "oauth"}},
		},
		{
			name:     "account details",
			status:   200,
			response: `{"portalId":456,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","additionalCurrencies":[],"utcOffset":"-05:00","utcOffsetMilliseconds":-18000000,"uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.AccountDetails(ctx) },
			wantReq:  seen{Method: "GET", Path: "/account-info/2026-03/details"},
			wantValue: &AccountDetails{PortalID: "456", AccountType: "STANDARD", TimeZone: "US/Eastern", CompanyCurrency: "USD",
				AdditionalCurrencies: []string{}, UTCOffset: "-05:00", UTCOffsetMilliseconds: -18000000, UIDomain: "app.hubspot.com", DataHostingLocation: "na1"},
		},
		{
			name:     "list properties with unknown types and options",
			status:   200,
			response: `{"results":[{"name":"hs_notes_last_activity","label":"Last Activity","type":"object_coordinates","fieldType":"text","description":"","groupName":"g","options":[]},{"name":"lifecyclestage","label":"Lifecycle Stage","type":"enumeration","fieldType":"radio","description":"d","groupName":"contactinformation","options":[{"label":"Customer","value":"customer","displayOrder":-1,"hidden":false}],"hubspotDefined":true,"modificationMetadata":{"archivable":false,"readOnlyDefinition":true,"readOnlyValue":false},"unknownField":{"x":1}}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListProperties(ctx, "contacts", ListPropertiesOptions{Archived: true})
			},
			wantReq: seen{Method: "GET", Path: "/crm/properties/2026-03/contacts", Query: "archived=true"},
			wantValue: []Property{
				{Name: "hs_notes_last_activity", Label: "Last Activity", Type: "object_coordinates", FieldType: "text", GroupName: "g", Options: []PropertyOption{}},
				{Name: "lifecyclestage", Label: "Lifecycle Stage", Type: "enumeration", FieldType: "radio", Description: "d", GroupName: "contactinformation",
					Options: []PropertyOption{{Label: "Customer", Value: "customer", DisplayOrder: -1}}, HubSpotDefined: true,
					ModificationMetadata: &ModificationMetadata{ReadOnlyDefinition: true}},
			},
		},
		{
			name:      "get property",
			status:    200,
			response:  `{"name":"email","label":"Email","type":"string","fieldType":"text","hasUniqueValue":true}`,
			call:      func(ctx context.Context, c *Client) (any, error) { return c.GetProperty(ctx, "0-1", "email") },
			wantReq:   seen{Method: "GET", Path: "/crm/properties/2026-03/0-1/email"},
			wantValue: &Property{Name: "email", Label: "Email", Type: "string", FieldType: "text", HasUniqueValue: true},
		},
		{
			name:     "list property groups",
			status:   200,
			response: `{"results":[{"name":"dealinformation","label":"Deal information","displayOrder":0,"archived":false},{"name":"old","label":"Old","displayOrder":-1,"archived":true}]}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.ListPropertyGroups(ctx, "0-3") },
			wantReq:  seen{Method: "GET", Path: "/crm/properties/2026-03/0-3/groups"},
			wantValue: []PropertyGroup{{Name: "dealinformation", Label: "Deal information"},
				{Name: "old", Label: "Old", DisplayOrder: -1, Archived: true}},
		},
		{
			name:   "list pipelines keeps stage metadata as text, whether HubSpot sends strings or not",
			status: 200,
			response: `{"results":[{"id":"1467822","label":"Enterprise","displayOrder":1,"archived":false,"createdAt":"2026-01-01T00:00:00Z","stages":[` +
				`{"id":"2096394","label":"Closed Won","displayOrder":3,"archived":false,"metadata":{"probability":"1.0","isClosed":"true"},"writePermissions":"CRM_PERMISSIONS_ENFORCEMENT"},` +
				`{"id":"2096391","label":"Discovery","displayOrder":0,"metadata":{"probability":0.1,"isClosed":false,"extra":{"x":1}}}]}]}`,
			call:    func(ctx context.Context, c *Client) (any, error) { return c.ListPipelines(ctx, "deals") },
			wantReq: seen{Method: "GET", Path: "/crm/pipelines/2026-03/deals"},
			wantValue: []Pipeline{{ID: "1467822", Label: "Enterprise", DisplayOrder: 1, Stages: []PipelineStage{
				{ID: "2096394", Label: "Closed Won", DisplayOrder: 3, Metadata: StageMetadata{"probability": "1.0", "isClosed": "true"}},
				{ID: "2096391", Label: "Discovery", Metadata: StageMetadata{"probability": "0.1", "isClosed": "false"}},
			}}},
		},
		{
			name:     "list owners asks for large pages and decodes teams",
			status:   200,
			response: `{"results":[{"id":"41629781","type":"PERSON","email":"aiko@x.example","firstName":"Aiko","lastName":"Tanaka","userId":9100003,"teams":[{"id":"5802","name":"Senior Support","primary":true}],"archived":false,"createdAt":"2026-01-01T00:00:00Z"}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListOwners(ctx, ListOwnersOptions{Archived: true})
			},
			wantReq: seen{Method: "GET", Path: "/crm/owners/2026-03/", Query: "archived=true&limit=500"},
			wantValue: []Owner{{ID: "41629781", Type: "PERSON", Email: "aiko@x.example", FirstName: "Aiko", LastName: "Tanaka", UserID: "9100003",
				Teams: []OwnerTeam{{ID: "5802", Name: "Senior Support", Primary: true}}}},
		},
		{
			name:     "get object by email keeps @ in the path and drops null values",
			status:   200,
			response: `{"id":"512","properties":{"email":"jon@x.com","firstname":null,"hs_object_id":"512"},"createdAt":"2019-10-30T03:30:17.883Z","archived":false,"associations":{"companies":{"results":[{"id":"77","type":"contact_to_company"}]}}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetObject(ctx, "contacts", "jon@x.com", GetObjectOptions{IDProperty: "email", Properties: []string{"email", "firstname"}, Associations: []string{"companies"}})
			},
			wantReq: seen{Method: "GET", Path: "/crm/objects/2026-03/contacts/jon@x.com", Query: "associations=companies&idProperty=email&properties=email%2Cfirstname"},
			wantValue: &Object{ID: "512", Properties: Properties{"email": "jon@x.com", "hs_object_id": "512"}, CreatedAt: Timestamp{created},
				Associations: map[string]AssociatedIDs{"companies": {Results: []AssociatedID{{ID: "77", Type: "contact_to_company"}}}}},
		},
		{
			name:     "get object escapes slashes in ids",
			status:   200,
			response: `{"id":"9","properties":{}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetObject(ctx, "companies", "a/b", GetObjectOptions{IDProperty: "external_id"})
			},
			wantReq:   seen{Method: "GET", Path: "/crm/objects/2026-03/companies/a%2Fb", Query: "idProperty=external_id"},
			wantValue: &Object{ID: "9", Properties: Properties{}},
		},
		{
			name:     "create sends empty associations when there are none",
			status:   201,
			response: `{"id":"601","properties":{"email":"a@b.com"},"createdAt":"2019-10-30T03:30:17.883Z"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateObject(ctx, "contacts", CreateObjectInput{Properties: map[string]string{"email": "a@b.com"}})
			},
			wantReq:   seen{Method: "POST", Path: "/crm/objects/2026-03/contacts", Body: `{"properties":{"email":"a@b.com"},"associations":[]}`},
			wantValue: &Object{ID: "601", Properties: Properties{"email": "a@b.com"}, CreatedAt: Timestamp{created}},
		},
		{
			name:     "create engagement with its contact association",
			status:   201,
			response: `{"id":"900","properties":{"hs_timestamp":"2024-01-15T10:30:00.000Z"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateEngagement(ctx, EngagementInput{Type: EngagementCommunication, ContactIDs: []string{"501"},
					Properties: map[string]string{"hs_timestamp": "2024-01-15T10:30:00.000Z", "hs_communication_channel_type": "SMS"}})
			},
			wantReq: seen{Method: "POST", Path: "/crm/objects/2026-03/communications",
				Body: `{"properties":{"hs_timestamp":"2024-01-15T10:30:00.000Z","hs_communication_channel_type":"SMS","hs_communication_logged_from":"CRM"},"associations":[{"to":{"id":"501"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":81}]}]}`},
			wantValue: &Object{ID: "900", Properties: Properties{"hs_timestamp": "2024-01-15T10:30:00.000Z"}},
		},
		{
			name:     "update by email",
			status:   200,
			response: `{"id":"512","properties":{"lifecyclestage":"customer"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateObject(ctx, "contacts", "jon@x.com", map[string]string{"lifecyclestage": "customer", "phone": ""}, UpdateObjectOptions{IDProperty: "email"})
			},
			wantReq:   seen{Method: "PATCH", Path: "/crm/objects/2026-03/contacts/jon@x.com", Query: "idProperty=email", Body: `{"properties":{"lifecyclestage":"customer","phone":""}}`},
			wantValue: &Object{ID: "512", Properties: Properties{"lifecyclestage": "customer"}},
		},
		{
			name:    "archive",
			status:  204,
			call:    func(ctx context.Context, c *Client) (any, error) { return nil, c.ArchiveObject(ctx, "deals", "42") },
			wantReq: seen{Method: "DELETE", Path: "/crm/objects/2026-03/deals/42"},
		},
		{
			name:     "batch update keeps caller trace ids",
			status:   200,
			response: `{"status":"COMPLETE","results":[{"id":"8","properties":{"dealstage":"won"},"objectWriteTraceId":"t-8"}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				res, err := c.BatchUpdate(ctx, "deals", []BatchUpdateInput{{ID: "8", Properties: map[string]string{"dealstage": "won"}, ObjectWriteTraceID: "t-8"}})
				if err != nil {
					return nil, err
				}
				return res.Outcomes, nil
			},
			wantReq: seen{Method: "POST", Path: "/crm/objects/2026-03/deals/batch/update",
				Body: `{"inputs":[{"id":"8","properties":{"dealstage":"won"},"objectWriteTraceId":"t-8"}]}`},
			wantValue: []BatchOutcome{{Object: &Object{ID: "8", Properties: Properties{"dealstage": "won"}, ObjectWriteTraceID: "t-8"}}},
		},
		{
			name:   "batch archive",
			status: 204,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.BatchArchive(ctx, "contacts", []string{"1", "2"})
			},
			wantReq: seen{Method: "POST", Path: "/crm/objects/2026-03/contacts/batch/archive", Body: `{"inputs":[{"id":"1"},{"id":"2"}]}`},
		},
		{
			name:     "search",
			status:   200,
			response: `{"total":21,"results":[{"id":"1","properties":{"dealstage":"closedwon"}}],"paging":{"next":{"after":"20","link":"?after=20"}}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Search(ctx, "deals", SearchRequest{
					FilterGroups: []FilterGroup{{Filters: []Filter{{PropertyName: "amount", Operator: OpBetween, Value: "10", HighValue: "20"}, {PropertyName: "associations.contact", Operator: OpEQ, Value: "501"}}}},
					Sorts:        []Sort{{PropertyName: "createdate", Direction: "DESCENDING"}},
					Properties:   []string{"dealstage"}, Limit: 200, After: "20",
				})
			},
			wantReq: seen{Method: "POST", Path: "/crm/objects/2026-03/deals/search",
				Body: `{"filterGroups":[{"filters":[{"propertyName":"amount","operator":"BETWEEN","value":"10","highValue":"20"},{"propertyName":"associations.contact","operator":"EQ","value":"501"}]}],"sorts":[{"propertyName":"createdate","direction":"DESCENDING"}],"properties":["dealstage"],"limit":200,"after":"20"}`},
			wantValue: &SearchResult{Total: 21, Results: []Object{{ID: "1", Properties: Properties{"dealstage": "closedwon"}}},
				Paging: &Paging{Next: &NextPage{After: "20", Link: "?after=20"}}},
		},
		{
			name:     "list associations accepts numeric and string ids",
			status:   200,
			response: `{"results":[{"toObjectId":12345,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},{"category":"HUBSPOT_DEFINED","typeId":1,"label":"Primary"}]},{"toObjectId":"678","associationTypes":[]}],"paging":{"next":{"after":"MTA="}}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListAssociations(ctx, "contacts", "501", "companies", ListAssociationsOptions{Limit: 500, After: "abc"})
			},
			wantReq: seen{Method: "GET", Path: "/crm/v4/objects/contacts/501/associations/companies", Query: "after=abc&limit=500"},
			wantValue: &AssociationPage{Results: []AssociatedObject{
				{ToObjectID: "12345", AssociationTypes: []AssociationType{{Category: "HUBSPOT_DEFINED", TypeID: 279}, {Category: "HUBSPOT_DEFINED", TypeID: 1, Label: ptr("Primary")}}},
				{ToObjectID: "678", AssociationTypes: []AssociationType{}},
			}, Paging: &Paging{Next: &NextPage{After: "MTA="}}},
		},
		{
			name:     "default association",
			status:   200,
			response: `{"status":"COMPLETE","results":[{"from":{"id":"501"},"to":{"id":"77"},"associationSpec":{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AssociateDefault(ctx, "contacts", "501", "companies", "77")
			},
			wantReq: seen{Method: "PUT", Path: "/crm/objects/2026-03/contacts/501/associations/default/companies/77"},
		},
		{
			name:     "batch read associations keyed by from id",
			status:   207,
			response: `{"status":"COMPLETE","results":[{"from":{"id":"2"},"to":[{"toObjectId":9,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":4,"label":null}]}]},{"from":{"id":"1"},"to":[],"paging":{"next":{"after":"x"}}}],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"No deals are associated with contact 3","context":{"fromObjectId":["3"]}}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.BatchReadAssociations(ctx, "contacts", "deals", []AssociationReadInput{{ID: "1"}, {ID: "2", After: "y"}, {ID: "3"}})
			},
			wantReq: seen{Method: "POST", Path: "/crm/associations/2026-03/contacts/deals/batch/read", Body: `{"inputs":[{"id":"1"},{"id":"2","after":"y"},{"id":"3"}]}`},
			wantValue: &AssociationBatchResult{
				Results: map[string]AssociationReadResult{
					"1": {From: ObjectRef{ID: "1"}, To: []AssociatedObject{}, Paging: &Paging{Next: &NextPage{After: "x"}}},
					"2": {From: ObjectRef{ID: "2"}, To: []AssociatedObject{{ToObjectID: "9", AssociationTypes: []AssociationType{{Category: "HUBSPOT_DEFINED", TypeID: 4}}}}},
				},
				Errors: []*APIError{{Operation: "POST /crm/associations/2026-03/{fromObjectType}/{toObjectType}/batch/read", Category: "OBJECT_NOT_FOUND",
					Message: "No deals are associated with contact 3", Context: map[string][]string{"fromObjectId": {"3"}}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
				if tt.response == "" {
					w.WriteHeader(tt.status)
					return
				}
				writeJSON(w, tt.status, tt.response)
			})
			c := testClient(t, fake.srv.URL, nil)
			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call failed: %v", err)
			}
			reqs := fake.seen()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Auth != "Bearer "+testTokenValue {
				t.Errorf("Authorization header = %q, want the bearer token", r.Auth)
			}
			gotReq := seen{Method: r.Method, Path: r.Path, Query: r.Query, Body: canonicalJSON(t, r.Body)}
			wantReq := tt.wantReq
			wantReq.Body = canonicalJSON(t, wantReq.Body)
			if diff := diff(wantReq, gotReq); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if tt.wantValue != nil {
				if diff := diff(tt.wantValue, got); diff != "" {
					t.Errorf("decoded value mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestArgumentsRejectedBeforeSending covers checks that must not cost a
// request (and budget) to learn about.
func TestArgumentsRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { writeJSON(w, 200, `{}`) })
	c := testClient(t, fake.srv.URL, nil)
	ctx := t.Context()
	tooMany := make([]string, MaxBatchInputs+1)
	for i := range tooMany {
		tooMany[i] = "1"
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"101 batch read inputs", func() error { _, err := c.BatchRead(ctx, "contacts", BatchReadRequest{IDs: tooMany}); return err }, ErrBatchTooLarge},
		{"101 archive inputs", func() error { return c.BatchArchive(ctx, "contacts", tooMany) }, ErrBatchTooLarge},
		{"empty batch", func() error { _, err := c.BatchCreate(ctx, "contacts", nil); return err }, ErrInvalidRequest},
		{"search limit above 200", func() error { _, err := c.Search(ctx, "contacts", SearchRequest{Limit: 201}); return err }, ErrInvalidRequest},
		{"list limit above 100", func() error {
			_, err := c.ListObjects(ctx, "deals", ListObjectsOptions{Limit: MaxListLimit + 1, Archived: true})
			return err
		}, ErrInvalidRequest},
		{"six filter groups", func() error {
			_, err := c.Search(ctx, "contacts", SearchRequest{FilterGroups: make([]FilterGroup, 6)})
			return err
		}, ErrInvalidRequest},
		{"empty id", func() error { _, err := c.GetObject(ctx, "contacts", "", GetObjectOptions{}); return err }, ErrInvalidRequest},
		{"upsert without idProperty", func() error {
			_, err := c.BatchUpsert(ctx, "contacts", []BatchUpsertInput{{ID: "a@b.com"}})
			return err
		}, ErrInvalidRequest},
		{"upsert by hs_object_id, which HubSpot refuses", func() error {
			_, err := c.BatchUpsert(ctx, "contacts", []BatchUpsertInput{{ID: "501", IDProperty: "hs_object_id"}})
			return err
		}, ErrInvalidRequest},
		{"note without timestamp", func() error {
			_, err := c.CreateEngagement(ctx, EngagementInput{Type: EngagementNote, ContactIDs: []string{"1"}})
			return err
		}, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	if n := len(fake.seen()); n != 0 {
		t.Fatalf("server saw %d requests, want none", n)
	}
}

func TestUndecodableSuccessIsUnexpectedResponse(t *testing.T) {
	t.Parallel()
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { writeJSON(w, 200, `{"id":"1","properties":[1,2]}`) })
	c := testClient(t, fake.srv.URL, nil)
	_, err := c.GetObject(t.Context(), "contacts", "1", GetObjectOptions{})
	if !errors.Is(err, ErrUnexpectedResponse) || len(fake.seen()) != 1 {
		t.Fatalf("err = %v after %d requests, want ErrUnexpectedResponse and no retry", err, len(fake.seen()))
	}
}
