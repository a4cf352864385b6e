package main

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/internal/sandbox"
)

// hostileCase is one hostile request, sent over one transport.
type hostileCase struct {
	name string
	// gRPC: the request; text in it equal to utf8Mark is sent as bytes that are not UTF-8.
	msg proto.Message
	// REST: a request built from msg by the method's HTTP rule, or given whole.
	method, path, body string
}

// hostileBases are valid requests of every RPC (protojson), which cases spoil one field at a
// time so that the field, not a neighbour, is what the server must refuse. Deleting targets a
// connection that does not exist, so that the seeded one survives every case.
func hostileBases(conn, token string, seed sandbox.SeedSummary) map[string]string {
	rec := conn + "/objects/contacts/records/" + seed.Contacts[0]
	return map[string]string{
		"Connect":             fmt.Sprintf(`{"parent":"workspaces/acme","displayName":"Hostile","accessToken":%q,"connectionId":"hostile","requestId":"r-1"}`, token),
		"GetConnection":       fmt.Sprintf(`{"name":%q}`, conn),
		"ListConnections":     `{"parent":"workspaces/acme","pageSize":10}`,
		"UpdateCredentials":   fmt.Sprintf(`{"name":%q,"accessToken":%q,"requestId":"r-2"}`, conn, token),
		"DeleteConnection":    `{"name":"workspaces/acme/connections/ghost","requestId":"r-3"}`,
		"TestConnection":      fmt.Sprintf(`{"name":%q}`, conn),
		"DiscoverFields":      fmt.Sprintf(`{"connection":%q,"objectTypes":["contacts"]}`, conn),
		"UpsertContact":       fmt.Sprintf(`{"connection":%q,"email":"hostile@example.com","properties":{"firstname":"Ada"},"requestId":"r-4"}`, conn),
		"BatchUpsertContacts": fmt.Sprintf(`{"connection":%q,"contacts":[{"email":"hostile2@example.com","properties":{"firstname":"Ada"}}],"requestId":"r-5"}`, conn),
		"GetRecord":           fmt.Sprintf(`{"name":%q,"properties":["email"]}`, rec),
		"SearchRecords": fmt.Sprintf(`{"parent":%q,"filterGroups":[{"filters":[{"field":"email","operator":"FILTER_OPERATOR_EQ","value":"a@b.example"}]}],"query":"ada","properties":["email"],"pageSize":10}`,
			conn+"/objects/contacts"),
		"UpdateRecord":     fmt.Sprintf(`{"name":%q,"properties":{"firstname":"Ada"},"requestId":"r-6"}`, rec),
		"ListAssociations": fmt.Sprintf(`{"parent":%q,"toObjectType":"companies","pageSize":10}`, rec),
		"LogTimelineEvent": fmt.Sprintf(`{"parent":%q,"timelineEvent":{"kind":"TIMELINE_EVENT_KIND_NOTE","contact":{"id":%q},"occurTime":"2026-03-01T12:00:00Z","title":"Chat","body":"hello","metadata":{"topic":"pricing"}},"requestId":"r-7"}`,
			conn, seed.Contacts[0]),
		"GetTimelineEvent":     fmt.Sprintf(`{"name":%q}`, conn+"/timelineEvents/none"),
		"ListTimelineEvents":   fmt.Sprintf(`{"parent":%q,"pageSize":10}`, conn),
		"ValidateCondition":    fmt.Sprintf(`{"connection":%q,"expression":"contact.lifecyclestage == \"customer\""}`, conn),
		"ListAuditEvents":      fmt.Sprintf(`{"parent":"workspaces/acme","pageSize":10,"action":"AUDIT_ACTION_CONNECT","resource":%q}`, conn),
		"WatchChanges":         fmt.Sprintf(`{"connection":%q,"objectTypes":["contacts"]}`, conn),
		"ListChanges":          fmt.Sprintf(`{"connection":%q,"objectTypes":["contacts"],"pageSize":10}`, conn),
		"GetChangeSettings":    fmt.Sprintf(`{"name":%q}`, conn+"/changeSettings"),
		"GetUsage":             fmt.Sprintf(`{"name":%q}`, conn+"/usage"),
		"UpdateChangeSettings": fmt.Sprintf(`{"changeSettings":{"name":%q,"webhookClientSecret":"a-secret-of-the-app","pollInterval":"60s"},"updateMask":"webhookClientSecret,pollInterval","requestId":"r-8"}`, conn+"/changeSettings"),
		"EvaluateCondition": fmt.Sprintf(`{"connection":%q,"expression":"contact.lifecyclestage == \"customer\"","contact":{"email":"ada.lovelace0@acme.example"},"now":"2026-03-01T12:00:00Z"}`,
			conn),
	}
}

// hugeText is a value of megabytes, under the 4 MB request limit.
var hugeText = strings.Repeat("x", 1<<20+17)

// utf8Mark stands in for text that is not UTF-8 while a request is built; it is replaced by
// notUTF8 in the encoded bytes (the same length, so that protobuf lengths stay right).
const utf8Mark = "\x01BAD\x01"

var notUTF8 = "\xffBAD\xfe"

// hostileStrings are the values every text field of every request is given.
var hostileStrings = []struct{ name, value string }{
	{"empty", ""}, {"blank", "   \t "}, {"huge", hugeText}, {"not UTF-8", utf8Mark},
	{"dot", "."}, {"dot-dot", ".."}, {"escaped dot-dot", "%2e%2e"}, {"NUL and newline", "a\x00b\nc"},
}

// hostileInts are the values every page size is given.
var hostileInts = []int64{-1, 0, 1<<31 - 1}

// hostileTimes are timestamps outside what any time field means.
var hostileTimes = []struct {
	name string
	ts   *timestamppb.Timestamp
	json string // the REST form; "" when JSON cannot say it (then the JSON is itself invalid)
}{
	{"year 1", timestamppb.New(mustTime("0001-01-01T00:00:00Z")), `"0001-01-01T00:00:00Z"`},
	{"year 9999", timestamppb.New(mustTime("9999-12-31T23:59:59Z")), `"9999-12-31T23:59:59Z"`},
	{"beyond the timestamp range", &timestamppb.Timestamp{Seconds: 1 << 62}, `"10000-01-01T00:00:00Z"`},
	{"negative nanos", &timestamppb.Timestamp{Seconds: 1, Nanos: -1}, `"yesterday"`},
}

// spoilFields returns the requests made by giving one field of base a hostile value: every
// text field (top level, in lists, in the timeline event and the contact reference), every
// page size, every time.
func spoilFields(base proto.Message) []hostileCase {
	var out []hostileCase
	var walk func(m protoreflect.Message, prefix string, set func(func(protoreflect.Message)) proto.Message)
	walk = func(m protoreflect.Message, prefix string, set func(func(protoreflect.Message)) proto.Message) {
		fields := m.Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			path := prefix + string(fd.Name())
			switch {
			case fd.Kind() == protoreflect.StringKind && !fd.IsMap():
				for _, h := range hostileStrings {
					v := h.value
					out = append(out, hostileCase{name: path + " " + h.name, msg: set(func(r protoreflect.Message) {
						if fd.IsList() {
							l := r.Mutable(fd).List()
							l.Truncate(0)
							l.Append(protoreflect.ValueOfString(v))
							return
						}
						r.Set(fd, protoreflect.ValueOfString(v))
					})})
				}
				if fd.Name() == "page_token" {
					for _, tok := range []string{"not-a-token", "eyJhIjoxfQ", "////"} {
						out = append(out, hostileCase{name: path + " " + tok, msg: set(func(r protoreflect.Message) { r.Set(fd, protoreflect.ValueOfString(tok)) })})
					}
				}
			case fd.Kind() == protoreflect.Int32Kind && !fd.IsList():
				for _, n := range hostileInts {
					out = append(out, hostileCase{name: fmt.Sprintf("%s %d", path, n), msg: set(func(r protoreflect.Message) { r.Set(fd, protoreflect.ValueOfInt32(int32(n))) })})
				}
			case fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Timestamp":
				for _, h := range hostileTimes {
					c := hostileCase{name: path + " " + h.name, msg: set(func(r protoreflect.Message) { r.Set(fd, protoreflect.ValueOfMessage(proto.Clone(h.ts).ProtoReflect())) })}
					out = append(out, c)
				}
			case fd.Message() != nil && !fd.IsList() && !fd.IsMap() && (fd.Name() == "timeline_event" || fd.Name() == "contact"):
				walk(m.Get(fd).Message(), path+".", func(f func(protoreflect.Message)) proto.Message {
					return set(func(r protoreflect.Message) { f(r.Mutable(fd).Message()) })
				})
			}
		}
	}
	walk(base.ProtoReflect(), "", func(f func(protoreflect.Message)) proto.Message {
		m := proto.Clone(base)
		f(m.ProtoReflect())
		return m
	})
	return out
}

// notUTF8Wire encodes m with the stand-in replaced by bytes that are not UTF-8 (nil when m
// has no stand-in).
func notUTF8Wire(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil || !strings.Contains(string(b), utf8Mark) {
		return nil
	}
	return []byte(strings.ReplaceAll(string(b), utf8Mark, notUTF8))
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustBase(rpc, js string, into proto.Message) proto.Message {
	if err := protojson.Unmarshal([]byte(js), into); err != nil {
		panic(fmt.Sprintf("hostile base of %s: %v", rpc, err))
	}
	return into
}
