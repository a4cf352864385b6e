package rpcerr

import "unicode/utf8"

// MaxViolations is how many field violations one error lists; the rest are counted, not
// listed, so that an answer never grows with the request that caused it.
const MaxViolations = 10

// Bounds of one listed violation, in bytes: a field path names at most a few nested fields
// and a field name (fields.MaxNameLength); a description says what is wrong and what is
// allowed, quoting at most a short piece of the input.
const (
	maxFieldPath   = 200
	maxDescription = 1000
)

// Truncate cuts s to at most n bytes on a UTF-8 boundary, marking the cut with "…" (which
// counts towards n; n is at least its 3 bytes).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
