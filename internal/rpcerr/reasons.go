package rpcerr

// Every ErrorInfo reason the service sends, in one place: packages use these constants, and
// Reasons lists them all so that a test can tell a reason of ours from a stray one (the next
// step makes them a proto enum). A new reason is added here first.
const (
	// Requests.
	ReasonMalformedRequest  = "MALFORMED_REQUEST"  // the request could not be decoded (bad JSON, bad protobuf, wrong types)
	ReasonNoSuchRoute       = "NO_SUCH_ROUTE"      // REST: no API route for the method and path
	ReasonResponseTooLarge  = "RESPONSE_TOO_LARGE" // REST: the answer is over what the gateway relays
	ReasonResourceExhausted = "RESOURCE_EXHAUSTED" // REST: gRPC refused a message for a limit without our details
	ReasonRequestIDReused   = "REQUEST_ID_REUSED"  // the request_id already names another request of the workspace

	// The server and its callers.
	ReasonAuthUnavailable = "AUTH_UNAVAILABLE"
	ReasonShuttingDown    = "SHUTTING_DOWN"
	ReasonDeadline        = "DEADLINE_EXCEEDED"

	// Connections and their HubSpot tokens.
	ReasonConnectionNameTaken = "CONNECTION_NAME_TAKEN"
	ReasonConnectionIDTaken   = "CONNECTION_ID_TAKEN"
	ReasonTokenUnreadable     = "TOKEN_UNREADABLE"
	ReasonFieldsNotDiscovered = "FIELDS_NOT_DISCOVERED"
	ReasonConnectionLimit     = "CONNECTION_LIMIT_REACHED" // --max-connections-per-workspace
	ReasonTokenInUse          = "TOKEN_ALREADY_CONNECTED"  // another connection of the workspace holds the token

	// HubSpot's answers and the HubSpot client's refusals.
	ReasonHubSpotTokenInvalid    = "HUBSPOT_TOKEN_INVALID"
	ReasonHubSpotMissingScopes   = "HUBSPOT_MISSING_SCOPES"
	ReasonHubSpotAccountMismatch = "HUBSPOT_ACCOUNT_MISMATCH"
	ReasonHubSpotUnavailable     = "HUBSPOT_UNAVAILABLE"
	ReasonHubSpotRateLimited     = "HUBSPOT_RATE_LIMITED"
	ReasonHubSpotDailyLimit      = "HUBSPOT_DAILY_LIMIT_REACHED"
	ReasonHubSpotObjectNotFound  = "HUBSPOT_OBJECT_NOT_FOUND"
	ReasonHubSpotRejected        = "HUBSPOT_REJECTED"
	ReasonHubSpotRejectedValue   = "HUBSPOT_REJECTED_VALUE"
	ReasonHubSpotForbidden       = "HUBSPOT_FORBIDDEN"
	ReasonHubSpotRequestInvalid  = "HUBSPOT_REQUEST_INVALID"
	ReasonHubSpotSearchLimit     = "HUBSPOT_SEARCH_LIMIT"
	ReasonHubSpotDiscoveryFailed = "HUBSPOT_DISCOVERY_FAILED" // a schema's error inside DiscoverFields
	ReasonHubSpotRedirected      = "HUBSPOT_REDIRECTED"       // HubSpot's address answered with a redirect, never followed

	// Timeline events.
	ReasonTimelineQueueFull = "TIMELINE_QUEUE_FULL" // --timeline-max-queued

	// Upserts.
	ReasonUpsertOutcomeUnknown = "UPSERT_OUTCOME_UNKNOWN"
	ReasonUpsertQueueFull      = "UPSERT_QUEUE_FULL"

	// Conditions: CONDITION_ and a conditions.IssueCode for compile errors, then evaluation.
	ReasonConditionSyntax          = "CONDITION_SYNTAX"
	ReasonConditionTooLong         = "CONDITION_TOO_LONG"
	ReasonConditionUnknownName     = "CONDITION_UNKNOWN_NAME"
	ReasonConditionUnknownField    = "CONDITION_UNKNOWN_FIELD"
	ReasonConditionUnknownOption   = "CONDITION_UNKNOWN_OPTION"
	ReasonConditionEmptyComparison = "CONDITION_EMPTY_COMPARISON"
	ReasonConditionTypeMismatch    = "CONDITION_TYPE_MISMATCH"
	ReasonConditionNotBool         = "CONDITION_NOT_BOOL"
	ReasonConditionTooCostly       = "CONDITION_TOO_COSTLY"
	ReasonConditionInvalid         = "CONDITION_INVALID"
	ReasonConditionBadValue        = "CONDITION_BAD_VALUE"
	ReasonConditionFailed          = "CONDITION_FAILED"
)

// Reasons is every reason above and in rpcerr.go.
var Reasons = []string{
	ReasonInvalidArgument, ReasonUnauthenticated, ReasonAPIKeyInvalid, ReasonAPIKeyRevoked, ReasonPermissionDenied,
	ReasonNotFound, ReasonAlreadyExists, ReasonInternal, ReasonRequestTooLarge,
	ReasonMalformedRequest, ReasonNoSuchRoute, ReasonResponseTooLarge, ReasonResourceExhausted, ReasonRequestIDReused,
	ReasonAuthUnavailable, ReasonShuttingDown, ReasonDeadline,
	ReasonConnectionNameTaken, ReasonConnectionIDTaken, ReasonTokenUnreadable, ReasonFieldsNotDiscovered,
	ReasonConnectionLimit, ReasonTokenInUse,
	ReasonHubSpotTokenInvalid, ReasonHubSpotMissingScopes, ReasonHubSpotAccountMismatch, ReasonHubSpotUnavailable,
	ReasonHubSpotRateLimited, ReasonHubSpotDailyLimit, ReasonHubSpotObjectNotFound, ReasonHubSpotRejected,
	ReasonHubSpotRejectedValue, ReasonHubSpotForbidden, ReasonHubSpotRequestInvalid, ReasonHubSpotSearchLimit,
	ReasonHubSpotDiscoveryFailed, ReasonHubSpotRedirected,
	ReasonTimelineQueueFull,
	ReasonUpsertOutcomeUnknown, ReasonUpsertQueueFull,
	ReasonConditionSyntax, ReasonConditionTooLong, ReasonConditionUnknownName, ReasonConditionUnknownField,
	ReasonConditionUnknownOption, ReasonConditionEmptyComparison, ReasonConditionTypeMismatch, ReasonConditionNotBool,
	ReasonConditionTooCostly, ReasonConditionInvalid, ReasonConditionBadValue, ReasonConditionFailed,
}

// IsReason reports whether reason is one of Reasons.
func IsReason(reason string) bool {
	for _, r := range Reasons {
		if r == reason {
			return true
		}
	}
	return false
}
