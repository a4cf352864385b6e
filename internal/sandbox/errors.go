package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error categories HubSpot puts in error bodies
// (https://developers.hubspot.com/docs/api/error-handling).
const (
	categoryValidation     = "VALIDATION_ERROR"
	categoryInvalidAuth    = "INVALID_AUTHENTICATION"
	categoryMissingScopes  = "MISSING_SCOPES"
	categoryObjectNotFound = "OBJECT_NOT_FOUND"
	categoryConflict       = "CONFLICT"
)

// apiError is HubSpot's general error body. 429 bodies reuse it with errorType and
// policyName set and no category (https://developers.hubspot.com/docs/api/usage-details).
type apiError struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId,omitempty"`
	Category      string              `json:"category,omitempty"`
	SubCategory   string              `json:"subCategory,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
	ErrorType     string              `json:"errorType,omitempty"`
	PolicyName    string              `json:"policyName,omitempty"`
	GroupName     string              `json:"groupName,omitempty"`
	RequestID     string              `json:"requestId,omitempty"`
}

type errorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	In          string              `json:"in,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// standardError is one item of a 207 batch's errors[]: status is the string "error".
type standardError struct {
	Status      string              `json:"status"`
	ID          string              `json:"id,omitempty"`
	Category    string              `json:"category"`
	SubCategory string              `json:"subCategory,omitempty"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
	Errors      []errorDetail       `json:"errors"`
	Links       map[string]string   `json:"links"`
}

func newStandardError(category, message string, context map[string][]string) standardError {
	if context == nil {
		context = map[string][]string{}
	}
	return standardError{Status: "error", Category: category, Message: message,
		Context: context, Errors: []errorDetail{}, Links: map[string]string{}}
}

func (c *call) fail(status int, category, message string) reply {
	return jsonReply(status, apiError{Status: "error", Message: message,
		CorrelationID: c.correlationID, Category: category})
}

func (c *call) badRequest(format string, args ...any) reply {
	return c.fail(http.StatusBadRequest, categoryValidation, fmt.Sprintf(format, args...))
}

func (c *call) notFound() reply {
	return c.fail(http.StatusNotFound, categoryObjectNotFound, "resource not found")
}

func unauthenticated(correlationID string) reply {
	return jsonReply(http.StatusUnauthorized, apiError{Status: "error",
		Message: "Authentication credentials not found. This API supports OAuth 2.0 authentication " +
			"and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
		CorrelationID: correlationID, Category: categoryInvalidAuth})
}

func (c *call) missingScopes(anyOf []string) reply {
	return jsonReply(http.StatusForbidden, apiError{Status: "error",
		Message: "This app hasn't been granted all required scopes to make this call. " +
			"Read more about required scopes here: https://developers.hubspot.com/scopes.",
		CorrelationID: c.correlationID, Category: categoryMissingScopes,
		Errors: []errorDetail{{Message: "One or more of the following scopes are required.",
			Context: map[string][]string{"requiredGranularScopes": anyOf}}}})
}

// propertyError is one entry of the JSON array HubSpot embeds, as a string, in the
// message of a property validation error.
type propertyError struct {
	IsValid               bool   `json:"isValid"`
	Message               string `json:"message"`
	Error                 string `json:"error"`
	Name                  string `json:"name"`
	LocalizedErrorMessage string `json:"localizedErrorMessage"`
	PortalID              int64  `json:"portalId"`
}

// propertyErrorsBody builds the 400 HubSpot returns for invalid property values: the
// message embeds the JSON array as a string and errors[] repeats it in structured form,
// as in the bodies integrators have captured from real portals.
func propertyErrorsBody(correlationID string, errs []propertyError) apiError {
	embedded, _ := json.Marshal(errs)
	body := apiError{Status: "error", Message: "Property values were not valid: " + string(embedded),
		CorrelationID: correlationID, Category: categoryValidation}
	for _, e := range errs {
		body.Errors = append(body.Errors, errorDetail{Message: e.Message, Code: e.Error,
			Context: map[string][]string{"propertyName": {e.Name}}})
	}
	return body
}

// missingRequiredBody builds the 400 HubSpot returns for a create that leaves required
// properties unset: no errors[], the names in context.properties, and a message naming
// the object type, as in the bodies integrators have captured from real portals
// ({"message":"Error creating TICKET. Some required properties were not set.",
// "context":{"properties":[…]},"category":"VALIDATION_ERROR"}).
func missingRequiredBody(correlationID string, ot *objectType, missing []string) apiError {
	return apiError{Status: "error", Message: "Error creating " + ot.upper() + ". Some required properties were not set.",
		CorrelationID: correlationID, Category: categoryValidation, Context: map[string][]string{"properties": missing}}
}

// faultReply is what an injected 5xx looks like: HubSpot's edge answers these with a
// terse body, and clients must not depend on it.
func faultReply(status int, correlationID string) reply {
	return jsonReply(status, apiError{Status: "error", Message: http.StatusText(status),
		CorrelationID: correlationID, Category: "INTERNAL_ERROR"})
}
