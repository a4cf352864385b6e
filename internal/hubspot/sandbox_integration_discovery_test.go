package hubspot_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// ListOwners follows the owners list page by page until its end: 600 owners take two
// requests of 500.
func TestListOwnersPagesThroughTheSandbox(t *testing.T) {
	t.Parallel()
	e := newSandboxEnv(t, sandbox.Limits{}, 1)
	for i := range 595 { // with the 5 sample owners (one archived): 599 active
		if _, err := e.sb.CreateOwner(e.acct.HubID, sandbox.Owner{Email: fmt.Sprintf("user%d@northwind.example", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client(t, nil, nil)
	e.sb.ResetCounters()
	active, err := c.ListOwners(t.Context(), hubspot.ListOwnersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := requests(e.sb.Counters(), "GET /crm/owners/2026-03/"); len(active) != 599 || n != 2 {
		t.Errorf("%d active owners in %d requests; want 599 in 2", len(active), n)
	}
	seen := map[hubspot.ID]bool{}
	for _, o := range active {
		if seen[o.ID] || o.Archived {
			t.Fatalf("owner %s listed twice or archived", o.ID)
		}
		seen[o.ID] = true
	}
	archived, err := c.ListOwners(t.Context(), hubspot.ListOwnersOptions{Archived: true})
	if err != nil || len(archived) != 1 || !archived[0].Archived || archived[0].LastName != "Kim" {
		t.Errorf("archived owners = %+v, %v; want the one archived sample owner", archived, err)
	}
	// FirstPage (a probe of the owners scope) costs one request however many owners there are.
	e.sb.ResetCounters()
	first, err := c.ListOwners(t.Context(), hubspot.ListOwnersOptions{FirstPage: true})
	if n := requests(e.sb.Counters(), "GET /crm/owners/2026-03/"); err != nil || len(first) != 500 || n != 1 {
		t.Errorf("first page: %d owners in %d requests, %v; want 500 in 1", len(first), n, err)
	}
}

// The sandbox's deal pipelines and property groups decode as HubSpot's would: stage ids
// tell apart stages whose labels repeat.
func TestPipelinesAndGroupsFromTheSandbox(t *testing.T) {
	t.Parallel()
	e := newSandboxEnv(t, sandbox.Limits{}, 1)
	c := e.client(t, nil, nil)
	pipelines, err := c.ListPipelines(t.Context(), "deals")
	if err != nil {
		t.Fatal(err)
	}
	var won []string
	for _, p := range pipelines {
		for _, s := range p.Stages {
			if prob, ok := s.Probability(); ok && prob == 1 && s.IsClosed() {
				won = append(won, p.Label+"/"+s.Label+"/"+s.ID)
			}
		}
	}
	if want := []string{"Sales Pipeline/Closed Won/closedwon", "Enterprise/Closed Won/2096394"}; !slices.Equal(won, want) {
		t.Errorf("won stages %v; want %v", won, want)
	}
	groups, err := c.ListPropertyGroups(t.Context(), "contacts")
	if err != nil || len(groups) == 0 || groups[0].Name != "contactinformation" {
		t.Errorf("contact groups = %+v, %v; want contactinformation first", groups, err)
	}
}
