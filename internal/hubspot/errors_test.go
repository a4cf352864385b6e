package hubspot

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Bodies as HubSpot sends them: 401 and 403 (auth), 409 and property validation (objects),
// the general error shape (https://developers.hubspot.com/docs/api/error-handling) and 429s
// (https://developers.hubspot.com/docs/api/usage-details), as captured by integrators.
const (
	body401             = `{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"4e1c3f6a-0000-4000-8000-000000000001","category":"INVALID_AUTHENTICATION"}`
	body401Expired      = `{"status":"error","message":"The OAuth token used to make this call expired 35 second(s) ago.","correlationId":"c2","category":"EXPIRED_AUTHENTICATION","context":{"expire time":["2024-01-01T00:00:00Z"]}}`
	body403             = `{"status":"error","message":"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.","correlationId":"c3","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.contacts.read","crm.objects.contacts.write"]}}],"category":"MISSING_SCOPES"}`
	body404             = `{"status":"error","message":"resource not found","correlationId":"c4","category":"OBJECT_NOT_FOUND"}`
	body409             = `{"status":"error","message":"Contact already exists. Existing ID: 501","correlationId":"c5","category":"CONFLICT"}`
	body400             = `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"foo\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"foo\",\"localizedErrorMessage\":\"…\",\"portalId\":123}]","correlationId":"c6","errors":[{"message":"Property \"foo\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["foo"]}}],"category":"VALIDATION_ERROR"}`
	body400EmbeddedOnly = `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address a@@b is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"},{\"isValid\":false,\"message\":\"abc was not a valid long.\",\"error\":\"INVALID_INTEGER\",\"name\":\"numberofemployees\"}]","correlationId":"c7","category":"VALIDATION_ERROR"}`
	body400Required     = `{"status":"error","message":"Error creating COMMUNICATION. Some required properties were not set.","correlationId":"c11","context":{"properties":["hs_communication_channel_type","hs_communication_logged_from"]},"category":"VALIDATION_ERROR"}`
	// The 2026-09 write validation's refusal (second-hand shape; the condition keys are our
	// sandbox's) and the lifecycle-stage refusal (the sandbox's own body: HubSpot documents
	// the rule, not the error).
	body400Rules     = `{"status":"error","message":"Some required properties were not set.","correlationId":"c12","category":"VALIDATION_ERROR","errors":[{"message":"closed_lost_reason is required when dealstage is closedlost","code":"MISSING_CONDITIONAL_REQUIRED_PROPERTY","context":{"propertyName":["closed_lost_reason"],"conditionPropertyName":["dealstage"],"conditionValue":["closedlost"]}},{"message":"firstname is required when creating a contact","code":"MISSING_REQUIRED_PROPERTY","context":{"propertyName":["firstname"]}}]}`
	body400Lifecycle = `{"status":"error","message":"lifecyclestage can only be set forward","correlationId":"c13","category":"VALIDATION_ERROR","errors":[{"message":"lifecyclestage can only be set forward","code":"INVALID_LIFECYCLE_STAGE_TRANSITION","context":{"propertyName":["lifecyclestage"],"currentValue":["customer"],"requestedValue":["lead"]}}]}`
	body400NonUnique = `{"status":"error","message":"Unable to perform update/upsert by non-unique 0-2 property domain","correlationId":"c8","category":"VALIDATION_ERROR"}`
	body429Ten       = `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c9","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:private_app-api-calls-ten-secondly:789:456"}`
	body429Daily     = `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c10","policyName":"DAILY","requestId":"r1"}`
	body429Secondly  = `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}`
)

func TestDecodeHTTPError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		is     error
		check  func(t *testing.T, err error)
	}{
		{name: "401 invalid token", status: 401, body: body401, is: ErrInvalidToken, check: func(t *testing.T, err error) {
			e := mustAPIError(t, err)
			if e.CorrelationID != "4e1c3f6a-0000-4000-8000-000000000001" || e.Category != "INVALID_AUTHENTICATION" {
				t.Errorf("got %+v", e)
			}
		}},
		{name: "401 expired", status: 401, body: body401Expired, is: ErrInvalidToken},
		{name: "403 missing scopes lists them from errors[].context", status: 403, body: body403, is: ErrMissingScopes, check: func(t *testing.T, err error) {
			e := mustAPIError(t, err)
			if d := diff([]string{"crm.objects.contacts.read", "crm.objects.contacts.write"}, e.RequiredScopes); d != "" {
				t.Error(d)
			}
			if !strings.Contains(e.Error(), "crm.objects.contacts.read") {
				t.Errorf("message should name the scopes: %s", e.Error())
			}
		}},
		{name: "403 other", status: 403, body: `{"status":"error","message":"nope","category":"FORBIDDEN"}`, is: ErrForbidden},
		{name: "404", status: 404, body: body404, is: ErrNotFound},
		{name: "409 carries the existing id", status: 409, body: body409, is: ErrConflict, check: func(t *testing.T, err error) {
			if got := mustAPIError(t, err).ExistingID; got != "501" {
				t.Errorf("ExistingID = %q, want 501", got)
			}
		}},
		{name: "400 from errors[]", status: 400, body: body400, is: ErrValidation, check: func(t *testing.T, err error) {
			want := []Violation{{PropertyName: "foo", Code: "PROPERTY_DOESNT_EXIST", Message: `Property "foo" does not exist`}}
			if d := diff(want, mustAPIError(t, err).Violations); d != "" {
				t.Error(d)
			}
		}},
		{name: "400 falls back to the array embedded in message", status: 400, body: body400EmbeddedOnly, is: ErrValidation, check: func(t *testing.T, err error) {
			want := []Violation{
				{PropertyName: "email", Code: "INVALID_EMAIL", Message: "Email address a@@b is invalid"},
				{PropertyName: "numberofemployees", Code: "INVALID_INTEGER", Message: "abc was not a valid long."},
			}
			if d := diff(want, mustAPIError(t, err).Violations); d != "" {
				t.Error(d)
			}
		}},
		{name: "400 missing required properties, named in context.properties", status: 400, body: body400Required, is: ErrValidation, check: func(t *testing.T, err error) {
			const msg = "Error creating COMMUNICATION. Some required properties were not set."
			want := []Violation{
				{PropertyName: "hs_communication_channel_type", Code: CodeMissingRequiredProperty, Message: msg},
				{PropertyName: "hs_communication_logged_from", Code: CodeMissingRequiredProperty, Message: msg},
			}
			if d := diff(want, mustAPIError(t, err).Violations); d != "" {
				t.Error(d)
			}
		}},
		{name: "400 write rules, one violation per unset property with its condition", status: 400, body: body400Rules, is: ErrValidation, check: func(t *testing.T, err error) {
			want := []Violation{
				{PropertyName: "closed_lost_reason", Code: CodeMissingConditionalRequiredProperty,
					Message: "closed_lost_reason is required when dealstage is closedlost", WhenProperty: "dealstage", WhenValue: "closedlost"},
				{PropertyName: "firstname", Code: CodeMissingRequiredProperty, Message: "firstname is required when creating a contact"},
			}
			if d := diff(want, mustAPIError(t, err).Violations); d != "" {
				t.Error(d)
			}
			if _, ok := LifecycleStageBackward(err); ok {
				t.Error("LifecycleStageBackward found a lifecycle refusal in a write-rules refusal")
			}
		}},
		{name: "400 lifecycle stage moved backward names both stages", status: 400, body: body400Lifecycle, is: ErrValidation, check: func(t *testing.T, err error) {
			want := Violation{PropertyName: "lifecyclestage", Code: CodeLifecycleStageBackward,
				Message: "lifecyclestage can only be set forward", Current: "customer", Requested: "lead"}
			got, ok := LifecycleStageBackward(fmt.Errorf("wrapped: %w", err))
			if !ok {
				t.Fatal("LifecycleStageBackward did not find the refusal")
			}
			if d := diff(want, got); d != "" {
				t.Error(d)
			}
		}},
		{name: "400 non-unique upsert", status: 400, body: body400NonUnique, is: ErrValidation, check: func(t *testing.T, err error) {
			if v := mustAPIError(t, err).Violations; len(v) != 0 {
				t.Errorf("Violations = %+v, want none: the message names no property value", v)
			}
		}},
		{name: "423 locked", status: 423, body: `{"status":"error","message":"locked"}`, is: ErrLocked},
		{name: "429 ten secondly", status: 429, body: body429Ten, is: ErrRateLimited, check: func(t *testing.T, err error) {
			rl := mustRateLimit(t, err)
			if rl.Policy != PolicyTenSecondlyRolling || !rl.FromHubSpot || rl.CorrelationID != "c9" {
				t.Errorf("got %+v", rl)
			}
			if errors.Is(err, ErrDailyLimitExhausted) {
				t.Error("a ten-secondly 429 is not daily exhaustion")
			}
		}},
		{name: "429 daily", status: 429, body: body429Daily, is: ErrDailyLimitExhausted, check: func(t *testing.T, err error) {
			if rl := mustRateLimit(t, err); rl.Policy != PolicyDaily {
				t.Errorf("policy = %q", rl.Policy)
			}
		}},
		{name: "429 secondly", status: 429, body: body429Secondly, is: ErrRateLimited, check: func(t *testing.T, err error) {
			if rl := mustRateLimit(t, err); rl.Policy != PolicySecondly {
				t.Errorf("policy = %q", rl.Policy)
			}
		}},
		{name: "502 html page", status: 502, body: `<html><body>Bad gateway</body></html>`, is: ErrUnavailable, check: func(t *testing.T, err error) {
			if e := mustAPIError(t, err); e.Message != "Bad Gateway" {
				t.Errorf("Message = %q, want the status text", e.Message)
			}
		}},
		{name: "521 empty body", status: 521, body: ``, is: ErrUnavailable},
		{name: "477 migration with Retry-After", status: 477, header: http.Header{"Retry-After": {"3600"}}, body: `{"status":"error","message":"Migration in progress"}`, is: ErrUnavailable, check: func(t *testing.T, err error) {
			if got := mustAPIError(t, err).RetryAfter; got != time.Hour {
				t.Errorf("RetryAfter = %v, want 1h", got)
			}
		}},
		{name: "correlation id from header when body lacks it", status: 500, header: http.Header{"X-Hubspot-Correlation-Id": {"hdr-1"}}, body: `{"message":"boom","category":12}`, is: ErrUnavailable, check: func(t *testing.T, err error) {
			e := mustAPIError(t, err)
			if e.CorrelationID != "hdr-1" || e.Category != "12" {
				t.Errorf("got %+v", e)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := decodeHTTPError(tt.status, tt.header, []byte(tt.body), "GET /x", func(s string) string { return s })
			if !errors.Is(err, tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func mustAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	var e *APIError
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not an *APIError", err, err)
	}
	return e
}

func mustRateLimit(t *testing.T, err error) *RateLimitError {
	t.Helper()
	var e *RateLimitError
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not a *RateLimitError", err, err)
	}
	return e
}

// FuzzDecodeHTTPError: any status and body decode without panicking into an
// error that matches the sentinel its status implies, and never echo a token
// that was in the body.
func FuzzDecodeHTTPError(f *testing.F) {
	for _, b := range []string{body401, body401Expired, body403, body404, body409, body400, body400EmbeddedOnly,
		body400NonUnique, body429Ten, body429Daily, body429Secondly, `{"message":"` + testTokenValue + `"}`,
		`{"errors":[{"context":{"propertyName":[1,{"a":2}]}}]}`, `[`, `null`, `{"message":"x [{\"name\":1}]"}`} {
		for _, status := range []int{400, 401, 403, 404, 409, 413, 414, 423, 429, 500} {
			f.Add(status, b)
		}
	}
	token, _ := ParseToken(testTokenValue)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 400 || status > 599 {
			return
		}
		err := decodeHTTPError(status, http.Header{"Retry-After": {body}}, []byte(body), "POST /x", token.scrub)
		if err == nil {
			t.Fatal("nil error")
		}
		if strings.Contains(err.Error(), testTokenValue) {
			t.Fatalf("token leaked into %q", err.Error())
		}
		want := map[int]error{401: ErrInvalidToken, 404: ErrNotFound, 409: ErrConflict, 413: ErrTooLarge, 414: ErrTooLarge, 423: ErrLocked,
			429: ErrRateLimited, 500: ErrUnavailable, 503: ErrUnavailable, 400: ErrValidation}[status]
		if want != nil && !errors.Is(err, want) {
			t.Fatalf("status %d: %v does not match %v", status, err, want)
		}
		if status == 403 && !errors.Is(err, ErrMissingScopes) && !errors.Is(err, ErrForbidden) {
			t.Fatalf("403 decoded as %v", err)
		}
	})
}
