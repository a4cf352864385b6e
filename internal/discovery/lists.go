package discovery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

// OwnersScope is the scope HubSpot asks for to list owners; without it discovery reads
// everything else and records why the owners are missing.
const OwnersScope = "crm.objects.owners.read"

// readGroups reads an object type's property groups, archived ones left out, in display
// order.
func readGroups(ctx context.Context, client *hubspot.Client, objectType string) ([]fields.Group, error) {
	groups, err := client.ListPropertyGroups(ctx, objectType)
	if err != nil {
		return nil, err
	}
	out := make([]fields.Group, 0, len(groups))
	for _, g := range groups {
		if !g.Archived {
			out = append(out, fields.Group{Name: g.Name, Label: g.Label, DisplayOrder: g.DisplayOrder})
		}
	}
	slices.SortStableFunc(out, func(a, b fields.Group) int { return a.DisplayOrder - b.DisplayOrder })
	return out, nil
}

// readPipelines reads the pipelines of an object type that has them (fields.PipelineFields)
// in display order, each with its live stages in display order; other types have none.
func readPipelines(ctx context.Context, client *hubspot.Client, objectType string) ([]fields.Pipeline, error) {
	if _, ok := fields.PipelineFields[objectType]; !ok {
		return nil, nil
	}
	pipelines, err := client.ListPipelines(ctx, objectType)
	if err != nil {
		return nil, err
	}
	out := make([]fields.Pipeline, 0, len(pipelines))
	for i := range pipelines {
		p := &pipelines[i]
		fp := fields.Pipeline{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder, Archived: p.Archived}
		for j := range p.Stages {
			s := &p.Stages[j]
			if s.Archived {
				continue // a stage HubSpot no longer offers: no deal can be moved to it
			}
			probability, _ := s.Probability()
			fp.Stages = append(fp.Stages, fields.Stage{ID: s.ID, Label: s.Label, DisplayOrder: s.DisplayOrder,
				Probability: probability, Closed: s.IsClosed()})
		}
		slices.SortStableFunc(fp.Stages, func(a, b fields.Stage) int { return a.DisplayOrder - b.DisplayOrder })
		out = append(out, fp)
	}
	slices.SortStableFunc(out, func(a, b fields.Pipeline) int { return a.DisplayOrder - b.DisplayOrder })
	return out, nil
}

// discoverOwners reads the account's active owners, then its archived ones (so that a record
// naming a deactivated user can still be shown). A failure is recorded, never returned:
// owners are an addition to the fields, and a token without crm.objects.owners.read (a
// recommended scope, not a required one) must still discover its fields. credentialKind is
// the token's kind (a connections.Kind… constant), for how to add the scope.
func discoverOwners(ctx context.Context, client *hubspot.Client, credentialKind string) store.OwnersUpdate {
	active, err := client.ListOwners(ctx, hubspot.ListOwnersOptions{})
	var archived []hubspot.Owner
	if err == nil {
		archived, err = client.ListOwners(ctx, hubspot.ListOwnersOptions{Archived: true})
	}
	if err != nil {
		u := store.OwnersUpdate{ErrorReason: ReasonFailed, ErrorMessage: err.Error()}
		var apiErr *hubspot.APIError
		switch {
		case errors.Is(err, hubspot.ErrMissingScopes):
			u.ErrorReason = ReasonMissingScopes
			u.ErrorScopes = []string{OwnersScope}
			if errors.As(err, &apiErr) && len(apiErr.RequiredScopes) > 0 {
				u.ErrorScopes = apiErr.RequiredScopes
			}
			scopes := strings.Join(u.ErrorScopes, " or ")
			u.ErrorMessage = fmt.Sprintf("the token lacks the scope to read owners (%s), so no owners are listed. %s, then refresh fields",
				scopes, connections.ScopeSteps(credentialKind, scopes))
		case errors.Is(err, hubspot.ErrUnavailable):
			u.ErrorReason = ReasonUnavailable
		}
		return u
	}
	out := make([]fields.Owner, 0, len(active)+len(archived))
	for li, list := range [][]hubspot.Owner{active, archived} {
		for i := range list {
			o := &list[i]
			fo := fields.Owner{ID: o.ID.String(), Email: o.Email, FirstName: o.FirstName, LastName: o.LastName,
				Archived: o.Archived || li == 1}
			for _, t := range o.Teams {
				fo.Teams = append(fo.Teams, fields.Team{ID: t.ID.String(), Name: t.Name, Primary: t.Primary})
			}
			out = append(out, fo)
		}
	}
	return store.OwnersUpdate{Owners: out}
}

// ownerDirectory is what owner-typed fields resolve against, from the owners as last
// discovered: the last good list, even when a later read failed; otherwise why there is
// none and what to do (for a token of credentialKind, a connections.Kind… constant).
func ownerDirectory(l store.OwnerList, credentialKind string) *fields.OwnerDirectory {
	switch {
	case len(l.Owners) > 0 || !l.DiscoveredAt.IsZero():
		return fields.NewOwnerDirectory(l.Owners)
	case l.ErrorReason == ReasonMissingScopes:
		scopes := strings.Join(l.ErrorScopes, " or ")
		return fields.OwnersUnavailable(fmt.Sprintf("the token lacks the scope to read owners (%s). %s, then refresh fields",
			scopes, connections.ScopeSteps(credentialKind, scopes)))
	case l.ErrorReason != "":
		return fields.OwnersUnavailable("the owners could not be read at the last discovery (" + l.ErrorMessage + "): refresh fields")
	}
	return fields.OwnersUnavailable("the owners have not been discovered: refresh fields")
}

// Owners returns the owners of the connection's account as last discovered, or why they
// could not be read. A connection is discovered on Connect, so it has them from then on.
func (d *Discoverer) Owners(ctx context.Context, c store.Connection) (store.OwnerList, error) {
	return d.store.Owners(ctx, c.Workspace, c.ID)
}
