package app

import (
	"context"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// The request_id sweep: at start and then every requestIDSweepEvery, forget request_ids older
// than store.RequestIDRetention, at most requestIDSweepMax a pass (in small batches, so other
// writes interleave). A backlog beyond that shrinks pass by pass.
const (
	requestIDSweepEvery = time.Hour
	requestIDSweepMax   = 50_000
)

// sweepRequestIDs runs the sweep until ctx ends.
func (s *Server) sweepRequestIDs(ctx context.Context) {
	ticker := time.NewTicker(requestIDSweepEvery)
	defer ticker.Stop()
	for {
		n, err := s.store.PruneRequestIDs(ctx, time.Now(), requestIDSweepMax)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.Warn("prune expired request_ids; the next pass retries", "err", err, "deleted", n)
		case n > 0:
			s.logger.Info("pruned expired request_ids", "deleted", n, "retention", store.RequestIDRetention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
