package rpcerr

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/connectflo/integrations/internal/truncate"
)

// details splits an error into its ErrorInfo and BadRequest.
func details(t *testing.T, err error) (*status.Status, *errdetails.ErrorInfo, *errdetails.BadRequest) {
	t.Helper()
	st := status.Convert(err)
	var info *errdetails.ErrorInfo
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			br = d
		}
	}
	if info == nil || br == nil {
		t.Fatalf("error %v lacks ErrorInfo or BadRequest", err)
	}
	return st, info, br
}

func violations(n int, field func(int) string) []Violation {
	vs := make([]Violation, n)
	for i := range vs {
		vs[i] = Violation{Field: field(i), Description: "is unknown"}
	}
	return vs
}

func TestInvalidArgumentListsABoundedNumber(t *testing.T) {
	name := func(i int) string { return fmt.Sprintf("properties.p%d", i) }
	cases := []struct {
		name        string
		violations  []Violation
		wantListed  int
		wantMessage string
		wantMeta    map[string]string
	}{
		{"one", violations(1, name), 1, "properties.p0: is unknown", map[string]string{"field": "properties.p0"}},
		{"exactly the maximum", violations(MaxViolations, name), MaxViolations, "", map[string]string{"field": "properties.p0"}},
		{"one more than the maximum", violations(MaxViolations+1, name), MaxViolations,
			"; and 1 more violations (11 in all; the first 10 are listed: fix them and send again to see the rest)",
			map[string]string{"field": "properties.p0", "violations": "11", "violations_omitted": "1"}},
		{"two thousand", violations(2000, name), MaxViolations,
			"; and 1990 more violations (2000 in all; the first 10 are listed: fix them and send again to see the rest)",
			map[string]string{"field": "properties.p0", "violations": "2000", "violations_omitted": "1990"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, info, br := details(t, InvalidArgument(tc.violations...))
			if st.Code() != codes.InvalidArgument || info.GetReason() != ReasonInvalidArgument {
				t.Errorf("status %v %s; want INVALID_ARGUMENT", st.Code(), info.GetReason())
			}
			if got := len(br.GetFieldViolations()); got != tc.wantListed {
				t.Errorf("%d violations listed; want %d", got, tc.wantListed)
			}
			for i, v := range br.GetFieldViolations() {
				if v.GetField() != name(i) {
					t.Errorf("violation %d is on %s; want the first ones in order", i, v.GetField())
				}
			}
			if !strings.HasSuffix(st.Message(), tc.wantMessage) || strings.Count(st.Message(), "is unknown") != tc.wantListed {
				t.Errorf("message %q; want %d violations and ending %q", st.Message(), tc.wantListed, tc.wantMessage)
			}
			if diff := cmpMeta(tc.wantMeta, info.GetMetadata()); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func cmpMeta(want, got map[string]string) string {
	if len(want) != len(got) {
		return fmt.Sprintf("metadata %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Sprintf("metadata %v; want %v", got, want)
		}
	}
	return ""
}

// However long a field path or description a caller provoked, the answer quotes a bounded
// piece of it.
func TestInvalidArgumentCutsLongViolations(t *testing.T) {
	long := strings.Repeat("é", 4<<10) // two bytes each: the cut must fall between runes
	st, info, br := details(t, Invalid("SOME_REASON", "lead", map[string]string{"k": "v"}, Violation{Field: "properties." + long, Description: "bad: " + long}))
	want := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{
		Field: truncate.Text("properties."+long, maxFieldPath), Description: truncate.Text("bad: "+long, maxDescription)}}}
	if !proto.Equal(want, br) {
		t.Errorf("BadRequest = %v; want %v", br, want)
	}
	f := br.GetFieldViolations()[0]
	if len(f.GetField()) > maxFieldPath || len(f.GetDescription()) > maxDescription || !strings.HasSuffix(f.GetField(), "é…") {
		t.Errorf("violation not cut on a rune boundary to its bound: %d / %d bytes", len(f.GetField()), len(f.GetDescription()))
	}
	if len(st.Message()) > maxFieldPath+maxDescription+len("lead: : ") || !strings.HasPrefix(st.Message(), "lead: properties.") {
		t.Errorf("message of %d bytes: %.80q", len(st.Message()), st.Message())
	}
	if info.GetReason() != "SOME_REASON" || info.GetMetadata()["k"] != "v" || info.GetMetadata()["field"] != f.GetField() {
		t.Errorf("ErrorInfo %v", info)
	}
}
