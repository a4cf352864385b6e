package main

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// pathsWith lists the fields of m marked with behavior that are set, as request field paths
// ("timeline_event.kind", "contacts[0].email"), descending into set messages (the first element
// of a repeated one), so that each can be cleared in turn.
func pathsWith(behavior annotations.FieldBehavior, m protoreflect.Message, prefix string) []string {
	var out []string
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		behaviors, _ := proto.GetExtension(f.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
		if slices.Contains(behaviors, behavior) && m.Has(f) {
			out = append(out, prefix+string(f.Name()))
		}
		if f.Kind() != protoreflect.MessageKind || f.IsMap() || !m.Has(f) || strings.HasPrefix(string(f.Message().FullName()), "google.") {
			continue
		}
		if f.IsList() {
			out = append(out, pathsWith(behavior, m.Get(f).List().Get(0).Message(), fmt.Sprintf("%s%s[0].", prefix, f.Name()))...)
		} else {
			out = append(out, pathsWith(behavior, m.Get(f).Message(), prefix+string(f.Name())+".")...)
		}
	}
	return out
}

// clearPath clears the field at a path that pathsWith returned.
func clearPath(m protoreflect.Message, path string) {
	head, rest, nested := strings.Cut(path, ".")
	name, indexed := strings.CutSuffix(head, "[0]")
	f := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	switch {
	case !nested:
		m.Clear(f)
	case indexed:
		clearPath(m.Get(f).List().Get(0).Message(), rest)
	default:
		clearPath(m.Mutable(f).Message(), rest)
	}
}

// TestRequiredFieldsAreRequired holds the schema to the handlers: for every RPC, a request
// that is valid except for one field marked REQUIRED is refused with INVALID_ARGUMENT and a
// field violation naming that field (or a field inside it). So a field is annotated REQUIRED
// exactly where the server needs it, and the OpenAPI "required" lists tell the truth. Two
// answers are the contract's own: BatchUpsertContacts fails one contact in its result, not the
// call; a search filter's values (value, high_value, values) are OPTIONAL in the schema because
// its operator decides whether they are needed, so leaving one out may be refused, naming it.
func TestRequiredFieldsAreRequired(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	const conn = "workspaces/acme/connections/prod"
	const contact = conn + "/objects/contacts/records/1"
	str := structpb.NewStringValue

	valid := []proto.Message{
		&integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Another", AccessToken: ts.token},
		&integrationsv1.GetConnectionRequest{Name: conn},
		&integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme", PageSize: 10},
		&integrationsv1.UpdateCredentialsRequest{Name: conn, AccessToken: ts.token},
		&integrationsv1.DeleteConnectionRequest{Name: conn},
		&integrationsv1.TestConnectionRequest{Name: conn},
		&integrationsv1.DiscoverFieldsRequest{Connection: conn},
		&integrationsv1.UpsertContactRequest{Connection: conn, Email: "ada@example.com", RequestId: "u-1",
			Properties: map[string]*structpb.Value{"firstname": str("Ada")}},
		&integrationsv1.BatchUpsertContactsRequest{Connection: conn, Contacts: []*integrationsv1.ContactUpsert{{Email: "ada@example.com"}}},
		&integrationsv1.GetRecordRequest{Name: contact, Properties: []string{"email"}},
		&integrationsv1.SearchRecordsRequest{Parent: conn + "/objects/contacts",
			FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "email", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: str("ada@example.com")}}}},
			Sorts:        []*integrationsv1.Sort{{Field: "email"}}, Query: "ada", PageSize: 5},
		&integrationsv1.UpdateRecordRequest{Name: contact, Properties: map[string]*structpb.Value{"firstname": str("Ada")}},
		&integrationsv1.ListAssociationsRequest{Parent: contact, ToObjectType: "companies"},
		&integrationsv1.LogTimelineEventRequest{Parent: conn, TimelineEvent: &integrationsv1.TimelineEvent{
			Kind:      integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE,
			Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada@example.com"}},
			OccurTime: timestamppb.New(time.Now().Add(-time.Minute)), Body: "hello"}},
		&integrationsv1.GetTimelineEventRequest{Name: conn + "/timelineEvents/e1"},
		&integrationsv1.ListTimelineEventsRequest{Parent: conn, PageSize: 5},
		&integrationsv1.ValidateConditionRequest{Connection: conn, Expression: `contact.email == "a"`},
		&integrationsv1.EvaluateConditionRequest{Connection: conn, Expression: `now > timestamp("2000-01-01T00:00:00Z")`,
			Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: "1"}}},
		&integrationsv1.ListAuditEventsRequest{Parent: "workspaces/acme", PageSize: 5},
		&integrationsv1.WatchChangesRequest{Connection: conn, ObjectTypes: []string{"contacts"}},
		&integrationsv1.ListChangesRequest{Connection: conn, ObjectTypes: []string{"contacts"}, PageSize: 5},
		&integrationsv1.GetChangeSettingsRequest{Name: conn + "/changeSettings"},
		&integrationsv1.UpdateChangeSettingsRequest{ChangeSettings: &integrationsv1.ChangeSettings{Name: conn + "/changeSettings",
			WebhookClientSecret: "a-secret-of-the-app", PollInterval: durationpb.New(time.Minute)}},
		&integrationsv1.GetUsageRequest{Name: conn + "/usage"},
	}
	methods := integrationsv1.File_connectflo_integrations_v1_service_proto.Services().ByName("IntegrationService").Methods()
	if len(valid) != methods.Len() {
		t.Fatalf("%d valid requests for %d RPCs: give every RPC one", len(valid), methods.Len())
	}
	for i := range methods.Len() {
		m := methods.Get(i)
		base := valid[i]
		if base.ProtoReflect().Descriptor() != m.Input() {
			t.Fatalf("valid[%d] is a %s; want a %s for %s", i, base.ProtoReflect().Descriptor().FullName(), m.Input().FullName(), m.Name())
		}
		if len(pathsWith(annotations.FieldBehavior_REQUIRED, base.ProtoReflect(), "")) == 0 {
			t.Errorf("valid %s sets no REQUIRED field", m.Input().Name())
		}
		for _, path := range pathsWith(annotations.FieldBehavior_OPTIONAL, base.ProtoReflect(), "") {
			t.Run(string(m.Name())+"/optional "+path, func(t *testing.T) {
				req := proto.Clone(base)
				clearPath(req.ProtoReflect(), path)
				withoutRequestID(req)
				err := call(c, string(m.Name()), req)
				if err == nil {
					return
				}
				for _, v := range client.ErrorDetails(err).FieldViolations {
					if v.Field == path && !strings.Contains(path, ".filters[") {
						t.Errorf("without OPTIONAL %s: refused with %s: %s", path, v.Field, v.Description)
					}
				}
			})
		}
		for _, path := range pathsWith(annotations.FieldBehavior_REQUIRED, base.ProtoReflect(), "") {
			t.Run(string(m.Name())+"/"+path, func(t *testing.T) {
				req := proto.Clone(base)
				clearPath(req.ProtoReflect(), path)
				withoutRequestID(req)
				err := call(c, string(m.Name()), req)
				if status.Code(err) != codes.InvalidArgument {
					t.Fatalf("without %s: %v; want INVALID_ARGUMENT", path, err)
				}
				var fields []string
				for _, v := range client.ErrorDetails(err).FieldViolations {
					fields = append(fields, v.Field)
				}
				names := func(f string) bool { return f == path || strings.HasPrefix(f, path+".") }
				if !slices.ContainsFunc(fields, names) {
					t.Errorf("without %s: violations name %q; want %s", path, fields, path)
				}
			})
		}
	}
}

// call invokes the RPC of that name on the typed client. A batch upsert's first result's error
// stands for the call's.
func call(c *client.Client, method string, req proto.Message) error {
	if md := integrationService.Methods().ByName(protoreflect.Name(method)); md.IsStreamingServer() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		return openStream(ctx, c.Conn(), md, req, &integrationsv1.Change{}, false)
	}
	out := reflect.ValueOf(c).MethodByName(method).Call([]reflect.Value{reflect.ValueOf(context.Background()), reflect.ValueOf(req)})
	if err, _ := out[1].Interface().(error); err != nil {
		return err
	}
	if batch, ok := out[0].Interface().(*integrationsv1.BatchUpsertContactsResponse); ok && len(batch.GetResults()) > 0 {
		return status.ErrorProto(batch.GetResults()[0].GetError())
	}
	return nil
}

// withoutRequestID clears a request's request_id: a spoiled request is a different request,
// which the base's request_id would refuse as REQUEST_ID_REUSED before the handler saw it.
func withoutRequestID(m proto.Message) {
	if f := m.ProtoReflect().Descriptor().Fields().ByName("request_id"); f != nil {
		m.ProtoReflect().Clear(f)
	}
}
