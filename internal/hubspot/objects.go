package hubspot

import (
	"context"
	"net/url"
	"strconv"
	"strings"
)

// Object is a CRM record (contact, company, deal, note, call, …).
type Object struct {
	ID                    ID                           `json:"id"`
	Properties            Properties                   `json:"properties"`
	PropertiesWithHistory map[string][]PropertyVersion `json:"propertiesWithHistory,omitempty"`
	// Associations appear only when requested on a GET: keyed by object
	// type (e.g. "companies"), in the v3 shape with string type names.
	Associations       map[string]AssociatedIDs `json:"associations,omitempty"`
	CreatedAt          Timestamp                `json:"createdAt"`
	UpdatedAt          Timestamp                `json:"updatedAt"`
	ArchivedAt         Timestamp                `json:"archivedAt"`
	Archived           bool                     `json:"archived"`
	ObjectWriteTraceID string                   `json:"objectWriteTraceId,omitempty"`
	URL                string                   `json:"url,omitempty"`
}

// PropertyVersion is one historical value of a property.
type PropertyVersion struct {
	Value           *string   `json:"value"`
	Timestamp       Timestamp `json:"timestamp"`
	SourceType      string    `json:"sourceType"`
	SourceID        string    `json:"sourceId"`
	SourceLabel     string    `json:"sourceLabel"`
	UpdatedByUserID ID        `json:"updatedByUserId"`
}

// AssociatedIDs is a page of v3 associations embedded in a record.
type AssociatedIDs struct {
	Results []AssociatedID `json:"results"`
	Paging  *Paging        `json:"paging,omitempty"`
}

// AssociatedID is one associated record; Type is a name like "contact_to_company".
type AssociatedID struct {
	ID   ID     `json:"id"`
	Type string `json:"type"`
}

// GetObjectOptions shape GetObject.
type GetObjectOptions struct {
	// IDProperty looks the record up by a unique property instead of its
	// id, e.g. "email" for contacts.
	IDProperty            string
	Properties            []string
	PropertiesWithHistory []string
	Associations          []string // object types whose associated ids to include
	Archived              bool
}

// GetObject reads one record by id (or by opts.IDProperty). A missing record
// is ErrNotFound. Idempotent.
func (c *Client) GetObject(ctx context.Context, objectType, id string, opts GetObjectOptions) (*Object, error) {
	if err := requireNonEmpty("objectType", objectType, "id", id); err != nil {
		return nil, err
	}
	q := url.Values{}
	setList(q, "properties", opts.Properties)
	setList(q, "propertiesWithHistory", opts.PropertiesWithHistory)
	setList(q, "associations", opts.Associations)
	if opts.IDProperty != "" {
		q.Set("idProperty", opts.IDProperty)
	}
	if opts.Archived {
		q.Set("archived", "true")
	}
	var obj Object
	r := c.request(opGetObject, objectType, id)
	r.query = q
	_, err := c.send(ctx, r, &obj)
	if err != nil {
		return nil, err
	}
	return &obj, nil
}

// CreateObjectInput is a new record and the associations to create with it.
type CreateObjectInput struct {
	Properties   map[string]string
	Associations []AssociationInput
}

// createBody always carries "associations" (an empty array when there are
// none): HubSpot's spec marks it required on create.
type createBody struct {
	Properties         map[string]string  `json:"properties"`
	Associations       []AssociationInput `json:"associations"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId,omitempty"`
}

func newCreateBody(in CreateObjectInput, traceID string) createBody {
	b := createBody{Properties: in.Properties, Associations: in.Associations, ObjectWriteTraceID: traceID}
	if b.Properties == nil {
		b.Properties = map[string]string{}
	}
	if b.Associations == nil {
		b.Associations = []AssociationInput{}
	}
	return b
}

// CreateObject creates one record (201). A contact whose email exists fails
// with ErrConflict and APIError.ExistingID set.
//
// Not idempotent: it is retried only when HubSpot provably did not process
// it (429, dial failure); after a reset or 5xx the caller gets
// ErrUnavailable and must find out whether the record exists.
func (c *Client) CreateObject(ctx context.Context, objectType string, in CreateObjectInput) (*Object, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	var obj Object
	r := c.request(opCreateObject, objectType)
	r.body = newCreateBody(in, "")
	_, err := c.send(ctx, r, &obj)
	if err != nil {
		return nil, err
	}
	return &obj, nil
}

// UpdateObjectOptions shape UpdateObject.
type UpdateObjectOptions struct {
	// IDProperty addresses the record by a unique property, e.g. "email"
	// (which works for single updates, unlike batch update).
	IDProperty string
}

// UpdateObject sets properties on one record; "" clears a value. Idempotent:
// it writes absolute values, so a repeat leaves the same state.
func (c *Client) UpdateObject(ctx context.Context, objectType, id string, properties map[string]string, opts UpdateObjectOptions) (*Object, error) {
	if err := requireNonEmpty("objectType", objectType, "id", id); err != nil {
		return nil, err
	}
	if len(properties) == 0 {
		return nil, invalid("update needs at least one property")
	}
	r := c.request(opUpdateObject, objectType, id)
	r.query = url.Values{}
	if opts.IDProperty != "" {
		r.query.Set("idProperty", opts.IDProperty)
	}
	r.body = map[string]any{"properties": properties}
	var obj Object
	_, err := c.send(ctx, r, &obj)
	if err != nil {
		return nil, err
	}
	return &obj, nil
}

// ArchiveObject moves a record to the recycle bin (204). Idempotent.
func (c *Client) ArchiveObject(ctx context.Context, objectType, id string) error {
	if err := requireNonEmpty("objectType", objectType, "id", id); err != nil {
		return err
	}
	_, err := c.send(ctx, c.request(opArchiveObject, objectType, id), nil)
	return err
}

// setList sets a comma-separated list parameter, as HubSpot's SDKs send them.
func setList(q url.Values, key string, values []string) {
	if len(values) > 0 {
		q.Set(key, strings.Join(values, ","))
	}
}

// MaxListLimit is the largest page the objects listing returns
// (https://developers.hubspot.com/docs/api/crm/understanding-the-crm: "limit" of the list
// endpoints, at most 100).
const MaxListLimit = 100

// ListObjectsOptions shape ListObjects.
type ListObjectsOptions struct {
	Limit      int    // 1..MaxListLimit; 0 is HubSpot's default of 10
	After      string // Paging.Next.After of the previous page
	Properties []string
	// Archived lists the archived (deleted) records instead of the live ones, each with its
	// ArchivedAt: search never returns them.
	Archived bool
}

// ObjectPage is one page of a listing.
type ObjectPage struct {
	Results []Object `json:"results"`
	Paging  *Paging  `json:"paging,omitempty"`
}

// ListObjects reads one page of a type's records in id order. It draws on the rolling
// window like any standard call. Idempotent (a read).
func (c *Client) ListObjects(ctx context.Context, objectType string, opts ListObjectsOptions) (*ObjectPage, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	if opts.Limit < 0 || opts.Limit > MaxListLimit {
		return nil, invalid("list limit %d is outside 1..%d", opts.Limit, MaxListLimit)
	}
	q := url.Values{}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.After != "" {
		q.Set("after", opts.After)
	}
	setList(q, "properties", opts.Properties)
	if opts.Archived {
		q.Set("archived", "true")
	}
	var out ObjectPage
	r := c.request(opListObjects, objectType)
	r.query = q
	if _, err := c.send(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
