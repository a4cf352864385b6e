package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/upsert"
)

// normalizeEmail is fields.NormalizeEmail, its problem reported on the request field.
func normalizeEmail(field, raw string) (string, *rpcerr.Violation) {
	email, err := fields.NormalizeEmail(raw)
	var ve *fields.ValueError
	if errors.As(err, &ve) {
		return "", &rpcerr.Violation{Field: field, Description: ve.Message}
	}
	return email, nil
}

// contactProps validates a contact's properties against the contacts schema; an email among
// them is checked by upsert.CheckContact, the contact rule, and left out. The caller checked
// their count (checkPropertyCount); budget is the request's.
func contactProps(schema *fields.Schema, prefix, email string, in map[string]*structpb.Value, budget *fields.SuggestionBudget) (map[string]string, []rpcerr.Violation) {
	out := make(map[string]string, len(in))
	var vs []rpcerr.Violation
	for _, name := range sortedKeys(in) {
		v := in[name]
		if name == "email" {
			s, _ := v.AsInterface().(string) // anything else differs from the email
			var ce *upsert.ContactError
			if errors.As(upsert.CheckContact(email, map[string]string{name: s}), &ce) {
				vs = append(vs, rpcerr.Violation{Field: prefix + "email", Description: ce.Message})
			}
			continue
		}
		s, err := schema.Normalize(name, v.AsInterface(), budget)
		if err != nil {
			var ve *fields.ValueError
			if errors.As(err, &ve) {
				vs = append(vs, rpcerr.Violation{Field: prefix + ve.Field, Description: ve.Message})
				continue
			}
			vs = append(vs, rpcerr.Violation{Field: prefix + name, Description: err.Error()})
			continue
		}
		out[name] = s
	}
	return out, vs
}

// UpsertContact creates or updates a contact by email, coalesced with concurrent calls.
func (s *Service) UpsertContact(ctx context.Context, req *integrationsv1.UpsertContactRequest) (*integrationsv1.UpsertContactResponse, error) {
	name, err := resname.ParseConnection("connection", req.GetConnection())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	email, v := normalizeEmail("email", req.GetEmail())
	if v != nil {
		return nil, rpcerr.InvalidArgument(*v)
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		return nil, rpcerr.InvalidArgument(*v)
	}
	if err := checkPropertyCount("properties", len(req.GetProperties())); err != nil {
		return nil, err
	}
	c, err := s.openCRM(ctx, name, "contacts")
	if err != nil {
		return nil, err
	}
	props, vs := contactProps(c.schema, "properties.", email, req.GetProperties(), fields.NewSuggestionBudget())
	if len(vs) > 0 {
		return nil, rpcerr.InvalidArgument(vs...)
	}
	b, err := c.handle.Batcher(ctx)
	if err != nil {
		return nil, s.upsertError(ctx, err, name.String(), c.schema)
	}
	res, err := b.Upsert(ctx, email, props)
	if err != nil && req.GetAllowLifecycleStageBackward() {
		// Each upsert returns before the next is queued, so the clear reaches HubSpot first.
		res, err = clearThenSet(ctx, err, func(ctx context.Context, p map[string]string) (upsert.Result, error) {
			return b.Upsert(ctx, email, p)
		}, props)
	}
	if err != nil {
		return nil, s.upsertError(ctx, err, name.String(), c.schema)
	}
	s.ownWrites(ctx, c.handle, "contacts", res)
	return upsertResponse(name, res), nil
}

func upsertResponse(name resname.Connection, r upsert.Result) *integrationsv1.UpsertContactResponse {
	rec := resname.Record{ObjectCollection: resname.ObjectCollection{Connection: name, ObjectType: "contacts"}, ID: r.ID}
	return &integrationsv1.UpsertContactResponse{Contact: rec.String(), ContactId: r.ID, Created: r.Created}
}

// BatchUpsertContacts upserts up to 1,000 contacts, each with its own result.
func (s *Service) BatchUpsertContacts(ctx context.Context, req *integrationsv1.BatchUpsertContactsRequest) (*integrationsv1.BatchUpsertContactsResponse, error) {
	name, err := resname.ParseConnection("connection", req.GetConnection())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	if n := len(req.GetContacts()); n == 0 || n > upsert.MaxBulk {
		return nil, rpcerr.InvalidArgument(rpcerr.Violation{Field: "contacts", Description: fmt.Sprintf("has %d contacts; send 1 to %d per call", n, upsert.MaxBulk)})
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		return nil, rpcerr.InvalidArgument(*v)
	}
	var tooMany []error
	for i, in := range req.GetContacts() {
		if err := records.CheckPropertyCount(fmt.Sprintf("contacts[%d].properties", i), len(in.GetProperties())); err != nil {
			tooMany = append(tooMany, err)
		}
	}
	if len(tooMany) > 0 {
		return nil, violationsOf("", tooMany)
	}
	c, err := s.openCRM(ctx, name, "contacts")
	if err != nil {
		return nil, err
	}
	budget := fields.NewSuggestionBudget() // one for the whole batch
	resp := &integrationsv1.BatchUpsertContactsResponse{Results: make([]*integrationsv1.ContactUpsertResult, len(req.GetContacts()))}
	var valid []upsert.Contact
	var positions []int
	for i, in := range req.GetContacts() {
		prefix := fmt.Sprintf("contacts[%d].", i)
		email, v := normalizeEmail(prefix+"email", in.GetEmail())
		resp.Results[i] = &integrationsv1.ContactUpsertResult{Email: email}
		if v != nil {
			resp.Results[i].Error = status.Convert(rpcerr.InvalidArgument(*v)).Proto()
			continue
		}
		props, vs := contactProps(c.schema, prefix+"properties.", email, in.GetProperties(), budget)
		if len(vs) > 0 {
			resp.Results[i].Error = status.Convert(rpcerr.InvalidArgument(vs...)).Proto()
			continue
		}
		valid = append(valid, upsert.Contact{Email: email, Properties: props})
		positions = append(positions, i)
	}
	if len(valid) == 0 {
		return resp, nil
	}
	b, err := c.handle.Batcher(ctx)
	if err != nil {
		return nil, s.upsertError(ctx, err, name.String(), c.schema)
	}
	items, err := b.UpsertMany(ctx, valid)
	if err != nil {
		return nil, s.upsertError(ctx, err, name.String(), c.schema)
	}
	var written []upsert.Result
	for _, it := range items {
		if it.Err == nil {
			written = append(written, it.Result)
		}
	}
	s.ownWrites(ctx, c.handle, "contacts", written...)
	for k, it := range items {
		out := resp.Results[positions[k]]
		if it.Err != nil {
			out.Error = status.Convert(s.upsertError(ctx, it.Err, name.String(), c.schema)).Proto()
			continue
		}
		r := upsertResponse(name, it.Result)
		out.Contact, out.ContactId, out.Created = r.Contact, r.ContactId, r.Created
	}
	return resp, nil
}

// upsertError maps what a batcher returns for one contact.
func (s *Service) upsertError(ctx context.Context, err error, connection string, schema *fields.Schema) error {
	if st := upsertStatus(err, connection, schema); st != nil {
		return st
	}
	return s.failFor(ctx, err, connection)
}

// upsertStatus maps the batcher's own errors and HubSpot's verdict on a contact's values
// (labelled from schema, which may be nil); nil for errors the general mapping handles.
func upsertStatus(err error, connection string, schema *fields.Schema) error {
	var apiErr *hubspot.APIError
	switch {
	case errors.Is(err, upsert.ErrOutcomeUnknown):
		return rpcerr.New(codes.DeadlineExceeded, rpcerr.ReasonUpsertOutcomeUnknown,
			"the deadline passed while the upsert was on its way to HubSpot: it may or may not have been applied; retry it (upserts by email are safe to repeat)", nil)
	case errors.Is(err, upsert.ErrQueueFull):
		return rpcerr.New(codes.ResourceExhausted, rpcerr.ReasonUpsertQueueFull,
			"too many upserts are waiting for HubSpot's rate limit on this connection; retry after the delay", map[string]string{"connection": connection}, rpcerr.RetryInfo(time.Second))
	case errors.Is(err, upsert.ErrClosed):
		return shuttingDown()
	}
	if refusal := ruleRefusal(err, schema, "contact"); refusal != nil {
		return refusal
	}
	if errors.Is(err, hubspot.ErrValidation) && errors.As(err, &apiErr) && len(apiErr.Violations) > 0 {
		return refusedValues(apiErr, schema, "contact")
	}
	return nil
}

// shuttingDown answers calls that arrive while the server drains.
func shuttingDown() error {
	return rpcerr.New(codes.Unavailable, rpcerr.ReasonShuttingDown, "the server is shutting down; retry in a moment (the call is safe to retry with the same request_id)", nil)
}
