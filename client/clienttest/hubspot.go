package clienttest

import (
	"testing"

	"github.com/connectflo/integrations/internal/apptest"
)

// HubSpot is the emulated HubSpot account the service is connected to: what a test arranges
// there before a workflow runs, and checks there after. It is served on loopback until the
// test ends.
type HubSpot struct {
	URL    string     // base URL of its REST API, for HubSpot clients of your own
	HubID  int64      // the account's id
	Sample SampleData // what WithSampleData created

	hub *apptest.HubSpot
	t   testing.TB
}

// SampleData lists the ids of the records WithSampleData created, in creation order.
type SampleData struct {
	Companies []string
	Contacts  []string
	Deals     []string
}

// NewToken returns a new private-app token of the account with these scopes, for Connect or
// UpdateCredentials in a test.
func (h *HubSpot) NewToken(scopes ...string) string {
	h.t.Helper()
	return h.hub.NewToken(h.t, scopes)
}

// CreateRecord creates a record in HubSpot directly, as if someone had entered it there, and
// returns its id. objectType is "contacts", "companies" or "deals"; properties are HubSpot's
// internal names and values ("lifecyclestage": "customer"), validated as HubSpot does. A
// record HubSpot would refuse fails the test.
func (h *HubSpot) CreateRecord(objectType string, properties map[string]string) string {
	h.t.Helper()
	id, err := h.hub.Sandbox.CreateRecord(h.HubID, objectType, properties)
	if err != nil {
		h.t.Fatalf("clienttest: create a HubSpot %s record: %v", objectType, err)
	}
	return id
}

// Record returns the property values HubSpot holds for a record (all of them, as HubSpot
// stores them) and whether it exists: to check what a workflow wrote.
func (h *HubSpot) Record(objectType, id string) (map[string]string, bool) {
	return h.hub.Sandbox.Record(h.HubID, objectType, id)
}

// RevokeToken revokes a token, as an admin does in HubSpot: the service's calls with it then
// fail as unauthorized.
func (h *HubSpot) RevokeToken(token string) {
	h.t.Helper()
	if err := h.hub.Sandbox.RevokeToken(token); err != nil {
		h.t.Fatalf("clienttest: revoke a HubSpot token: %v", err)
	}
}
