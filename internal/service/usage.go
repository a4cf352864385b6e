package service

import (
	"context"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/usage"
)

// GetUsage returns a connection's HubSpot API usage: the limiter's windows now, the day's
// budget, and the counted requests and 429s. It sends nothing to HubSpot.
func (s *Service) GetUsage(ctx context.Context, req *integrationsv1.GetUsageRequest) (*integrationsv1.Usage, error) {
	name, err := resname.ParseUsage("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	h, err := s.handles.Get(ctx, name.Connection)
	if err != nil {
		return nil, s.failFor(ctx, err, name.Connection.String())
	}
	c := h.Connection()
	rep, err := s.usage.Report(ctx, c.UID, (&hubspot.AccountDetails{TimeZone: c.AccountTimeZone}).Location())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &integrationsv1.Usage{
		Name: name.String(), ReadTime: timestamppb.New(rep.At),
		RateLimitedTotal: rep.RateLimitedTotal, RateLimited_24H: rep.RateLimited24h, Requests_24H: rep.Requests24h,
	}
	for _, hr := range rep.Hours {
		out.Hours = append(out.Hours, &integrationsv1.UsageHour{StartTime: timestamppb.New(hr.Start),
			StandardRequests: hr.Standard, SearchRequests: hr.Search, RateLimited: hr.RateLimited})
	}
	// The windows are the limiter's; a connection whose client cannot be opened (its token
	// unreadable) has none to show, and its counts are still worth reading.
	var stats hubspot.LimiterStats
	if client, err := h.Client(ctx); err == nil {
		l := client.Limiter()
		stats = l.Stats()
		// With replicas sharing the budget, the requests in the window are the fleet's, as the
		// ledger counts them, so every replica answers alike; the waiting are this one's.
		for _, w := range []struct {
			kind  hubspot.RequestKind
			stats *hubspot.WindowStats
		}{{hubspot.KindStandard, &stats.Standard}, {hubspot.KindSearch, &stats.Search}} {
			n, shared, err := l.FleetInWindow(ctx, w.kind)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			if shared {
				w.stats.InWindow = n
			}
		}
		out.StandardWindow, out.SearchWindow = usageWindow(stats.Standard), usageWindow(stats.Search)
	}
	out.Daily = dailyUsage(stats, rep)
	return out, nil
}

// dailyUsage prefers HubSpot's own count of the day (its headers, sent to private apps and
// Service Keys) to the requests this server counted since the account's midnight.
func dailyUsage(stats hubspot.LimiterStats, rep usage.Report) *integrationsv1.DailyUsage {
	d := &integrationsv1.DailyUsage{Limit: stats.DailyLimit, ResetTime: timestamppb.New(rep.ResetAt)}
	if stats.DailyLimit > 0 && stats.DailyRemaining >= 0 {
		d.Used, d.Source = max(stats.DailyLimit-stats.DailyRemaining, 0), integrationsv1.DailyUsage_SOURCE_HUBSPOT
		d.Remaining = &stats.DailyRemaining
		return d
	}
	d.Used, d.Source = rep.Today, integrationsv1.DailyUsage_SOURCE_COUNTED
	if stats.DailyLimit > 0 {
		left := max(stats.DailyLimit-rep.Today, 0)
		d.Remaining = &left
	}
	return d
}

func usageWindow(w hubspot.WindowStats) *integrationsv1.UsageWindow {
	return &integrationsv1.UsageWindow{Budget: int32(w.Budget), Window: durationpb.New(w.Window), //nolint:gosec // budgets are HubSpot's, at most a few hundred
		InWindow: int32(w.InWindow), Waiting: int32(w.Waiting)} //nolint:gosec // bounded by the budget and the queue
}
