package sandbox

import (
	"maps"
	"strconv"
	"strings"
	"time"
)

// record is one stored CRM object. Every value is a string, as on the wire.
type record struct {
	id         string
	props      map[string]string
	history    map[string][]historyEntry
	createdAt  time.Time
	updatedAt  time.Time
	archived   bool
	archivedAt time.Time
	// unindexed holds, oldest first, one entry per write search may not have seen yet:
	// the record as it was just before that write. Search shows the entry of the oldest
	// write less than the search lag old (searchView); reads by id show the record itself.
	// Entries search has caught up with are dropped (account.catchUpSearch).
	unindexed []indexedState
}

// indexedState is a record as search saw it before a write made at writtenAt.
type indexedState struct {
	writtenAt time.Time
	props     map[string]string // nil when absent: the write created the record
	updatedAt time.Time
	archived  bool
	absent    bool
}

// noteWrite is called before each change to a record: the record remembers the state
// search must keep showing until the lag has passed. First, the records written at least
// the lag ago forget what search has caught up with, so only the writes of the last lag
// cost memory. created says the change is the record's creation: search must not see it.
func (a *account) noteWrite(r *record, now time.Time, created bool) {
	if a.searchLag <= 0 {
		return
	}
	a.catchUpSearch(now)
	st := indexedState{writtenAt: now, absent: created}
	if !created {
		st.props, st.updatedAt, st.archived = maps.Clone(r.props), r.updatedAt, r.archived
	}
	r.unindexed = append(r.unindexed, st)
	a.searchPending = append(a.searchPending, pendingWrite{r: r, at: now})
}

// pendingWrite is a write search may not have seen yet.
type pendingWrite struct {
	r  *record
	at time.Time
}

// catchUpSearch drops the states search no longer shows from the records written at
// least the lag ago; searchPending is in write order, so they are at its front.
func (a *account) catchUpSearch(now time.Time) {
	cutoff := now.Add(-a.searchLag)
	n := 0
	for ; n < len(a.searchPending) && !a.searchPending[n].at.After(cutoff); n++ {
		r := a.searchPending[n].r
		k := 0
		for k < len(r.unindexed) && !r.unindexed[k].writtenAt.After(cutoff) {
			k++
		}
		if r.unindexed = r.unindexed[k:]; len(r.unindexed) == 0 {
			r.unindexed = nil
		}
	}
	clear(a.searchPending[:n]) // let the records go
	a.searchPending = a.searchPending[n:]
}

// searchView is the record as search shows it at now: nil while it is absent from
// search (created less than lag ago, or archived at least lag ago), an older copy while
// its last writes are less than lag old, the record itself once search has caught up.
func (r *record) searchView(now time.Time, lag time.Duration) *record {
	for _, st := range r.unindexed {
		if !st.writtenAt.After(now.Add(-lag)) {
			continue // search has caught up with this write
		}
		if st.absent || st.archived {
			return nil
		}
		return &record{id: r.id, props: st.props, createdAt: r.createdAt, updatedAt: st.updatedAt}
	}
	if r.archived {
		return nil
	}
	return r
}

type historyEntry struct {
	Value      string `json:"value"`
	Timestamp  string `json:"timestamp"`
	SourceType string `json:"sourceType"`
}

// recordJSON is SimplePublicObject (plus the upsert's "new" and the v3 associations).
type recordJSON struct {
	ID                    string                             `json:"id"`
	Properties            map[string]*string                 `json:"properties"`
	PropertiesWithHistory map[string][]historyEntry          `json:"propertiesWithHistory,omitempty"`
	CreatedAt             string                             `json:"createdAt"`
	UpdatedAt             string                             `json:"updatedAt"`
	Archived              bool                               `json:"archived"`
	ArchivedAt            string                             `json:"archivedAt,omitempty"`
	Associations          map[string]v3AssociationCollection `json:"associations,omitempty"`
	New                   *bool                              `json:"new,omitempty"`
	ObjectWriteTraceID    string                             `json:"objectWriteTraceId,omitempty"`
}

// conflictError is a write that hit an existing unique value (a contact's email).
type conflictError struct{ existingID string }

// setValues applies validated values to a record ("" clears), maintaining history.
func (r *record) setValues(values map[string]string, now time.Time) {
	ts := isoMillis(now)
	for k, v := range values {
		if v == "" {
			delete(r.props, k)
		} else {
			r.props[k] = v
		}
		r.history[k] = append([]historyEntry{{Value: v, Timestamp: ts, SourceType: "API"}}, r.history[k]...)
	}
}

// createRecord stores a new record. The caller has validated the values.
func (a *account) createRecord(ot *objectType, values map[string]string, now time.Time) (*record, *conflictError) {
	if ot.name == "contacts" && values["email"] != "" {
		if id, dup := a.emails[values["email"]]; dup {
			return nil, &conflictError{existingID: id}
		}
	}
	a.nextID++
	id := strconv.FormatInt(a.nextID, 10)
	r := &record{id: id, props: map[string]string{}, history: map[string][]historyEntry{},
		createdAt: now, updatedAt: now}
	a.noteWrite(r, now, true)
	system := map[string]string{"hs_object_id": id, ot.createdProp: isoMillis(now), ot.modifiedProp: isoMillis(now)}
	if v, ok := values[ot.createdProp]; ok && v != "" {
		system[ot.createdProp] = v // HubSpot lets imports back-date a record
	}
	vals := maps.Clone(values)
	maps.Copy(vals, system)
	r.setValues(vals, now)
	a.records[ot.name][id] = r
	if ot.name == "contacts" && r.props["email"] != "" {
		a.emails[r.props["email"]] = id
	}
	a.changes.created(ot, r, now)
	return r, nil
}

// updateRecord applies validated values to an existing record.
func (a *account) updateRecord(ot *objectType, r *record, values map[string]string, now time.Time) *conflictError {
	if ot.name == "contacts" {
		if email, ok := values["email"]; ok && email != r.props["email"] {
			if id, dup := a.emails[email]; dup && id != r.id && email != "" {
				return &conflictError{existingID: id}
			}
			delete(a.emails, r.props["email"])
			if email != "" {
				a.emails[email] = r.id
			}
		}
	}
	vals := maps.Clone(values)
	delete(vals, ot.createdProp)
	vals[ot.modifiedProp] = isoMillis(now)
	old := a.changes.before(r, vals)
	a.noteWrite(r, now, false)
	r.setValues(vals, now)
	r.updatedAt = now
	a.changes.updated(ot, r, old, now)
	return nil
}

func (a *account) archiveRecord(ot *objectType, r *record, now time.Time) {
	if r.archived {
		return
	}
	a.noteWrite(r, now, false)
	r.archived, r.archivedAt = true, now
	if ot.name == "contacts" {
		delete(a.emails, r.props["email"])
	}
	a.links.removeObject(ot.name, r.id)
	a.changes.deleted(ot, r, now)
}

// findRecord looks a live record up by id, or by idProperty (a unique property, or a
// contact's email, matched case-insensitively).
func (a *account) findRecord(ot *objectType, id, idProperty string) *record {
	if idProperty == "" || idProperty == "hs_object_id" {
		r, ok := a.records[ot.name][id]
		if !ok || r.archived {
			return nil
		}
		return r
	}
	if ot.name == "contacts" && idProperty == "email" {
		rid, ok := a.emails[strings.ToLower(id)]
		if !ok {
			return nil
		}
		return a.records[ot.name][rid]
	}
	for _, r := range a.records[ot.name] {
		if !r.archived && r.props[idProperty] == id {
			return r
		}
	}
	return nil
}

// isUniqueIDProperty says whether idProperty may identify records of this type.
func (a *account) isUniqueIDProperty(ot *objectType, idProperty string) bool {
	if idProperty == "" || idProperty == "hs_object_id" || (ot.name == "contacts" && idProperty == "email") {
		return true
	}
	p, ok := a.schema[ot.name].live(idProperty)
	return ok && p.HasUniqueValue
}

// render builds the wire form of a record with the requested properties: requested
// properties without a value come back as null; properties that do not exist are left
// out. With no request, the type's defaults plus the system properties are returned.
func (a *account) render(ot *objectType, r *record, requested, withHistory []string) recordJSON {
	names := requested
	if len(names) == 0 {
		names = append(append([]string{}, ot.defaultProps...), "hs_object_id", ot.createdProp, ot.modifiedProp)
	}
	out := recordJSON{ID: r.id, Properties: map[string]*string{}, CreatedAt: isoMillis(r.createdAt),
		UpdatedAt: isoMillis(r.updatedAt), Archived: r.archived}
	if r.archived {
		out.ArchivedAt = isoMillis(r.archivedAt)
	}
	ps := a.schema[ot.name]
	for _, n := range names {
		if _, ok := ps.live(n); !ok {
			continue
		}
		if v, ok := r.props[n]; ok {
			out.Properties[n] = &v
		} else {
			out.Properties[n] = nil
		}
	}
	for _, n := range withHistory {
		if h, ok := r.history[n]; ok {
			if out.PropertiesWithHistory == nil {
				out.PropertiesWithHistory = map[string][]historyEntry{}
			}
			out.PropertiesWithHistory[n] = h
		}
	}
	return out
}
