// Package hubspot is the client the integration service uses to talk to
// HubSpot's CRM REST API on behalf of one connection (one private-app token).
//
// It owns five concerns that every call shares, so callers only see typed
// requests and typed errors:
//
//   - Paths: HubSpot's date-versioned API (2026-03) by default, or the legacy
//     v3/v4 paths with [APIVersionV3]. Every call's path in both families is
//     one row of one table (paths.go); the shapes are the same in both.
//   - Secrets: the access token lives in a [Token], which redacts itself in
//     every formatting, logging and JSON path; request bodies and URLs are
//     never copied into errors or logs.
//   - Rate limits: a per-connection [Limiter] guarantees that no rolling window
//     carries more requests than HubSpot's budget (a token bucket cannot), keeps
//     search on its own per-second budget, tracks the daily budget and lets
//     callers queue fairly, bounded by their context deadline. Replicas sharing
//     one app keep that guarantee together by claiming their slots from one
//     [SharedWindow].
//   - Retries: transient failures (5xx, 423, resets, timeouts) are retried with
//     exponential backoff and full jitter on idempotent calls only; 429s are
//     handled by policy (see [RetryPolicy] and the idempotency notes on each call).
//   - Errors: HubSpot error bodies are decoded into [*APIError] and
//     [*RateLimitError], which match the sentinel errors (ErrInvalidToken,
//     ErrMissingScopes, ErrNotFound, …) with errors.Is.
//
// Decoding is liberal on purpose: every response field is optional, ids are
// strings whether HubSpot sends numbers or strings, and property values that
// come back as null are simply absent.
package hubspot
