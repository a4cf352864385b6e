package fields

import (
	"fmt"
	"sort"
	"sync"
)

// Schema is the fields of one object type, looked up by name.
type Schema struct {
	ObjectType string
	Version    int64
	byName     map[string]*Field
	names      []string // sorted

	pipelines []Pipeline      // see WithPipelines
	owners    *OwnerDirectory // what owner-typed fields resolve against; nil: not read

	indexOnce sync.Once
	index     *suggestIndex // built on the first suggestion
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

// WithOwners sets the account's owners, which the schema's owner-typed fields
// (IsOwnerField) resolve values against, and returns s. It must be called before s is
// shared.
func (s *Schema) WithOwners(d *OwnerDirectory) *Schema {
	s.owners = d
	return s
}

// Owners returns the owners set by WithOwners, or nil.
func (s *Schema) Owners() *OwnerDirectory { return s.owners }

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

// Lookup returns the named field, or a ValueError saying why there is none: the name is not
// one a field can have (CheckName), or the schema has no such field. An unknown name gets a
// "did you mean" while budget allows; the rest say where the fields are listed.
func (s *Schema) Lookup(name string, budget *SuggestionBudget) (*Field, error) {
	if f, ok := s.byName[name]; ok {
		return f, nil
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("%s has no field %q", s.ObjectType, name)
	if sugg := s.Suggest(name, budget); sugg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sugg)
	} else {
		msg += "; DiscoverFields lists the fields (refresh it if the field was just created in HubSpot)"
	}
	return nil, &ValueError{Field: name, Message: msg}
}

// Normalize checks that name is a writable field of the schema and normalises v for it; an
// owner-typed field takes an owner id or email of the schema's owners (WithOwners).
func (s *Schema) Normalize(name string, v any, budget *SuggestionBudget) (string, error) {
	f, err := s.Lookup(name, budget)
	if err != nil {
		return "", err
	}
	return normalize(f, v, s.owners, budget, false)
}

// NormalizeForSearch is Normalize for a value compared in a search filter on f, a field of
// the schema: read-only and calculated fields may be searched, so only the value is checked,
// and an archived owner may be searched for.
func (s *Schema) NormalizeForSearch(f *Field, v any, budget *SuggestionBudget) (string, error) {
	readable := *f
	readable.ReadOnly = false
	return normalize(&readable, v, s.owners, budget, true)
}

// Suggest returns the field closest to name (by name or label), or "" when nothing is close
// enough to be a likely typo, when name is not a possible field name, or when budget has no
// suggestion left. Its cost does not depend on name's length (names are bounded) and grows
// only with the fields whose names are about as long as name.
func (s *Schema) Suggest(name string, budget *SuggestionBudget) string {
	if CheckName(name) != nil || !budget.take() {
		return ""
	}
	s.indexOnce.Do(func() { s.index = newSuggestIndex(s.names, s.byName) })
	return s.index.suggest(name)
}
