package clienttest_test

import (
	"context"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client/clienttest"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// A workflow's test: the real service and an emulated HubSpot, a contact upserted through the
// typed client, a condition evaluated on it, the contact checked in HubSpot, and the same
// connection read over REST.
func Example() {
	t := newExampleT() // in a test function: the test's t
	defer t.end()

	srv := clienttest.NewServer(t)
	ctx := context.Background()

	up, err := srv.Client.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{
		Connection: srv.Connection.Name,
		Email:      "ada@example.com",
		Properties: map[string]*structpb.Value{"lifecyclestage": structpb.NewStringValue("customer")},
	})
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	fmt.Println("created:", up.GetCreated())

	cond, err := srv.Client.EvaluateCondition(ctx, &integrationsv1.EvaluateConditionRequest{
		Connection: srv.Connection.Name,
		Expression: `contact.lifecyclestage == "customer"`,
		Contact:    &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada@example.com"}},
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	fmt.Println("is a customer:", cond.GetResult())

	inHubSpot, _ := srv.HubSpot.Record("contacts", up.GetContactId())
	fmt.Println("in HubSpot:", inHubSpot["email"], inHubSpot["lifecyclestage"])

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.RESTURL+"/v1/"+srv.Connection.Name, nil)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("REST: %v", err)
	}
	resp.Body.Close()
	fmt.Println("REST:", resp.Status)

	// Output:
	// created: true
	// is a customer: true
	// in HubSpot: ada@example.com customer
	// REST: 200 OK
}
