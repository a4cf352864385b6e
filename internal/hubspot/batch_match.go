package hubspot

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/truncate"
)

// MaxBatchInputs is HubSpot's limit on inputs per batch request; a 101st
// input gets the whole request rejected, so it is checked before sending.
const MaxBatchInputs = 100

func checkBatchSize(n int) error {
	if n == 0 {
		return invalid("a batch needs at least one input")
	}
	if n > MaxBatchInputs {
		return fmt.Errorf("%w: %d inputs, at most %d", ErrBatchTooLarge, n, MaxBatchInputs)
	}
	return nil
}

// BatchOutcome is what happened to one input of a batch call.
type BatchOutcome struct {
	Object *Object // nil when the input failed
	New    bool    // upsert only: true when HubSpot created the record
	// Err is nil on success, an *APIError for a failure HubSpot reported for
	// this input (errors.Is works: ErrNotFound, ErrValidation, …), or
	// ErrNoResult when the response said nothing about it.
	Err error
}

// BatchResult is a batch call's outcome, one entry per input in input
// order, whatever order HubSpot answered in. A 207 (multi-status) response
// is not an error of the call: inspect each outcome.
type BatchResult struct {
	Outcomes  []BatchOutcome
	Status    string      // COMPLETE, PENDING, PROCESSING or CANCELED
	Errors    []*APIError // every per-input error as HubSpot reported it
	Unmatched []Object    // results that matched no input (should not happen)
	// Attempts is how many HTTP attempts the call took. Above 1, an earlier
	// attempt may have been applied without its response arriving: an
	// upsert's New then describes only the attempt that answered.
	Attempts int
}

// Failed counts inputs that did not succeed.
func (r *BatchResult) Failed() int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Err != nil {
			n++
		}
	}
	return n
}

// batchResponse is HubSpot's BatchResponseSimplePublicObject (and its
// …WithErrors and …UpsertObject variants).
type batchResponse struct {
	Status  string           `json:"status"`
	Results []batchObject    `json:"results"`
	Errors  []batchItemError `json:"errors"`
}

type batchObject struct {
	Object
	New bool `json:"new"`
}

// batchItemError is a StandardError; it is decoded as leniently as a
// top-level error body (its "status" is the string "error", not a code).
type batchItemError struct{ env errorEnvelope }

func (b *batchItemError) UnmarshalJSON(data []byte) error {
	var env errorEnvelope
	if json.Unmarshal(data, &env) != nil {
		env = errorEnvelope{}
	}
	b.env = env
	return nil
}

func (b batchItemError) toAPIError(operation string, scrub func(string) string) *APIError {
	clean := func(s string) string { return truncate.Text(scrub(s), maxErrorField) }
	e := &APIError{
		Operation:     operation,
		Category:      clean(b.env.str("category")),
		SubCategory:   clean(b.env.str("subCategory")),
		Message:       clean(b.env.str("message")),
		CorrelationID: clean(b.env.str("correlationId")),
		Context:       decodeContext(b.env["context"], clean),
		ObjectID:      clean(b.env.str("id")),
		TraceID:       clean(b.env.str("objectWriteTraceId")),
	}
	if e.TraceID == "" && len(e.Context["objectWriteTraceId"]) > 0 {
		e.TraceID = e.Context["objectWriteTraceId"][0]
	}
	switch e.Category {
	case "VALIDATION_ERROR":
		e.Violations = violations(decodeDetails(b.env["errors"], clean), e.Message)
	case "CONFLICT":
		e.ExistingID = existingID(e.Message)
	}
	return e
}

// inputKey is how an input can be recognised in a response. idValue is
// compared case-insensitively: HubSpot lowercases emails.
type inputKey struct {
	traceID string
	id      string
	idValue string
}

// batchMatcher assigns results and errors to inputs by trace id, id, or
// idProperty value — never by position, since HubSpot does not keep order.
type batchMatcher struct {
	idProperty string
	byTrace    map[string][]int
	byID       map[string][]int
	byValue    map[string][]int
	outcomes   []BatchOutcome
	decided    []bool
}

func newBatchMatcher(keys []inputKey, idProperty string) *batchMatcher {
	m := &batchMatcher{
		idProperty: idProperty,
		byTrace:    map[string][]int{},
		byID:       map[string][]int{},
		byValue:    map[string][]int{},
		outcomes:   make([]BatchOutcome, len(keys)),
		decided:    make([]bool, len(keys)),
	}
	for i, k := range keys {
		if k.traceID != "" {
			m.byTrace[k.traceID] = append(m.byTrace[k.traceID], i)
		}
		if k.id != "" {
			m.byID[k.id] = append(m.byID[k.id], i)
		}
		if k.idValue != "" {
			m.byValue[strings.ToLower(k.idValue)] = append(m.byValue[strings.ToLower(k.idValue)], i)
		}
	}
	return m
}

// take returns the first undecided input under key, or -1.
func (m *batchMatcher) take(index map[string][]int, key string) int {
	if key == "" {
		return -1
	}
	for _, i := range index[key] {
		if !m.decided[i] {
			return i
		}
	}
	return -1
}

func (m *batchMatcher) matchResult(obj Object) int {
	if i := m.take(m.byTrace, obj.ObjectWriteTraceID); i >= 0 {
		return i
	}
	if i := m.take(m.byID, string(obj.ID)); i >= 0 {
		return i
	}
	if m.idProperty != "" {
		return m.take(m.byValue, strings.ToLower(obj.Properties[m.idProperty]))
	}
	return -1
}

// errorTargets lists every input an error is about: one by trace id, or
// all inputs named in context.ids (a batch read lists all missing ids in
// one error).
func (m *batchMatcher) errorTargets(e *APIError) []int {
	if i := m.take(m.byTrace, e.TraceID); i >= 0 {
		return []int{i}
	}
	var targets []int
	for _, key := range append([]string{e.ObjectID}, e.Context["ids"]...) {
		if i := m.take(m.byID, key); i >= 0 {
			targets = append(targets, i)
			m.decided[i] = true
		} else if i := m.take(m.byValue, strings.ToLower(key)); i >= 0 {
			targets = append(targets, i)
			m.decided[i] = true
		}
	}
	return targets
}

func (m *batchMatcher) apply(resp batchResponse, operation string, scrub func(string) string) *BatchResult {
	out := &BatchResult{Status: resp.Status}
	for _, r := range resp.Results {
		obj := r.Object
		i := m.matchResult(obj)
		if i < 0 {
			out.Unmatched = append(out.Unmatched, obj)
			continue
		}
		m.decided[i] = true
		m.outcomes[i] = BatchOutcome{Object: &obj, New: r.New}
	}
	for _, item := range resp.Errors {
		e := item.toAPIError(operation, scrub)
		out.Errors = append(out.Errors, e)
		for _, i := range m.errorTargets(e) {
			m.decided[i] = true
			m.outcomes[i] = BatchOutcome{Err: e}
		}
	}
	for i := range m.outcomes {
		if !m.decided[i] {
			m.outcomes[i].Err = ErrNoResult
		}
	}
	out.Outcomes = m.outcomes
	return out
}
