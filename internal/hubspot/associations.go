package hubspot

import (
	"context"
	"net/url"
	"strconv"
)

// Association categories.
const (
	CategoryHubSpotDefined    = "HUBSPOT_DEFINED"
	CategoryUserDefined       = "USER_DEFINED"
	CategoryIntegratorDefined = "INTEGRATOR_DEFINED"
)

// AssociationSpec names an association type. Type ids are directional:
// note→contact is 202 but contact→note is 201; send the one for the
// direction of the request.
type AssociationSpec struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

// ObjectRef points at a record by id.
type ObjectRef struct {
	ID ID `json:"id"`
}

// AssociationInput associates a record being created with an existing one.
type AssociationInput struct {
	To    ObjectRef         `json:"to"`
	Types []AssociationSpec `json:"types"`
}

// AssociateTo is shorthand for one HubSpot-defined association.
func AssociateTo(id string, typeID int) AssociationInput {
	return AssociationInput{To: ObjectRef{ID: ID(id)},
		Types: []AssociationSpec{{Category: CategoryHubSpotDefined, TypeID: typeID}}}
}

// AssociationType is one label/type on an association (v4). Label is nil
// for the unlabelled type.
type AssociationType struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

// AssociatedObject is one record at the other end, with every type linking them.
type AssociatedObject struct {
	// ToObjectID is a number in real responses and a string in the spec;
	// ID accepts both.
	ToObjectID       ID                `json:"toObjectId"`
	AssociationTypes []AssociationType `json:"associationTypes"`
}

// AssociationPage is one page of ListAssociations.
type AssociationPage struct {
	Results []AssociatedObject `json:"results"`
	Paging  *Paging            `json:"paging,omitempty"`
}

// MaxAssociationPage is the largest page the list endpoint returns.
const MaxAssociationPage = 500

// ListAssociationsOptions pages ListAssociations.
type ListAssociationsOptions struct {
	After string // cursor from Paging.NextAfter
	Limit int    // default (0) lets HubSpot choose; at most MaxAssociationPage
}

// ListAssociations lists records of toType associated with one record.
// Idempotent.
func (c *Client) ListAssociations(ctx context.Context, fromType, fromID, toType string, opts ListAssociationsOptions) (*AssociationPage, error) {
	if err := requireNonEmpty("fromType", fromType, "fromId", fromID, "toType", toType); err != nil {
		return nil, err
	}
	if opts.Limit < 0 || opts.Limit > MaxAssociationPage {
		return nil, invalid("limit must be between 1 and %d", MaxAssociationPage)
	}
	r := c.request(opListAssociations, fromType, fromID, toType)
	r.query = url.Values{}
	if opts.Limit > 0 {
		r.query.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.After != "" {
		r.query.Set("after", opts.After)
	}
	var page AssociationPage
	_, err := c.send(ctx, r, &page)
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// AssociateDefault creates the default (unlabelled) association between two
// records. Idempotent: the pair is associated once however often it is sent.
func (c *Client) AssociateDefault(ctx context.Context, fromType, fromID, toType, toID string) error {
	if err := requireNonEmpty("fromType", fromType, "fromId", fromID, "toType", toType, "toId", toID); err != nil {
		return err
	}
	_, err := c.send(ctx, c.request(opAssociateDefault, fromType, fromID, toType, toID), nil)
	return err
}

// AssociationReadInput asks for one record's associations; After continues
// a record whose previous result had more pages.
type AssociationReadInput struct {
	ID    string `json:"id"`
	After string `json:"after,omitempty"`
}

// AssociationReadResult is the associations of one "from" record.
type AssociationReadResult struct {
	From   ObjectRef          `json:"from"`
	To     []AssociatedObject `json:"to"`
	Paging *Paging            `json:"paging,omitempty"`
}

// AssociationBatchResult is the outcome of BatchReadAssociations. Results
// are keyed by the "from" id since HubSpot does not keep input order; ids
// with no associations (or unknown ids) are reported in Errors.
type AssociationBatchResult struct {
	Results map[string]AssociationReadResult
	Errors  []*APIError
}

// BatchReadAssociations reads the associations of up to MaxBatchInputs
// records at once (200 or 207). Idempotent (a read).
func (c *Client) BatchReadAssociations(ctx context.Context, fromType, toType string, inputs []AssociationReadInput) (*AssociationBatchResult, error) {
	if err := requireNonEmpty("fromType", fromType, "toType", toType); err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(inputs)); err != nil {
		return nil, err
	}
	var resp struct {
		Results []AssociationReadResult `json:"results"`
		Errors  []batchItemError        `json:"errors"`
	}
	r := c.request(opBatchReadAssociations, fromType, toType)
	r.body = map[string]any{"inputs": inputs}
	_, err := c.send(ctx, r, &resp)
	if err != nil {
		return nil, err
	}
	out := &AssociationBatchResult{Results: make(map[string]AssociationReadResult, len(resp.Results))}
	for _, r := range resp.Results {
		out.Results[string(r.From.ID)] = r
	}
	for _, e := range resp.Errors {
		out.Errors = append(out.Errors, e.toAPIError(r.endpoint.String(), c.token.scrub))
	}
	return out, nil
}
