package sandbox

import (
	"maps"
	"slices"
	"strconv"
)

// RecordSnapshot is a copy of one live record: its id and every property value.
type RecordSnapshot struct {
	ID         string
	Properties map[string]string
}

// Records returns every live record of a type, in id order: what a test inspects to count
// engagements (for example how many notes carry one marker in their body).
func (s *Sandbox) Records(hubID int64, objectType string) []RecordSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return nil
	}
	out := make([]RecordSnapshot, 0, len(a.records[ot.name]))
	for _, r := range a.records[ot.name] {
		if !r.archived {
			out = append(out, RecordSnapshot{ID: r.id, Properties: maps.Clone(r.props)})
		}
	}
	slices.SortFunc(out, func(x, y RecordSnapshot) int {
		xi, _ := strconv.ParseInt(x.ID, 10, 64)
		yi, _ := strconv.ParseInt(y.ID, 10, 64)
		return int(xi - yi)
	})
	return out
}
