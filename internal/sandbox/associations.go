package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// assocType is one HUBSPOT_DEFINED association type. Ids are directional: each has a
// reverse with its own id (contact → company 279, company → contact 280), and a request
// with the wrong direction's id fails (https://developers.hubspot.com/docs/api/crm/associations).
type assocType struct {
	from, to string // object type names
	typeID   int
	reverse  int
	label    string // "" is the unlabelled type, sent as null
	v3Name   string // the v3 "type" string on GET …?associations=
}

// associationTypes is a constant table (never mutated). The first type listed for a
// pair is its default (unlabelled) type.
var associationTypes = func() []assocType {
	var out []assocType
	pair := func(from, to string, id, rev int, label, name, revName string) {
		out = append(out, assocType{from, to, id, rev, label, name}, assocType{to, from, rev, id, label, revName})
	}
	pair("contacts", "companies", 279, 280, "", "contact_to_company_unlabeled", "company_to_contact_unlabeled")
	pair("contacts", "companies", 1, 2, "Primary", "contact_to_company", "company_to_contact")
	pair("contacts", "deals", 4, 3, "", "contact_to_deal", "deal_to_contact")
	pair("deals", "companies", 341, 342, "", "deal_to_company_unlabeled", "company_to_deal_unlabeled")
	pair("deals", "companies", 5, 6, "Primary", "deal_to_company", "company_to_deal")
	for _, e := range []struct {
		from                   string
		contact, company, deal [2]int
	}{
		{"notes", [2]int{202, 201}, [2]int{190, 189}, [2]int{214, 213}},
		{"calls", [2]int{194, 193}, [2]int{182, 181}, [2]int{206, 205}},
		{"communications", [2]int{81, 82}, [2]int{87, 88}, [2]int{85, 86}},
	} {
		one := strings.TrimSuffix(e.from, "s")
		pair(e.from, "contacts", e.contact[0], e.contact[1], "", one+"_to_contact", "contact_to_"+one)
		pair(e.from, "companies", e.company[0], e.company[1], "", one+"_to_company", "company_to_"+one)
		pair(e.from, "deals", e.deal[0], e.deal[1], "", one+"_to_deal", "deal_to_"+one)
	}
	return out
}()

func findAssocType(from string, typeID int) (*assocType, bool) {
	for i := range associationTypes {
		if t := &associationTypes[i]; t.from == from && t.typeID == typeID {
			return t, true
		}
	}
	return nil, false
}

func defaultAssocType(from, to string) (*assocType, bool) {
	for i := range associationTypes {
		if t := &associationTypes[i]; t.from == from && t.to == to {
			return t, true
		}
	}
	return nil, false
}

func typesBetween(from, to string) []assocType {
	var out []assocType
	for _, t := range associationTypes {
		if t.from == from && t.to == to {
			out = append(out, t)
		}
	}
	return out
}

type objRef struct{ typ, id string }

// associationStore keeps both directions of every association.
type associationStore struct {
	links map[objRef]map[objRef][]int // from → to → type ids (sorted)
	// onChange, when set, hears of every association added or removed (by add and
	// removePair) from the side of the type given; removeObject, a record's deletion, is
	// silent.
	onChange func(t *assocType, fromID, toID string, removed bool)
}

func newAssociationStore() *associationStore {
	return &associationStore{links: map[objRef]map[objRef][]int{}}
}

func (s *associationStore) addOne(from, to objRef, typeID int) {
	if s.links[from] == nil {
		s.links[from] = map[objRef][]int{}
	}
	ids := s.links[from][to]
	if !slices.Contains(ids, typeID) {
		ids = append(ids, typeID)
		slices.Sort(ids)
	}
	s.links[from][to] = ids
}

// add stores an association and its reverse.
func (s *associationStore) add(t *assocType, fromID, toID string) {
	from, to := objRef{t.from, fromID}, objRef{t.to, toID}
	if s.onChange != nil && !slices.Contains(s.links[from][to], t.typeID) {
		s.onChange(t, fromID, toID, false)
	}
	s.addOne(from, to, t.typeID)
	s.addOne(to, from, t.reverse)
}

// typeIDs lists the association type ids from one object to another, ascending.
func (s *associationStore) typeIDs(from, to objRef) []int {
	return s.links[from][to]
}

// removePair deletes every association between two objects, both directions.
func (s *associationStore) removePair(from, to objRef) {
	if s.onChange != nil {
		for _, id := range s.links[from][to] {
			if t, ok := findAssocType(from.typ, id); ok {
				s.onChange(t, from.id, to.id, true)
			}
		}
	}
	delete(s.links[from], to)
	delete(s.links[to], from)
}

func (s *associationStore) removeObject(typ, id string) {
	ref := objRef{typ, id}
	for other := range s.links[ref] {
		delete(s.links[other], ref)
	}
	delete(s.links, ref)
}

// targets lists the objects of one type linked from an object, by ascending id.
func (s *associationStore) targets(from objRef, toType string) []objRef {
	var out []objRef
	for to := range s.links[from] {
		if to.typ == toType {
			out = append(out, to)
		}
	}
	slices.SortFunc(out, func(a, b objRef) int { return compareNumericIDs(a.id, b.id) })
	return out
}

func compareNumericIDs(a, b string) int {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return int(x - y)
}

// flexID accepts an id sent as a JSON string or number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id must be a string or a number")
	}
	*f = flexID(n.String())
	return nil
}

type associationSpec struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   int    `json:"associationTypeId"`
}

type inlineAssociation struct {
	To struct {
		ID flexID `json:"id"`
	} `json:"to"`
	Types []associationSpec `json:"types"`
}

type resolvedLink struct {
	t    *assocType
	toID string
}

// resolveInline checks the associations of a create: each type id must exist for the
// source type (which fixes the target type) and the target must exist.
func (c *call) resolveInline(ot *objectType, in []inlineAssociation) ([]resolvedLink, string) {
	var out []resolvedLink
	for _, a := range in {
		for _, spec := range a.Types {
			t, ok := findAssocType(ot.name, spec.AssociationTypeID)
			if !ok || (spec.AssociationCategory != "" && spec.AssociationCategory != "HUBSPOT_DEFINED") {
				return nil, fmt.Sprintf("%s %d is not a valid association type for %s",
					spec.AssociationCategory, spec.AssociationTypeID, ot.typeID)
			}
			toOT, _ := lookupObjectType(t.to)
			if c.acct.findRecord(toOT, string(a.To.ID), "") == nil {
				return nil, fmt.Sprintf("Could not find %s with id %s to associate with", toOT.singular, a.To.ID)
			}
			out = append(out, resolvedLink{t: t, toID: string(a.To.ID)})
		}
	}
	return out, ""
}

func (a *account) applyInline(ot *objectType, id string, links []resolvedLink) {
	for _, l := range links {
		a.links.add(l.t, id, l.toID)
	}
}

type v3AssociatedID struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type v3AssociationCollection struct {
	Results []v3AssociatedID `json:"results"`
}

// v3Associations builds the "associations" of a v3 GET with ?associations=companies.
func (c *call) v3Associations(ot *objectType, r *record, toTypes []string) map[string]v3AssociationCollection {
	if len(toTypes) == 0 {
		return nil
	}
	out := map[string]v3AssociationCollection{}
	for _, name := range toTypes {
		toOT, ok := lookupObjectType(name)
		if !ok {
			continue
		}
		var coll v3AssociationCollection
		from := objRef{ot.name, r.id}
		for _, to := range c.acct.links.targets(from, toOT.name) {
			for _, typeID := range c.acct.links.links[from][to] {
				if t, ok := findAssocType(ot.name, typeID); ok {
					coll.Results = append(coll.Results, v3AssociatedID{ID: to.id, Type: t.v3Name})
				}
			}
		}
		if len(coll.Results) > 0 {
			out[toOT.name] = coll
		}
	}
	return out
}
