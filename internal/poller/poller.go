package poller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	feed "github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// Kinds of detected change.
const (
	KindCreated  = "CREATED"
	KindUpdated  = "UPDATED"
	KindDeleted  = "DELETED"
	KindRestored = "RESTORED"
	KindMerged   = "MERGED"
)

// mergedProp lists, `;`-separated, the ids of the records merged into a record: HubSpot's
// "Merged record IDs" property of contacts, companies and deals
// (https://knowledge.hubspot.com/properties/hubspots-default-contact-properties). A merge
// removes the merged record from search and from the archived listing, so the primary's list
// growing is the only trace of it a poll can see.
const mergedProp = "hs_merged_object_ids"

// maxStoredMerged is the longest merged-ids list a snapshot keeps as is (some ninety ids);
// beyond it the list is kept as its digest, and a merge is then reported with every id listed.
const maxStoredMerged = 1024

// Detected is one change a poll found.
type Detected struct {
	ObjectType  string
	RecordID    string
	Kind        string            // KindCreated, KindUpdated, KindDeleted, KindRestored or KindMerged
	Fields      map[string]string // watched properties whose value changed -> new raw value
	MergedIDs   []string          // KindMerged: the ids newly merged into the record
	DisplayName string
	OccurTime   time.Time // the record's modified time; archivedAt for a deletion
}

// Sink stores what a poll detected. It dedups by (object type, record id, kind, occur
// time), so a page reported again after a crash or an overlapping poll is harmless.
type Sink interface {
	Detected(ctx context.Context, conn resname.Connection, cs []Detected) error
}

// Store is what the poller keeps durably (internal/store implements it).
type Store interface {
	GetPollCursor(ctx context.Context, k store.PollKey) (store.PollCursor, error)
	GetPollSnapshots(ctx context.Context, k store.PollKey, ids []int64) (map[int64]store.PollSnapshot, error)
	SavePollPage(ctx context.Context, k store.PollKey, c store.PollCursor, snaps []store.PollSnapshot) error
}

// Source is the HubSpot calls a poll makes (*hubspot.Client).
type Source interface {
	Search(ctx context.Context, objectType string, req hubspot.SearchRequest) (*hubspot.SearchResult, error)
	ListObjects(ctx context.Context, objectType string, opts hubspot.ListObjectsOptions) (*hubspot.ObjectPage, error)
}

// objectType is what polling needs to know of a type.
type objectType struct {
	name     string
	modified string   // the property HubSpot stamps on every write
	names    []string // properties naming a record (feed.DisplayName)
	defaults []string // always watched
}

// ObjectTypes are the types polled, in polling order.
var objectTypes = []objectType{
	{name: "contacts", modified: "lastmodifieddate", names: feed.NameProperties("contacts"),
		defaults: []string{"email", "firstname", "lastname", "phone", "company", "lifecyclestage", "hubspot_owner_id"}},
	{name: "companies", modified: "hs_lastmodifieddate", names: feed.NameProperties("companies"),
		defaults: []string{"name", "domain", "lifecyclestage", "hubspot_owner_id"}},
	{name: "deals", modified: "hs_lastmodifieddate", names: feed.NameProperties("deals"),
		defaults: []string{"dealname", "dealstage", "pipeline", "amount", "closedate", "hubspot_owner_id"}},
}

// ObjectTypes lists the polled object types.
func ObjectTypes() []string {
	out := make([]string, len(objectTypes))
	for i, ot := range objectTypes {
		out[i] = ot.name
	}
	return out
}

// MaxWatched bounds the properties watched per type (and so a snapshot's size, with
// maxStoredValue): the type's defaults first, then the connection's writable discovered
// fields in the order given.
const MaxWatched = 200

// maxStoredValue is the longest value a snapshot keeps as is; a longer one is kept as its
// SHA-256, which is enough to tell whether it changed.
const maxStoredValue = 64

// Config tunes polling. Zero values take the defaults.
type Config struct {
	// Overlap is how far before the cursor each poll starts again. It must exceed HubSpot's
	// search lag (a few seconds), or a write indexed late is missed. Default 30 s.
	Overlap time.Duration
	// ArchivedEvery runs the archived listing (deletions) every Nth poll of a type: it pages
	// over every archived record HubSpot keeps, so it costs more than a search. Default 5.
	ArchivedEvery int
	// MaxArchivedPages bounds one archived listing (100 records a page). Default 100.
	MaxArchivedPages int
	// MaxPagesPerPoll bounds the search pages of one poll of one type; a poll that stops
	// there has saved its cursor and the next goes on. Default 1,000 (200,000 records).
	MaxPagesPerPoll int
	Now             func() time.Time // default time.Now
}

// DefaultOverlap is Config.Overlap's default.
const DefaultOverlap = 30 * time.Second

func (c Config) withDefaults() Config {
	if c.Overlap <= 0 {
		c.Overlap = DefaultOverlap
	}
	if c.ArchivedEvery <= 0 {
		c.ArchivedEvery = 5
	}
	if c.MaxArchivedPages <= 0 {
		c.MaxArchivedPages = 100
	}
	if c.MaxPagesPerPoll <= 0 {
		c.MaxPagesPerPoll = 1000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Poller polls connections. It keeps no state of its own: everything is in the Store.
type Poller struct {
	cfg   Config
	store Store
	sink  Sink
}

// New returns a Poller.
func New(st Store, sink Sink, cfg Config) *Poller {
	return &Poller{cfg: cfg.withDefaults(), store: st, sink: sink}
}

// Watched is the properties watched for one type: the defaults, then the extra ones given
// (a connection's discovered writable fields), without repeats, at most MaxWatched.
func Watched(objectType string, extra []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] && len(out) < MaxWatched {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, ot := range objectTypes {
		if ot.name == objectType {
			for _, p := range ot.defaults {
				add(p)
			}
		}
	}
	for _, p := range extra {
		add(p)
	}
	return out
}

// Poll polls every object type of one connection once and returns how many changes it
// handed to the sink. watch gives the extra watched properties per type (see Watched).
// The first poll of a type records a baseline and reports nothing: changes are reported
// from the moment polling started, never the records that existed before.
func (p *Poller) Poll(ctx context.Context, conn resname.Connection, src Source, watch map[string][]string) (int, error) {
	total := 0
	for _, ot := range objectTypes {
		n, err := p.pollType(ctx, conn, src, ot, Watched(ot.name, watch[ot.name]))
		total += n
		if err != nil {
			return total, fmt.Errorf("poll %s: %w", ot.name, err)
		}
	}
	return total, nil
}

// query is where a poll reads next. Every page is a query of its own, started where the
// last page ended (keyset paging), never HubSpot's `after`: search's `after` is an offset
// into results sorted by modified time, and a record written while a poll pages moves from
// the pages read to the end, shifting records not yet read into pages already read. Paged by
// offset under writes, a poll skips records, and its cursor then passes them for good.
type query struct {
	tie   bool  // modified == t and id > id, by id; else modified after t (from: at or after), by modified time
	from  bool  // a scan that reads t again: the records at t a full page may have left out
	t, id int64 // ms, hs_object_id
}

func (q query) request(ot objectType, props []string) hubspot.SearchRequest {
	req := hubspot.SearchRequest{Properties: props, Limit: hubspot.MaxSearchLimit}
	t := strconv.FormatInt(q.t, 10)
	switch {
	case q.tie:
		req.FilterGroups = []hubspot.FilterGroup{{Filters: []hubspot.Filter{
			{PropertyName: ot.modified, Operator: hubspot.OpEQ, Value: t},
			{PropertyName: "hs_object_id", Operator: hubspot.OpGT, Value: strconv.FormatInt(q.id, 10)},
		}}}
		req.Sorts = []hubspot.Sort{{PropertyName: "hs_object_id", Direction: "ASCENDING"}}
	default:
		op := hubspot.OpGT
		if q.from {
			op = hubspot.OpGTE
		}
		req.FilterGroups = []hubspot.FilterGroup{{Filters: []hubspot.Filter{
			{PropertyName: ot.modified, Operator: op, Value: t},
		}}}
		req.Sorts = []hubspot.Sort{{PropertyName: ot.modified, Direction: "ASCENDING"}}
	}
	return req
}

func (p *Poller) pollType(ctx context.Context, conn resname.Connection, src Source, ot objectType, watched []string) (int, error) {
	k := store.PollKey{Workspace: conn.Workspace, ConnectionID: conn.ID, ObjectType: ot.name}
	cur, err := p.store.GetPollCursor(ctx, k)
	if err != nil {
		return 0, err
	}
	nowMs := p.cfg.Now().UnixMilli()
	if !cur.Found {
		base := store.PollCursor{Found: true, SinceMs: nowMs, ModifiedMs: nowMs, Polls: 1}
		return 0, p.store.SavePollPage(ctx, k, base, nil)
	}
	q := query{tie: true, t: cur.ModifiedMs, id: cur.ObjectID}
	if lo := max(nowMs-p.cfg.Overlap.Milliseconds(), cur.SinceMs); lo < q.t {
		q = query{tie: true, t: lo}
	}
	props := append(slices.Clone(watched), ot.modified, "createdate", "hs_object_id", mergedProp)
	props = append(props, ot.names...)
	slices.Sort(props)
	props = slices.Compact(props)

	// q is the next page's query; pos is how far the poll has read (every record modified
	// before pos.t, and at pos.t up to id pos.id): what the cursor saves.
	found, pos := 0, q
	for range p.cfg.MaxPagesPerPoll {
		res, err := src.Search(ctx, ot.name, q.request(ot, props))
		if err != nil {
			return found, err
		}
		changes, snaps, err := p.classify(ctx, k, ot, watched, cur.SinceMs, res.Results)
		if err != nil {
			return found, err
		}
		if len(changes) > 0 {
			if err := p.sink.Detected(ctx, conn, changes); err != nil {
				return found, fmt.Errorf("hand changes to the sink: %w", err)
			}
			found += len(changes)
		}
		more := len(res.Results) > 0 && res.Paging != nil && res.Paging.Next != nil && res.Paging.Next.After != ""
		scanDone := false
		if q.tie {
			if n := len(res.Results); n > 0 {
				pos.id, _ = strconv.ParseInt(res.Results[n-1].ID.String(), 10, 64)
			}
			q = pos
			if !more {
				q = query{t: pos.t} // the tie at pos.t is done: scan after it
			}
		} else {
			// The times before a page's last are done; at its last time more records may
			// follow, in any id order, so that time is read again.
			t := q.t
			if n := len(res.Results); n > 0 {
				t = modifiedMs(res.Results[n-1], ot)
			}
			if t > pos.t {
				pos = query{tie: true, t: t}
			}
			switch {
			case !more:
				scanDone = true
			case t > q.t:
				q = query{from: true, t: t}
			default:
				q = query{tie: true, t: q.t} // a full page of one time (a bulk edit): read it by id
			}
		}
		cur.ModifiedMs, cur.ObjectID = pos.t, pos.id
		if err := p.store.SavePollPage(ctx, k, cur, snaps); err != nil {
			return found, err
		}
		if scanDone {
			return found, p.finish(ctx, conn, src, k, ot, cur, &found)
		}
	}
	return found, nil // the page bound: the cursor is saved, the next poll goes on
}

// finish ends a poll that read everything: counts it, and every ArchivedEvery polls looks
// for deletions.
func (p *Poller) finish(ctx context.Context, conn resname.Connection, src Source, k store.PollKey, ot objectType, cur store.PollCursor, found *int) error {
	cur.Polls++
	if cur.Polls%int64(p.cfg.ArchivedEvery) == 0 {
		n, err := p.deletions(ctx, conn, src, k, ot, cur)
		*found += n
		if err != nil {
			return err
		}
	}
	return p.store.SavePollPage(ctx, k, cur, nil)
}

// deletions lists the archived records and reports those archived since the baseline whose
// deletion was not reported yet.
func (p *Poller) deletions(ctx context.Context, conn resname.Connection, src Source, k store.PollKey, ot objectType, cur store.PollCursor) (int, error) {
	found, after := 0, ""
	for range p.cfg.MaxArchivedPages {
		page, err := src.ListObjects(ctx, ot.name, hubspot.ListObjectsOptions{Limit: hubspot.MaxListLimit, After: after, Archived: true, Properties: ot.names})
		if err != nil {
			return found, fmt.Errorf("list archived %s: %w", ot.name, err)
		}
		ids := make([]int64, 0, len(page.Results))
		for _, r := range page.Results {
			if id, err := strconv.ParseInt(r.ID.String(), 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
		known, err := p.store.GetPollSnapshots(ctx, k, ids)
		if err != nil {
			return found, err
		}
		var changes []Detected
		var snaps []store.PollSnapshot
		for _, r := range page.Results {
			id, err := strconv.ParseInt(r.ID.String(), 10, 64)
			at := r.ArchivedAt.UnixMilli()
			if err != nil || r.ArchivedAt.IsZero() || at < cur.SinceMs {
				continue
			}
			sn, ok := known[id]
			if ok && (sn.Deleted || sn.ModifiedMs > at) {
				continue // reported, or modified (restored) after this deletion
			}
			changes = append(changes, Detected{ObjectType: ot.name, RecordID: r.ID.String(), Kind: KindDeleted,
				DisplayName: feed.DisplayName(ot.name, r.Properties), OccurTime: r.ArchivedAt.UTC()})
			snaps = append(snaps, store.PollSnapshot{RecordID: id, ModifiedMs: at, Deleted: true, Values: sn.Values})
		}
		if len(changes) > 0 {
			if err := p.sink.Detected(ctx, conn, changes); err != nil {
				return found, fmt.Errorf("hand changes to the sink: %w", err)
			}
			found += len(changes)
			if err := p.store.SavePollPage(ctx, k, cur, snaps); err != nil {
				return found, err
			}
		}
		if page.Paging == nil || page.Paging.Next == nil || page.Paging.Next.After == "" {
			break
		}
		after = page.Paging.Next.After
	}
	return found, nil
}

// classify turns a page of search results into changes and the snapshots to save with them.
func (p *Poller) classify(ctx context.Context, k store.PollKey, ot objectType, watched []string, sinceMs int64, results []hubspot.Object) ([]Detected, []store.PollSnapshot, error) {
	ids := make([]int64, 0, len(results))
	for _, r := range results {
		if id, err := strconv.ParseInt(r.ID.String(), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	known, err := p.store.GetPollSnapshots(ctx, k, ids)
	if err != nil {
		return nil, nil, err
	}
	var changes []Detected
	var snaps []store.PollSnapshot
	for _, r := range results {
		id, err := strconv.ParseInt(r.ID.String(), 10, 64)
		mod := modifiedMs(r, ot)
		if err != nil || mod < sinceMs {
			continue // before the baseline: not a change polling reports
		}
		values := snapshotValues(r.Properties, watched)
		d := Detected{ObjectType: ot.name, RecordID: r.ID.String(), DisplayName: feed.DisplayName(ot.name, r.Properties),
			OccurTime: time.UnixMilli(mod).UTC()}
		sn, ok := known[id]
		switch {
		case ok && !sn.Deleted && mod <= sn.ModifiedMs:
			continue // already reported (an overlapping read)
		case ok && sn.Deleted:
			d.Kind, d.Fields = KindRestored, changedFields(r.Properties, sn.Values, values)
		case ok:
			d.Kind, d.Fields = KindUpdated, changedFields(r.Properties, sn.Values, values)
		case createdMs(r) >= sinceMs:
			d.Kind, d.Fields = KindCreated, changedFields(r.Properties, nil, values)
		default:
			// First seen since the baseline, created before it: its earlier values are
			// unknown, so every watched value it holds is reported.
			d.Kind, d.Fields = KindUpdated, changedFields(r.Properties, nil, values)
		}
		// The merge comes first: its webhook is logged before the property changes it makes.
		if ok {
			if m := newlyMerged(sn.Values[mergedProp], r.Properties[mergedProp]); len(m) > 0 {
				changes = append(changes, Detected{ObjectType: ot.name, RecordID: d.RecordID, DisplayName: d.DisplayName,
					Kind: KindMerged, MergedIDs: m, OccurTime: d.OccurTime})
			}
		}
		if v := r.Properties[mergedProp]; v != "" {
			values[mergedProp] = storedMerged(v)
		}
		snaps = append(snaps, store.PollSnapshot{RecordID: id, ModifiedMs: mod, Values: values})
		if d.Kind == KindUpdated && len(d.Fields) == 0 {
			continue // only properties nobody watches changed
		}
		changes = append(changes, d)
	}
	return changes, snaps, nil
}

// newlyMerged are the ids of now (a merged-ids list) that before (the list as a snapshot
// kept it) lacks: every id when before is a digest. A record first seen since the baseline
// has no before: its list may hold merges older than polling, so it reports none (its
// webhook, if any, reports the merge).
func newlyMerged(before, now string) []string {
	if now == "" || now == before {
		return nil
	}
	var out []string
	known := strings.Split(before, ";")
	if strings.HasPrefix(before, "sha256:") {
		known = nil
	}
	for _, id := range strings.Split(now, ";") {
		if id != "" && !slices.Contains(known, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// storedMerged is what a snapshot keeps of a merged-ids list: the list, or its digest
// beyond maxStoredMerged.
func storedMerged(v string) string {
	if len(v) <= maxStoredMerged {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// snapshotValues is what a snapshot keeps of the watched values: each value, or its digest
// when longer than maxStoredValue. Unset properties are absent.
func snapshotValues(props hubspot.Properties, watched []string) map[string]string {
	out := make(map[string]string, len(watched))
	for _, name := range watched {
		v, ok := props[name]
		if !ok || v == "" {
			continue
		}
		out[name] = storedValue(v)
	}
	return out
}

func storedValue(v string) string {
	if len(v) <= maxStoredValue {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// changedFields are the watched properties whose stored form differs from before, with
// their new raw values ("" for a value cleared).
func changedFields(props hubspot.Properties, before, after map[string]string) map[string]string {
	out := map[string]string{}
	for name, v := range after {
		if before[name] != v {
			out[name] = props[name]
		}
	}
	for name := range before {
		if _, still := after[name]; !still && name != mergedProp { // a merge, not a field: newlyMerged
			out[name] = ""
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func modifiedMs(r hubspot.Object, ot objectType) int64 {
	if t, ok := parseTime(r.Properties[ot.modified]); ok {
		return t.UnixMilli()
	}
	return r.UpdatedAt.UnixMilli()
}

func createdMs(r hubspot.Object) int64 {
	if t, ok := parseTime(r.Properties["createdate"]); ok {
		return t.UnixMilli()
	}
	return r.CreatedAt.UnixMilli()
}

// parseTime reads a datetime property: ISO 8601 as search returns it, or epoch ms.
func parseTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}
