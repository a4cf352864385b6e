package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// A Professional account (the test server's) with one or two API limit increases: Connect
// still records PROFESSIONAL, and TestConnection's rate limit says 250 per 10 s, the tier's
// 625,000 a day plus 1,000,000 per increase, and how many increases. Over gRPC and REST.
func TestTierAndIncreasesUnderAnAPILimitIncrease(t *testing.T) {
	t.Parallel()
	md := method(t, "TestConnection")
	for _, increases := range []int{1, 2} {
		for _, tr := range rpcTransports {
			t.Run(fmt.Sprintf("%d/%s", increases, tr.name), func(t *testing.T) {
				t.Parallel()
				ts := startServer(t)
				ts.sb.SetLimits(sandbox.Limits{LimitIncreases: increases})
				conn, err := ts.client(t, ts.keys["acme"]).Connect(context.Background(), &integrationsv1.ConnectRequest{
					Parent: "workspaces/acme", DisplayName: "HubSpot", AccessToken: ts.token})
				if err != nil {
					t.Fatal(err)
				}
				if got := conn.GetAccountTier(); got != integrationsv1.AccountTier_ACCOUNT_TIER_PROFESSIONAL {
					t.Errorf("account_tier = %v, want PROFESSIONAL", got)
				}
				got, cerr := tr.call(t, ts, ts.keys["acme"], md, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
				if cerr != nil {
					t.Fatalf("TestConnection: %v", cerr)
				}
				want := &integrationsv1.RateLimitStatus{IntervalMax: 250, Interval: durationpb.New(10 * time.Second),
					DailyMax: 625_000 + int64(increases)*1_000_000, ApiLimitIncreases: int32(increases)}
				if d := cmp.Diff(want, got.(*integrationsv1.TestConnectionResponse).GetRateLimit(), protocmp.Transform(),
					protocmp.IgnoreFields(&integrationsv1.RateLimitStatus{}, "interval_remaining", "daily_remaining", "daily_reset_time")); d != "" {
					t.Errorf("rate_limit (-want +got):\n%s", d)
				}
			})
		}
	}
}
