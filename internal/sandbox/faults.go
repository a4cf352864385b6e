package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultRule injects failures into matching requests, so retry and idempotency logic
// can be tested. Rules are checked in the order they were added; the first rule that
// matches a request decides its fate.
type FaultRule struct {
	ID string `json:"id,omitempty"` // set by AddFault
	// Method matches the HTTP method; empty matches any.
	Method string `json:"method,omitempty"`
	// Path matches the URL path: a prefix ("/crm/v3/objects/contacts"), or a glob when
	// it contains '*', where '*' matches any run of characters, '/' included
	// ("/crm/v3/objects/*/batch/*"). Empty matches every path.
	Path string `json:"path,omitempty"`
	// Latency delays the response by Latency plus a uniform random part of Jitter.
	Latency time.Duration `json:"latency,omitempty"`
	Jitter  time.Duration `json:"jitter,omitempty"`
	// ResponseDelay holds the answer back this long after the request has been served
	// (the write is applied first): a slow response, during which a client that gives up
	// or crashes leaves a write it never heard about.
	ResponseDelay time.Duration `json:"responseDelay,omitempty"`
	// ErrorRates maps a status (500, 502, 503, 504) to the probability of answering it
	// instead of serving the request.
	ErrorRates map[int]float64 `json:"errorRates,omitempty"`
	// Outage makes every matching request fail with 503 for this long after the rule
	// is added.
	Outage time.Duration `json:"outage,omitempty"`
	// ResetRate is the probability of closing the connection without an answer, before
	// the request is served.
	ResetRate float64 `json:"resetRate,omitempty"`
	// LostResponseRate is the probability of serving the request (the write happens)
	// and then closing the connection without sending the answer.
	LostResponseRate float64 `json:"lostResponseRate,omitempty"`
	// Count limits how many requests the rule may fault; 0 means no limit. With rate 1
	// it gives "the next N requests fail".
	Count int `json:"count,omitempty"`
}

type activeFault struct {
	rule        FaultRule
	outageUntil time.Time
	used        int
}

type faultKind int

const (
	faultNone faultKind = iota
	faultError
	faultOutage
	faultReset
	faultLostResponse
)

func (k faultKind) String() string {
	return [...]string{"", "error_5xx", "outage", "connection_reset", "lost_response"}[k]
}

type faultPlan struct {
	kind       faultKind
	delay      time.Duration
	afterDelay time.Duration // after serving, before answering
	status     int
}

// AddFault installs a rule and returns its id.
func (s *Sandbox) AddFault(rule FaultRule) (string, error) {
	for status, p := range rule.ErrorRates {
		if status < 500 || status > 599 || p < 0 || p > 1 {
			return "", fmt.Errorf("sandbox: error rate %d=%v: want a 5xx status and a probability", status, p)
		}
	}
	if rule.ResetRate < 0 || rule.ResetRate > 1 || rule.LostResponseRate < 0 || rule.LostResponseRate > 1 {
		return "", fmt.Errorf("sandbox: rates are probabilities between 0 and 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rule.ID = fmt.Sprintf("fault-%d", s.nextFault)
	s.nextFault++
	rule.ErrorRates = maps.Clone(rule.ErrorRates)
	f := &activeFault{rule: rule}
	if rule.Outage > 0 {
		f.outageUntil = s.now().Add(rule.Outage)
	}
	s.faults = append(s.faults, f)
	return rule.ID, nil
}

// RemoveFault deletes one rule.
func (s *Sandbox) RemoveFault(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.rule.ID == id {
			s.faults = slices.Delete(s.faults, i, i+1)
			return nil
		}
	}
	return ErrNotFound
}

// ClearFaults removes every rule.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults lists the installed rules.
func (s *Sandbox) Faults() []FaultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FaultRule, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, f.rule)
	}
	return out
}

func (r FaultRule) matches(method, path string) bool {
	if r.Method != "" && !strings.EqualFold(r.Method, method) {
		return false
	}
	if strings.Contains(r.Path, "*") {
		return globMatch(r.Path, path)
	}
	return strings.HasPrefix(path, r.Path)
}

// globMatch matches '*' against any run of characters, including '/'.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		idx := strings.Index(s, part)
		if idx < 0 {
			return false
		}
		s = s[idx+len(part):]
	}
	return true
}

// planFaultLocked rolls the dice for one request against the first matching rule.
func (s *Sandbox) planFaultLocked(method, path string) faultPlan {
	now := s.now()
	for _, f := range s.faults {
		r := f.rule
		if !r.matches(method, path) {
			continue
		}
		if r.Count > 0 && f.used >= r.Count {
			continue
		}
		var plan faultPlan
		plan.delay = r.Latency
		if r.Jitter > 0 {
			plan.delay += time.Duration(s.rng.Int64N(int64(r.Jitter)))
		}
		switch {
		case !f.outageUntil.IsZero() && now.Before(f.outageUntil):
			plan.kind, plan.status = faultOutage, http.StatusServiceUnavailable
		case r.ResetRate > 0 && s.rng.Float64() < r.ResetRate:
			plan.kind = faultReset
		default:
			for _, status := range slices.Sorted(maps.Keys(r.ErrorRates)) {
				if s.rng.Float64() < r.ErrorRates[status] {
					plan.kind, plan.status = faultError, status
					break
				}
			}
			if plan.kind == faultNone && r.LostResponseRate > 0 && s.rng.Float64() < r.LostResponseRate {
				plan.kind = faultLostResponse
			}
		}
		plan.afterDelay = r.ResponseDelay
		if plan.kind != faultNone || plan.delay > 0 || plan.afterDelay > 0 {
			f.used++
		}
		return plan
	}
	return faultPlan{}
}
