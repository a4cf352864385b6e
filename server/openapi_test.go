package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// openAPISpec is the part of the served OpenAPI v2 document that says which fields a caller
// must send and which ones the server sets.
type openAPISpec struct {
	Definitions map[string]struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			ReadOnly bool `json:"readOnly"`
		} `json:"properties"`
	} `json:"definitions"`
}

// fieldMarks is what the spec says about one property.
type fieldMarks struct{ Required, ReadOnly bool }

// TestOpenAPIMarksFieldBehavior reads /openapi.json as a browser developer would and checks
// that the field_behavior annotations of the protos reach it: REQUIRED fields are listed in
// their schema's "required", OUTPUT_ONLY fields are "readOnly". Request bodies of calls with
// path parameters are the gateway's IntegrationService*Body schemas.
func TestOpenAPIMarksFieldBehavior(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp, err := http.Get("http://" + ts.httpAddr + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var spec openAPISpec
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil {
		t.Fatalf("/openapi.json: %v", err)
	}

	cases := []struct {
		definition, property string
		want                 fieldMarks
	}{
		// Connect: the name and the token are required, the rest optional; nothing read-only.
		{"IntegrationServiceConnectBody", "displayName", fieldMarks{Required: true}},
		{"IntegrationServiceConnectBody", "accessToken", fieldMarks{Required: true}},
		{"IntegrationServiceConnectBody", "requestId", fieldMarks{}},
		{"IntegrationServiceConnectBody", "connectionId", fieldMarks{}},
		{"IntegrationServiceUpdateCredentialsBody", "accessToken", fieldMarks{Required: true}},
		{"IntegrationServiceUpdateCredentialsBody", "requestId", fieldMarks{}},
		// The Connection is only ever returned: every field is the server's.
		{"v1Connection", "name", fieldMarks{ReadOnly: true}},
		{"v1Connection", "displayName", fieldMarks{ReadOnly: true}},
		{"v1Connection", "status", fieldMarks{ReadOnly: true}},
		{"v1Connection", "tokenHint", fieldMarks{ReadOnly: true}},
		{"v1Connection", "createTime", fieldMarks{ReadOnly: true}},
		// Records and contacts.
		{"IntegrationServiceUpsertContactBody", "email", fieldMarks{Required: true}},
		{"IntegrationServiceUpsertContactBody", "properties", fieldMarks{}},
		{"IntegrationServiceBatchUpsertContactsBody", "contacts", fieldMarks{Required: true}},
		{"v1ContactUpsert", "email", fieldMarks{Required: true}},
		{"IntegrationServiceUpdateRecordBody", "properties", fieldMarks{Required: true}},
		{"IntegrationServiceUpdateRecordBody", "idProperty", fieldMarks{}},
		{"IntegrationServiceSearchRecordsBody", "filterGroups", fieldMarks{}},
		{"v1Filter", "field", fieldMarks{Required: true}},
		{"v1Filter", "operator", fieldMarks{Required: true}},
		{"v1Filter", "value", fieldMarks{}},
		{"v1Sort", "field", fieldMarks{Required: true}},
		{"v1Record", "name", fieldMarks{ReadOnly: true}},
		{"v1Record", "properties", fieldMarks{ReadOnly: true}},
		{"v1UpsertContactResponse", "created", fieldMarks{ReadOnly: true}},
		// A timeline event is written by the caller and completed by the server.
		{"IntegrationServiceLogTimelineEventBody", "timelineEvent", fieldMarks{Required: true}},
		{"IntegrationServiceLogTimelineEventBody", "requestId", fieldMarks{}},
		{"v1TimelineEvent", "name", fieldMarks{ReadOnly: true}},
		{"v1TimelineEvent", "kind", fieldMarks{Required: true}},
		{"v1TimelineEvent", "contact", fieldMarks{Required: true}},
		{"v1TimelineEvent", "occurTime", fieldMarks{Required: true}},
		{"v1TimelineEvent", "body", fieldMarks{}},
		{"v1TimelineEvent", "status", fieldMarks{ReadOnly: true}},
		{"v1TimelineEvent", "hubspotObjectId", fieldMarks{ReadOnly: true}},
		{"v1TimelineEvent", "deliverTime", fieldMarks{ReadOnly: true}},
		// Conditions.
		{"IntegrationServiceValidateConditionBody", "expression", fieldMarks{Required: true}},
		{"IntegrationServiceEvaluateConditionBody", "expression", fieldMarks{Required: true}},
		{"IntegrationServiceEvaluateConditionBody", "contact", fieldMarks{}},
		{"v1EvaluateConditionResponse", "result", fieldMarks{ReadOnly: true}},
		// The audit log is the server's record.
		{"v1AuditEvent", "name", fieldMarks{ReadOnly: true}},
		{"v1AuditEvent", "outcome", fieldMarks{ReadOnly: true}},
	}
	for _, c := range cases {
		t.Run(c.definition+"."+c.property, func(t *testing.T) {
			def, ok := spec.Definitions[c.definition]
			if !ok {
				t.Fatalf("/openapi.json has no definition %s", c.definition)
			}
			prop, ok := def.Properties[c.property]
			if !ok {
				t.Fatalf("definition %s has no property %s", c.definition, c.property)
			}
			got := fieldMarks{Required: slices.Contains(def.Required, c.property), ReadOnly: prop.ReadOnly}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s.%s (-want +got):\n%s", c.definition, c.property, diff)
			}
		})
	}
}
