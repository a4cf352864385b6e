package sandbox

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The kinds of change HubSpot's webhooks name in their subscription types
// ("contact.creation", "deal.propertyChange", ...;
// https://developers.hubspot.com/docs/api/webhooks, and the merge, restore and association
// change types added by https://developers.hubspot.com/changelog/new-subscription-types-for-webhooks).
const (
	ChangeCreation          = "creation"
	ChangePropertyChange    = "propertyChange"
	ChangeDeletion          = "deletion"
	ChangeMerge             = "merge"
	ChangeRestore           = "restore"
	ChangeAssociationChange = "associationChange"
)

// changeKinds lists them in the order the README documents them.
var changeKinds = []string{ChangeCreation, ChangePropertyChange, ChangeDeletion, ChangeMerge, ChangeRestore, ChangeAssociationChange}

// Change sources: how a change was made. HubSpot's payloads carry changeSource and sourceId
// ("CRM_UI" with "userId:<id>" for an edit in HubSpot's screens, as in HubSpot's sample
// payload). For a write by an app's token the sandbox sends "INTEGRATION" with the app id as
// sourceId, which is what the property history shows for such writes; HubSpot does not
// document the webhook's value for them (unverified).
const (
	SourceCRMUI       = "CRM_UI"
	SourceIntegration = "INTEGRATION"
)

// ChangeEvent is one change of a contact, company or deal, recorded in its account's log
// the moment it is made, with what HubSpot's webhook events carry about it.
type ChangeEvent struct {
	EventID    int64     `json:"eventId"`    // unique in the sandbox, increasing
	OccurredAt time.Time `json:"occurredAt"` // the write's time, from Options.Now
	ObjectType string    `json:"objectType"` // contacts, companies or deals
	ObjectID   string    `json:"objectId"`
	Kind       string    `json:"kind"` // one of the Change* kinds
	// PropertyName and PropertyValue are a propertyChange's property and new value ("" for
	// a cleared value).
	PropertyName  string `json:"propertyName,omitempty"`
	PropertyValue string `json:"propertyValue,omitempty"`
	ChangeSource  string `json:"changeSource"` // SourceCRMUI or SourceIntegration
	SourceID      string `json:"sourceId"`     // "userId:<id>", or the writing app's id
	// AppID is the app whose token made the change; 0 for a change made in HubSpot.
	AppID int64 `json:"appId,omitempty"`
	// A merge's ids: the record kept, the records merged into it, and the result's id
	// (the primary's: the sandbox keeps the primary record).
	PrimaryObjectID string   `json:"primaryObjectId,omitempty"`
	MergedObjectIDs []string `json:"mergedObjectIds,omitempty"`
	NewObjectID     string   `json:"newObjectId,omitempty"`
	// An association change's ends, its type ("CONTACT_TO_COMPANY") and whether it was
	// removed.
	FromObjectID       string `json:"fromObjectId,omitempty"`
	ToObjectID         string `json:"toObjectId,omitempty"`
	AssociationType    string `json:"associationType,omitempty"`
	AssociationRemoved bool   `json:"associationRemoved,omitempty"`
}

// subscriptionType is the webhook subscription type the event belongs to:
// "contact.propertyChange".
func (e ChangeEvent) subscriptionType() string {
	ot, _ := lookupObjectType(e.ObjectType)
	return ot.singular + "." + e.Kind
}

// tracksChanges says whether HubSpot's classic webhooks cover an object type: contacts,
// companies and deals are the ones the sandbox logs (engagements are not).
func tracksChanges(objectType string) bool {
	return objectType == "contacts" || objectType == "companies" || objectType == "deals"
}

// writer is who makes the changes of the current operation: the zero value is a user in
// HubSpot's screens.
type writer struct {
	appID int64
}

func (w writer) source() (changeSource, sourceID string) {
	if w.appID != 0 {
		return SourceIntegration, strconv.FormatInt(w.appID, 10)
	}
	return SourceCRMUI, "userId:" + strconv.FormatInt(crmUIUserID, 10)
}

// crmUIUserID is the HubSpot user the admin "made in HubSpot" edits are attributed to.
const crmUIUserID = 50_000_000

// stampedProps are maintained by the sandbox on every write; their changes are not logged
// as propertyChange events (HubSpot does not document whether it sends them; unverified).
func stampedProps(ot *objectType) []string {
	return []string{"hs_object_id", ot.createdProp, ot.modifiedProp}
}

// changeLog is an account's log of changes. Every write path reports to it (records.go,
// the association store, merges, restores); it numbers the events, keeps them and hands
// them to the webhook sender.
type changeLog struct {
	s      *Sandbox
	hubID  int64
	by     writer // set for the duration of one API call; zero otherwise
	events []ChangeEvent
}

// maxLoggedChanges bounds an account's log, so a long-running sandbox (demo mode) does not
// grow without end: past it, the oldest half is forgotten. Webhooks are queued when a
// change is logged, so they are not affected.
const maxLoggedChanges = 400_000

func newChangeLog(s *Sandbox, hubID int64) *changeLog { return &changeLog{s: s, hubID: hubID} }

// add stamps and stores one event and queues it for the webhook subscribers.
func (l *changeLog) add(ot *objectType, id, kind string, now time.Time, fill func(*ChangeEvent)) {
	if l == nil || !tracksChanges(ot.name) {
		return
	}
	l.s.nextEventID++
	src, srcID := l.by.source()
	e := ChangeEvent{EventID: l.s.nextEventID, OccurredAt: now.Truncate(time.Millisecond), ObjectType: ot.name,
		ObjectID: id, Kind: kind, ChangeSource: src, SourceID: srcID, AppID: l.by.appID}
	if fill != nil {
		fill(&e)
	}
	if len(l.events) >= maxLoggedChanges { // keep the newest; drop the oldest half at once
		l.events = slices.Delete(l.events, 0, maxLoggedChanges/2)
	}
	l.events = append(l.events, e)
	l.s.webhooks.enqueueLocked(l.hubID, e)
}

// created logs a creation, then one propertyChange per property set.
func (l *changeLog) created(ot *objectType, r *record, now time.Time) {
	l.add(ot, r.id, ChangeCreation, now, nil)
	l.propertyChanges(ot, r, map[string]string{}, slices.Collect(maps.Keys(r.props)), now)
}

// before captures the values a write is about to change, for updated.
func (l *changeLog) before(r *record, values map[string]string) map[string]string {
	if l == nil {
		return nil
	}
	old := make(map[string]string, len(values))
	for k := range values {
		old[k] = r.props[k]
	}
	return old
}

// updated logs one propertyChange per property whose value the write changed.
func (l *changeLog) updated(ot *objectType, r *record, old map[string]string, now time.Time) {
	if l == nil {
		return
	}
	l.propertyChanges(ot, r, old, slices.Collect(maps.Keys(old)), now)
}

func (l *changeLog) propertyChanges(ot *objectType, r *record, old map[string]string, names []string, now time.Time) {
	slices.Sort(names) // a stable order for the log
	for _, n := range names {
		if slices.Contains(stampedProps(ot), n) || old[n] == r.props[n] {
			continue
		}
		v := r.props[n]
		l.add(ot, r.id, ChangePropertyChange, now, func(e *ChangeEvent) { e.PropertyName, e.PropertyValue = n, v })
	}
}

func (l *changeLog) deleted(ot *objectType, r *record, now time.Time) {
	l.add(ot, r.id, ChangeDeletion, now, nil)
}

// association logs an association added or removed, from t's source side.
func (l *changeLog) association(t *assocType, fromID, toID string, removed bool, now time.Time) {
	from, _ := lookupObjectType(t.from)
	if !tracksChanges(t.to) {
		return
	}
	name := strings.ToUpper(strings.TrimSuffix(t.v3Name, "_unlabeled"))
	l.add(from, fromID, ChangeAssociationChange, now, func(e *ChangeEvent) {
		e.FromObjectID, e.ToObjectID, e.AssociationType, e.AssociationRemoved = fromID, toID, name, removed
	})
}

// Changes returns an account's logged changes with an event id above afterEventID, oldest
// first (at most limit of them; limit <= 0 means all).
func (s *Sandbox) Changes(hubID int64, afterEventID int64, limit int) ([]ChangeEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return nil, err
	}
	evs := a.changes.events
	i, _ := slices.BinarySearchFunc(evs, afterEventID+1, func(e ChangeEvent, id int64) int { return int(e.EventID - id) })
	out := slices.Clone(evs[i:])
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for j := range out {
		out[j].MergedObjectIDs = slices.Clone(out[j].MergedObjectIDs)
	}
	return out, nil
}

// associationHook is the association store's onChange for this account: association
// changes are logged from both ends, as each end's type has its own subscription
// ("contact.associationChange", "company.associationChange").
func (l *changeLog) associationHook() func(t *assocType, fromID, toID string, removed bool) {
	return func(t *assocType, fromID, toID string, removed bool) {
		now := l.s.now()
		l.association(t, fromID, toID, removed, now)
		if rev, ok := findAssocType(t.to, t.reverse); ok {
			l.association(rev, toID, fromID, removed, now)
		}
	}
}
