package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The gateway's own errors get a status and a reason that say what happened; a message over
// a gRPC size limit is neither a rate limit (429) nor a malformed request.
func TestGatewayErrorHandlerStatuses(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantHTTP   int
		wantReason string
	}{
		{"answer over the gateway's limit", status.Error(codes.ResourceExhausted,
			"grpc: received message larger than max (228015708 vs. 67108864)"), http.StatusInternalServerError, "RESPONSE_TOO_LARGE"},
		{"request over the server's limit", status.Error(codes.ResourceExhausted,
			"grpc: received message larger than max (5000000 vs. 4194304)"), http.StatusBadRequest, "REQUEST_TOO_LARGE"},
		{"another exhaustion", status.Error(codes.ResourceExhausted, "grpc: too many streams"), http.StatusTooManyRequests, "RESOURCE_EXHAUSTED"},
		{"unreadable JSON", status.Error(codes.InvalidArgument, "unexpected token"), http.StatusBadRequest, "MALFORMED_REQUEST"},
		{"unknown route", status.Error(codes.NotFound, "Not Found"), http.StatusNotFound, "NO_SUCH_ROUTE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/v1/workspaces/acme/connections/p/timelineEvents", nil)
			gatewayErrorHandler(context.Background(), runtime.NewServeMux(), &runtime.JSONPb{}, w, r, tc.err)
			var body struct {
				Details []struct {
					Type   string `json:"@type"`
					Reason string `json:"reason"`
				} `json:"details"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.Details) == 0 {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if w.Code != tc.wantHTTP || body.Details[0].Reason != tc.wantReason {
				t.Errorf("HTTP %d %s; want %d %s (%s)", w.Code, body.Details[0].Reason, tc.wantHTTP, tc.wantReason, w.Body.String())
			}
		})
	}
}

// A path that ServeMux would redirect to its clean form is answered as no route instead:
// "/v1/.." must not lead an API caller to the settings page at "/".
func TestIsCleanPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/app.js", true},
		{"/v1/workspaces/acme/connections", true},
		{"/v1/workspaces/acme/connections/", true},
		{"/v1/workspaces/acme/connections/x:test", true},
		{"*", true},
		{"/v1/..", false},
		{"/v1/../", false},
		{"/v1/workspaces/acme/connections/..", false},
		{"/v1/./workspaces", false},
		{"//", false},
		{"/v1//workspaces", false},
	}
	for _, tc := range tests {
		if got := isCleanPath(tc.path); got != tc.want {
			t.Errorf("isCleanPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
