package main

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/client/clienttest"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestWritesAreReadBackWithoutSearch: HubSpot's search sees a write only seconds later, so the
// service never reads its own write through search. Against a HubSpot whose search lags by an
// hour, over gRPC and REST: a contact upserted a moment ago is evaluated by a condition and
// gets a timeline event, by its email, and an update is seen at once; SearchRecords, the only
// search, still misses the contact, and no other search reached HubSpot.
func TestWritesAreReadBackWithoutSearch(t *testing.T) {
	t.Parallel()
	for _, tr := range journeyTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			var searches atomic.Int64
			srv := clienttest.NewServer(t, clienttest.WithSearchLag(time.Hour),
				clienttest.WithHubSpotHandler(func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if strings.HasSuffix(r.URL.Path, "/search") {
							searches.Add(1)
						}
						next.ServeHTTP(w, r)
					})
				}))
			do := func(method string, req, resp proto.Message) {
				t.Helper()
				tr.call(t, srv, method, req, resp)
			}
			const email = "lin.ng@example.com"
			byEmail := &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: email}}
			upsert := func(firstname string) *integrationsv1.UpsertContactResponse {
				t.Helper()
				var res integrationsv1.UpsertContactResponse
				do("UpsertContact", &integrationsv1.UpsertContactRequest{Connection: srv.Connection.Name, Email: email,
					Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue(firstname)}}, &res)
				return &res
			}
			holds := func(expr string) {
				t.Helper()
				var res integrationsv1.EvaluateConditionResponse
				do("EvaluateCondition", &integrationsv1.EvaluateConditionRequest{Connection: srv.Connection.Name, Expression: expr, Contact: byEmail}, &res)
				if !res.GetResult() {
					t.Errorf("condition %s = %v on the contact just written; want true", expr, &res)
				}
			}
			searchFinds := func() int {
				t.Helper()
				var res integrationsv1.SearchRecordsResponse
				do("SearchRecords", &integrationsv1.SearchRecordsRequest{Parent: client.ObjectTypeName(srv.Connection.Name, "contacts"),
					FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "email",
						Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue(email)}}}}}, &res)
				return len(res.GetRecords())
			}

			created := upsert("Lin")
			if !created.GetCreated() {
				t.Fatalf("upsert = %v; want a created contact", created)
			}
			if n := searchFinds(); n != 0 {
				t.Fatalf("SearchRecords found the new contact %d times: HubSpot's search lag is not in effect, so this test proves nothing", n)
			}
			holds(`contact.firstname == "Lin"`)
			upsert("Lina")
			holds(`contact.firstname == "Lina"`)

			var logged integrationsv1.TimelineEvent
			do("LogTimelineEvent", &integrationsv1.LogTimelineEventRequest{Parent: srv.Connection.Name, WaitForDelivery: true,
				TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, Contact: byEmail,
					OccurTime: timestamppb.New(time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)), Title: "Chat", Body: "Asked about pricing."}}, &logged)
			if logged.GetStatus() != integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED || logged.GetHubspotContactId() != created.GetContactId() {
				t.Errorf("timeline event = %v; want DELIVERED on contact %s", &logged, created.GetContactId())
			}

			if n := searchFinds(); n != 0 {
				t.Errorf("SearchRecords found the contact %d times within the lag", n)
			}
			if n := searches.Load(); n != 2 {
				t.Errorf("%d searches reached HubSpot; want only the 2 SearchRecords calls", n)
			}
		})
	}
}
