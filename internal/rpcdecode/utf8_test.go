package rpcdecode

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// mark is replaced in encoded messages by bytes that are not UTF-8 (same length, so lengths
// in the encoding stay right).
const mark = "\x01MARK\x01"

var notUTF8 = []byte("\xffMARK\xfe")

func corrupt(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(mark)) {
		t.Fatal("the message does not contain the mark")
	}
	return bytes.ReplaceAll(b, []byte(mark), notUTF8)
}

// TestCodecNamesTheFieldThatIsNotUTF8: the codec decodes a request with text that is not UTF-8
// into a target without failing, and keeps an INVALID_ARGUMENT naming the field, in nested
// messages, lists and maps alike; the rest of the message is decoded for the interceptors.
func TestCodecNamesTheFieldThatIsNotUTF8(t *testing.T) {
	t.Parallel()
	conn := "workspaces/acme/connections/prod"
	cases := []struct {
		name  string
		msg   proto.Message
		field string
	}{
		{"top-level string", &integrationsv1.UpsertContactRequest{Connection: conn, Email: mark}, "email"},
		{"resource name", &integrationsv1.GetConnectionRequest{Name: "workspaces/acme/connections/" + mark}, "name"},
		{"string in a list element", &integrationsv1.BatchUpsertContactsRequest{Connection: conn,
			Contacts: []*integrationsv1.ContactUpsert{{Email: "a@example.com"}, {Email: mark}}}, "contacts[1].email"},
		{"map value", &integrationsv1.LogTimelineEventRequest{Parent: conn,
			TimelineEvent: &integrationsv1.TimelineEvent{Metadata: map[string]string{"topic": mark}}}, "timeline_event.metadata.topic"},
		{"map key", &integrationsv1.LogTimelineEventRequest{Parent: conn,
			TimelineEvent: &integrationsv1.TimelineEvent{Metadata: map[string]string{mark: "x"}}}, "timeline_event.metadata"},
		{"string inside a map's message value", &integrationsv1.UpsertContactRequest{Connection: conn,
			Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue(mark)}}, "properties.firstname.string_value"},
	}
	codec := NewCodec(1 << 20)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			into := tc.msg.ProtoReflect().Type().New().Interface()
			tg := &target{msg: into}
			if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(corrupt(t, tc.msg))}, tg); err != nil {
				t.Fatalf("Unmarshal into a target failed: %v (grpc-go would answer INTERNAL)", err)
			}
			if got := violationField(tg.err); got != tc.field {
				t.Errorf("kept error %v naming %q, want INVALID_ARGUMENT naming %q", tg.err, got, tc.field)
			}
			if proto.Equal(into, tc.msg.ProtoReflect().Type().New().Interface()) {
				t.Error("nothing was decoded; interceptors need the resource names")
			}
			if got := InvalidUTF8Field(tc.msg); got != "" {
				t.Errorf("InvalidUTF8Field of the valid original = %q", got)
			}
			// The same message built in memory with the bad bytes (as the REST gateway does).
			inMemory := tc.msg.ProtoReflect().Type().New().Interface()
			if err := (proto.UnmarshalOptions{}).Unmarshal(bytes.ReplaceAll(mustMarshal(t, tc.msg), []byte(mark), []byte("\x01KRAM\x01")), inMemory); err != nil {
				t.Fatal(err)
			}
			if got := InvalidUTF8Field(replaceStrings(inMemory, string(notUTF8))); got != tc.field {
				t.Errorf("InvalidUTF8Field = %q, want %q", got, tc.field)
			}
			// The gateway's codec sends it as it is, and the server's codec names the same field.
			sent, err := NewGatewayCodec().Marshal(inMemory)
			if err != nil {
				t.Fatalf("the gateway codec refused to encode the message: %v (grpc-go would answer INTERNAL)", err)
			}
			again := &target{msg: tc.msg.ProtoReflect().Type().New().Interface()}
			if err := codec.Unmarshal(sent, again); err != nil || violationField(again.err) != tc.field {
				t.Errorf("through the gateway: %v, kept %v; want INVALID_ARGUMENT naming %q", err, again.err, tc.field)
			}
			want := tc.msg.ProtoReflect().Type().New().Interface()
			proto.Unmarshal(bytes.ReplaceAll(mustMarshal(t, tc.msg), []byte(mark), []byte("\x01KRAM\x01")), want)
			if !proto.Equal(again.msg, replaceStrings(want, strings.ToValidUTF8(string(notUTF8), "\uFFFD"))) {
				t.Errorf("through the gateway the message changed: got %v", again.msg)
			}
		})
	}
}

// TestCodecRefusesMalformedBytesAsTheCallersError: bytes that are no protobuf at all are a
// malformed request, not an internal error; decodings outside WrapService fail as before.
func TestCodecRefusesMalformedBytesAsTheCallersError(t *testing.T) {
	t.Parallel()
	codec := NewCodec(1 << 20)
	garbage := mem.BufferSlice{mem.SliceBuffer([]byte{0x0a, 0xff, 0xff, 0xff})}
	tg := &target{msg: &integrationsv1.GetConnectionRequest{}}
	if err := codec.Unmarshal(garbage, tg); err != nil {
		t.Fatalf("Unmarshal into a target failed: %v", err)
	}
	st := status.Convert(tg.err)
	if st.Code() != codes.InvalidArgument || reasonOf(tg.err) != rpcerr.ReasonMalformedRequest {
		t.Errorf("kept %v, want INVALID_ARGUMENT %s", tg.err, rpcerr.ReasonMalformedRequest)
	}
	if err := codec.Unmarshal(garbage, &integrationsv1.GetConnectionRequest{}); err == nil {
		t.Error("outside a target the codec must fail like grpc-go's")
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceStrings puts the bad bytes in place of the stand-in in every string of m, through
// reflection (proto.Marshal would refuse such a message).
func replaceStrings(m proto.Message, with string) proto.Message {
	var walk func(protoreflect.Message)
	fix := func(s string) string { return strings.ReplaceAll(s, "\x01KRAM\x01", with) }
	walk = func(r protoreflect.Message) {
		r.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsMap():
				mp := v.Map()
				type kv struct {
					k protoreflect.MapKey
					v protoreflect.Value
				}
				var all []kv
				mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool { all = append(all, kv{k, mv}); return true })
				for _, e := range all {
					mp.Clear(e.k)
					k := e.k
					if fd.MapKey().Kind() == protoreflect.StringKind {
						k = protoreflect.ValueOfString(fix(e.k.String())).MapKey()
					}
					mv := e.v
					if fd.MapValue().Kind() == protoreflect.StringKind {
						mv = protoreflect.ValueOfString(fix(mv.String()))
					} else if fd.MapValue().Message() != nil {
						walk(mv.Message())
					}
					mp.Set(k, mv)
				}
			case fd.IsList():
				for i := 0; i < v.List().Len(); i++ {
					if fd.Message() != nil {
						walk(v.List().Get(i).Message())
					}
				}
			case fd.Kind() == protoreflect.StringKind:
				r.Set(fd, protoreflect.ValueOfString(fix(v.String())))
			case fd.Message() != nil:
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
	return m
}

func violationField(err error) string {
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
			return br.GetFieldViolations()[0].GetField()
		}
	}
	return ""
}

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// TestCodecRefusesOversizedRequestsWithAReason: a request over the codec's limit is the
// caller's RESOURCE_EXHAUSTED with REQUEST_TOO_LARGE and the sizes, not grpc-go's bare status.
func TestCodecRefusesOversizedRequestsWithAReason(t *testing.T) {
	t.Parallel()
	codec := NewCodec(1024)
	big := mustMarshal(t, &integrationsv1.GetConnectionRequest{Name: strings.Repeat("n", 2000)})
	tg := &target{msg: &integrationsv1.GetConnectionRequest{}}
	if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(big)}, tg); err != nil {
		t.Fatalf("Unmarshal into a target failed: %v", err)
	}
	if st := status.Convert(tg.err); st.Code() != codes.ResourceExhausted || reasonOf(tg.err) != rpcerr.ReasonRequestTooLarge || !strings.Contains(st.Message(), "1024") {
		t.Errorf("kept %v, want RESOURCE_EXHAUSTED %s naming the limit", tg.err, rpcerr.ReasonRequestTooLarge)
	}
	if RecvLimit(1024) <= 1024 {
		t.Error("grpc-go's limit must be above the codec's, or the codec never sees an oversized request")
	}
}
