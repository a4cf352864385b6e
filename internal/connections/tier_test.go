package connections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
)

type tierAndIncreases struct {
	Tier      string
	Increases int
}

func TestAccountLimits(t *testing.T) {
	stats := func(window int, daily int64) hubspot.LimiterStats {
		return hubspot.LimiterStats{Standard: hubspot.WindowStats{Budget: window, Window: 10 * time.Second}, DailyLimit: daily}
	}
	tests := []struct {
		name  string
		stats hubspot.LimiterStats
		want  tierAndIncreases
	}{
		{"free or starter", stats(100, 250_000), tierAndIncreases{"FREE_OR_STARTER", 0}},
		{"free or starter, daily limit not sent", stats(100, 0), tierAndIncreases{"FREE_OR_STARTER", 0}},
		{"professional", stats(190, 625_000), tierAndIncreases{"PROFESSIONAL", 0}},
		{"enterprise", stats(190, 1_000_000), tierAndIncreases{"ENTERPRISE", 0}},
		{"free or starter with one increase", stats(250, 1_250_000), tierAndIncreases{"FREE_OR_STARTER", 1}},
		{"free or starter with two", stats(250, 2_250_000), tierAndIncreases{"FREE_OR_STARTER", 2}},
		{"professional with one", stats(250, 1_625_000), tierAndIncreases{"PROFESSIONAL", 1}},
		{"professional with two", stats(250, 2_625_000), tierAndIncreases{"PROFESSIONAL", 2}},
		{"enterprise with one", stats(250, 2_000_000), tierAndIncreases{"ENTERPRISE", 1}},
		{"enterprise with two", stats(250, 3_000_000), tierAndIncreases{"ENTERPRISE", 2}},
		{"an increase, daily limit not sent", stats(250, 0), tierAndIncreases{}},
		{"three increases are not sold", stats(250, 3_250_000), tierAndIncreases{}},
		{"enterprise's daily limit with Starter's window", stats(100, 1_000_000), tierAndIncreases{}},
		{"custom limits", stats(20, 500), tierAndIncreases{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tier, n := AccountLimits(tt.stats)
			if diff := cmp.Diff(tt.want, tierAndIncreases{tier, n}); diff != "" {
				t.Errorf("AccountLimits(%d per 10 s, %d a day) (-want +got):\n%s", tt.stats.Standard.Budget, tt.stats.DailyLimit, diff)
			}
		})
	}
}

// TestTierUnderAnAPILimitIncrease: Connect records the tier of an account with one or two
// API limit increases, and TestConnection's limits tell how many it has, against a sandbox
// account whose limits are HubSpot's for that tier and count.
func TestTierUnderAnAPILimitIncrease(t *testing.T) {
	for _, tier := range []sandbox.Tier{sandbox.TierStarter, sandbox.TierProfessional, sandbox.TierEnterprise} {
		for increases := range 3 {
			t.Run(fmt.Sprintf("%s with %d", tier, increases), func(t *testing.T) {
				ctx := context.Background()
				m, _, sb, _, _ := newManager(t)
				sb.SetLimits(sandbox.Limits{LimitIncreases: increases})
				acct, err := sb.CreateAccount(sandbox.Account{Tier: tier})
				if err != nil {
					t.Fatal(err)
				}
				tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
				if err != nil {
					t.Fatal(err)
				}
				c, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: tok.Token})
				if err != nil {
					t.Fatal(err)
				}
				wantTier := map[sandbox.Tier]string{sandbox.TierStarter: "FREE_OR_STARTER", sandbox.TierProfessional: "PROFESSIONAL", sandbox.TierEnterprise: "ENTERPRISE"}[tier]
				d, err := m.Test(ctx, resname.Connection{Workspace: c.Workspace, ID: c.ID})
				if err != nil {
					t.Fatal(err)
				}
				if !d.LimitsKnown {
					t.Fatal("TestConnection learnt no limits")
				}
				_, gotIncreases := AccountLimits(d.Limits)
				if diff := cmp.Diff(tierAndIncreases{wantTier, increases}, tierAndIncreases{c.AccountTier, gotIncreases}); diff != "" {
					t.Errorf("the connection's tier and the account's increases (-want +got):\n%s", diff)
				}
			})
		}
	}
}
