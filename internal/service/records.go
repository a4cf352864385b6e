package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// crm is what a record RPC needs of its connection: its handle, its HubSpot client and the
// schema of the object type.
type crm struct {
	handle *handles.Handle
	client *hubspot.Client
	schema *fields.Schema
}

// openCRM fetches the handle of a connection the caller was authorized on, and loads its
// client and the schema of one object type.
func (s *Service) openCRM(ctx context.Context, name resname.Connection, objectType string) (*crm, error) {
	h, err := s.handles.Get(ctx, name)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	client, err := h.Client(ctx)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	schemas, err := h.Schemas(ctx)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	schema, ok := schemas[objectType]
	if !ok || len(schema.Fields()) == 0 {
		return nil, rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonFieldsNotDiscovered,
			fmt.Sprintf("the %s fields of %s are not discovered (the token may lack the scope to read them): run DiscoverFields with refresh, and TestConnection to see which scope is missing", objectType, name),
			map[string]string{"object_type": objectType, "connection": name.String()})
	}
	return &crm{handle: h, client: client, schema: schema}, nil
}

// violationsOf turns field errors into INVALID_ARGUMENT field violations under prefix (limit
// errors carry their own path).
func violationsOf(prefix string, errs []error) error {
	var vs []rpcerr.Violation
	for _, err := range errs {
		var ve *fields.ValueError
		var le *records.LimitError
		switch {
		case errors.As(err, &le):
			vs = append(vs, rpcerr.Violation{Field: le.Path, Description: le.Message})
		case errors.As(err, &ve):
			vs = append(vs, rpcerr.Violation{Field: prefix + ve.Field, Description: ve.Message})
		default:
			vs = append(vs, rpcerr.Violation{Field: strings.TrimSuffix(prefix, "."), Description: err.Error()})
		}
	}
	return rpcerr.InvalidArgument(vs...)
}

// normalizeWrite validates every property of a write to a record against the schema
// (fields.Schema.NormalizeWrite: a stage is resolved or checked within the record's
// pipeline, which recordPipeline reads when needed); all problems are reported together,
// each naming its property. The count was checked before (checkPropertyCount). An error
// that is no violation is recordPipeline's, returned as is.
func normalizeWrite(schema *fields.Schema, prefix string, props map[string]*structpb.Value, recordPipeline func() (string, error)) (map[string]string, error) {
	raw := make(map[string]any, len(props))
	for name, v := range props {
		raw[name] = v.AsInterface()
	}
	out, err := schema.NormalizeWrite(raw, fields.NewSuggestionBudget(), recordPipeline)
	var errs fields.ValueErrors
	if errors.As(err, &errs) {
		return nil, violationsOf(prefix, errs)
	}
	return out, err
}

// checkPropertyCount refuses a request naming more than records.MaxProperties properties
// under path, before any of them is looked up.
func checkPropertyCount(path string, n int) error {
	if err := records.CheckPropertyCount(path, n); err != nil {
		return violationsOf("", []error{err})
	}
	return nil
}

// checkProperties validates a list of property names to read (counted before, with
// checkPropertyCount), drawing suggestions from the request's budget.
func checkProperties(schema *fields.Schema, names []string, budget *fields.SuggestionBudget) error {
	var errs []error
	for _, n := range names {
		if _, err := schema.Lookup(n, budget); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return violationsOf("properties.", errs)
	}
	return nil
}

// idProperty decides how a record segment addresses its record: explicitly, by email for a
// contact segment that looks like one, or by HubSpot id.
func idProperty(schema *fields.Schema, r resname.Record, given string) (string, error) {
	if given == "" {
		if r.ObjectType == "contacts" && strings.Contains(r.ID, "@") {
			return "email", nil
		}
		if !hubspot.ValidObjectID(r.ID) {
			return "", rpcerr.InvalidArgument(rpcerr.Violation{Field: "name",
				Description: fmt.Sprintf("record %q is not a HubSpot id; to address a record by a unique property set id_property (e.g. \"email\" for contacts)", r.ID)})
		}
		return "", nil
	}
	f, err := schema.Lookup(given, fields.NewSuggestionBudget())
	if err != nil {
		return "", violationsOf("id_property.", []error{err})
	}
	if !f.Unique && !(r.ObjectType == "contacts" && given == "email") {
		return "", rpcerr.InvalidArgument(rpcerr.Violation{Field: "id_property",
			Description: fmt.Sprintf("%s is not unique in HubSpot, so it cannot identify a record; use the record id, email (contacts), or a property with unique values", given)})
	}
	return given, nil
}

// sortedKeys orders a property map's names, so that the violations listed first (and the ones
// that get a suggestion) are the same on every retry of a request.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// recordProto is the API view of a HubSpot record with the given properties typed.
func recordProto(conn resname.Connection, objectType string, schema *fields.Schema, o *hubspot.Object, props []string) *integrationsv1.Record {
	id := o.ID.String()
	rec := &integrationsv1.Record{
		Name:       resname.Record{ObjectCollection: resname.ObjectCollection{Connection: conn, ObjectType: objectType}, ID: id}.String(),
		Id:         id,
		ObjectType: objectType,
		Properties: map[string]*integrationsv1.FieldValue{},
	}
	if !o.CreatedAt.IsZero() {
		rec.CreateTime = timestamppb.New(o.CreatedAt.Time)
	}
	if !o.UpdatedAt.IsZero() {
		rec.UpdateTime = timestamppb.New(o.UpdatedAt.Time)
	}
	if len(props) == 0 {
		for name := range o.Properties {
			props = append(props, name)
		}
	}
	for _, name := range props {
		raw, present := o.Properties[name]
		f, _ := schema.Field(name)
		rec.Properties[name] = fieldValueProto(records.Typed(f, raw, present))
	}
	return rec
}

func fieldValueProto(v records.Value) *integrationsv1.FieldValue {
	out := &integrationsv1.FieldValue{Raw: v.Raw}
	if !v.Set {
		return out
	}
	switch v.Kind {
	case fields.KindNumber:
		out.Value = &integrationsv1.FieldValue_NumberValue{NumberValue: v.Number}
	case fields.KindBool:
		out.Value = &integrationsv1.FieldValue_BoolValue{BoolValue: v.Bool}
	case fields.KindDate, fields.KindDateTime:
		out.Value = &integrationsv1.FieldValue_TimestampValue{TimestampValue: timestamppb.New(v.Time)}
	case fields.KindMultipleChoice:
		out.Value = &integrationsv1.FieldValue_StringListValue{StringListValue: &integrationsv1.StringList{Values: v.List}}
	default:
		out.Value = &integrationsv1.FieldValue_StringValue{StringValue: v.String}
	}
	return out
}
