package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// integrationService is the service every RPC of the end-to-end table belongs to.
var integrationService = integrationsv1.File_connectflo_integrations_v1_service_proto.Services().ByName("IntegrationService")

// rpcAnswer is what one call answered, in the terms both transports share: the response, or
// the error's code, ErrorInfo reason and the fields of its BadRequest violations.
type rpcAnswer struct {
	Response proto.Message // nil on error
	Code     codes.Code
	Reason   string
	Fields   []string
}

// rpcTransport sends a request of the method md with the API key key, and returns the
// response, or the error taken apart as client.ErrorDetails does.
type rpcTransport struct {
	name string
	call func(t *testing.T, ts *testServer, key string, md protoreflect.MethodDescriptor, req proto.Message) (proto.Message, *client.Error)
}

// rpcTransports are gRPC (the generated stub on the typed client's connection) and REST (the
// gateway route of the method's google.api.http rule), held to the same expectations. Both
// record the reasons of their errors in wireReasons (the client's interceptor and ts.do).
var rpcTransports = []rpcTransport{{"grpc", callGRPC}, {"rest", callREST}}

// callGRPC invokes the method on the typed client's connection: API key, deadline and the
// interceptor that records error reasons.
func callGRPC(t *testing.T, ts *testServer, key string, md protoreflect.MethodDescriptor, req proto.Message) (proto.Message, *client.Error) {
	t.Helper()
	resp := newResponse(t, md)
	if md.IsStreamingServer() { // the answer is the first message
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := openStream(ctx, ts.client(t, key).Conn(), md, req, resp, true); err != nil {
			return nil, client.ErrorDetails(err)
		}
		return resp, nil
	}
	if err := ts.client(t, key).Conn().Invoke(context.Background(), fullMethod(md), req, resp); err != nil {
		return nil, client.ErrorDetails(err)
	}
	return resp, nil
}

// callREST sends the request where the method's HTTP rule routes it (path variables from the
// request's fields, the rest as the JSON body or the query), decodes a success with protojson
// and an error as client.ErrorDetails does a gRPC status. The HTTP status must be the one the
// gateway maps the error's code to, and the JSON error's code the same code.
func callREST(t *testing.T, ts *testServer, key string, md protoreflect.MethodDescriptor, req proto.Message) (proto.Message, *client.Error) {
	t.Helper()
	method, path, body, ok := restRequest(md, req)
	if !ok {
		t.Fatalf("JSON cannot express the request %v", req)
	}
	if md.IsStreamingServer() { // newline-delimited JSON: the answer is the first line
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		code, lines, raw := ts.watchREST(ctx, t, path, key)
		if code == 200 {
			return nextChangeREST(t, lines), nil
		}
		// A refused watch answers one line {"error": Status}.
		var line struct {
			Error map[string]any `json:"error"`
		}
		if err := json.Unmarshal([]byte(raw), &line); err != nil || line.Error == nil {
			t.Fatalf("GET %s answered %d with a body that is not {\"error\": …}: %q", path, code, raw)
		}
		r := httpResult{code: code, raw: raw, body: line.Error}
		wireReasons.record(reasonOf(r.body), method+" "+path)
		return nil, restError(t, r)
	}
	r := ts.do(t, method, path, key, body)
	if r.code == 200 {
		resp := newResponse(t, md)
		if err := protojson.Unmarshal([]byte(r.raw), resp); err != nil {
			t.Fatalf("%s %s: the answer is not a %s: %v\n%s", method, path, md.Output().FullName(), err, r.raw)
		}
		return resp, nil
	}
	e := restError(t, r)
	if want := runtime.HTTPStatusFromCode(e.Code); r.code != want {
		t.Errorf("%s %s: HTTP %d for code %v, want HTTP %d", method, path, r.code, e.Code, want)
	}
	return nil, e
}

// answerOf is what a transport's call answered, as the table states it.
func answerOf(resp proto.Message, e *client.Error) rpcAnswer {
	if e == nil {
		return rpcAnswer{Response: resp}
	}
	a := rpcAnswer{Code: e.Code, Reason: e.Reason}
	for _, v := range e.FieldViolations {
		a.Fields = append(a.Fields, v.Field)
	}
	return a
}

// method is the RPC of IntegrationService named rpc.
func method(t *testing.T, rpc string) protoreflect.MethodDescriptor {
	t.Helper()
	md := integrationService.Methods().ByName(protoreflect.Name(rpc))
	if md == nil {
		t.Fatalf("IntegrationService has no RPC %s", rpc)
	}
	return md
}

// fullMethod is the gRPC method name of md, "/package.Service/Method".
func fullMethod(md protoreflect.MethodDescriptor) string {
	return "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
}

// newResponse is an empty response message of md.
func newResponse(t *testing.T, md protoreflect.MethodDescriptor) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	return mt.New().Interface()
}
