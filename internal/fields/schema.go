package fields

import (
	"fmt"
	"sort"
	"strings"
)

// Schema is the fields of one object type, looked up by name.
type Schema struct {
	ObjectType string
	Version    int64
	byName     map[string]*Field
	names      []string // sorted
}

// NewSchema indexes fields.
func NewSchema(objectType string, version int64, fs []Field) *Schema {
	s := &Schema{ObjectType: objectType, Version: version, byName: make(map[string]*Field, len(fs))}
	for i := range fs {
		f := fs[i]
		s.byName[f.Name] = &f
		s.names = append(s.names, f.Name)
	}
	sort.Strings(s.names)
	return s
}

// Field returns the named field.
func (s *Schema) Field(name string) (*Field, bool) {
	f, ok := s.byName[name]
	return f, ok
}

// Fields returns the fields sorted by name.
func (s *Schema) Fields() []*Field {
	out := make([]*Field, len(s.names))
	for i, n := range s.names {
		out[i] = s.byName[n]
	}
	return out
}

// Lookup returns the named field, or a ValueError saying it does not exist with the closest
// names as suggestions.
func (s *Schema) Lookup(name string) (*Field, error) {
	if f, ok := s.byName[name]; ok {
		return f, nil
	}
	msg := fmt.Sprintf("%s has no field %q", s.ObjectType, name)
	if sugg := s.Suggest(name); sugg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sugg)
	} else {
		msg += "; DiscoverFields lists the fields (refresh it if the field was just created in HubSpot)"
	}
	return nil, &ValueError{Field: name, Message: msg}
}

// Normalize checks that name is a writable field of the schema and normalises v for it.
func (s *Schema) Normalize(name string, v any) (string, error) {
	f, err := s.Lookup(name)
	if err != nil {
		return "", err
	}
	return Normalize(f, v)
}

// Suggest returns the field name closest to name (by name or label), or "" when nothing is
// close enough to be a likely typo.
func (s *Schema) Suggest(name string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", 0
	for _, n := range s.names {
		f := s.byName[n]
		d := levenshtein(lower, strings.ToLower(n))
		if dl := levenshtein(lower, strings.ToLower(f.Label)); dl < d {
			d = dl
		}
		if best == "" || d < bestDist {
			best, bestDist = n, d
		}
	}
	limit := len(name)/3 + 1
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b, by bytes (field names are ASCII).
func levenshtein(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
