package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxStringValue is HubSpot's limit on string property values: 65,536 characters
// (https://developers.hubspot.com/docs/api/crm/properties, "type and fieldType values").
const maxStringValue = 65_536

// propertyInput is the "properties" object of a write. HubSpot stores strings, but
// clients send numbers and booleans too, and null clears like "".
type propertyInput map[string]json.RawMessage

func (in propertyInput) strings() map[string]string {
	out := make(map[string]string, len(in))
	for k, raw := range in {
		var s string
		switch {
		case len(raw) == 0 || string(raw) == "null":
			s = ""
		case raw[0] == '"':
			_ = json.Unmarshal(raw, &s)
		default:
			s = string(raw)
		}
		out[k] = s
	}
	return out
}

// validateValues checks and normalises a write's property values for account a the way
// HubSpot does, returning the values to store ("" means clear) or the per-property errors.
func validateValues(a *account, ps *propertySet, values map[string]string) (map[string]string, []propertyError) {
	hubID := a.info.HubID
	out := make(map[string]string, len(values))
	var errs []propertyError
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names) // stable error order for tests and humans
	for _, name := range names {
		raw := values[name]
		p, ok := ps.live(name)
		if !ok {
			errs = append(errs, newPropertyError(name, "PROPERTY_DOESNT_EXIST",
				fmt.Sprintf("Property \"%s\" does not exist", name), hubID))
			continue
		}
		if p.ModificationMetadata.ReadOnlyValue {
			errs = append(errs, newPropertyError(name, "READ_ONLY_VALUE",
				fmt.Sprintf("%s is a read only property; its value cannot be set.", name), hubID))
			continue
		}
		if raw == "" {
			out[name] = ""
			continue
		}
		v, code, msg := normalizeValue(p, raw)
		if code == "" && isOwnerProperty(p) && !a.activeOwner(v) {
			code, msg = "INVALID_OWNER_ID", fmt.Sprintf("%s is not a valid owner id", raw)
		}
		if code != "" {
			errs = append(errs, newPropertyError(name, code, msg, hubID))
			continue
		}
		out[name] = v
	}
	return out, errs
}

func newPropertyError(name, code, msg string, hubID int64) propertyError {
	return propertyError{IsValid: false, Message: msg, Error: code, Name: name,
		LocalizedErrorMessage: msg, PortalID: hubID}
}

// normalizeValue returns the stored form of one non-empty value, or an error code and
// message in HubSpot's wording.
func normalizeValue(p *Property, raw string) (value, code, msg string) {
	switch p.Type {
	case "number":
		s := strings.TrimSpace(raw)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", "INVALID_LONG", fmt.Sprintf("%s was not a valid long.", raw)
		}
		return s, "", ""
	case "bool":
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "true":
			return "true", "", ""
		case "false":
			return "false", "", ""
		}
		return "", "INVALID_BOOLEAN", fmt.Sprintf("%s was not a valid boolean.", raw)
	case "date":
		t, ok := parseHubSpotTime(raw)
		if !ok {
			return "", "INVALID_DATE", fmt.Sprintf("%s was not a valid date.", raw)
		}
		if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			return "", "INVALID_DATE", fmt.Sprintf("%s is at %d:%d:%d.%d UTC, not midnight!",
				raw, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6)
		}
		return t.Format("2006-01-02"), "", ""
	case "datetime":
		t, ok := parseHubSpotTime(raw)
		if !ok {
			return "", "INVALID_DATETIME", fmt.Sprintf("%s was not a valid datetime.", raw)
		}
		return isoMillis(t), "", ""
	case "enumeration":
		return normalizeEnumeration(p, raw)
	}
	if len(raw) > maxStringValue {
		return "", "MAX_LENGTH_EXCEEDED", fmt.Sprintf("value of %s is longer than %d characters", p.Name, maxStringValue)
	}
	if p.Name == "email" {
		addr, err := mail.ParseAddress(raw)
		if err != nil || addr.Address != strings.TrimSpace(raw) || !strings.Contains(raw[strings.LastIndex(raw, "@"):], ".") {
			return "", "INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", raw)
		}
		return strings.ToLower(strings.TrimSpace(raw)), "", ""
	}
	if p.Name == "hs_call_recording_url" && !strings.HasPrefix(raw, "https://") {
		return "", "INVALID_URL", "hs_call_recording_url must be an HTTPS URL"
	}
	return raw, "", ""
}

func normalizeEnumeration(p *Property, raw string) (value, code, msg string) {
	if p.ExternalOptions {
		// hubspot_owner_id: options live in the owners API; validateValues checks the
		// owner is one of the account's active owners.
		if _, err := strconv.ParseInt(raw, 10, 64); err != nil {
			return "", "INVALID_OWNER_ID", fmt.Sprintf("%s is not a valid owner id", raw)
		}
		return raw, "", ""
	}
	parts := []string{raw}
	if p.FieldType == "checkbox" { // multi-select: values joined with ';'
		parts = strings.Split(raw, ";")
	}
	allowed := make([]string, 0, len(p.Options))
	for _, o := range p.Options {
		allowed = append(allowed, o.Value)
	}
	for _, part := range parts {
		if !slices.Contains(allowed, part) {
			return "", "INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: [%s]",
				part, strings.Join(allowed, ", "))
		}
	}
	return raw, "", ""
}

// parseHubSpotTime accepts what HubSpot accepts for date and datetime inputs: epoch
// milliseconds, RFC 3339 with or without fractions, or a bare date (midnight UTC).
func parseHubSpotTime(raw string) (time.Time, bool) {
	s := strings.TrimSpace(raw)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// isOwnerProperty reports a property whose values are owner ids: hubspot_owner_id and any
// other property referencing OWNER (its options are the owners API's, not its own).
func isOwnerProperty(p *Property) bool {
	return p.ReferencedObjectType == "OWNER"
}

// activeOwner reports whether id is the id of one of a's owners that is not archived:
// HubSpot refuses to assign a record to an owner that does not exist or was deactivated.
func (a *account) activeOwner(id string) bool {
	for _, o := range a.owners {
		if o.ID == id {
			return !o.Archived
		}
	}
	return false
}
