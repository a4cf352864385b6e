package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Changes "made in HubSpot": what a sales rep does in HubSpot's screens (edit, delete,
// restore from the recycle bin, merge, a bulk edit), offered as Go methods and /_sandbox
// routes. They are logged with changeSource CRM_UI and no app (events.go), so they reach
// every app's webhooks, and they stamp the modified-time property like any write.

// editLocked validates and applies values to a live record, as a PATCH would.
func (a *account) editLocked(ot *objectType, r *record, properties map[string]string, now time.Time) error {
	values, errs := validateValues(a, a.schema[ot.name], properties)
	if len(errs) == 0 {
		errs = a.checkStage(ot, r, values)
	}
	if len(errs) > 0 {
		b, _ := json.Marshal(propertyErrorsBody("", errs))
		return &ValidationError{Body: b}
	}
	if conflict := a.updateRecord(ot, r, values, now); conflict != nil {
		return fmt.Errorf("%w (existing id %s)", ErrConflict, conflict.existingID)
	}
	return nil
}

// liveRecordLocked resolves an account, a type and a live record.
func (s *Sandbox) liveRecordLocked(hubID int64, objectType, id string) (*account, *objectType, *record, error) {
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return nil, nil, nil, err
	}
	r := a.findRecord(ot, id, "")
	if r == nil {
		return nil, nil, nil, fmt.Errorf("sandbox: %s %s: %w", ot.singular, id, ErrNotFound)
	}
	return a, ot, r, nil
}

// EditRecord changes a live record's properties as a user in HubSpot would: the values are
// validated as an API update's are, and the change is logged as CRM_UI.
func (s *Sandbox) EditRecord(hubID int64, objectType, id string, properties map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, r, err := s.liveRecordLocked(hubID, objectType, id)
	if err != nil {
		return err
	}
	return a.editLocked(ot, r, properties, s.now())
}

// DeleteRecord archives a live record as deleting it in HubSpot does: it leaves search and
// the live listings and appears in GET …?archived=true with its archivedAt.
func (s *Sandbox) DeleteRecord(hubID int64, objectType, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, r, err := s.liveRecordLocked(hubID, objectType, id)
	if err != nil {
		return err
	}
	a.archiveRecord(ot, r, s.now())
	return nil
}

// RestoreRecord brings an archived record back, as restoring it from HubSpot's recycle bin
// does: it is live again with its id and values, its modified time is now, and a restore
// is logged. Its associations, removed by the deletion, do not come back (the sandbox does
// not keep them). A contact whose email another contact took meanwhile is refused.
func (s *Sandbox) RestoreRecord(hubID int64, objectType, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, objectType)
	if err != nil {
		return err
	}
	r, ok := a.records[ot.name][id]
	if !ok || !r.archived {
		return fmt.Errorf("sandbox: archived %s %s: %w", ot.singular, id, ErrNotFound)
	}
	email := r.props["email"]
	if ot.name == "contacts" && email != "" {
		if other, taken := a.emails[email]; taken {
			return fmt.Errorf("%w (existing id %s)", ErrConflict, other)
		}
		a.emails[email] = r.id
	}
	now := s.now()
	a.noteWrite(r, now, false) // search sees the restore only after the lag, like any write
	r.archived, r.archivedAt = false, time.Time{}
	r.setValues(map[string]string{ot.modifiedProp: isoMillis(now)}, now)
	r.updatedAt = now
	a.changes.add(ot, r.id, ChangeRestore, now, nil)
	return nil
}

// mergeLocked merges one record into another of the same type. Simplified from HubSpot's
// merge (https://developers.hubspot.com/docs/api/crm/contacts, "merge contacts"; its
// value-by-value rules are richer): the primary keeps its id and values, takes the merged
// record's values for the properties it lacks and its associations, and the merged record
// disappears (404 on reads, absent from archived listings). A merged contact's email keeps
// leading to the primary for lookups and upserts by email. The primary's MergedIDsProp gains the
// merged ids, as on HubSpot. One merge event is logged on the
// primary, then its property and association changes.
func (a *account) mergeLocked(ot *objectType, primary, merged *record, now time.Time) {
	// The event's mergedObjectIds are the ids the primary gains: the merged record's and those
	// merged into it before (HubSpot documents the field as the ids merged; listing the earlier
	// ones too is a guess), as MergedIDsProp grows.
	gained := append(splitIDs(merged.props[MergedIDsProp]), merged.id)
	a.changes.add(ot, primary.id, ChangeMerge, now, func(e *ChangeEvent) {
		e.PrimaryObjectID, e.MergedObjectIDs, e.NewObjectID = primary.id, gained, primary.id
	})
	fill := map[string]string{MergedIDsProp: strings.Join(append(splitIDs(primary.props[MergedIDsProp]), gained...), ";")}
	for k, v := range merged.props {
		if _, has := primary.props[k]; !has && k != "email" && k != MergedIDsProp {
			fill[k] = v
		}
	}
	mergedEmail := merged.props["email"]
	from := objRef{ot.name, merged.id}
	for to, typeIDs := range a.links.links[from] {
		for _, id := range typeIDs {
			if t, ok := findAssocType(ot.name, id); ok && to != (objRef{ot.name, primary.id}) {
				a.links.add(t, primary.id, to.id)
			}
		}
	}
	a.links.removeObject(ot.name, merged.id)
	delete(a.records[ot.name], merged.id)
	if ot.name == "contacts" && mergedEmail != "" {
		if primary.props["email"] == "" {
			fill["email"] = mergedEmail
			delete(a.emails, mergedEmail)
		} else {
			a.emails[mergedEmail] = primary.id
		}
	}
	_ = a.updateRecord(ot, primary, fill, now) // the merged email was released above
}

// MergedIDsProp lists, `;`-separated, the ids of the records merged into a record.
const MergedIDsProp = "hs_merged_object_ids"

// splitIDs is a MergedIDsProp value's ids.
func splitIDs(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ";")
}

// MergeRecords merges objectIDToMerge into primaryObjectID as a user in HubSpot would (see
// mergeLocked) and logs it as CRM_UI.
func (s *Sandbox) MergeRecords(hubID int64, objectType, primaryObjectID, objectIDToMerge string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, primary, err := s.liveRecordLocked(hubID, objectType, primaryObjectID)
	if err != nil {
		return err
	}
	if !tracksChanges(ot.name) {
		return fmt.Errorf("sandbox: %s cannot be merged", ot.name)
	}
	_, _, merged, err := s.liveRecordLocked(hubID, objectType, objectIDToMerge)
	if err != nil {
		return err
	}
	if primary == merged {
		return fmt.Errorf("sandbox: a record cannot be merged into itself")
	}
	a.mergeLocked(ot, primary, merged, s.now())
	return nil
}

type mergeInput struct {
	PrimaryObjectID flexID `json:"primaryObjectId"`
	ObjectIDToMerge flexID `json:"objectIdToMerge"`
}

// mergeObjects answers POST /crm/v3/objects/{type}/merge (contacts, companies and deals)
// with the primary record as it stands after the merge.
func mergeObjects(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessWrite)
	if !ok {
		return rep
	}
	if !tracksChanges(ot.name) {
		return c.badRequest("Merging %s is not supported", ot.name)
	}
	var in mergeInput
	if err := decodeJSON(c.r, &in); err != nil {
		return c.badRequest("Invalid input JSON on line 1: %v", err)
	}
	if in.PrimaryObjectID == "" || in.ObjectIDToMerge == "" {
		return c.badRequest("primaryObjectId and objectIdToMerge are required")
	}
	if in.PrimaryObjectID == in.ObjectIDToMerge {
		return c.badRequest("Cannot merge %s %s into itself", ot.singular, in.PrimaryObjectID)
	}
	primary := c.acct.findRecord(ot, string(in.PrimaryObjectID), "")
	merged := c.acct.findRecord(ot, string(in.ObjectIDToMerge), "")
	if primary == nil || merged == nil {
		return c.notFound()
	}
	c.acct.mergeLocked(ot, primary, merged, c.now)
	c.s.counters.writes++
	return jsonReply(http.StatusOK, c.acct.render(ot, primary, nil, nil))
}

// BulkEdit sets one property to one value on many records of a type at once, as HubSpot's
// bulk edit (or an import) does: every record gets the same modified time, the sandbox
// clock's now. Give either IDs or Count (the Count live records of lowest id).
type BulkEdit struct {
	ObjectType string   `json:"objectType"`
	Property   string   `json:"property"`
	Value      string   `json:"value"`
	IDs        []string `json:"ids,omitempty"`
	Count      int      `json:"count,omitempty"`
}

// BulkEditResult says how many records a bulk edit changed and the one time it stamped.
type BulkEditResult struct {
	Edited     int       `json:"edited"`
	ModifiedAt time.Time `json:"modifiedAt"`
}

// BulkEdit applies a bulk edit under one lock, logged as CRM_UI. Nothing is written when
// the value is invalid (for any of the records) or an id is unknown.
func (s *Sandbox) BulkEdit(hubID int64, spec BulkEdit) (BulkEditResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ot, err := s.resolveLocked(hubID, spec.ObjectType)
	if err != nil {
		return BulkEditResult{}, err
	}
	if (len(spec.IDs) == 0) == (spec.Count <= 0) {
		return BulkEditResult{}, fmt.Errorf("sandbox: a bulk edit takes either ids or a positive count")
	}
	if ot.name == "contacts" && spec.Property == "email" {
		return BulkEditResult{}, fmt.Errorf("sandbox: a bulk edit cannot give many contacts one email")
	}
	values, errs := validateValues(a, a.schema[ot.name], map[string]string{spec.Property: spec.Value})
	if len(errs) > 0 {
		b, _ := json.Marshal(propertyErrorsBody("", errs))
		return BulkEditResult{}, &ValidationError{Body: b}
	}
	var rs []*record
	if len(spec.IDs) > 0 {
		for _, id := range spec.IDs {
			r := a.findRecord(ot, id, "")
			if r == nil {
				return BulkEditResult{}, fmt.Errorf("sandbox: %s %s: %w", ot.singular, id, ErrNotFound)
			}
			rs = append(rs, r)
		}
	} else {
		for _, id := range a.sortedIDs(ot, func(r *record) bool { return !r.archived }) {
			if len(rs) == spec.Count {
				break
			}
			rs = append(rs, a.records[ot.name][strconv.FormatInt(id, 10)])
		}
	}
	for _, r := range rs { // a deal stage must fit each deal's pipeline
		if errs := a.checkStage(ot, r, values); len(errs) > 0 {
			b, _ := json.Marshal(propertyErrorsBody("", errs))
			return BulkEditResult{}, &ValidationError{Body: b}
		}
	}
	now := s.now()
	for _, r := range rs {
		_ = a.updateRecord(ot, r, values, now) // no email is written: nothing can clash
	}
	return BulkEditResult{Edited: len(rs), ModifiedAt: now.UTC().Truncate(time.Millisecond)}, nil
}
