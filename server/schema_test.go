package main

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// apiMessages are the messages of every file of the API, nested ones included.
func apiMessages() []protoreflect.MessageDescriptor {
	var out []protoreflect.MessageDescriptor
	var walk func(protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue
			}
			out = append(out, m)
			walk(m.Messages())
		}
	}
	svc := integrationsv1.File_connectflo_integrations_v1_service_proto
	imports := svc.Imports()
	for i := range imports.Len() {
		f := imports.Get(i)
		if strings.HasPrefix(string(f.Package()), "connectflo.") {
			walk(f.Messages())
		}
	}
	walk(svc.Messages())
	return out
}

// TestEveryFieldHasFieldBehavior keeps the schema, not only comments, saying for every field
// whether the caller must send it, may send it, or only reads it: the OpenAPI document and
// generated clients take it from there.
func TestEveryFieldHasFieldBehavior(t *testing.T) {
	t.Parallel()
	msgs := apiMessages()
	if len(msgs) < 40 {
		t.Fatalf("found %d messages in the API; the walk over its files is broken", len(msgs))
	}
	for _, m := range msgs {
		fields := m.Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			behaviors, _ := proto.GetExtension(f.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
			if len(behaviors) == 0 {
				t.Errorf("%s has no google.api.field_behavior (REQUIRED, OPTIONAL or OUTPUT_ONLY)", f.FullName())
			}
			if slices.Contains(behaviors, annotations.FieldBehavior_REQUIRED) && slices.Contains(behaviors, annotations.FieldBehavior_OUTPUT_ONLY) {
				t.Errorf("%s is both REQUIRED and OUTPUT_ONLY", f.FullName())
			}
		}
	}
}

// TestResourceNamesAreTypedInTheSchema checks that every string field holding a resource name
// of this API (a request's name, parent or connection, and the names in responses) names its
// resource type, and that every resource type referenced is defined with its pattern.
func TestResourceNamesAreTypedInTheSchema(t *testing.T) {
	t.Parallel()
	patterns := map[string][]string{}
	for _, m := range apiMessages() {
		if r, ok := proto.GetExtension(m.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor); ok && r != nil {
			patterns[r.GetType()] = r.GetPattern()
		}
	}
	files := []protoreflect.FileDescriptor{integrationsv1.File_connectflo_integrations_v1_connections_proto}
	for _, f := range files {
		for _, r := range proto.GetExtension(f.Options(), annotations.E_ResourceDefinition).([]*annotations.ResourceDescriptor) {
			patterns[r.GetType()] = r.GetPattern()
		}
	}
	want := map[string][]string{
		"integrations.connectflo.com/Workspace":     {"workspaces/{workspace}"},
		"integrations.connectflo.com/Connection":    {"workspaces/{workspace}/connections/{connection}"},
		"integrations.connectflo.com/Record":        {"workspaces/{workspace}/connections/{connection}/objects/{object_type}/records/{record}"},
		"integrations.connectflo.com/TimelineEvent": {"workspaces/{workspace}/connections/{connection}/timelineEvents/{timeline_event}"},
		"integrations.connectflo.com/AuditEvent":    {"workspaces/{workspace}/auditEvents/{audit_event}"},
	}
	for typ, p := range want {
		if !slices.Equal(patterns[typ], p) {
			t.Errorf("resource %s has patterns %q; want %q", typ, patterns[typ], p)
		}
	}

	nameFields := []string{"name", "parent", "connection", "contact", "record", "resource"}
	for _, m := range apiMessages() {
		fields := m.Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			if f.Kind() != protoreflect.StringKind || !slices.Contains(nameFields, string(f.Name())) {
				continue
			}
			if _, isResource := proto.GetExtension(m.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor); isResource && f.Name() == "name" {
				continue // a resource's own name is typed by the resource annotation
			}
			ref, _ := proto.GetExtension(f.Options(), annotations.E_ResourceReference).(*annotations.ResourceReference)
			typ := ref.GetType() + ref.GetChildType()
			switch {
			case typ == "":
				t.Errorf("%s holds a resource name but has no google.api.resource_reference", f.FullName())
			case typ != "*" && patterns[typ] == nil:
				t.Errorf("%s references %s, which no google.api.resource defines", f.FullName(), typ)
			}
		}
	}
}
