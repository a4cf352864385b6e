package service

import (
	"context"
	"fmt"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/discovery"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
)

// objectTypeIDs are HubSpot's type ids, accepted as aliases of the object type names.
var objectTypeIDs = map[string]string{"0-1": "contacts", "0-2": "companies", "0-3": "deals"}

// parseObjectType accepts "contacts", "companies", "deals" (any case, or the singular) and
// HubSpot's ids "0-1", "0-2", "0-3".
func parseObjectType(field, s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if id, ok := objectTypeIDs[v]; ok {
		return id, nil
	}
	for _, ot := range discovery.ObjectTypes {
		if v == ot || v+"s" == ot || v == strings.TrimSuffix(ot, "ies")+"y" {
			return ot, nil
		}
	}
	return "", &resname.FieldError{Field: field, Description: fmt.Sprintf("%q is not an object type: use contacts, companies or deals", s)}
}

// DiscoverFields returns the fields of the connected account, from the cache unless refresh.
func (s *Service) DiscoverFields(ctx context.Context, req *integrationsv1.DiscoverFieldsRequest) (*integrationsv1.DiscoverFieldsResponse, error) {
	name, err := resname.ParseConnection("connection", req.GetConnection())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for i, ot := range req.GetObjectTypes() {
		parsed, err := parseObjectType(fmt.Sprintf("object_types[%d]", i), ot)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		wanted[parsed] = true
	}
	h, err := s.handles.Get(ctx, name)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	var filter []string
	for _, ot := range discovery.ObjectTypes {
		if len(wanted) == 0 || wanted[ot] {
			filter = append(filter, ot)
		}
	}
	// The built response is kept with the connection, per filter, for its schema version: a
	// cached read then costs what a bare gRPC call returning the same message costs. It is
	// never changed once built, so concurrent calls share it.
	answerKey := "DiscoverFields|" + strings.Join(filter, ",")
	if !req.GetRefresh() {
		if v, ok := h.Recall(answerKey); ok {
			if resp, ok := v.(*integrationsv1.DiscoverFieldsResponse); ok {
				return resp, nil
			}
		}
	}
	var schemas map[string]store.FieldSchema
	if req.GetRefresh() {
		schemas, err = h.RefreshSchemas(ctx)
	} else {
		schemas, err = h.StoredSchemas(ctx)
	}
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	owners, err := h.Owners(ctx)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	resp := &integrationsv1.DiscoverFieldsResponse{Owners: ownersProto(owners.Owners), OwnersError: ownersErrorProto(owners)}
	for _, ot := range filter {
		resp.Schemas = append(resp.Schemas, objectSchemaProto(ot, schemas[ot]))
	}
	if !req.GetRefresh() {
		// A decoded message takes more memory than its wire size (string and slice headers,
		// message structs); counting it twice keeps the byte budget honest.
		h.Remember(answerKey, resp, 2*int64(proto.Size(resp)))
	}
	return resp, nil
}

// objectSchemaProto is the API view of one cached object type.
func objectSchemaProto(objectType string, fs store.FieldSchema) *integrationsv1.ObjectSchema {
	out := &integrationsv1.ObjectSchema{ObjectType: objectType, SchemaVersion: fs.Version}
	if !fs.DiscoveredAt.IsZero() {
		out.DiscoveredAt = timestamppb.New(fs.DiscoveredAt)
	}
	for i := range fs.Fields {
		out.Fields = append(out.Fields, fieldProto(&fs.Fields[i]))
	}
	for _, g := range fs.Groups {
		out.Groups = append(out.Groups, &integrationsv1.PropertyGroup{Name: g.Name, Label: g.Label, DisplayOrder: int32(g.DisplayOrder)})
	}
	for i := range fs.Pipelines {
		out.Pipelines = append(out.Pipelines, pipelineProto(&fs.Pipelines[i]))
	}
	if fs.ErrorReason != "" {
		out.Error = discoveryErrorProto(fs.ErrorReason, fs.ErrorMessage, fs.ErrorScopes, map[string]string{"object_type": objectType})
	}
	return out
}

// discoveryErrorProto is the status recorded for a part of the discovery that failed:
// FAILED_PRECONDITION for a missing scope (named in the metadata), UNAVAILABLE otherwise.
func discoveryErrorProto(reason, message string, scopes []string, md map[string]string) *spb.Status {
	code := codes.Unavailable
	if reason == discovery.ReasonMissingScopes {
		code = codes.FailedPrecondition
	}
	if len(scopes) > 0 {
		md["missing_scopes"] = strings.Join(scopes, " ")
	}
	return status.Convert(rpcerr.New(code, reason, message, md)).Proto()
}

func pipelineProto(p *fields.Pipeline) *integrationsv1.Pipeline {
	out := &integrationsv1.Pipeline{Id: p.ID, Label: p.Label, DisplayOrder: int32(p.DisplayOrder), Archived: p.Archived}
	for _, st := range p.Stages {
		out.Stages = append(out.Stages, &integrationsv1.PipelineStage{Id: st.ID, Label: st.Label, DisplayOrder: int32(st.DisplayOrder),
			Probability: st.Probability, Closed: st.Closed, Won: st.Won()})
	}
	return out
}

func ownersProto(owners []fields.Owner) []*integrationsv1.Owner {
	out := make([]*integrationsv1.Owner, 0, len(owners))
	for _, o := range owners {
		po := &integrationsv1.Owner{Id: o.ID, Email: o.Email, FirstName: o.FirstName, LastName: o.LastName, Archived: o.Archived}
		for _, t := range o.Teams {
			po.Teams = append(po.Teams, &integrationsv1.OwnerTeam{Id: t.ID, Name: t.Name, Primary: t.Primary})
		}
		out = append(out, po)
	}
	return out
}

// ownersErrorProto says why the owners are missing, if they are: the last discovery could not
// read them, or the fields were discovered before owners were part of a discovery.
func ownersErrorProto(l store.OwnerList) *spb.Status {
	switch {
	case l.ErrorReason != "":
		return discoveryErrorProto(l.ErrorReason, l.ErrorMessage, l.ErrorScopes, map[string]string{})
	case l.DiscoveredAt.IsZero():
		return status.Convert(rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonFieldsNotDiscovered,
			"the owners are not discovered yet: run DiscoverFields with refresh", nil)).Proto()
	}
	return nil
}

var kindProtos = map[fields.Kind]integrationsv1.FieldKind{
	fields.KindString: integrationsv1.FieldKind_FIELD_KIND_STRING, fields.KindText: integrationsv1.FieldKind_FIELD_KIND_TEXT,
	fields.KindNumber: integrationsv1.FieldKind_FIELD_KIND_NUMBER, fields.KindDate: integrationsv1.FieldKind_FIELD_KIND_DATE,
	fields.KindDateTime: integrationsv1.FieldKind_FIELD_KIND_DATETIME, fields.KindBool: integrationsv1.FieldKind_FIELD_KIND_BOOL,
	fields.KindSingleChoice: integrationsv1.FieldKind_FIELD_KIND_SINGLE_CHOICE, fields.KindMultipleChoice: integrationsv1.FieldKind_FIELD_KIND_MULTIPLE_CHOICE,
	fields.KindPhone: integrationsv1.FieldKind_FIELD_KIND_PHONE, fields.KindFile: integrationsv1.FieldKind_FIELD_KIND_FILE,
	fields.KindHTML: integrationsv1.FieldKind_FIELD_KIND_HTML,
}

func fieldProto(f *fields.Field) *integrationsv1.Field {
	out := &integrationsv1.Field{Name: f.Name, Label: f.Label, Description: f.Description, GroupName: f.GroupName,
		HubspotType: f.HubSpotType, HubspotFieldType: f.HubSpotFieldType, Kind: kindProtos[f.Kind],
		Custom: f.Custom, ReadOnly: f.ReadOnly, Calculated: f.Calculated, Hidden: f.Hidden, Unique: f.Unique,
		DisplayOrder: int32(f.DisplayOrder), ReferencedObjectType: f.ReferencedObjectType}
	for _, o := range f.Options {
		out.Options = append(out.Options, &integrationsv1.FieldOption{Label: o.Label, Value: o.Value,
			DisplayOrder: int32(o.DisplayOrder), Hidden: o.Hidden, Description: o.Description, Pipeline: o.Pipeline})
	}
	return out
}
