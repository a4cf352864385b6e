package main

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// extraHostileCases are the cases of one RPC beyond spoiling one field: record ids that are
// dot segments, search filters past HubSpot's limits, a request over the size limit, raw bytes
// that are not UTF-8 in a JSON body, enums out of range, times out of range in JSON.
func extraHostileCases(rpc string, md protoreflect.MethodDescriptor, base proto.Message, baseJSON, conn string, seed sandbox.SeedSummary) []hostileCase {
	var out []hostileCase
	restAt := func(name, body string) hostileCase {
		method, path, _, _ := restRequest(md, base)
		return hostileCase{name: name, method: method, path: path, body: body}
	}
	key := ""
	switch rpc {
	case "GetRecord", "UpdateRecord":
		key = "name"
	case "ListAssociations":
		key = "parent"
	}
	if key != "" {
		method, _, body, _ := restRequest(md, base)
		suffix := map[string]string{"ListAssociations": "/associations/companies"}[rpc]
		for _, id := range []string{".", "..", "%2e%2e", "%2E%2e", "..%2f..", "%252e%252e"} {
			spoilt := proto.Clone(base)
			r := spoilt.ProtoReflect()
			r.Set(r.Descriptor().Fields().ByName(protoreflect.Name(key)), protoreflect.ValueOfString(conn+"/objects/contacts/records/"+id))
			out = append(out, hostileCase{name: "record id " + id, msg: spoilt})
			out = append(out, hostileCase{name: "record id in the URL " + id, method: method,
				path: "/v1/" + conn + "/objects/contacts/records/" + id + suffix, body: body})
		}
	}
	switch rpc {
	case "SearchRecords":
		filter := &integrationsv1.Filter{Field: "email", Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue("a@b.example")}
		group := func(n int) *integrationsv1.FilterGroup {
			g := &integrationsv1.FilterGroup{}
			for range n {
				g.Filters = append(g.Filters, proto.Clone(filter).(*integrationsv1.Filter))
			}
			return g
		}
		spoil := func(name string, f func(*integrationsv1.SearchRecordsRequest)) hostileCase {
			m := proto.Clone(base).(*integrationsv1.SearchRecordsRequest)
			f(m)
			return hostileCase{name: name, msg: m}
		}
		out = append(out,
			spoil("7 filters in one group", func(m *integrationsv1.SearchRecordsRequest) { m.FilterGroups = []*integrationsv1.FilterGroup{group(7)} }),
			spoil("6 filter groups", func(m *integrationsv1.SearchRecordsRequest) {
				m.FilterGroups = []*integrationsv1.FilterGroup{group(1), group(1), group(1), group(1), group(1), group(1)}
			}),
			spoil("19 filters in all", func(m *integrationsv1.SearchRecordsRequest) {
				m.FilterGroups = []*integrationsv1.FilterGroup{group(4), group(4), group(4), group(4), group(3)}
			}),
			spoil("1,000 unknown properties", func(m *integrationsv1.SearchRecordsRequest) {
				for i := range 1000 {
					m.Properties = append(m.Properties, fmt.Sprintf("no_such_property_%d_%s", i, strings.Repeat("y", 200)))
				}
			}),
			spoil("filter without operator", func(m *integrationsv1.SearchRecordsRequest) { m.FilterGroups[0].Filters[0].Operator = 0 }),
			spoil("operator out of range", func(m *integrationsv1.SearchRecordsRequest) { m.FilterGroups[0].Filters[0].Operator = 999 }),
		)
	case "UpsertContact":
		m := proto.Clone(base).(*integrationsv1.UpsertContactRequest)
		m.Email = strings.Repeat("x", 5<<20)
		out = append(out, hostileCase{name: "over the request size limit", msg: m})
		many := proto.Clone(base).(*integrationsv1.UpsertContactRequest)
		for i := range 2000 {
			many.Properties[fmt.Sprintf("unknown_%d_%s", i, strings.Repeat("z", 250))] = structpb.NewStringValue("v")
		}
		out = append(out, hostileCase{name: "2,000 unknown properties", msg: many})
	case "LogTimelineEvent":
		m := proto.Clone(base).(*integrationsv1.LogTimelineEventRequest)
		m.TimelineEvent.Metadata["big"] = strings.Repeat("m", 3<<20)
		out = append(out, hostileCase{name: "metadata value of 3 MB", msg: m})
		k := proto.Clone(base).(*integrationsv1.LogTimelineEventRequest)
		k.TimelineEvent.Kind = 999
		out = append(out, hostileCase{name: "kind out of range", msg: k})
	case "ListTimelineEvents":
		m := proto.Clone(base).(*integrationsv1.ListTimelineEventsRequest)
		m.Status = 999
		out = append(out, hostileCase{name: "status out of range", msg: m})
		method, path, _, _ := restRequest(md, base)
		out = append(out, hostileCase{name: "status that is no enum value", method: method, path: path + "&status=BOGUS"})
	}
	if method, path, body, _ := restRequest(md, base); body != "" {
		i := strings.Index(baseJSON, `":"`) + len(`":"`) // into the first text value
		out = append(out, hostileCase{name: "raw bytes that are not UTF-8 in the JSON body", method: method, path: path,
			body: baseJSON[:i] + "\xff\xfe" + baseJSON[i:]})
		for _, h := range hostileTimes {
			for _, field := range []string{"now", "occurTime"} {
				if spoilt := strings.Replace(baseJSON, `"`+field+`":"2026-03-01T12:00:00Z"`, `"`+field+`":`+h.json, 1); spoilt != baseJSON {
					out = append(out, restAt(field+" "+h.name+" in JSON", spoilt))
				}
			}
		}
	}
	for i := range out {
		if out[i].method == "" && out[i].path != "" {
			out[i].method = "GET"
		}
	}
	return out
}
