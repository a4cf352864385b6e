package app

import (
	"context"
	"time"

	"github.com/connectflo/integrations/internal/store"
	apiusage "github.com/connectflo/integrations/internal/usage"
)

// The usage sweep: at start and then every usageSweepEvery, delete hourly HubSpot usage older
// than store.UsageRetention, at most usageSweepMax rows a pass (in small batches, so other
// writes interleave).
const (
	usageSweepEvery = time.Hour
	usageSweepMax   = 50_000
)

// runUsage writes the counted HubSpot requests to the store every apiusage.FlushEvery and runs
// the usage sweep, until ctx ends. The last counts are written by flushUsage at shutdown.
func (s *Server) runUsage(ctx context.Context) {
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		s.usage.Run(ctx, func(err error) {
			s.logger.Warn("record HubSpot usage; the next flush retries", "err", err)
		})
	}()
	defer func() { <-flushed }()
	ticker := time.NewTicker(usageSweepEvery)
	defer ticker.Stop()
	for {
		n, err := s.store.PruneUsage(ctx, time.Now(), usageSweepMax)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.Warn("prune expired HubSpot usage; the next pass retries", "err", err, "deleted", n)
		case n > 0:
			s.logger.Info("pruned expired HubSpot usage", "deleted", n, "retention", store.UsageRetention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// flushUsage writes the counts not yet written, once nothing calls HubSpot any more.
func (s *Server) flushUsage(ctx context.Context) {
	if err := s.usage.Flush(ctx); err != nil {
		s.logger.Warn("record HubSpot usage at shutdown; the counts since the last flush are lost", "err", err,
			"at_most", apiusage.FlushEvery.String())
	}
}
