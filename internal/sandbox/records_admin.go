package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
)

// ValidationError is returned by the Go record methods when HubSpot would answer 400;
// Body is the error body HubSpot would send.
type ValidationError struct {
	Body json.RawMessage
}

func (e *ValidationError) Error() string { return "sandbox: invalid record: " + string(e.Body) }

// ErrConflict is returned when a record would duplicate a contact's email.
var ErrConflict = errors.New("sandbox: a contact with that email already exists")

// CreateRecord stores a record as POST /crm/v3/objects/{type} would (same validation),
// without auth or limits, and returns its id. The record is searchable at once, without
// the search lag: it stands for data the portal held before the test began.
func (s *Sandbox) CreateRecord(hubID int64, objectType string, properties map[string]string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return "", err
	}
	values, errs := validateValues(a, a.schema[ot.name], properties)
	if len(errs) == 0 {
		errs = a.checkStage(ot, nil, values)
	}
	if len(errs) > 0 {
		b, _ := json.Marshal(propertyErrorsBody("", errs))
		return "", &ValidationError{Body: b}
	}
	r, conflict := a.createRecord(ot, values, s.now())
	if conflict != nil {
		return "", fmt.Errorf("%w (existing id %s)", ErrConflict, conflict.existingID)
	}
	r.unindexed = nil
	return r.id, nil
}

// ImportRecords stores records as an import into HubSpot does: each validated as
// CreateRecord validates it, all under one lock and stamped with one create time, the
// sandbox clock's now; nothing is stored when one of them is invalid. It returns their ids
// in order. Like CreateRecord's, the records are searchable at once. Records sharing one
// create time to the millisecond are what a search that pages by create time must read by
// id, past the 10,000 results one query can page through.
func (s *Sandbox) ImportRecords(hubID int64, objectType string, records []map[string]string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return nil, err
	}
	valid := make([]map[string]string, len(records))
	emails := map[string]bool{}
	for i, properties := range records {
		values, errs := validateValues(a, a.schema[ot.name], properties)
		if len(errs) == 0 {
			errs = a.checkStage(ot, nil, values)
		}
		if len(errs) > 0 {
			b, _ := json.Marshal(propertyErrorsBody("", errs))
			return nil, fmt.Errorf("record %d: %w", i, &ValidationError{Body: b})
		}
		if email := values["email"]; ot.name == "contacts" && email != "" {
			if id, dup := a.emails[email]; dup {
				return nil, fmt.Errorf("record %d: %w (existing id %s)", i, ErrConflict, id)
			}
			if emails[email] {
				return nil, fmt.Errorf("record %d: %w (earlier in the import)", i, ErrConflict)
			}
			emails[email] = true
		}
		valid[i] = values
	}
	now := s.now()
	ids := make([]string, len(valid))
	for i, values := range valid {
		r, _ := a.createRecord(ot, values, now) // emails were checked above
		r.unindexed = nil
		ids[i] = r.id
	}
	return ids, nil
}

// Record returns a live record's property values (all of them) and whether it exists.
func (s *Sandbox) Record(hubID int64, objectType, id string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return nil, false
	}
	r := a.findRecord(ot, id, "")
	if r == nil {
		return nil, false
	}
	return maps.Clone(r.props), true
}

// RecordCount returns how many live records of a type an account holds.
func (s *Sandbox) RecordCount(hubID int64, objectType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range a.records[ot.name] {
		if !r.archived {
			n++
		}
	}
	return n
}

// Associate links two records with a HUBSPOT_DEFINED type id from fromType's side
// (0 picks the pair's default, unlabelled type); the reverse is stored too.
func (s *Sandbox) Associate(hubID int64, fromType, fromID, toType, toID string, typeID int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, from, err := s.resolveLocked(hubID, fromType)
	if err != nil {
		return err
	}
	to, ok := lookupObjectType(toType)
	if !ok {
		return fmt.Errorf("sandbox: unknown object type %q", toType)
	}
	if a.findRecord(from, fromID, "") == nil || a.findRecord(to, toID, "") == nil {
		return fmt.Errorf("sandbox: association ends: %w", ErrNotFound)
	}
	var t *assocType
	if typeID == 0 {
		t, ok = defaultAssocType(from.name, to.name)
	} else {
		t, ok = findAssocType(from.name, typeID)
		ok = ok && t.to == to.name
	}
	if !ok {
		return fmt.Errorf("sandbox: no association type %d from %s to %s", typeID, from.name, to.name)
	}
	a.links.add(t, fromID, toID)
	return nil
}

// AssociatedIDs lists the ids of toType records linked from a record.
func (s *Sandbox) AssociatedIDs(hubID int64, fromType, fromID, toType string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, from, err := s.resolveLocked(hubID, fromType)
	if err != nil {
		return nil
	}
	to, ok := lookupObjectType(toType)
	if !ok {
		return nil
	}
	var out []string
	for _, ref := range a.links.targets(objRef{from.name, fromID}, to.name) {
		out = append(out, ref.id)
	}
	return out
}

func (s *Sandbox) resolveLocked(hubID int64, objectType string) (*account, *objectType, error) {
	a, err := s.accountLocked(hubID)
	if err != nil {
		return nil, nil, err
	}
	ot, ok := lookupObjectType(objectType)
	if !ok {
		return nil, nil, fmt.Errorf("sandbox: unknown object type %q", objectType)
	}
	return a, ot, nil
}
