package sandbox

import (
	"fmt"
	"net/http"
	"slices"
)

// Error codes of the write-validation refusals below (errors[].code).
const (
	// codeMissingConditional and codeMissingRequired are the codes HubSpot's 2026-09
	// write validation puts in errors[] for an account admin's rules (changelog of the
	// 2026-09 release, https://developers.hubspot.com/changelog; the exact body is
	// second-hand).
	codeMissingConditional = "MISSING_CONDITIONAL_REQUIRED_PROPERTY"
	codeMissingRequired    = "MISSING_REQUIRED_PROPERTY"
	// codeLifecycleBackward is our own name for the lifecycle-stage refusal: HubSpot
	// documents the rule, not the body (see checkLifecycle).
	codeLifecycleBackward = "INVALID_LIFECYCLE_STAGE_TRANSITION"
)

// WriteRule is one validation rule an account admin configured, enforced on every write
// (single and batch, create, update and upsert, under both path families):
//
//   - with WhenProperty set, a conditionally required property: when a write leaves
//     WhenProperty at WhenValue, Property must hold a value (e.g. deal closed_lost_reason
//     when dealstage is closedlost);
//   - without it, a required field of the "create record" form: a create must set Property.
//
// HubSpot enforces these from API version 2026-09 (September 2026 changelog,
// https://developers.hubspot.com/changelog); what older versions do with them is not
// documented, so the sandbox enforces them on all paths: a rule exists only where a test
// configured it, so by default nothing changes.
type WriteRule struct {
	ObjectType   string `json:"objectType"` // "contacts", "deals", ...
	Property     string `json:"property"`
	WhenProperty string `json:"whenProperty,omitempty"`
	WhenValue    string `json:"whenValue,omitempty"`
}

// AddWriteRule configures a write-validation rule on an account. Every property it names
// must exist on the object type, and WhenValue is given exactly when WhenProperty is.
func (s *Sandbox) AddWriteRule(hubID int64, rule WriteRule) (WriteRule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return WriteRule{}, err
	}
	ot, ok := lookupObjectType(rule.ObjectType)
	if !ok {
		return WriteRule{}, fmt.Errorf("sandbox: unknown object type %q", rule.ObjectType)
	}
	rule.ObjectType = ot.name
	names := []string{rule.Property}
	if rule.WhenProperty != "" {
		names = append(names, rule.WhenProperty)
	}
	for _, name := range names {
		if _, ok := a.schema[ot.name].byName[name]; !ok {
			return WriteRule{}, fmt.Errorf("sandbox: write rule: %s has no property %q", ot.name, name)
		}
	}
	if (rule.WhenProperty == "") != (rule.WhenValue == "") {
		return WriteRule{}, fmt.Errorf("sandbox: write rule: whenProperty and whenValue go together")
	}
	a.writeRules = append(a.writeRules, rule)
	return rule, nil
}

// WriteRules lists an account's write-validation rules in the order they were added.
func (s *Sandbox) WriteRules(hubID int64) ([]WriteRule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return nil, err
	}
	return slices.Clone(a.writeRules), nil
}

// ClearWriteRules removes every write-validation rule of an account.
func (s *Sandbox) ClearWriteRules(hubID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return err
	}
	a.writeRules = nil
	return nil
}

func (s *Sandbox) writeRuleRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /_sandbox/accounts/{hubId}/write-rules", func(w http.ResponseWriter, r *http.Request) {
		rules, err := s.WriteRules(pathHubID(r))
		adminResult(w, http.StatusOK, nonNil(rules), err)
	})
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/write-rules", func(w http.ResponseWriter, r *http.Request) {
		var in WriteRule
		if !adminDecode(w, r, &in) {
			return
		}
		rule, err := s.AddWriteRule(pathHubID(r), in)
		adminResult(w, http.StatusCreated, rule, err)
	})
	m.HandleFunc("DELETE /_sandbox/accounts/{hubId}/write-rules", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ClearWriteRules(pathHubID(r)); err != nil {
			adminResult(w, 0, nil, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// checkWriteRules applies the account's rules to a write of values to current (nil: a
// create), returning one errors[] entry per property a rule finds unset. A conditional
// rule looks at the record as the write leaves it, and only when the write touches one of
// its two properties, so records written before the rule existed stay editable.
func (a *account) checkWriteRules(ot *objectType, current *record, values map[string]string) []errorDetail {
	after := func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		if current != nil {
			return current.props[name]
		}
		return ""
	}
	var out []errorDetail
	for _, rule := range a.writeRules {
		if rule.ObjectType != ot.name || after(rule.Property) != "" {
			continue
		}
		switch {
		case rule.WhenProperty == "" && current == nil:
			out = append(out, errorDetail{Code: codeMissingRequired,
				Message: fmt.Sprintf("%s is required when creating a %s", rule.Property, ot.singular),
				Context: map[string][]string{"propertyName": {rule.Property}}})
		case rule.WhenProperty != "" && after(rule.WhenProperty) == rule.WhenValue:
			_, setsWhen := values[rule.WhenProperty]
			_, setsProp := values[rule.Property]
			if current != nil && !setsWhen && !setsProp {
				continue
			}
			out = append(out, errorDetail{Code: codeMissingConditional,
				Message: fmt.Sprintf("%s is required when %s is %s", rule.Property, rule.WhenProperty, rule.WhenValue),
				Context: map[string][]string{"propertyName": {rule.Property},
					"conditionPropertyName": {rule.WhenProperty}, "conditionValue": {rule.WhenValue}}})
		}
	}
	return out
}

// writeRulesBody is the 400 for a write the account's rules refuse: HubSpot's
// VALIDATION_ERROR with one errors[] entry per unset property, each naming it in
// context.propertyName. The shape is second-hand (integrators' captures of 2026-09
// refusals); the condition keys in context are the sandbox's own addition.
func writeRulesBody(correlationID string, details []errorDetail) apiError {
	return apiError{Status: "error", Message: "Some required properties were not set.",
		CorrelationID: correlationID, Category: categoryValidation, Errors: details}
}

// checkLifecycle refuses a write that moves lifecyclestage to an earlier option than the
// record's current, non-empty stage. HubSpot's contacts guide documents the rule: the
// lifecycle stage can only be set forward in the stage order, and to set it backward the
// existing value must be cleared first
// (https://developers.hubspot.com/docs/guides/api/crm/objects/contacts, "Update
// contacts"); the sandbox applies it to companies too, which have the same property
// (unverified). Clearing (the empty string) is always
// allowed, and so is any stage once the value is empty. The 400 body is our guess:
// HubSpot documents the rule, not the error, so the sandbox answers a VALIDATION_ERROR
// whose errors[] entry names the property and, in context, both stages.
func (a *account) checkLifecycle(ot *objectType, current *record, values map[string]string) *errorDetail {
	const name = "lifecyclestage"
	requested, sets := values[name]
	if (ot.name != "contacts" && ot.name != "companies") || current == nil || !sets || requested == "" || current.props[name] == "" {
		return nil
	}
	p := a.schema[ot.name].byName[name]
	if p == nil {
		return nil
	}
	was := current.props[name]
	from := slices.IndexFunc(p.Options, func(o Option) bool { return o.Value == was })
	to := slices.IndexFunc(p.Options, func(o Option) bool { return o.Value == requested })
	if from < 0 || to < 0 || to >= from {
		return nil
	}
	return &errorDetail{Code: codeLifecycleBackward,
		Message: fmt.Sprintf("lifecyclestage can only be set forward: %s comes before the current stage %s; clear it first to set an earlier stage",
			requested, was),
		Context: map[string][]string{"propertyName": {name}, "currentValue": {was}, "requestedValue": {requested}}}
}
