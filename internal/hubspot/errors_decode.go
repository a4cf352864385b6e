package hubspot

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/truncate"
)

// existingIDPattern finds the id in "Contact already exists. Existing ID: 501".
var existingIDPattern = regexp.MustCompile(`Existing ID:\s*"?([0-9A-Za-z_-]+)`)

// maxErrorField bounds how much of any HubSpot-provided string we keep, so a
// misbehaving proxy page cannot bloat logs and error strings.
const maxErrorField = 2048

// errorEnvelope holds the raw fields of HubSpot's error body. Every field is
// decoded separately and leniently (see lenientString) because the docs ask
// integrators to treat all of them as optional, and one odd type must not
// cost us the rest of the error.
type errorEnvelope map[string]json.RawMessage

// decodeHTTPError turns a non-2xx response into *RateLimitError (429) or
// *APIError. scrub removes token-shaped text from anything HubSpot sent back.
func decodeHTTPError(status int, header http.Header, body []byte, operation string, scrub func(string) string) error {
	env := errorEnvelope{}
	if err := json.Unmarshal(bytes.TrimSpace(body), &env); err != nil {
		env = errorEnvelope{} // not JSON (e.g. a gateway's HTML page): status alone decides
	}
	clean := func(s string) string { return truncate.Text(scrub(s), maxErrorField) }

	message := clean(env.str("message"))
	correlationID := clean(env.str("correlationId"))
	if correlationID == "" && header != nil {
		correlationID = clean(header.Get("X-HubSpot-Correlation-Id"))
	}

	if status == http.StatusTooManyRequests {
		policy := Policy(strings.ToUpper(env.str("policyName")))
		return &RateLimitError{
			Policy:        policy,
			RetryAfter:    retryAfter(header),
			FromHubSpot:   true,
			Operation:     operation,
			Message:       message,
			CorrelationID: correlationID,
		}
	}

	e := &APIError{
		StatusCode:    status,
		Operation:     operation,
		Category:      clean(env.str("category")),
		SubCategory:   clean(env.str("subCategory")),
		Message:       message,
		CorrelationID: correlationID,
		Context:       decodeContext(env["context"], clean),
		RetryAfter:    retryAfter(header),
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	details := decodeDetails(env["errors"], clean)
	switch status {
	case http.StatusForbidden:
		e.RequiredScopes = requiredScopes(details, e.Context)
	case http.StatusConflict:
		e.ExistingID = existingID(e.Message)
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		e.Violations = violations(details, e.Message)
		if len(e.Violations) == 0 {
			e.Violations = missingRequired(e.Context, e.Message)
		}
	}
	return e
}

// errorDetail is one entry of errors[] in an error body.
type errorDetail struct {
	message string
	code    string
	context map[string][]string
}

func decodeDetails(raw json.RawMessage, clean func(string) string) []errorDetail {
	var items []errorEnvelope
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	details := make([]errorDetail, 0, len(items))
	for _, item := range items {
		details = append(details, errorDetail{
			message: clean(item.str("message")),
			code:    clean(item.str("code")),
			context: decodeContext(item["context"], clean),
		})
	}
	return details
}

// decodeContext reads a context object whose values are usually string
// arrays but may be single strings or numbers.
func decodeContext(raw json.RawMessage, clean func(string) string) map[string][]string {
	var fields map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &fields) != nil || len(fields) == 0 {
		return nil
	}
	out := make(map[string][]string, len(fields))
	for key, value := range fields {
		var list []json.RawMessage
		if json.Unmarshal(value, &list) != nil {
			list = []json.RawMessage{value}
		}
		for _, v := range list {
			if s, ok := lenientString(v); ok {
				out[clean(key)] = append(out[clean(key)], clean(s))
			}
		}
	}
	return out
}

// requiredScopes reads errors[].context.requiredGranularScopes (where HubSpot
// really puts them), falling back to the spec's missingScopes spellings.
func requiredScopes(details []errorDetail, top map[string][]string) []string {
	var scopes []string
	seen := map[string]bool{}
	add := func(list []string) {
		for _, s := range list {
			if s != "" && !seen[s] {
				seen[s] = true
				scopes = append(scopes, s)
			}
		}
	}
	for _, d := range details {
		add(d.context["requiredGranularScopes"])
		add(d.context["requiredScopes"])
		add(d.context["missingScopes"])
	}
	add(top["requiredGranularScopes"])
	add(top["missingScopes"])
	return scopes
}

func existingID(message string) string {
	if m := existingIDPattern.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	return ""
}

// violations prefers the structured errors[]; when it is missing it falls
// back to the JSON array HubSpot embeds in the message ("Property values were
// not valid: [{…}]"), and fills in property names errors[] left out.
func violations(details []errorDetail, message string) []Violation {
	embedded := embeddedViolations(message)
	var out []Violation
	for i, d := range details {
		v := Violation{Code: d.code, Message: d.message, Current: first(d.context["currentValue"]),
			Requested: first(d.context["requestedValue"]), WhenProperty: first(d.context["conditionPropertyName"]),
			WhenValue: first(d.context["conditionValue"])}
		if names := d.context["propertyName"]; len(names) > 0 {
			v.PropertyName = names[0]
		} else if i < len(embedded) && len(embedded) == len(details) {
			v.PropertyName = embedded[i].PropertyName
		}
		if v.Code == "" && i < len(embedded) && len(embedded) == len(details) {
			v.Code = embedded[i].Code
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return embedded
	}
	return out
}

// missingRequired reads the 400 HubSpot gives a create that leaves required properties
// unset: no errors[], the names in context.properties, and a message such as "Error
// creating NOTE. Some required properties were not set." (as integrators capture it).
func missingRequired(context map[string][]string, message string) []Violation {
	var out []Violation
	for _, name := range context["properties"] {
		if name != "" {
			out = append(out, Violation{PropertyName: name, Code: CodeMissingRequiredProperty, Message: message})
		}
	}
	return out
}

// first is the first of a context value's strings, or "".
func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

func embeddedViolations(message string) []Violation {
	start := strings.Index(message, "[{")
	end := strings.LastIndex(message, "}]")
	if start < 0 || end < start {
		return nil
	}
	var items []errorEnvelope
	if json.Unmarshal([]byte(message[start:end+2]), &items) != nil {
		return nil
	}
	out := make([]Violation, 0, len(items))
	for _, item := range items {
		out = append(out, Violation{
			PropertyName: truncate.Text(item.str("name"), maxErrorField),
			Code:         truncate.Text(item.str("error"), maxErrorField),
			Message:      truncate.Text(item.str("message"), maxErrorField),
		})
	}
	return out
}

// str returns the field as a string whatever JSON scalar it was sent as.
func (e errorEnvelope) str(key string) string {
	s, _ := lenientString(e[key])
	return s
}

// lenientString accepts a JSON string, number or boolean.
func lenientString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	if raw[0] == '"' {
		// Most values (ids, timestamps) hold no escapes: take them as they are, which keeps
		// decoding large property lists cheap.
		if n := len(raw); n >= 2 && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 && bytes.IndexByte(raw[1:n-1], '"') < 0 {
			return string(raw[1 : n-1]), true
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	if raw[0] == '{' || raw[0] == '[' {
		return "", false
	}
	return string(raw), true
}

// retryAfter reads Retry-After in seconds (HubSpot uses it for 477). Values
// are capped at a day, the longest migration HubSpot documents.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(min(secs, 86400) * float64(time.Second))
}
