package app

import (
	"context"
	"time"

	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/poller"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// feedSink stores what polling detected in the change feed, with source POLL; the feed
// drops what it already has (the same record, kind and time, from a webhook or an earlier
// poll).
type feedSink struct {
	feed  *changes.Feed
	store *store.Store
}

func (f feedSink) Detected(ctx context.Context, name resname.Connection, ds []poller.Detected) error {
	c, err := f.store.GetConnection(ctx, name.Workspace, name.ID)
	if err != nil {
		return err
	}
	out := make([]changes.Detected, len(ds))
	for i, d := range ds {
		out[i] = changes.Detected{ObjectType: d.ObjectType, RecordID: d.RecordID, DisplayName: d.DisplayName, Kind: d.Kind,
			Fields: d.Fields, MergedIDs: d.MergedIDs, Occur: d.OccurTime, Source: changes.SourcePoll}
	}
	_, err = f.feed.Ingest(ctx, c.UID, out, nil)
	return err
}

// pollInterval is the connection's poll interval from its change settings (the default
// when unset or unreadable), or Config.PollEvery when a test set it.
func (s *Server) pollInterval(ctx context.Context, c store.Connection) time.Duration {
	if s.cfg.PollEvery > 0 {
		return s.cfg.PollEvery
	}
	cs, err := s.store.GetChangeSettings(ctx, c.UID)
	if err != nil {
		return changes.DefaultPollInterval
	}
	return changes.PollIntervalOr(cs.PollInterval)
}
