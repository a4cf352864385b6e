package main

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// usageCases are the table's cases of GetUsage. The figures of a new connection depend on
// what Connect and the background polling have sent so far: TestUsageSurvivesARestart checks
// them; here, the name and that HubSpot answered no 429.
var usageCases = []rpcCase{
	{
		rpc: "GetUsage", name: "a new connection, without 429s", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetUsageRequest{Name: client.UsageName(e.conn.GetName())}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Usage{Name: client.UsageName(e.conn.GetName())}
		},
		ignore: []cmp.Option{protocmp.IgnoreFields(&integrationsv1.Usage{}, "read_time", "standard_window", "search_window", "daily", "requests_24h", "hours")},
	},
	{
		rpc: "GetUsage", name: "a connection that does not exist", setup: connected, wantErr: rpcError(codes.NotFound, "NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetUsageRequest{Name: "workspaces/acme/connections/ghost/usage"}
		},
	},
	{
		rpc: "GetUsage", name: "a connection id that cannot be one", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "name"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetUsageRequest{Name: "workspaces/acme/connections/Prod_1/usage"}
		},
	},
}
