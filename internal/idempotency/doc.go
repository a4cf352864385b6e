// Package idempotency makes every mutation that carries a request_id idempotent, with one
// mechanism for all of them: a gRPC interceptor, chained after authentication, that finds the
// request_id field and the workspace of any request by reflection.
//
// Per workspace, a request_id names one request. The first call with it runs and its answer is
// kept in the database for store.RequestIDRetention (24 hours), so that a retry of the same
// request gets the same answer without acting again, after a restart and from another process
// too. The same request_id with a different request (another method or any other field value)
// is refused: INVALID_ARGUMENT, reason REQUEST_ID_REUSED, naming the first difference. A
// duplicate that arrives while the first call runs waits for it and gets its answer.
//
// Kept are successes and the caller's errors (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
// PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED) of at most
// MaxKeptAnswerBytes (256 KiB); after any other answer (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, INTERNAL…, which waiting may cure, or a larger one) a retry runs
// again.
// A call runs at most MaxCallDuration; the row of a call whose process died is taken over
// when that bound (or the call's earlier deadline) has passed, and the retry runs again.
package idempotency
