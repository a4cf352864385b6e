package service

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// workspaceLimitError maps a full workspace to RESOURCE_EXHAUSTED with a QuotaFailure (no
// RetryInfo: waiting does not help, deleting a connection does) and a token connected twice
// to ALREADY_EXISTS naming the connection that holds it. It returns nil for other errors.
func workspaceLimitError(err error) error {
	if limit, ok := errors.AsType[*connections.LimitError](err); ok {
		msg := fmt.Sprintf("the workspace already has %d connections, the most allowed: delete one it no longer uses (DeleteConnection), or ask the service's operator to raise --max-connections-per-workspace", limit.Limit)
		return rpcerr.New(codes.ResourceExhausted, rpcerr.ReasonConnectionLimit, msg,
			map[string]string{"limit": fmt.Sprint(limit.Limit)},
			&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{
				Subject: "connections per workspace", Description: msg}}})
	}
	if inUse, ok := errors.AsType[*connections.TokenInUseError](err); ok {
		return rpcerr.New(codes.AlreadyExists, rpcerr.ReasonTokenInUse,
			fmt.Sprintf("this HubSpot access token is already connected in the workspace as %q (%s): use that connection, rename it, or rotate its token with UpdateCredentials; to connect the same HubSpot account twice, create a second private app in HubSpot and use its token",
				inUse.DisplayName, inUse.Connection),
			map[string]string{"existing_connection": inUse.Connection})
	}
	return nil
}
