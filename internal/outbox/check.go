package outbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
)

// checkFailedPrefix begins the last error of an event in doubt whose check failed.
const checkFailedPrefix = "checking HubSpot for an earlier delivery: "

// checkDoubtful looks for the markers of events whose last send has an unknown outcome.
// Events found are DELIVERED (with the engagement found); the rest are returned, safe to
// send again. Events whose check fails are rescheduled (or held) and not returned.
func (d *delivery) checkDoubtful(ctx context.Context, items []*item) (notFound []*item) {
	if len(items) == 0 {
		return nil
	}
	slices.SortStableFunc(items, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), a.ev.OccurredAt.Compare(b.ev.OccurredAt))
	})
	for i := 0; i < len(items); {
		j := i
		for j < len(items) && j-i < hubspot.MaxBatchInputs && items[j].typ == items[i].typ {
			j++
		}
		chunk := items[i:j]
		i = j
		if d.holding() {
			d.holdAll(ctx, chunk, nil)
			continue
		}
		found, err := d.findMarkers(ctx, chunk[0].typ, chunk)
		if err != nil {
			c := classify(err)
			for _, it := range chunk {
				if c.class == classHold {
					d.setHold(c.hold)
					d.holdOne(it)
				} else {
					d.retry(it, checkFailedPrefix+reasonOf(err), c.retryAt)
				}
			}
			d.save(ctx, chunk)
			continue
		}
		d.markSucceeded()
		var delivered []*item
		for _, it := range chunk {
			if ids := found[markerOf(it.row.ID)]; len(ids) > 0 {
				if len(ids) > 1 {
					d.o.cfg.Logger.Warn("outbox: event found more than once in HubSpot", "event", it.row.ID,
						"object_type", string(it.typ), "ids", strings.Join(ids, ","))
				}
				d.deliver(it, ids[0])
				delivered = append(delivered, it)
			} else {
				notFound = append(notFound, it)
			}
		}
		d.save(ctx, delivered)
	}
	return notFound
}

// findMarkers searches one engagement type for the markers of chunk (sorted by occurred_at)
// and returns the engagement ids found per marker. The filters are two datetime ranges that
// HubSpot's search supports on every engagement: created since the first uncertain send
// (less CheckSkew for clock skew) and hs_timestamp within the chunk's occurred_at range.
// Markers are then matched in the bodies here, so the result does not depend on how
// HubSpot tokenises text. The search stops once every marker of the chunk is found.
//
// When more than the 10,000 results HubSpot lets one query page through
// (hubspot.MaxSearchResults) match a chunk whose events span more than one occurred_at, its
// halves are searched on their own: narrower ranges match fewer records. Otherwise the
// search pages by keyset, never by offset: each page is a query of its own that starts where
// the last one ended (candidateQuery), so it reads every candidate however many match (past
// that cap), and an engagement deleted meanwhile cannot shift an unread one into a page
// already read.
func (d *delivery) findMarkers(ctx context.Context, typ hubspot.EngagementType, chunk []*item) (map[string][]string, error) {
	since := chunk[0].row.InDoubtSince
	for _, it := range chunk {
		if it.row.InDoubtSince.Before(since) {
			since = it.row.InDoubtSince
		}
	}
	since = since.Add(-d.o.cfg.CheckSkew)
	lo, hi := chunk[0].ev.OccurredAt, chunk[len(chunk)-1].ev.OccurredAt
	body := bodyProperty(typ)
	want := make(map[string]bool, len(chunk))
	for _, it := range chunk {
		want[markerOf(it.row.ID)] = true
	}
	found := map[string][]string{}
	start := candidateQuery{from: true, t: since.UnixMilli()}
	for q := start; ; {
		page, err := d.client.Search(ctx, string(typ), q.request(lo, hi, body))
		if err != nil {
			return nil, err
		}
		if q == start && page.Total > hubspot.MaxSearchResults && len(chunk) > 1 && lo.Before(hi) {
			// Narrower occurred_at ranges match fewer records: halves may each match few
			// enough to read, which costs fewer searches than reading every candidate.
			return d.findMarkersSplit(ctx, typ, chunk)
		}
		for _, obj := range page.Results {
			// A new query reads the records at its first create time again: count each once.
			if m := extractMarker(obj.Properties[body]); want[m] && !slices.Contains(found[m], string(obj.ID)) {
				found[m] = append(found[m], string(obj.ID))
			}
		}
		if len(found) == len(want) {
			return found, nil
		}
		switch n := len(page.Results); {
		case n == hubspot.MaxSearchLimit: // a full page: more may follow
			if q, err = q.next(page.Results[0], page.Results[n-1]); err != nil {
				return nil, err
			}
		case q.tie: // every record at q.t is read: go on after it
			q = candidateQuery{t: q.t}
		default:
			return found, nil
		}
	}
}

// findMarkersSplit searches each half of chunk (sorted by occurred_at) on its own.
func (d *delivery) findMarkersSplit(ctx context.Context, typ hubspot.EngagementType, chunk []*item) (map[string][]string, error) {
	half := len(chunk) / 2
	a, err := d.findMarkers(ctx, typ, chunk[:half])
	if err != nil {
		return nil, err
	}
	b, err := d.findMarkers(ctx, typ, chunk[half:])
	if err != nil {
		return nil, err
	}
	for k, v := range b {
		a[k] = append(a[k], v...)
	}
	return a, nil
}

// candidateQuery is one page of a check's search: each page is a query of its own that
// starts where the last one ended (keyset paging, as internal/poller pages by modified time),
// so the search is not bound by the 10,000 results one query may page through and a record
// deleted meanwhile shifts nothing. HubSpot honours one sort per query, so records created in
// one millisecond come in no stated order; a query is therefore one of:
//   - the scan: created after t (from: at or after t), sorted by hs_createdate; the first
//     query is the scan from the check's start. A full page goes on with the scan from the
//     last create time it read: the records of that millisecond it read are read again (and
//     found once), and those it did not are read;
//   - the tie query: created exactly at t with an id above id, sorted by hs_object_id, when
//     a full page of a scan all shares t (the scan from t would read it again); it walks the
//     records of t by id, and the scan goes on after t.
//
// Each query goes on from a later create time than the last, or walks one millisecond by id,
// so a check reads every candidate and ends.
type candidateQuery struct {
	tie   bool
	from  bool
	t, id int64 // ms, hs_object_id
}

// request is the query's search for candidates whose hs_timestamp lies in [lo, hi].
func (q candidateQuery) request(lo, hi time.Time, body string) hubspot.SearchRequest {
	t := strconv.FormatInt(q.t, 10)
	timestamp := hubspot.Filter{PropertyName: "hs_timestamp", Operator: hubspot.OpBetween,
		Value: strconv.FormatInt(lo.UnixMilli(), 10), HighValue: strconv.FormatInt(hi.UnixMilli(), 10)}
	req := hubspot.SearchRequest{Properties: []string{body, "hs_createdate"}, Limit: hubspot.MaxSearchLimit}
	if q.tie {
		req.FilterGroups = []hubspot.FilterGroup{{Filters: []hubspot.Filter{
			{PropertyName: "hs_createdate", Operator: hubspot.OpEQ, Value: t},
			{PropertyName: "hs_object_id", Operator: hubspot.OpGT, Value: strconv.FormatInt(q.id, 10)},
			timestamp,
		}}}
		req.Sorts = []hubspot.Sort{{PropertyName: "hs_object_id", Direction: "ASCENDING"}}
		return req
	}
	op := hubspot.OpGT
	if q.from {
		op = hubspot.OpGTE
	}
	req.FilterGroups = []hubspot.FilterGroup{{Filters: []hubspot.Filter{
		{PropertyName: "hs_createdate", Operator: op, Value: t},
		timestamp,
	}}}
	req.Sorts = []hubspot.Sort{{PropertyName: "hs_createdate", Direction: "ASCENDING"}}
	return req
}

// next is the query that goes on after q's full page, first and last being the first and the
// last result it read.
func (q candidateQuery) next(first, last hubspot.Object) (candidateQuery, error) {
	if q.tie {
		id, err := strconv.ParseInt(string(last.ID), 10, 64)
		if err != nil {
			return q, fmt.Errorf("outbox: engagement id %q is not a number: %w", last.ID, err)
		}
		return candidateQuery{tie: true, t: q.t, id: id}, nil
	}
	t0, err := createdMs(first)
	if err != nil {
		return q, err
	}
	t, err := createdMs(last)
	switch {
	case err != nil:
		return q, err
	case t < t0 || t < q.t || (t == q.t && !q.from):
		return q, fmt.Errorf("outbox: search results out of hs_createdate order (%d to %d in a query from %d)", t0, t, q.t)
	case t == t0: // the whole window was created in one millisecond: read it by id
		return candidateQuery{tie: true, t: t}, nil
	}
	return candidateQuery{from: true, t: t}, nil
}

// createdMs is an engagement's create time in ms, as search filters and sorts it.
func createdMs(obj hubspot.Object) (int64, error) {
	created, ok := fields.ParseInstant(obj.Properties["hs_createdate"])
	if !ok {
		created = obj.CreatedAt.Time
	}
	if created.IsZero() {
		return 0, fmt.Errorf("outbox: engagement %s has no create time to page from", obj.ID)
	}
	return created.UnixMilli(), nil
}

// extractMarker returns the marker in an engagement body, or "".
func extractMarker(body string) string {
	const prefix = "cf-evt-"
	i := strings.LastIndex(body, prefix)
	if i < 0 || len(body) < i+len(prefix)+24 {
		return ""
	}
	return body[i : i+len(prefix)+24]
}
