package app

import (
	"context"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

// The changes sweep: at start and then every changesSweepEvery, delete changes detected more
// than --changes-retention ago, at most changesSweepMax a pass (what is left goes next pass).
const (
	changesSweepEvery = time.Hour
	changesSweepMax   = 50_000
)

// sweepChanges runs the sweep until ctx ends.
func (s *Server) sweepChanges(ctx context.Context) {
	ticker := time.NewTicker(changesSweepEvery)
	defer ticker.Stop()
	for {
		n, err := s.feed.Prune(ctx, s.cfg.ChangesRetention, changesSweepMax)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.Warn("prune expired changes; the next pass retries", "err", err, "deleted", n)
		case n > 0:
			s.logger.Info("pruned expired changes", "deleted", n, "retention", s.cfg.ChangesRetention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// webhookURL is the URL to give HubSpot as the webhook target: --public-url's, else the HTTP
// listener's address (right for a server HubSpot reaches directly, e.g. the demo's sandbox).
func (s *Server) webhookURL() string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/") + changes.WebhookPath
	}
	scheme := "http"
	if s.certs != nil {
		scheme = "https"
	}
	return scheme + "://" + loopbackTarget(s.httpLis.Addr()) + changes.WebhookPath
}

// displayNames reads records' display names (changes.DisplayName) through the connection's
// client, so within its HubSpot budget.
func displayNames(registry *handles.Registry) changes.NameReader {
	return func(ctx context.Context, conn store.Connection, objectType string, ids []string) (map[string]string, error) {
		client, err := registry.Of(conn).Client(ctx)
		if err != nil {
			return nil, err
		}
		res, err := client.BatchRead(ctx, objectType, hubspot.BatchReadRequest{IDs: ids, Properties: changes.NameProperties(objectType)})
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, o := range res.Outcomes {
			if o.Object != nil {
				out[o.Object.ID.String()] = changes.DisplayName(objectType, o.Object.Properties)
			}
		}
		return out, nil
	}
}
