package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// TestHostileInputToEveryRPC sends hostile values to every RPC of IntegrationService over
// both transports: each text field empty, blank, of megabytes, not UTF-8 (raw bytes over gRPC,
// lone surrogate escapes and %FF over REST), ".", ".." and "%2e%2e"; page sizes and tokens that
// make no sense; times out of range; bodies of the wrong JSON types; record ids that are dot
// segments. Whatever the answer, it is never INTERNAL or HTTP 5xx, an error always carries an
// ErrorInfo reason of rpcerr.Reasons, no ERROR line is logged, and the server still serves.
// The RPC list comes from the service descriptor: an RPC without hostile cases fails the test.
func TestHostileInputToEveryRPC(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	svc := integrationsv1.File_connectflo_integrations_v1_service_proto.Services().ByName("IntegrationService")
	bases := hostileBases(conn.GetName(), ts.token, seed)
	methods := svc.Methods()
	for i := 0; i < methods.Len(); i++ {
		md := methods.Get(i)
		rpc := string(md.Name())
		t.Run(rpc, func(t *testing.T) {
			baseJSON, ok := bases[rpc]
			if !ok {
				t.Fatalf("no hostile cases for %s: add a valid base request to hostileBases", rpc)
			}
			base := mustBase(rpc, baseJSON, newMessage(t, md.Input()))
			if err := invokeGRPC(ctx, c, md, hostileCase{msg: base}); status.Code(err) == codes.InvalidArgument {
				t.Fatalf("the base request of %s is itself invalid, so spoiling one field tests nothing: %v", rpc, err)
			}
			cases := append(spoilFields(base), extraHostileCases(rpc, md, base, baseJSON, conn.GetName(), seed)...)
			for _, hc := range cases {
				if hc.msg != nil {
					t.Run("gRPC/"+hc.name, func(t *testing.T) {
						hc.check(t, func() error { return invokeGRPC(ctx, c, md, hc) }, nil)
					})
				}
				method, path, body, ok := hc.method, hc.path, hc.body, hc.path != ""
				if !ok && hc.msg != nil {
					method, path, body, ok = restRequest(md, hc.msg)
				}
				if ok {
					t.Run("REST/"+hc.name, func(t *testing.T) {
						hc.check(t, nil, func() httpResult { return ts.do(t, method, path, ts.keys["acme"], body) })
					})
				}
			}
			method, basePath, body, _ := restRequest(md, base)
			if body == "" {
				return // no JSON body to get wrong
			}
			for _, wrong := range wrongJSONBodies(baseJSON) {
				t.Run("REST/"+wrong.name, func(t *testing.T) {
					hostileCase{}.check(t, nil, func() httpResult { return ts.do(t, method, basePath, ts.keys["acme"], wrong.body) })
				})
			}
		})
	}

	// The server still serves, over both transports.
	if _, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); err != nil {
		t.Fatalf("gRPC call after hostile input: %v", err)
	}
	if r := ts.do(t, "GET", "/v1/workspaces/acme/connections", ts.keys["acme"], ""); r.code != 200 {
		t.Fatalf("REST call after hostile input: %d %s", r.code, r.raw)
	}
	// Nothing was our fault, and the interceptors saw the requests that did not decode: the
	// page token that was not UTF-8 came once over gRPC and once in a REST query.
	undecodable := 0
	for _, l := range logLines(t, ts.logs.String()) {
		if l["level"] == "ERROR" {
			t.Errorf("ERROR logged for hostile input: %v", l)
		}
		if l["msg"] == "rpc" && l["code"] == "InvalidArgument" && strings.HasSuffix(fmt.Sprint(l["method"]), "/ListConnections") &&
			strings.Contains(fmt.Sprint(l["error"]), "page_token: is not valid UTF-8") {
			undecodable++
		}
	}
	if undecodable != 2 {
		t.Errorf("%d rpc log lines for ListConnections with a page token that was not UTF-8, want 2 (gRPC and REST): the interceptors did not see them", undecodable)
	}
	resp, err := http.Get("http://" + ts.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	const counted = `integrations_rpc_requests_total{code="InvalidArgument",method="/connectflo.integrations.v1.IntegrationService/GetConnection"}`
	if !strings.Contains(string(metrics), counted) {
		t.Errorf("/metrics lacks %s: requests that did not decode were not counted", counted)
	}
}

// check runs the call of one transport and asserts what every answer to hostile input obeys.
func (hc hostileCase) check(t *testing.T, grpcCall func() error, restCall func() httpResult) {
	t.Helper()
	var problem string
	if grpcCall != nil {
		err := grpcCall()
		code, reason := status.Code(err), ""
		if err != nil {
			reason = client.ErrorDetails(err).Reason
		}
		switch {
		case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss || code == codes.Unimplemented:
			problem = fmt.Sprintf("answered %v: %v", code, err)
		case err != nil && !rpcerr.IsReason(reason):
			problem = fmt.Sprintf("answered %v with reason %q, not one of rpcerr.Reasons: %v", code, reason, err)
		}
	} else {
		r := restCall()
		switch {
		case r.code >= 500:
			problem = fmt.Sprintf("answered HTTP %d: %.300s", r.code, r.raw)
		case r.code >= 400 && !rpcerr.IsReason(reasonOf(r.body)):
			problem = fmt.Sprintf("answered HTTP %d with reason %q, not one of rpcerr.Reasons: %.300s", r.code, reasonOf(r.body), r.raw)
		}
	}
	if problem != "" {
		t.Error(problem)
	}
}

// invokeGRPC sends the case through the typed client's connection (API key, timeouts), as
// wire bytes when the case has text that is not UTF-8 (the typed client refuses to encode it).
func invokeGRPC(ctx context.Context, c *client.Client, md protoreflect.MethodDescriptor, hc hostileCase) error {
	method := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	if wire := notUTF8Wire(hc.msg); wire != nil {
		return c.Conn().Invoke(ctx, method, &rawMessage{b: wire}, &rawMessage{}, grpc.ForceCodecV2(rawCodec{}))
	}
	out, _ := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if md.IsStreamingServer() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		return openStream(ctx, c.Conn(), md, hc.msg, out.New().Interface(), false)
	}
	return c.Conn().Invoke(ctx, method, hc.msg, out.New().Interface())
}

func newMessage(t *testing.T, md protoreflect.MessageDescriptor) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatal(err)
	}
	return mt.New().Interface()
}

// rawMessage and rawCodec send bytes as they are, which the typed client cannot (it refuses to
// encode text that is not UTF-8).
type rawMessage struct{ b []byte }

type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(*rawMessage).b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	v.(*rawMessage).b = data.Materialize()
	return nil
}
