package rpcerr

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
