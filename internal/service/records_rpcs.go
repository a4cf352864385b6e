package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/grpc/codes"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/upsert"
)

// Page sizes (the search limits are records.MaxSearchPageSize and its neighbours).
const (
	defaultSearchPageSize = 10
	defaultAssocPageSize  = 100
	maxAssocPageSize      = 500
)

// GetRecord reads one record by id or unique property, its values typed by the schema.
func (s *Service) GetRecord(ctx context.Context, req *integrationsv1.GetRecordRequest) (*integrationsv1.Record, error) {
	r, err := resname.ParseRecord("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, r.Connection.Workspace); err != nil {
		return nil, err
	}
	if err := checkPropertyCount("properties", len(req.GetProperties())); err != nil {
		return nil, err
	}
	c, err := s.openCRM(ctx, r.Connection, r.ObjectType)
	if err != nil {
		return nil, err
	}
	props := req.GetProperties()
	if err := checkProperties(c.schema, props, fields.NewSuggestionBudget()); err != nil {
		return nil, err
	}
	if len(props) == 0 {
		props = records.DefaultProperties[r.ObjectType]
	}
	idProp, err := idProperty(c.schema, r, req.GetIdProperty())
	if err != nil {
		return nil, err
	}
	o, err := c.client.GetObject(ctx, r.ObjectType, r.ID, hubspot.GetObjectOptions{IDProperty: idProp, Properties: props})
	if err != nil {
		return nil, s.recordError(ctx, err, r)
	}
	return recordProto(r.Connection, r.ObjectType, c.schema, o, props), nil
}

// UpdateRecord changes some properties of a record; choice values by label or value.
func (s *Service) UpdateRecord(ctx context.Context, req *integrationsv1.UpdateRecordRequest) (*integrationsv1.Record, error) {
	r, err := resname.ParseRecord("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, r.Connection.Workspace); err != nil {
		return nil, err
	}
	if len(req.GetProperties()) == 0 {
		return nil, rpcerr.InvalidArgument(rpcerr.Violation{Field: "properties", Description: "is empty: give the properties to change, e.g. {\"dealstage\": \"Closed Won\"}"})
	}
	if err := checkPropertyCount("properties", len(req.GetProperties())); err != nil {
		return nil, err
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		return nil, rpcerr.InvalidArgument(*v)
	}
	c, err := s.openCRM(ctx, r.Connection, r.ObjectType)
	if err != nil {
		return nil, err
	}
	idProp, err := idProperty(c.schema, r, req.GetIdProperty())
	if err != nil {
		return nil, err
	}
	// A stage given by label is resolved within the record's pipeline: read it (one call)
	// only when the request does not set the pipeline.
	recordPipeline := func() (string, error) {
		pipelineField := fields.PipelineFields[r.ObjectType].Pipeline
		o, err := c.client.GetObject(ctx, r.ObjectType, r.ID, hubspot.GetObjectOptions{IDProperty: idProp, Properties: []string{pipelineField}})
		if err != nil {
			return "", s.recordError(ctx, err, r)
		}
		return o.Properties[pipelineField], nil
	}
	props, err := normalizeWrite(c.schema, "properties.", req.GetProperties(), recordPipeline)
	if err != nil {
		return nil, err
	}
	// An update sets absolute values, so a retry with the same request_id repeats it
	// harmlessly; nothing needs recording.
	update := func(ctx context.Context, p map[string]string) (*hubspot.Object, error) {
		return c.client.UpdateObject(ctx, r.ObjectType, r.ID, p, hubspot.UpdateObjectOptions{IDProperty: idProp})
	}
	o, err := update(ctx, props)
	if err != nil && req.GetAllowLifecycleStageBackward() {
		o, err = clearThenSet(ctx, err, update, props)
	}
	if err != nil {
		if refusal := ruleRefusal(err, c.schema, singularOf(r.ObjectType)); refusal != nil {
			return nil, refusal
		}
		return nil, s.recordError(ctx, err, r)
	}
	s.ownWrites(ctx, c.handle, r.ObjectType, upsert.Result{ID: o.ID.String(), UpdatedAt: o.UpdatedAt.Time})
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	return recordProto(r.Connection, r.ObjectType, c.schema, o, names), nil
}

// SearchRecords finds records with filters checked against the schema.
func (s *Service) SearchRecords(ctx context.Context, req *integrationsv1.SearchRecordsRequest) (*integrationsv1.SearchRecordsResponse, error) {
	parent, err := resname.ParseObjectCollection("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, parent.Connection.Workspace); err != nil {
		return nil, err
	}
	size, err := resname.PageSize(req.GetPageSize(), defaultSearchPageSize, records.MaxSearchPageSize)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if errs := records.CheckSearchShape(searchShape(req)); len(errs) > 0 {
		return nil, violationsOf("", errs)
	}
	fp := requestFingerprint("SearchRecords", req)
	tok, err := resname.DecodePageToken(req.GetPageToken(), fp)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if tok.After+int64(size) > records.MaxSearchResults {
		return nil, rpcerr.New(codes.OutOfRange, rpcerr.ReasonHubSpotSearchLimit,
			fmt.Sprintf("HubSpot serves at most %d results per search and this page would pass it: narrow the filters (for example split by createdate ranges, or sort by hs_object_id and filter hs_object_id > the last id seen) and search again", records.MaxSearchResults),
			map[string]string{"limit": strconv.Itoa(records.MaxSearchResults), "offset": strconv.FormatInt(tok.After, 10)})
	}
	c, err := s.openCRM(ctx, parent.Connection, parent.ObjectType)
	if err != nil {
		return nil, err
	}
	hreq := hubspot.SearchRequest{Query: req.GetQuery(), Properties: req.GetProperties(), Limit: size}
	if tok.After > 0 {
		hreq.After = strconv.FormatInt(tok.After, 10)
	}
	budget := fields.NewSuggestionBudget() // shared by the properties, the filters and the sort
	if err := checkProperties(c.schema, hreq.Properties, budget); err != nil {
		return nil, err
	}
	var vs []rpcerr.Violation
	for gi, g := range req.GetFilterGroups() {
		var hg hubspot.FilterGroup
		for fi, f := range g.GetFilters() {
			in := records.Filter{Field: f.GetField(), Operator: operatorName(f.GetOperator()), Value: valueOf(f.GetValue()), HighValue: valueOf(f.GetHighValue())}
			for _, v := range f.GetValues() {
				in.Values = append(in.Values, v.AsInterface())
			}
			hf, err := records.CheckFilter(c.schema, in, budget)
			var fe *records.FilterError
			if errors.As(err, &fe) {
				vs = append(vs, rpcerr.Violation{Field: fmt.Sprintf("filter_groups[%d].filters[%d].%s", gi, fi, fe.Part), Description: fe.Error()})
				continue
			} else if err != nil {
				return nil, s.fail(ctx, err)
			}
			hg.Filters = append(hg.Filters, hf)
		}
		hreq.FilterGroups = append(hreq.FilterGroups, hg)
	}
	for i, so := range req.GetSorts() {
		if _, err := c.schema.Lookup(so.GetField(), budget); err != nil {
			vs = append(vs, rpcerr.Violation{Field: fmt.Sprintf("sorts[%d].field", i), Description: err.Error()})
			continue
		}
		dir := "ASCENDING"
		if so.GetDescending() {
			dir = "DESCENDING"
		}
		hreq.Sorts = append(hreq.Sorts, hubspot.Sort{PropertyName: so.GetField(), Direction: dir})
	}
	if len(vs) > 0 {
		return nil, rpcerr.InvalidArgument(vs...)
	}
	res, err := c.client.Search(ctx, parent.ObjectType, hreq)
	if err != nil {
		return nil, s.recordError(ctx, err, resname.Record{ObjectCollection: parent})
	}
	props := hreq.Properties
	if len(props) == 0 {
		props = records.DefaultProperties[parent.ObjectType]
	}
	resp := &integrationsv1.SearchRecordsResponse{TotalSize: int64(res.Total)}
	for i := range res.Results {
		resp.Records = append(resp.Records, recordProto(parent.Connection, parent.ObjectType, c.schema, &res.Results[i], props))
	}
	if next := res.Paging.NextAfter(); next != "" {
		after, err := strconv.ParseInt(next, 10, 64)
		if err == nil && after < records.MaxSearchResults {
			resp.NextPageToken = resname.EncodePageToken(resname.PageToken{After: after, Fingerprint: fp})
		}
	}
	return resp, nil
}

// ListAssociations lists the records of one type associated with a record.
func (s *Service) ListAssociations(ctx context.Context, req *integrationsv1.ListAssociationsRequest) (*integrationsv1.ListAssociationsResponse, error) {
	r, err := resname.ParseRecord("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, r.Connection.Workspace); err != nil {
		return nil, err
	}
	to, err := parseObjectType("to_object_type", req.GetToObjectType())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	size, err := resname.PageSize(req.GetPageSize(), defaultAssocPageSize, maxAssocPageSize)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	fp := resname.Fingerprint("ListAssociations", r.String(), to)
	tok, err := resname.DecodeCursorToken(req.GetPageToken(), fp)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	c, err := s.openCRM(ctx, r.Connection, r.ObjectType)
	if err != nil {
		return nil, err
	}
	id := r.ID
	if idProp, err := idProperty(c.schema, r, ""); err != nil {
		return nil, err
	} else if idProp != "" {
		o, err := c.client.GetObject(ctx, r.ObjectType, r.ID, hubspot.GetObjectOptions{IDProperty: idProp, Properties: []string{"hs_object_id"}})
		if err != nil {
			return nil, s.recordError(ctx, err, r)
		}
		id = o.ID.String()
	}
	page, err := c.client.ListAssociations(ctx, r.ObjectType, id, to, hubspot.ListAssociationsOptions{After: tok, Limit: size})
	if err != nil {
		return nil, s.recordError(ctx, err, r)
	}
	resp := &integrationsv1.ListAssociationsResponse{}
	for _, a := range page.Results {
		target := resname.Record{ObjectCollection: resname.ObjectCollection{Connection: r.Connection, ObjectType: to}, ID: a.ToObjectID.String()}
		out := &integrationsv1.Association{Record: target.String(), RecordId: target.ID}
		for _, t := range a.AssociationTypes {
			out.TypeIds = append(out.TypeIds, int32(t.TypeID))
			if t.Label != nil && *t.Label != "" {
				out.Labels = append(out.Labels, *t.Label)
			}
		}
		resp.Associations = append(resp.Associations, out)
	}
	if next := page.Paging.NextAfter(); next != "" {
		resp.NextPageToken = resname.EncodeCursorToken(next, fp)
	}
	return resp, nil
}

// recordError maps a HubSpot error of a record call, naming the record when it is missing.
func (s *Service) recordError(ctx context.Context, err error, r resname.Record) error {
	if r.ID != "" && isHubSpotNotFound(err) {
		return rpcerr.New(codes.NotFound, reasonHubSpotNotFound, fmt.Sprintf("HubSpot has no %s record %q (it may have been deleted or merged)", r.ObjectType, r.ID),
			map[string]string{"object_type": r.ObjectType, "record": r.ID})
	}
	return s.failFor(ctx, err, r.Connection.String())
}
