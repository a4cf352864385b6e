package fields

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Owner is a HubSpot owner: a user records can be assigned to. ID is the value owner fields
// (hubspot_owner_id and other fields referencing OWNER) hold. The store keeps owners as JSON
// under these Go names.
type Owner struct {
	ID        string `json:",omitempty"`
	Email     string `json:",omitempty"`
	FirstName string `json:",omitempty"`
	LastName  string `json:",omitempty"`
	Teams     []Team `json:",omitempty"`
	// Archived owners are deactivated users: still named on old records.
	Archived bool `json:",omitempty"`
}

// Team is a team an owner belongs to; Primary marks the owner's main team.
type Team struct {
	ID      string `json:",omitempty"`
	Name    string `json:",omitempty"`
	Primary bool   `json:",omitempty"`
}

// IsOwnerField reports a field whose values are owner ids: hubspot_owner_id and every other
// property HubSpot marks as referencing OWNER (its choices are the account's owners, read
// from the owners API, not options of its own).
func IsOwnerField(f *Field) bool { return f.ReferencedObjectType == "OWNER" }

// OwnerDirectory is the account's owners as discovery last read them, which owner-typed
// fields resolve their values against; or, when they could not be read, why not.
// It is read-only once built and safe for concurrent use.
type OwnerDirectory struct {
	owners  []Owner
	byID    map[string]*Owner
	byEmail map[string]*Owner // lowercased; an active owner wins over an archived one
	// missing, when not empty, says why there are no owners to resolve against.
	missing string
}

// NewOwnerDirectory indexes the discovered owners.
func NewOwnerDirectory(owners []Owner) *OwnerDirectory {
	d := &OwnerDirectory{owners: owners, byID: make(map[string]*Owner, len(owners)),
		byEmail: make(map[string]*Owner, len(owners))}
	for i := range owners {
		o := &owners[i]
		d.byID[o.ID] = o
		if o.Email == "" {
			continue
		}
		key := strings.ToLower(o.Email)
		if prev, ok := d.byEmail[key]; !ok || prev.Archived && !o.Archived {
			d.byEmail[key] = o
		}
	}
	return d
}

// OwnersUnavailable is the directory of an account whose owners could not be read; why says
// so and what to do (e.g. that the token lacks the scope to read owners). Owner ids are then passed
// through unchecked (HubSpot checks them) and owner emails refused.
func OwnersUnavailable(why string) *OwnerDirectory {
	return &OwnerDirectory{missing: why}
}

// Lookup returns the owner with the id or (case-insensitively) the email s, archived ones
// included, if the directory has one.
func (d *OwnerDirectory) Lookup(s string) (*Owner, bool) {
	if d == nil {
		return nil, false
	}
	if o, ok := d.byID[s]; ok {
		return o, true
	}
	o, ok := d.byEmail[strings.ToLower(s)]
	return o, ok
}

// maxOwnerValueLength bounds an owner value (an id or an email, RFC 5321 allows 254
// characters for an address) before it is looked up or compared.
const maxOwnerValueLength = 254

// normalizeOwner resolves v, an owner id or an owner's email, to the owner id HubSpot
// stores in f. An owner the directory does not have, or one that is archived (a
// deactivated user HubSpot no longer assigns records to) unless archivedOK, is refused
// naming what was not found, with the closest active owner's email when one is a likely typo. Without owners
// (d nil or unavailable) ids pass through and emails are refused with the reason.
func normalizeOwner(f *Field, d *OwnerDirectory, v any, budget *SuggestionBudget, archivedOK bool) (string, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = strings.TrimSpace(v)
	case float64:
		if v != math.Trunc(v) || v < 1 || v > 1<<53 {
			return "", valueErr(f, "takes an owner id or an owner's email, not %s", describe(v))
		}
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return "", valueErr(f, "takes an owner id or an owner's email, not %s", describe(v))
	}
	if len(s) > maxOwnerValueLength {
		return "", valueErr(f, "takes an owner id or an owner's email of at most %d characters; got %s", maxOwnerValueLength, describe(v))
	}
	isID := s != "" && strings.Trim(s, "0123456789") == ""
	isEmail := strings.Contains(s, "@")
	if !isID && !isEmail {
		return "", valueErr(f, "takes an owner id (a number) or an owner's email; got %s", describe(v))
	}
	if d == nil || d.missing != "" {
		if isID {
			return s, nil
		}
		why := "the account's owners have not been read"
		if d != nil {
			why = d.missing
		}
		return "", valueErr(f, "%s is an email, and owner emails cannot be resolved: %s; give the owner id instead", describe(v), why)
	}
	o, ok := d.Lookup(s)
	switch {
	case ok && o.Archived && !archivedOK:
		return "", valueErr(f, "owner %s (%s) is archived: HubSpot no longer assigns records to a deactivated user", o.ID, o.Email)
	case ok:
		return o.ID, nil
	case isID:
		return "", valueErr(f, "no owner of the account has the id %s; DiscoverFields lists the owners (refresh it if the owner was just added in HubSpot)", s)
	}
	msg := fmt.Sprintf("no owner of the account has the email %s", describe(v))
	if sugg := d.suggestEmail(s, budget); sugg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sugg)
	} else {
		msg += "; DiscoverFields lists the owners (refresh it if the owner was just added in HubSpot)"
	}
	return "", &ValueError{Field: f.Name, Message: msg}
}

// suggestEmail returns the active owner's email closest to email (the first in discovery
// order among the closest), or "" when none is within a likely typo or budget has no
// suggestion left. Emails longer than MaxNameLength are not compared.
func (d *OwnerDirectory) suggestEmail(email string, budget *SuggestionBudget) string {
	key := strings.ToLower(email)
	if len(key) > MaxNameLength || !budget.take() {
		return ""
	}
	bound := min(len(key)/3+1, maxSuggestDistance)
	best, bestD := "", bound+1
	var sc scratch
	for i := range d.owners {
		o := &d.owners[i]
		if o.Archived || o.Email == "" || len(o.Email) > MaxNameLength {
			continue
		}
		if dist := boundedLevenshtein(key, strings.ToLower(o.Email), bound, &sc); dist < bestD {
			best, bestD = o.Email, dist
		}
	}
	return best
}

// Unavailable says why the directory has no owners to resolve against ("" when it has).
func (d *OwnerDirectory) Unavailable() string {
	if d == nil {
		return "the account's owners have not been read"
	}
	return d.missing
}

// All returns the owners, archived ones included, in discovery order; the caller must not
// change them.
func (d *OwnerDirectory) All() []Owner {
	if d == nil {
		return nil
	}
	return d.owners
}
