package upsert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// deliver sends one cut batch under its permit, hands every caller its
// outcome and releases the batch's emails for the next batch.
func (b *Batcher) deliver(groups []*group, permit *hubspot.Permit) {
	defer b.sending.Done()
	ctx, cancel := batchContext(groups)
	defer cancel()
	b.send(ctx, groups, permit)
	b.mu.Lock()
	b.lastAnswered = time.Now()
	for _, g := range groups {
		if b.inflight[g.email]--; b.inflight[g.email] <= 0 {
			delete(b.inflight, g.email)
		}
	}
	b.mu.Unlock()
	b.nudge()
}

// batchContext bounds a batch (retries included) by the latest deadline of
// its callers: past it nobody is waiting. A caller without a deadline leaves
// it unbounded (each attempt still has the client's timeout).
func batchContext(groups []*group) (context.Context, context.CancelFunc) {
	var latest time.Time
	for _, g := range groups {
		for _, it := range g.items {
			d, ok := it.ctx.Deadline()
			if !ok {
				return context.WithCancel(batcherContext())
			}
			if d.After(latest) {
				latest = d
			}
		}
	}
	return context.WithDeadline(batcherContext(), latest)
}

// send makes one batch upsert (under permit when given, else queueing in
// the limiter) and delivers its outcomes, isolating bad inputs when HubSpot
// rejects the batch as a whole.
func (b *Batcher) send(ctx context.Context, groups []*group, permit *hubspot.Permit) {
	inputs := make([]hubspot.BatchUpsertInput, len(groups))
	for i, g := range groups {
		inputs[i] = hubspot.BatchUpsertInput{ID: g.email, IDProperty: "email", Properties: g.props}
	}
	firstSent := time.Now()
	if permit != nil {
		firstSent = permit.GrantedAt()
	}
	b.mu.Lock()
	b.stats.BatchesSent++
	b.stats.ContactsSent += uint64(len(groups))
	b.stats.InFlightBatches++
	b.stats.InFlightContacts += len(groups)
	b.mu.Unlock()

	var res *hubspot.BatchResult
	var err error
	if permit != nil {
		res, err = b.sender.BatchUpsertWithPermit(ctx, "contacts", inputs, permit)
	} else {
		res, err = b.sender.BatchUpsert(ctx, "contacts", inputs)
	}

	b.mu.Lock()
	b.stats.InFlightBatches--
	b.stats.InFlightContacts -= len(groups)
	b.mu.Unlock()
	b.cfg.Logger.Debug("contact batch upsert", slog.Int("contacts", len(groups)), slog.Bool("ok", err == nil),
		slog.Duration("duration", time.Since(firstSent)))

	if err != nil {
		if apiErr, ok := errors.AsType[*hubspot.APIError](err); ok && len(groups) > 1 && rejectedAsWhole(apiErr) {
			b.isolate(ctx, groups, apiErr)
			return
		}
		if ctx.Err() != nil && !isHubSpotAnswer(err) {
			// Every caller's deadline has passed (the batch's is the latest):
			// an attempt may have landed, nobody can know.
			err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
		}
		b.finishGroups(groups, Result{}, err)
		return
	}

	// HubSpot stamps createdAt in whole milliseconds: only a millisecond
	// wholly after the first send proves the contact is that young, so a
	// contact our previous write of this email created just before can
	// never count.
	createdSince := firstSent.Add(time.Millisecond - 1).Truncate(time.Millisecond).Add(-b.cfg.ClockSkew)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, o := range res.Outcomes {
		g := groups[i]
		var r Result
		err := o.Err
		if err == nil && o.Object == nil {
			err = hubspot.ErrNoResult
		}
		if err == nil {
			r = Result{ID: string(o.Object.ID), Created: o.New, UpdatedAt: o.Object.UpdatedAt.Time}
			// A retry after a lost response reports new=false for the contact
			// the lost attempt created: judge by when it was created.
			if !r.Created && res.Attempts > 1 && !o.Object.CreatedAt.IsZero() && !o.Object.CreatedAt.Before(createdSince) {
				r.Created = true
			}
		}
		for _, it := range g.items {
			b.finishLocked(it, r, err)
		}
	}
}

// isHubSpotAnswer tells HubSpot's (or the limiter's) verdict apart from a
// call cut short by its context.
func isHubSpotAnswer(err error) bool {
	_, api := errors.AsType[*hubspot.APIError](err)
	_, rl := errors.AsType[*hubspot.RateLimitError](err)
	return api || rl
}

func (b *Batcher) finishGroups(groups []*group, r Result, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, g := range groups {
		for _, it := range g.items {
			b.finishLocked(it, r, err)
		}
	}
}

// rejectedAsWhole says the batch failed because of (at least) one input:
// HubSpot answers an upsert by email all-or-nothing. Errors about the batch
// itself (a non-unique idProperty, duplicates, size) would fail every part
// alike, so they are not worth splitting.
func rejectedAsWhole(e *hubspot.APIError) bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
	default:
		return false
	}
	msg := strings.ToLower(e.Message)
	for _, batchLevel := range []string{"non-unique", "duplicate ids", "batch input size"} {
		if strings.Contains(msg, batchLevel) {
			return false
		}
	}
	return true
}

// isolate finds the inputs that made HubSpot reject a batch, fails only
// their callers and re-sends the rest. Inputs that set none of the
// properties HubSpot named are innocent and re-sent together at once. The
// suspects are grouped by the values they set for the named properties:
// validation depends on the value alone, so a group fails or passes as a
// whole, and when only one group is suspected it fails without another
// request. Several groups are bisected (by group, not by input), so one bad
// value among 100 inputs costs two more requests. A rejection naming no
// property is bisected by input, and so is one whose violations all depend on
// more than the value sent (hubspot.Violation.DependsOnRecord): a property a
// create or an admin's rule wanted set names what the culprits did NOT set, and
// an input without it may update an existing contact, which needs none; a
// lifecycle stage moved backward is refused for one contact and accepted for
// another with the same value. Neither side can be blamed unsent.
func (b *Batcher) isolate(ctx context.Context, groups []*group, rejection *hubspot.APIError) {
	b.mu.Lock()
	b.stats.Isolations++
	b.mu.Unlock()

	var names []string
	for _, v := range rejection.Violations {
		if v.PropertyName != "" && !v.DependsOnRecord() {
			names = append(names, v.PropertyName)
		}
	}
	var innocents []*group
	var classes [][]*group // suspects with equal values for the named properties, by first appearance
	classOf := map[string]int{}
	for _, g := range groups {
		key, suspect := valueKey(g.props, names)
		if !suspect {
			innocents = append(innocents, g)
			continue
		}
		i, ok := classOf[key]
		if !ok {
			i = len(classes)
			classOf[key] = i
			classes = append(classes, nil)
		}
		classes[i] = append(classes[i], g)
	}
	var parts [][]*group
	switch len(classes) {
	case 0:
		half := len(groups) / 2
		parts = [][]*group{groups[:half], groups[half:]}
	case 1:
		b.finishGroups(classes[0], Result{}, rejection)
		parts = [][]*group{innocents}
	default:
		half := len(classes) / 2
		parts = [][]*group{innocents, slices.Concat(classes[:half]...), slices.Concat(classes[half:]...)}
	}
	var wg sync.WaitGroup
	for _, part := range parts {
		if len(part) == 0 {
			continue
		}
		wg.Go(func() { b.send(ctx, part, nil) })
	}
	wg.Wait()
}

// valueKey identifies the values props sets for the named properties, and
// says whether it sets any of them.
func valueKey(props map[string]string, names []string) (string, bool) {
	var key strings.Builder
	suspect := false
	for _, n := range names {
		v, ok := props[n]
		if !ok {
			key.WriteString("\x00unset\x00")
			continue
		}
		suspect = true
		key.WriteString(strconv.Quote(v))
		key.WriteByte(0)
	}
	return key.String(), suspect
}
