package hubspot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// BatchReadRequest reads up to MaxBatchInputs records.
type BatchReadRequest struct {
	IDs []string
	// IDProperty reads by a unique property (e.g. "email") instead of ids;
	// results are matched back case-insensitively.
	IDProperty            string
	Properties            []string
	PropertiesWithHistory []string
}

// BatchRead reads records by id or unique property. Unknown ids come back
// as per-input ErrNotFound outcomes (HubSpot answers 207). Idempotent.
func (c *Client) BatchRead(ctx context.Context, objectType string, req BatchReadRequest) (*BatchResult, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(req.IDs)); err != nil {
		return nil, err
	}
	type readInput struct {
		ID string `json:"id"`
	}
	body := struct {
		Inputs                []readInput `json:"inputs"`
		Properties            []string    `json:"properties"`
		PropertiesWithHistory []string    `json:"propertiesWithHistory"`
		IDProperty            string      `json:"idProperty,omitempty"`
	}{Properties: nonNil(req.Properties), PropertiesWithHistory: nonNil(req.PropertiesWithHistory), IDProperty: req.IDProperty}
	keys := make([]inputKey, len(req.IDs))
	for i, id := range req.IDs {
		if id == "" {
			return nil, invalid("input %d has no id", i)
		}
		body.Inputs = append(body.Inputs, readInput{ID: id})
		if req.IDProperty != "" && req.IDProperty != "hs_object_id" {
			keys[i] = inputKey{idValue: id}
		} else {
			keys[i] = inputKey{id: id}
		}
	}
	return c.sendBatch(ctx, opBatchRead, objectType, body, keys, req.IDProperty)
}

// BatchCreateInput is one record to create in a batch.
type BatchCreateInput struct {
	Properties   map[string]string
	Associations []AssociationInput
	// ObjectWriteTraceID matches the input to its result and enables
	// HubSpot's multi-status (207) partial success; generated when empty.
	ObjectWriteTraceID string
}

// BatchCreate creates up to MaxBatchInputs records. Every input carries an
// objectWriteTraceId, so one invalid input fails alone (207) instead of
// failing the batch.
//
// Not idempotent (see CreateObject): retried only on 429 or dial failure.
func (c *Client) BatchCreate(ctx context.Context, objectType string, inputs []BatchCreateInput) (*BatchResult, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(inputs)); err != nil {
		return nil, err
	}
	traces := newTraceIDs()
	body := struct {
		Inputs []createBody `json:"inputs"`
	}{}
	keys := make([]inputKey, len(inputs))
	for i, in := range inputs {
		trace := traces.orNew(in.ObjectWriteTraceID, i)
		body.Inputs = append(body.Inputs, newCreateBody(CreateObjectInput{Properties: in.Properties, Associations: in.Associations}, trace))
		keys[i] = inputKey{traceID: trace}
	}
	return c.sendBatch(ctx, opBatchCreate, objectType, body, keys, "")
}

// BatchUpdateInput is one record to update. Address it by record id; HubSpot
// rejects IDProperty "email" in batch update (use UpdateObject for that).
type BatchUpdateInput struct {
	ID                 string            `json:"id"`
	IDProperty         string            `json:"idProperty,omitempty"`
	Properties         map[string]string `json:"properties"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId,omitempty"`
}

// BatchUpdate updates up to MaxBatchInputs records. Idempotent (absolute values).
// HubSpot applies a batch update whole or not at all: one invalid input or unknown id
// fails the call (multi-status is documented for batch create only).
func (c *Client) BatchUpdate(ctx context.Context, objectType string, inputs []BatchUpdateInput) (*BatchResult, error) {
	return c.batchWrite(ctx, objectType, opBatchUpdate, inputs, false, nil)
}

// BatchUpsertInput is one record to create or update, found by IDProperty
// (a property with unique values, or "email" for contacts) equal to ID.
// HubSpot refuses hs_object_id here, so BatchUpsert refuses it before sending.
type BatchUpsertInput = BatchUpdateInput

// BatchUpsert creates or updates up to MaxBatchInputs records; each
// outcome's New says which happened. Like BatchUpdate it succeeds or fails
// whole: one invalid input fails the call with its *APIError, and a caller
// that wants the good inputs written isolates the bad one (as package upsert does). Idempotent: keyed by a unique
// property, a repeat updates what the first attempt created (and then
// reports New=false).
func (c *Client) BatchUpsert(ctx context.Context, objectType string, inputs []BatchUpsertInput) (*BatchResult, error) {
	return c.batchWrite(ctx, objectType, opBatchUpsert, inputs, true, nil)
}

// BatchUpsertWithPermit is BatchUpsert whose first attempt is sent under p,
// a permit the caller already took from this client's limiter with
// c.Limiter().Wait(ctx, KindStandard) — so a batcher can keep its batch
// open while it queues for a slot and cut it the moment the slot is
// granted. Send it straight after the grant: the permit's slot counts as
// in flight until the response arrives. Retries queue in the limiter like
// any other call's.
//
// The permit is consumed whatever happens: it is completed by the first
// attempt, or released (counted as a request made now) when the call fails
// before sending. A nil p behaves like BatchUpsert; a permit of another
// limiter or kind, or one already used, is refused with ErrInvalidRequest.
func (c *Client) BatchUpsertWithPermit(ctx context.Context, objectType string, inputs []BatchUpsertInput, p *Permit) (*BatchResult, error) {
	if p != nil {
		if !p.claimed.CompareAndSwap(false, true) {
			return nil, invalid("the rate-limit permit was already used")
		}
		if p.l != c.limiter || p.window != c.limiter.standard {
			p.Done(nil)
			return nil, invalid("the rate-limit permit is not a standard permit of this client's limiter")
		}
	}
	return c.batchWrite(ctx, objectType, opBatchUpsert, inputs, true, p)
}

func (c *Client) batchWrite(ctx context.Context, objectType string, op operation, inputs []BatchUpdateInput, upsert bool, permit *Permit) (*BatchResult, error) {
	if permit != nil {
		defer permit.Done(nil) // releases it if we return before sending; no-op after
	}
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(inputs)); err != nil {
		return nil, err
	}
	traces := newTraceIDs()
	body := struct {
		Inputs []BatchUpdateInput `json:"inputs"`
	}{Inputs: make([]BatchUpdateInput, len(inputs))}
	keys := make([]inputKey, len(inputs))
	idProperty := ""
	for i, in := range inputs {
		if in.ID == "" {
			return nil, invalid("input %d has no id", i)
		}
		if upsert && in.IDProperty == "" {
			return nil, invalid("upsert input %d needs an idProperty", i)
		}
		if upsert && in.IDProperty == "hs_object_id" {
			// HubSpot refuses the record id as an upsert key ("non-unique property"): an
			// upsert must be able to create the record its key names.
			return nil, invalid("upsert input %d: idProperty hs_object_id is refused by HubSpot; upsert by a property with unique values (email for contacts), or use BatchUpdate", i)
		}
		if in.Properties == nil {
			in.Properties = map[string]string{}
		}
		in.ObjectWriteTraceID = traces.orNew(in.ObjectWriteTraceID, i)
		body.Inputs[i] = in
		keys[i] = inputKey{traceID: in.ObjectWriteTraceID}
		if in.IDProperty == "" || in.IDProperty == "hs_object_id" {
			keys[i].id = in.ID
		} else {
			keys[i].idValue = in.ID
			idProperty = in.IDProperty
		}
	}
	return c.sendBatchWithPermit(ctx, op, objectType, body, keys, idProperty, permit)
}

// BatchArchive archives up to MaxBatchInputs records (204). Idempotent.
func (c *Client) BatchArchive(ctx context.Context, objectType string, ids []string) error {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return err
	}
	if err := checkBatchSize(len(ids)); err != nil {
		return err
	}
	type archiveInput struct {
		ID string `json:"id"`
	}
	inputs := make([]archiveInput, len(ids))
	for i, id := range ids {
		inputs[i] = archiveInput{ID: id}
	}
	r := c.request(opBatchArchive, objectType)
	r.body = map[string]any{"inputs": inputs}
	_, err := c.send(ctx, r, nil)
	return err
}

func (c *Client) sendBatch(ctx context.Context, op operation, objectType string, body any, keys []inputKey, idProperty string) (*BatchResult, error) {
	return c.sendBatchWithPermit(ctx, op, objectType, body, keys, idProperty, nil)
}

func (c *Client) sendBatchWithPermit(ctx context.Context, op operation, objectType string, body any, keys []inputKey, idProperty string, permit *Permit) (*BatchResult, error) {
	r := c.request(op, objectType)
	r.body, r.permit = body, permit
	var resp batchResponse
	_, attempts, err := c.sendCounted(ctx, r, &resp)
	if err != nil {
		return nil, err
	}
	res := newBatchMatcher(keys, idProperty).apply(resp, r.endpoint.String(), c.token.scrub)
	res.Attempts = attempts
	return res, nil
}

// traceIDs makes objectWriteTraceIds unique per call, so results of two
// concurrent batches can never be confused.
type traceIDs struct{ prefix string }

func newTraceIDs() traceIDs {
	return traceIDs{prefix: strconv.FormatUint(rand.Uint64(), 36)} //nolint:gosec // a trace label, not a secret
}

func (t traceIDs) orNew(given string, index int) string {
	if given != "" {
		return given
	}
	return fmt.Sprintf("cf-%s-%d", t.prefix, index)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
