package service

import (
	"context"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// The RPCs below belong to capabilities that have not shipped yet. Each answers UNIMPLEMENTED
// with an ErrorInfo naming the capability, so that callers can tell "not yet" from a bug.
// The README's "What works today" lists the same set; remove an entry here when its
// capability lands.

// Capability names, as they appear in errors and the README.
const (
	capFields     = "field discovery"
	capContacts   = "contact upserts"
	capRecords    = "reading and updating records"
	capTimeline   = "timeline events"
	capConditions = "workflow conditions"
)

// LogTimelineEvent is not available yet.
func (s *Service) LogTimelineEvent(context.Context, *integrationsv1.LogTimelineEventRequest) (*integrationsv1.TimelineEvent, error) {
	return nil, rpcerr.NotImplemented("LogTimelineEvent", capTimeline)
}

// GetTimelineEvent is not available yet.
func (s *Service) GetTimelineEvent(context.Context, *integrationsv1.GetTimelineEventRequest) (*integrationsv1.TimelineEvent, error) {
	return nil, rpcerr.NotImplemented("GetTimelineEvent", capTimeline)
}

// ListTimelineEvents is not available yet.
func (s *Service) ListTimelineEvents(context.Context, *integrationsv1.ListTimelineEventsRequest) (*integrationsv1.ListTimelineEventsResponse, error) {
	return nil, rpcerr.NotImplemented("ListTimelineEvents", capTimeline)
}
