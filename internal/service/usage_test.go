package service

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/usage"
)

// TestDailyUsage: HubSpot's own figures when its headers told them, else the service's count
// since the account's midnight, with what is left only when the limit is known.
func TestDailyUsage(t *testing.T) {
	t.Parallel()
	reset := time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)
	rep := usage.Report{Today: 1200, ResetAt: reset}
	tests := []struct {
		name  string
		stats hubspot.LimiterStats
		want  *integrationsv1.DailyUsage
	}{
		{
			name:  "HubSpot told the limit and what remains",
			stats: hubspot.LimiterStats{DailyLimit: 625_000, DailyRemaining: 600_000},
			want: &integrationsv1.DailyUsage{Used: 25_000, Limit: 625_000, Remaining: proto.Int64(600_000),
				Source: integrationsv1.DailyUsage_SOURCE_HUBSPOT},
		},
		{
			name:  "the limit known, what remains forgotten at the reset: counted since midnight",
			stats: hubspot.LimiterStats{DailyLimit: 625_000, DailyRemaining: -1},
			want: &integrationsv1.DailyUsage{Used: 1200, Limit: 625_000, Remaining: proto.Int64(623_800),
				Source: integrationsv1.DailyUsage_SOURCE_COUNTED},
		},
		{
			name:  "nothing from HubSpot (an OAuth token, or no call since the start): counted, nothing left known",
			stats: hubspot.LimiterStats{DailyRemaining: -1},
			want:  &integrationsv1.DailyUsage{Used: 1200, Source: integrationsv1.DailyUsage_SOURCE_COUNTED},
		},
		{
			name:  "more counted than the limit: nothing left, never less",
			stats: hubspot.LimiterStats{DailyLimit: 1000, DailyRemaining: -1},
			want: &integrationsv1.DailyUsage{Used: 1200, Limit: 1000, Remaining: proto.Int64(0),
				Source: integrationsv1.DailyUsage_SOURCE_COUNTED},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.want.ResetTime = timestamppb.New(reset)
			if diff := cmp.Diff(tc.want, dailyUsage(tc.stats, rep), protocmp.Transform()); diff != "" {
				t.Errorf("daily usage (-want +got):\n%s", diff)
			}
		})
	}
}
