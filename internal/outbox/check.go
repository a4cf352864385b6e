package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/connectflo/integrations/internal/hubspot"
)

// errCheckInconclusive: the search matched more records than HubSpot lets one query page
// through, even for a single event; the event stays in doubt and is checked again later.
var errCheckInconclusive = errors.New("outbox: too many candidate engagements to check for the marker")

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
					d.retry(it, "checking HubSpot for an earlier delivery: "+reasonOf(err), c.retryAt)
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
// HubSpot tokenises text.
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
	req := hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{
			{PropertyName: "hs_createdate", Operator: hubspot.OpGTE, Value: strconv.FormatInt(since.UnixMilli(), 10)},
			{PropertyName: "hs_timestamp", Operator: hubspot.OpBetween,
				Value: strconv.FormatInt(lo.UnixMilli(), 10), HighValue: strconv.FormatInt(hi.UnixMilli(), 10)},
		}}},
		Sorts:      []hubspot.Sort{{PropertyName: "hs_createdate", Direction: "ASCENDING"}},
		Properties: []string{body},
		Limit:      hubspot.MaxSearchLimit,
	}
	want := make(map[string]bool, len(chunk))
	for _, it := range chunk {
		want[markerOf(it.row.ID)] = true
	}
	found := map[string][]string{}
	for {
		page, err := d.client.Search(ctx, string(typ), req)
		if err != nil {
			return nil, err
		}
		if page.Total > hubspot.MaxSearchResults {
			if len(chunk) == 1 {
				return nil, fmt.Errorf("%w (%d candidates)", errCheckInconclusive, page.Total)
			}
			half := len(chunk) / 2 // narrower occurred_at ranges match fewer records
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
		for _, obj := range page.Results {
			if m := extractMarker(obj.Properties[body]); want[m] {
				found[m] = append(found[m], string(obj.ID))
			}
		}
		next := ""
		if page.Paging != nil {
			next = page.Paging.NextAfter()
		}
		if next == "" {
			return found, nil
		}
		req.After = next
	}
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
