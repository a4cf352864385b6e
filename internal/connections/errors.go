package connections

import (
	"errors"
	"fmt"
)

// Errors of the connection lifecycle; the service maps each to a status with details.
var (
	// ErrTokenFormat: the value is not shaped like a HubSpot access token (a private-app token
	// or Service Key, pat-<region>-<uuid>, or a static app token). Nothing was sent to HubSpot.
	ErrTokenFormat = errors.New("connections: not a HubSpot access token")
	// ErrTokenInvalid: HubSpot does not accept the token (unknown, revoked, or its account is
	// inactive).
	ErrTokenInvalid = errors.New("connections: HubSpot rejected the access token")
	// ErrDisplayNameTaken: the workspace already has a connection with that name.
	ErrDisplayNameTaken = errors.New("connections: display name already used in the workspace")
	// ErrIDTaken: the workspace already has a connection with the requested id.
	ErrIDTaken = errors.New("connections: connection id already used in the workspace")
	// ErrNotFound: no such connection.
	ErrNotFound = errors.New("connections: not found")
	// ErrTokenUnreadable: the stored token cannot be decrypted (its key was removed, or the
	// row was tampered with).
	ErrTokenUnreadable = errors.New("connections: stored token cannot be decrypted")
	// ErrDeleteReplayed: a retried delete whose request_id already deleted this connection.
	// The caller answers as the first call did, success; nothing was deleted this time, and a
	// connection created since under the same name was left alone.
	ErrDeleteReplayed = errors.New("connections: delete already done under this request_id")
)

// MissingScopesError lists required scopes the token lacks.
type MissingScopesError struct {
	Missing []Scope
	Kind    string // the token's kind (a Kind… constant), whose way of adding scopes the remedy gives
}

func (e *MissingScopesError) Error() string {
	return fmt.Sprintf("connections: the token lacks %d required scope(s)", len(e.Missing))
}

// AccountMismatchError is a rotation to a token of another HubSpot account.
type AccountMismatchError struct {
	Want, Got int64
}

func (e *AccountMismatchError) Error() string {
	return fmt.Sprintf("connections: the new token belongs to HubSpot account %d, not %d", e.Got, e.Want)
}

// RequestIDReusedError is a DeleteConnection request_id that already deleted another
// connection (Resource, of the same workspace): a retry must name what the first call named.
type RequestIDReusedError struct {
	Resource string
}

func (e *RequestIDReusedError) Error() string {
	return "connections: request_id already used to delete " + e.Resource
}
