// Package upsert coalesces a connection's contact upserts into HubSpot batch
// upserts by email, so the service sits at HubSpot's ceiling: 100 contacts
// per request × the app's request budget (1,000 contacts/s on a Free
// account) instead of one contact per request.
//
// # How a batch forms
//
// One [Batcher] per connection queues callers in arrival order, one line
// per caller (the API key, as named by [hubspot.WithCaller]), and shares
// every batch fairly among the callers with upserts queued: a caller that
// floods the connection gets its share of each batch's 100 inputs, never
// all of them, while a caller alone fills them all (see callerLine). Its
// dispatcher asks the connection's limiter for a slot as soon as the queue
// holds a full batch (100 distinct emails) or its oldest caller has
// lingered for Config.Linger (and a partial batch its pace: longer while
// batches are on the wire and few slots are free, see Batcher.pace; and
// while the connection has other callers, never the window's last free
// slot, see leaveSlotsToOthersLocked), and the batch KEEPS FILLING WHILE IT
// WAITS:
// it is cut at the instant the slot is granted and sent under that very
// permit ([hubspot.Client.BatchUpsertWithPermit]). Several batches are in
// flight at once, as many as the limiter grants; the limiter's guarantee
// (no rolling window over budget) is untouched, since every request still
// holds a permit.
//
// Callers of the same email in one batch are merged in arrival order (later
// values win) and all get the same outcome. An email already in flight is
// held back until that batch completes, so a retried batch can never
// overwrite a newer write: HubSpot ends with the last write of each email.
//
// # Outcomes
//
// Every caller gets its own [Result], matched by objectWriteTraceId/email,
// never by position. A bad input does not fail its neighbours: HubSpot
// rejects an upsert-by-email batch as a whole (partial upserts by email are
// not supported), so the batcher isolates the culprit — inputs that set a
// property HubSpot named are suspects, suspects sharing the rejected value
// fail together without another request, and the rest is re-sent or
// bisected — and fails only its callers, with the *[hubspot.APIError]
// (errors.Is [hubspot.ErrValidation]; Violations name the property). HubSpot
// documents multi-status (207) for batch create only and fails a batch upsert
// whole, whatever objectWriteTraceIds it carries; should an answer still carry
// per-input errors, they are mapped the same way.
//
// Transient failures (5xx, resets, lost responses) are retried by the
// client: batch upsert by email is idempotent.
//
// Created under lost responses: HubSpot reports new=false to a retry whose
// earlier attempt created the contact but lost its response. When a batch
// took more than one attempt, the batcher therefore also reports Created
// when the record's createdAt (whole milliseconds) falls in a millisecond
// wholly after the first attempt was sent (less Config.ClockSkew, default
// 0). So Created is true when this call's request created the contact. It
// errs only in rare races: true if another writer (outside this batcher)
// created the same email between our first attempt and its processing;
// false if HubSpot created it within the millisecond of our send (no real
// network is that fast) or HubSpot's clock lags ours by more than the
// request's one-way latency. Without retries HubSpot's new is reported as
// is. An earlier write of the same email through this batcher can never
// make a later one report Created: writes of one email are serialised.
//
// # Deadlines and rate limits
//
// A caller whose deadline falls before the earliest moment its batch could
// be granted a slot fails at once with a *[hubspot.RateLimitError] whose
// RetryAfter is the wait it needed; one whose deadline passes while queued
// leaves the queue at its deadline (never later) with the same kind of
// error, which also matches context.DeadlineExceeded. A caller whose batch
// is already on the wire when its context ends returns at once with
// [ErrOutcomeUnknown] (the write may still land). A DAILY limit fails every
// queued caller at once with the reset time.
package upsert
