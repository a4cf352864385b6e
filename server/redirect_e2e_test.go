package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestHubSpotRedirectIsNeverFollowed: when HubSpot's address answers a write with a redirect,
// UpdateRecord fails FAILED_PRECONDITION HUBSPOT_REDIRECTED naming the location, over gRPC and
// REST, and nothing reaches the redirect's target: not the token, not the write turned into a
// GET that once made UpdateRecord report a success.
func TestHubSpotRedirectIsNeverFollowed(t *testing.T) {
	t.Parallel()
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","properties":{}}`))
	}))
	defer target.Close()
	var redirecting atomic.Bool
	ts := startServerWith(t, serverOptions{hubspot: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if redirecting.Load() && r.Method == http.MethodPatch {
				http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	seed, err := ts.sb.SeedSampleData(ts.acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	record := client.RecordName(conn.GetName(), "contacts", seed.Contacts[0])
	redirecting.Store(true)

	const reason = "HUBSPOT_REDIRECTED"
	t.Run("grpc", func(t *testing.T) {
		_, err := c.UpdateRecord(context.Background(), &integrationsv1.UpdateRecordRequest{Name: record,
			Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue("Ada")}})
		e := client.ErrorDetails(err)
		if e == nil || e.Code != codes.FailedPrecondition || e.Reason != reason {
			t.Fatalf("error = %+v; want FAILED_PRECONDITION %s", e, reason)
		}
		if !strings.HasPrefix(e.Metadata["location"], target.URL) || !strings.Contains(e.Message, "--hubspot-base-url") {
			t.Errorf("metadata %v, message %q: want the location and what to do", e.Metadata, e.Message)
		}
	})
	t.Run("rest", func(t *testing.T) {
		r := ts.do(t, "PATCH", "/v1/"+record, ts.keys["acme"], `{"properties":{"firstname":"Ada"}}`)
		if r.code != http.StatusBadRequest || reasonOf(r.body) != reason {
			t.Fatalf("HTTP %d %s; want 400 %s", r.code, r.raw, reason)
		}
	})
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect's target received %d requests; want none", n)
	}
	if strings.Contains(ts.logs.String(), ts.token) {
		t.Error("the token is in the server's log")
	}
}
