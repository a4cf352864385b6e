package client

// The reasons an Error (ErrorDetails) can carry in its Reason, the ErrorInfo reason: compare
// against these, not against strings of your own. Each is the name of an ErrorReason value of
// the API (proto/connectflo/integrations/v1/errors.proto; integrationsv1.ErrorReason in Go)
// without its ERROR_REASON_ prefix, and that enum's documentation says what each means and
// what to do. The server sends no other reason. For example:
//
//	if e := client.ErrorDetails(err); e.Reason == client.ReasonHubSpotMissingScopes {
//		// ask the user to add the scopes listed in e.PreconditionViolations
//	}
const (
	// The request.
	ReasonInvalidArgument   = "INVALID_ARGUMENT"
	ReasonMalformedRequest  = "MALFORMED_REQUEST"
	ReasonRequestTooLarge   = "REQUEST_TOO_LARGE"
	ReasonNoSuchRoute       = "NO_SUCH_ROUTE"
	ReasonResponseTooLarge  = "RESPONSE_TOO_LARGE"
	ReasonResourceExhausted = "RESOURCE_EXHAUSTED"
	ReasonRequestIDReused   = "REQUEST_ID_REUSED"

	// API keys and workspaces.
	ReasonAPIKeyMissing       = "API_KEY_MISSING"
	ReasonAPIKeyInvalid       = "API_KEY_INVALID"
	ReasonAPIKeyRevoked       = "API_KEY_REVOKED"
	ReasonWorkspaceNotAllowed = "WORKSPACE_NOT_ALLOWED"
	ReasonAuthUnavailable     = "AUTH_UNAVAILABLE"

	// Resources and the server.
	ReasonNotFound         = "NOT_FOUND"
	ReasonAlreadyExists    = "ALREADY_EXISTS"
	ReasonInternal         = "INTERNAL"
	ReasonShuttingDown     = "SHUTTING_DOWN"
	ReasonDeadlineExceeded = "DEADLINE_EXCEEDED"

	// Connections and their HubSpot tokens.
	ReasonConnectionNameTaken    = "CONNECTION_NAME_TAKEN"
	ReasonConnectionIDTaken      = "CONNECTION_ID_TAKEN"
	ReasonTokenAlreadyConnected  = "TOKEN_ALREADY_CONNECTED"
	ReasonConnectionLimitReached = "CONNECTION_LIMIT_REACHED"
	ReasonTokenUnreadable        = "TOKEN_UNREADABLE"
	ReasonFieldsNotDiscovered    = "FIELDS_NOT_DISCOVERED"

	// HubSpot's answers and the HubSpot client's refusals.
	ReasonHubSpotTokenInvalid      = "HUBSPOT_TOKEN_INVALID"
	ReasonHubSpotMissingScopes     = "HUBSPOT_MISSING_SCOPES"
	ReasonHubSpotAccountMismatch   = "HUBSPOT_ACCOUNT_MISMATCH"
	ReasonHubSpotUnavailable       = "HUBSPOT_UNAVAILABLE"
	ReasonHubSpotRateLimited       = "HUBSPOT_RATE_LIMITED"
	ReasonHubSpotDailyLimitReached = "HUBSPOT_DAILY_LIMIT_REACHED"
	ReasonHubSpotObjectNotFound    = "HUBSPOT_OBJECT_NOT_FOUND"
	ReasonHubSpotRejected          = "HUBSPOT_REJECTED"
	ReasonHubSpotRejectedValue     = "HUBSPOT_REJECTED_VALUE"
	ReasonHubSpotForbidden         = "HUBSPOT_FORBIDDEN"
	ReasonHubSpotRequestInvalid    = "HUBSPOT_REQUEST_INVALID"
	ReasonHubSpotSearchLimit       = "HUBSPOT_SEARCH_LIMIT"
	ReasonHubSpotDiscoveryFailed   = "HUBSPOT_DISCOVERY_FAILED"
	ReasonHubSpotRedirected        = "HUBSPOT_REDIRECTED"

	// HubSpot's rules on record values.
	ReasonLifecycleStageBackward = "LIFECYCLE_STAGE_BACKWARD"

	// Timeline events and upserts.
	ReasonTimelineQueueFull    = "TIMELINE_QUEUE_FULL"
	ReasonUpsertOutcomeUnknown = "UPSERT_OUTCOME_UNKNOWN"
	ReasonUpsertQueueFull      = "UPSERT_QUEUE_FULL"

	// Conditions: compile errors, then evaluation.
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

	// Changes.
	ReasonChangeCursorExpired = "CHANGE_CURSOR_EXPIRED"
	ReasonWebhooksUnsupported = "WEBHOOKS_UNSUPPORTED"
)
