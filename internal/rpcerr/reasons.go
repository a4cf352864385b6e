package rpcerr

import (
	"strings"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// The reasons are defined once, by the ErrorReason enum of errors.proto, which says what each
// means and what a caller should do; the wire reason is the value's name without its prefix.
// Packages use the variables below (each derived from the enum, so a reason cannot be written
// here without being in the proto), and Reasons lists the whole enum so that a test can tell a
// reason of ours from a stray one. A new reason is added to the proto first.

// reasonPrefix is what every ErrorReason value name starts with (buf lint wants it).
const reasonPrefix = "ERROR_REASON_"

// Name is the wire reason of r: "TIMELINE_QUEUE_FULL" for ERROR_REASON_TIMELINE_QUEUE_FULL.
func Name(r integrationsv1.ErrorReason) string { return strings.TrimPrefix(r.String(), reasonPrefix) }

var (
	// Requests.
	ReasonInvalidArgument   = Name(integrationsv1.ErrorReason_ERROR_REASON_INVALID_ARGUMENT)
	ReasonMalformedRequest  = Name(integrationsv1.ErrorReason_ERROR_REASON_MALFORMED_REQUEST)
	ReasonRequestTooLarge   = Name(integrationsv1.ErrorReason_ERROR_REASON_REQUEST_TOO_LARGE)
	ReasonNoSuchRoute       = Name(integrationsv1.ErrorReason_ERROR_REASON_NO_SUCH_ROUTE)
	ReasonResponseTooLarge  = Name(integrationsv1.ErrorReason_ERROR_REASON_RESPONSE_TOO_LARGE)
	ReasonResourceExhausted = Name(integrationsv1.ErrorReason_ERROR_REASON_RESOURCE_EXHAUSTED)
	ReasonRequestIDReused   = Name(integrationsv1.ErrorReason_ERROR_REASON_REQUEST_ID_REUSED)

	// API keys and workspaces.
	ReasonUnauthenticated  = Name(integrationsv1.ErrorReason_ERROR_REASON_API_KEY_MISSING)
	ReasonAPIKeyInvalid    = Name(integrationsv1.ErrorReason_ERROR_REASON_API_KEY_INVALID)
	ReasonAPIKeyRevoked    = Name(integrationsv1.ErrorReason_ERROR_REASON_API_KEY_REVOKED)
	ReasonPermissionDenied = Name(integrationsv1.ErrorReason_ERROR_REASON_WORKSPACE_NOT_ALLOWED)
	ReasonAuthUnavailable  = Name(integrationsv1.ErrorReason_ERROR_REASON_AUTH_UNAVAILABLE)

	// Resources and the server.
	ReasonNotFound      = Name(integrationsv1.ErrorReason_ERROR_REASON_NOT_FOUND)
	ReasonAlreadyExists = Name(integrationsv1.ErrorReason_ERROR_REASON_ALREADY_EXISTS)
	ReasonInternal      = Name(integrationsv1.ErrorReason_ERROR_REASON_INTERNAL)
	ReasonShuttingDown  = Name(integrationsv1.ErrorReason_ERROR_REASON_SHUTTING_DOWN)
	ReasonDeadline      = Name(integrationsv1.ErrorReason_ERROR_REASON_DEADLINE_EXCEEDED)

	// Connections and their HubSpot tokens.
	ReasonConnectionNameTaken = Name(integrationsv1.ErrorReason_ERROR_REASON_CONNECTION_NAME_TAKEN)
	ReasonConnectionIDTaken   = Name(integrationsv1.ErrorReason_ERROR_REASON_CONNECTION_ID_TAKEN)
	ReasonTokenInUse          = Name(integrationsv1.ErrorReason_ERROR_REASON_TOKEN_ALREADY_CONNECTED)
	ReasonConnectionLimit     = Name(integrationsv1.ErrorReason_ERROR_REASON_CONNECTION_LIMIT_REACHED)
	ReasonTokenUnreadable     = Name(integrationsv1.ErrorReason_ERROR_REASON_TOKEN_UNREADABLE)
	ReasonFieldsNotDiscovered = Name(integrationsv1.ErrorReason_ERROR_REASON_FIELDS_NOT_DISCOVERED)

	// HubSpot's answers and the HubSpot client's refusals.
	ReasonHubSpotTokenInvalid    = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_TOKEN_INVALID)
	ReasonHubSpotMissingScopes   = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_MISSING_SCOPES)
	ReasonHubSpotAccountMismatch = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_ACCOUNT_MISMATCH)
	ReasonHubSpotUnavailable     = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_UNAVAILABLE)
	ReasonHubSpotRateLimited     = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_RATE_LIMITED)
	ReasonHubSpotDailyLimit      = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_DAILY_LIMIT_REACHED)
	ReasonHubSpotObjectNotFound  = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_OBJECT_NOT_FOUND)
	ReasonHubSpotRejected        = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_REJECTED)
	ReasonHubSpotRejectedValue   = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_REJECTED_VALUE)
	ReasonHubSpotForbidden       = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_FORBIDDEN)
	ReasonHubSpotRequestInvalid  = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_REQUEST_INVALID)
	ReasonHubSpotSearchLimit     = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_SEARCH_LIMIT)
	ReasonHubSpotDiscoveryFailed = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_DISCOVERY_FAILED)
	ReasonHubSpotRedirected      = Name(integrationsv1.ErrorReason_ERROR_REASON_HUBSPOT_REDIRECTED)

	// HubSpot's rules on record values.
	ReasonLifecycleStageBackward = Name(integrationsv1.ErrorReason_ERROR_REASON_LIFECYCLE_STAGE_BACKWARD)

	// Timeline events and upserts.
	ReasonTimelineQueueFull    = Name(integrationsv1.ErrorReason_ERROR_REASON_TIMELINE_QUEUE_FULL)
	ReasonUpsertOutcomeUnknown = Name(integrationsv1.ErrorReason_ERROR_REASON_UPSERT_OUTCOME_UNKNOWN)
	ReasonUpsertQueueFull      = Name(integrationsv1.ErrorReason_ERROR_REASON_UPSERT_QUEUE_FULL)

	// Conditions: compile errors, one per conditions.IssueCode, then evaluation.
	ReasonConditionSyntax          = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_SYNTAX)
	ReasonConditionTooLong         = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_TOO_LONG)
	ReasonConditionUnknownName     = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_UNKNOWN_NAME)
	ReasonConditionUnknownField    = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_UNKNOWN_FIELD)
	ReasonConditionUnknownOption   = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_UNKNOWN_OPTION)
	ReasonConditionEmptyComparison = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_EMPTY_COMPARISON)
	ReasonConditionTypeMismatch    = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_TYPE_MISMATCH)
	ReasonConditionNotBool         = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_NOT_BOOL)
	ReasonConditionTooCostly       = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_TOO_COSTLY)
	ReasonConditionInvalid         = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_INVALID)
	ReasonConditionBadValue        = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_BAD_VALUE)
	ReasonConditionFailed          = Name(integrationsv1.ErrorReason_ERROR_REASON_CONDITION_FAILED)

	// Changes.
	ReasonChangeCursorExpired = Name(integrationsv1.ErrorReason_ERROR_REASON_CHANGE_CURSOR_EXPIRED)
	ReasonWebhooksUnsupported = Name(integrationsv1.ErrorReason_ERROR_REASON_WEBHOOKS_UNSUPPORTED)
)

// Reasons is every wire reason of the ErrorReason enum (all but UNSPECIFIED), in the order of
// the proto.
var Reasons = enumReasons()

func enumReasons() []string {
	values := integrationsv1.ErrorReason(0).Descriptor().Values()
	out := make([]string, 0, values.Len()-1)
	for i := range values.Len() {
		if r := integrationsv1.ErrorReason(values.Get(i).Number()); r != integrationsv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
			out = append(out, Name(r))
		}
	}
	return out
}

// IsReason reports whether reason is one of Reasons.
func IsReason(reason string) bool {
	v, ok := integrationsv1.ErrorReason_value[reasonPrefix+reason]
	return ok && v != int32(integrationsv1.ErrorReason_ERROR_REASON_UNSPECIFIED)
}
