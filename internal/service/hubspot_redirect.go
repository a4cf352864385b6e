package service

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// redirectedError is FAILED_PRECONDITION: retrying cannot help until the operator fixes the
// server's HubSpot base URL. Nothing was sent to the redirect's target.
func redirectedError(err error) error {
	md := map[string]string{}
	location := "(no location)"
	if re, ok := errors.AsType[*hubspot.RedirectError](err); ok {
		md["status"] = fmt.Sprint(re.StatusCode)
		if re.Location != "" {
			location = re.Location
			md["location"] = re.Location
		}
	}
	return rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonHubSpotRedirected,
		fmt.Sprintf("HubSpot answered with a redirect to %s, which is not followed (nothing was sent there): the server's HubSpot base URL (--hubspot-base-url) is probably wrong; ask its operator to set it to the address the redirect names if that is HubSpot's API", location),
		md)
}
