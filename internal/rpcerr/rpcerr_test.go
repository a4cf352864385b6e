package rpcerr

import (
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// TestErrorsEchoingBadTextKeepTheirDetails: an error whose message, metadata or violations echo
// bytes that are not UTF-8 still carries its ErrorInfo and BadRequest, and can be sent.
func TestErrorsEchoingBadTextKeepTheirDetails(t *testing.T) {
	bad := "workspaces/\xff\xfe"
	for name, err := range map[string]error{
		"New":             New(codes.NotFound, ReasonNoSuchRoute, "no route for "+bad, map[string]string{"path": bad}),
		"InvalidArgument": InvalidArgument(Violation{Field: "name", Description: bad + " is not a name"}),
	} {
		st := status.Convert(err)
		var info *errdetails.ErrorInfo
		for _, d := range st.Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				info = i
			}
		}
		if info == nil || !IsReason(info.GetReason()) {
			t.Errorf("%s: details lost: %v", name, st.Details())
		}
		if _, err := proto.Marshal(st.Proto()); err != nil {
			t.Errorf("%s: the status cannot be sent: %v", name, err)
		}
	}
}

// TestReasonsAreDistinct: each reason is listed once.
func TestReasonsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons {
		if seen[r] {
			t.Errorf("reason %s listed twice", r)
		}
		seen[r] = true
	}
}
