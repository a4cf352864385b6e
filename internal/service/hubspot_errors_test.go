package service

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// TestHubSpotClientErrorsAreTheCallersError: what the HubSpot client refuses before sending,
// and what HubSpot refuses as too large, comes from the caller's request; it is answered as
// INVALID_ARGUMENT with a reason, never as an unexpected (INTERNAL) error.
func TestHubSpotClientErrorsAreTheCallersError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		code   codes.Code
		reason string
	}{
		{"refused before sending", fmt.Errorf("%w: search limit 500 is outside 1..200", hubspot.ErrInvalidRequest), codes.InvalidArgument, reasonHubSpotInvalid},
		{"batch over 100 inputs", fmt.Errorf("%w: 101 inputs, at most 100", hubspot.ErrBatchTooLarge), codes.InvalidArgument, reasonHubSpotInvalid},
		{"413 from HubSpot", &hubspot.APIError{StatusCode: 413, Operation: "POST /crm/v3/objects/contacts/search", Message: "Request Entity Too Large"}, codes.InvalidArgument, rpcerr.ReasonRequestTooLarge},
		{"414 from HubSpot", &hubspot.APIError{StatusCode: 414, Operation: "GET /crm/v3/objects/{objectType}/{objectId}", Message: "URI Too Long"}, codes.InvalidArgument, rpcerr.ReasonRequestTooLarge},
		{"wrapped 414", fmt.Errorf("read contact: %w", &hubspot.APIError{StatusCode: 414}), codes.InvalidArgument, rpcerr.ReasonRequestTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mapHubSpotError(tc.err)
			if got == nil {
				t.Fatalf("mapHubSpotError(%v) = nil: the error would be answered as INTERNAL", tc.err)
			}
			st := status.Convert(got)
			var reason string
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.ErrorInfo); ok {
					reason = info.GetReason()
				}
			}
			if st.Code() != tc.code || reason != tc.reason || st.Message() == "" {
				t.Errorf("mapHubSpotError(%v) = %v %q (%s), want %v %q", tc.err, st.Code(), reason, st.Message(), tc.code, tc.reason)
			}
		})
	}
	if got := mapHubSpotError(errors.New("database is locked")); got != nil {
		t.Errorf("an error that is not HubSpot's must stay unmapped (logged, INTERNAL), got %v", got)
	}
}

// TestUpsertViolationsNameTheProperty: HubSpot's verdict on a contact's values comes back
// as INVALID_ARGUMENT with one field violation per property it named, saying whether the
// value was refused or a property HubSpot requires was left unset.
func TestUpsertViolationsNameTheProperty(t *testing.T) {
	t.Parallel()
	const required = "Error creating CONTACT. Some required properties were not set."
	cases := []struct {
		name string
		err  error
		want []*errdetails.BadRequest_FieldViolation
	}{
		{"a refused value", &hubspot.APIError{StatusCode: 400, Category: "VALIDATION_ERROR", Violations: []hubspot.Violation{
			{PropertyName: "lifecyclestage", Code: "INVALID_OPTION", Message: "nope was not one of the allowed options"}}},
			[]*errdetails.BadRequest_FieldViolation{{Field: "properties.lifecyclestage",
				Description: "HubSpot refused the value: nope was not one of the allowed options"}}},
		{"a required property left unset", &hubspot.APIError{StatusCode: 400, Category: "VALIDATION_ERROR", Violations: []hubspot.Violation{
			{PropertyName: "lastname", Code: hubspot.CodeMissingRequiredProperty, Message: required}}},
			[]*errdetails.BadRequest_FieldViolation{{Field: "properties.lastname",
				Description: "HubSpot requires it to create the contact; set it: " + required}}},
		{"a property an admin's rule requires", &hubspot.APIError{StatusCode: 400, Category: "VALIDATION_ERROR", Violations: []hubspot.Violation{
			{PropertyName: "company", Code: hubspot.CodeMissingConditionalRequiredProperty, Message: "company is required when lifecyclestage is customer",
				WhenProperty: "lifecyclestage", WhenValue: "customer"}}},
			[]*errdetails.BadRequest_FieldViolation{{Field: "properties.company",
				Description: `required when lifecyclestage is "customer" (a rule of the HubSpot account); set it`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := status.Convert(upsertStatus(tc.err, "workspaces/w/connections/c", nil))
			var got []*errdetails.BadRequest_FieldViolation
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					got = append(got, br.GetFieldViolations()...)
				}
			}
			if st.Code() != codes.InvalidArgument {
				t.Errorf("code %v, want InvalidArgument", st.Code())
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("field violations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLifecycleBackwardIsAFailedPrecondition: HubSpot's refusal to move a contact's
// lifecyclestage backward is FAILED_PRECONDITION, reason LIFECYCLE_STAGE_BACKWARD, with both
// stages in the metadata, not a field violation: the value is valid, the record's stage is not.
func TestLifecycleBackwardIsAFailedPrecondition(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("upsert: %w", &hubspot.APIError{StatusCode: 400, Category: "VALIDATION_ERROR", Violations: []hubspot.Violation{
		{PropertyName: "lifecyclestage", Code: hubspot.CodeLifecycleStageBackward, Current: "customer", Requested: "lead"}}})
	st := status.Convert(upsertStatus(err, "workspaces/w/connections/c", nil))
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	got := []any{st.Code(), info.GetReason(), info.GetMetadata()}
	want := []any{codes.FailedPrecondition, "LIFECYCLE_STAGE_BACKWARD",
		map[string]string{"field": "properties.lifecyclestage", "current": "customer", "requested": "lead"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("code, reason, metadata (-want +got):\n%s", diff)
	}
}
