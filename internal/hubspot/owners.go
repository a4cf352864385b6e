package hubspot

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// Owner is a HubSpot owner from /crm/v3/owners: a user (or queue) records can
// be assigned to (https://developers.hubspot.com/docs/api/crm/owners). ID is
// what hubspot_owner_id and other owner properties hold; it is not UserID.
type Owner struct {
	ID        ID          `json:"id"`
	Type      string      `json:"type"` // PERSON or QUEUE
	Email     string      `json:"email"`
	FirstName string      `json:"firstName"`
	LastName  string      `json:"lastName"`
	UserID    ID          `json:"userId"`
	Teams     []OwnerTeam `json:"teams"`
	Archived  bool        `json:"archived"`
}

// OwnerTeam is a team an owner belongs to; Primary marks the owner's main team.
type OwnerTeam struct {
	ID      ID     `json:"id"`
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
}

// ListOwnersOptions filters ListOwners.
type ListOwnersOptions struct {
	// Archived lists the archived owners (deactivated users) instead of the
	// active ones: HubSpot lists one or the other.
	Archived bool
	// FirstPage stops after the first page: one request, for a caller that only needs to
	// know whether the owners can be read at all.
	FirstPage bool
}

// ownersPageSize is the page size ListOwners asks for; HubSpot's default is
// 100 and its largest 500, so most portals take one request.
const ownersPageSize = 500

// maxOwnerPages bounds ListOwners: a cursor HubSpot kept handing back would
// otherwise page forever. 200 pages of 500 are more owners than any portal has.
const maxOwnerPages = 200

// ListOwners returns every owner of the account (active ones, or archived ones
// with opts.Archived), following HubSpot's after cursor page by page. It needs
// crm.objects.owners.read (ErrMissingScopes otherwise). Idempotent.
func (c *Client) ListOwners(ctx context.Context, opts ListOwnersOptions) ([]Owner, error) {
	var owners []Owner
	after := ""
	for range maxOwnerPages {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(ownersPageSize))
		if opts.Archived {
			q.Set("archived", "true")
		}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Results []Owner `json:"results"`
			Paging  *Paging `json:"paging"`
		}
		r := c.request(opListOwners)
		r.query = q
		_, err := c.send(ctx, r, &page)
		if err != nil {
			return nil, err
		}
		owners = append(owners, page.Results...)
		if opts.FirstPage || page.Paging == nil || page.Paging.Next == nil || page.Paging.Next.After == "" || page.Paging.Next.After == after {
			return owners, nil
		}
		after = page.Paging.Next.After
	}
	return nil, fmt.Errorf("%w: the owners list did not end after %d pages", ErrUnexpectedResponse, maxOwnerPages)
}
