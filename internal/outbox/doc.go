// Package outbox delivers LogTimelineEvent activities to HubSpot: durably, at least once and
// at most once up to HubSpot's search lag, and without ever making a workflow wait for HubSpot.
//
// Enqueue commits the event to SQLite and returns; a worker per connection sends queued
// events as engagements (calls, communications, notes) created with their contact
// association, 100 per batch create, through the connection's shared client and limiter.
// Transient failures are retried with exponential backoff; a spent daily budget, missing
// scopes or a rejected token hold the events (they stay QUEUED) and are reported through
// Config.OnHealth until Wake is called after UpdateCredentials or the daily reset; only
// errors a retry cannot fix (validation) fail an event, with HubSpot's reason kept.
//
// At most once: every engagement carries a marker (cf-evt-<event id>) in its body, and an
// event is recorded as "in doubt" before any request that may create it leaves. An event in
// doubt (a 5xx, a reset, a lost response, or a crash mid-request) is never sent again before
// a search for its marker, made CheckDelay after the send, says HubSpot does not have it.
// The search reads every engagement it matches, past the 10,000 results one HubSpot query
// pages through (check.go), so a check concludes unless the search fails; MaxAge does not
// fail an event while it is in doubt, only once a check has not found it.
// HubSpot's search is eventually consistent, so this holds when its index catches up within
// CheckDelay: docs/outbox.md states the guarantee, in the same words as the README and the
// LogTimelineEvent comment of service.proto (guarantee_doc_test.go holds them together).
//
// One process delivers a database's outbox at a time: the holder of a lease row in the
// database, which every claim checks (lease.go). Other processes accept events and take
// delivery over when the holder releases the lease at Close or dies and lets it expire.
package outbox
