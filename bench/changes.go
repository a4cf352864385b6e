package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/sandbox"
)

// changesConfig sizes the changes group; the defaults are the figures, the flags
// (see run) shrink them for development runs.
type changesConfig struct {
	pollIntervals int // intervals (of the default 60 s) the polling edits span
	bulk          int // contacts bulk-edited with one timestamp
	dropped       int // edits made while 20% of webhooks are dropped
}

// benchChanges measures the change feed: how soon an edit made in HubSpot reaches a
// WatchChanges stream by webhook and by polling while 200 callers upsert at the Free budget
// through the same connection, what polling costs of the budgets, and the two correctness
// figures (a bulk edit of many contacts with one timestamp; webhooks dropped).
func benchChanges(ctx context.Context, env *benchEnv) ([]row, error) {
	bin, err := env.serverBinary(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := changesLatency(ctx, env.log, bin, env.changes)
	if err != nil {
		return nil, err
	}
	more, err := changesCorrectness(ctx, env.log, bin, env.changes)
	if err != nil {
		return nil, err
	}
	return append(rows, more...), nil
}

// benchSecret is the client secret of the sandbox app that signs the webhooks.
const benchSecret = "bench-webhook-client-secret"

// feedWatch reads a connection's WatchChanges stream in the background and notes when each
// change arrived, keyed by the raw firstname it carries (the edits below give every edit a
// value of its own), and per record id how many changes carried the bulk edit's firstname.
type feedWatch struct {
	mu      sync.Mutex
	arrived map[string]arrival // firstname → first arrival
	ids     map[string]int     // record id → changes seen whose firstname is bulkValue
	total   int                // changes received
	sources map[string]int     // changes received by source
	notify  chan struct{}      // ticked (non-blocking) at every change
	err     error              // why the stream ended, when not by cancellation
	cancel  context.CancelFunc // ends the stream
	done    chan struct{}      // closed when the stream has ended
}

type arrival struct {
	at     time.Time
	source integrationsv1.ChangeSource
}

// bulkValue is the firstname the bulk edit sets.
const bulkValue = "bulk-edited"

func watchFeed(ctx context.Context, c *client.Client, conn string) *feedWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &feedWatch{arrived: map[string]arrival{}, ids: map[string]int{}, sources: map[string]int{},
		notify: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ch, err := range c.Changes(ctx, &integrationsv1.WatchChangesRequest{Connection: conn, ObjectTypes: []string{"contacts"}}) {
			if err != nil {
				if ctx.Err() == nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
				return
			}
			now := time.Now()
			w.mu.Lock()
			w.total++
			w.sources[strings.TrimPrefix(ch.GetSource().String(), "CHANGE_SOURCE_")]++
			if v := ch.GetFields()["firstname"].GetRaw(); v != "" {
				if v == bulkValue {
					w.ids[ch.GetRecordId()]++
				} else if _, ok := w.arrived[v]; !ok {
					w.arrived[v] = arrival{at: now, source: ch.GetSource()}
				}
			}
			w.mu.Unlock()
			select {
			case w.notify <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

func (w *feedWatch) stop() {
	w.cancel()
	<-w.done
}

// waitFor waits until ok (called under the lock) holds, the stream fails or timeout passes.
func (w *feedWatch) waitFor(ctx context.Context, timeout time.Duration, ok func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		done, err := ok(), w.err
		w.mu.Unlock()
		if done {
			return nil
		}
		if err != nil {
			return fmt.Errorf("WatchChanges: %w", err)
		}
		select {
		case <-w.notify:
		case <-deadline.C:
			return errTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

var errTimeout = errors.New("timed out")

// edits makes edits "in HubSpot": every `every`, until `until`, it sets the firstname of
// the next target contact to a value of its own, and returns each value's edit time.
func edits(ctx context.Context, h *benchHub, targets []string, prefix string, every time.Duration, until time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; time.Now().Before(until); i++ {
		v := fmt.Sprintf("%s-%d", prefix, i)
		t := time.Now()
		if err := h.sb.EditRecord(h.acct.HubID, "contacts", targets[i%len(targets)], map[string]string{"firstname": v}); err != nil {
			return nil, err
		}
		out[v] = t
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// latencies are the edit → arrival times of the edits that arrived, sorted, and how many
// arrived by each source.
func (w *feedWatch) latencies(edited map[string]time.Time) (lat []time.Duration, bySource map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	bySource = map[string]int{}
	for v, t := range edited {
		if a, ok := w.arrived[v]; ok {
			lat = append(lat, a.at.Sub(t))
			bySource[strings.TrimPrefix(a.source.String(), "CHANGE_SOURCE_")]++
		}
	}
	slices.Sort(lat)
	return lat, bySource
}

// percentiles formats p50 / p99 of sorted durations.
func percentiles(lat []time.Duration) string {
	if len(lat) == 0 {
		return "no samples"
	}
	return fmt.Sprintf("%v / %v", lat[len(lat)/2].Round(10*time.Millisecond), lat[min(len(lat)*99/100, len(lat)-1)].Round(10*time.Millisecond))
}

// upsertLoop runs callers goroutines, each upserting its own contact again and again until
// ctx ends, and notes when each call completed; the contacts are the same few hundred so that
// the load keeps the budget busy without growing what a poll reads (each record is read once
// per poll however often it was written).
type upsertLoop struct {
	mu     sync.Mutex
	done   []time.Time
	failed atomic.Int64
	first  atomic.Value
	wg     sync.WaitGroup
}

func startUpserts(ctx context.Context, c *client.Client, conn string, callers int) *upsertLoop {
	l := &upsertLoop{}
	for i := range callers {
		l.wg.Go(func() {
			email := fmt.Sprintf("hot%d@example.com", i)
			for ctx.Err() == nil {
				_, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn, Email: email})
				if err != nil {
					if ctx.Err() == nil {
						l.failed.Add(1)
						l.first.CompareAndSwap(nil, err)
						time.Sleep(100 * time.Millisecond) // a caller that keeps failing does not spin
					}
					continue
				}
				t := time.Now()
				l.mu.Lock()
				l.done = append(l.done, t)
				l.mu.Unlock()
			}
		})
	}
	return l
}

// rate is the calls per second completed in [from, to).
func (l *upsertLoop) rate(from, to time.Time) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.done {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return float64(n) / to.Sub(from).Seconds()
}

// createContacts stores n contacts (emails prefix0@example.com …) as data the portal held
// before the run, and returns their ids.
func createContacts(h *benchHub, prefix string, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		id, err := h.sb.CreateRecord(h.acct.HubID, "contacts", map[string]string{"email": fmt.Sprintf("%s%d@example.com", prefix, i)})
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// subscribe points the sandbox app's webhooks at the server (on: firstname changes of
// contacts) or removes them (off).
func subscribe(h *benchHub, srv *serverProcess, on bool) error {
	cfg := sandbox.WebhookConfig{AppID: h.token.AppID}
	if on {
		cfg.TargetURL = "http://" + srv.httpAddr + changes.WebhookPath
		cfg.ClientSecret = benchSecret
		cfg.Subscriptions = []sandbox.WebhookSubscription{{SubscriptionType: "contact.propertyChange", PropertyName: "firstname"}}
	}
	_, err := h.sb.SetWebhooks(cfg)
	return err
}

// setChangeSettings gives the connection the webhook secret and, when not zero, a poll
// interval.
func setChangeSettings(ctx context.Context, c *client.Client, conn string, interval time.Duration) error {
	s := &integrationsv1.ChangeSettings{Name: conn + "/changeSettings", WebhookClientSecret: benchSecret}
	if interval > 0 {
		s.PollInterval = durationpb.New(interval)
	}
	_, err := c.UpdateChangeSettings(ctx, &integrationsv1.UpdateChangeSettingsRequest{ChangeSettings: s})
	return err
}

// searchesIn counts the searches the sandbox admitted for the account in [from, to).
func searchesIn(c sandbox.Counters, hubID int64, from, to time.Time) int {
	n := 0
	for _, t := range c.SearchReceiptTimes[hubID] {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// listings counts the record listings the sandbox answered (GET of a type's records, as
// polling's archived listings are): polling's only requests inside the ten-second window.
func listings(c sandbox.Counters) int {
	n := 0
	for k, byStatus := range c.Requests {
		method, path, _ := strings.Cut(k, " ")
		seg := path[strings.LastIndexByte(path, '/')+1:]
		if method != "GET" || (seg != "contacts" && seg != "companies" && seg != "deals") {
			continue
		}
		for _, v := range byStatus {
			n += v
		}
	}
	return n
}

// changesLatency runs the detection-latency load: a Free account, 200 callers upserting
// through the connection for the whole run; first with webhooks on (before the first real
// poll, which comes one default interval after the connection's baseline poll), then with
// webhooks off and polling at the default interval, edits spread over cfg.pollIntervals
// intervals.
func changesLatency(ctx context.Context, log io.Writer, bin string, cfg changesConfig) ([]row, error) {
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierFree)
	if err != nil {
		return nil, err
	}
	defer h.close()
	defer h.sb.Close()
	targets, err := createContacts(h, "target", 100)
	if err != nil {
		return nil, err
	}
	lim, err := h.sb.EffectiveLimits(h.acct.HubID)
	if err != nil {
		return nil, err
	}
	srv, err := startServerProcess(ctx, bin, h.srv.URL)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h, client.WithTimeout(10*time.Minute))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	connected := time.Now() // the baseline poll follows within a second; the next one an interval later
	interval := changes.DefaultPollInterval
	if err := setChangeSettings(ctx, c, conn.GetName(), 0); err != nil {
		return nil, err
	}
	if err := subscribe(h, srv, true); err != nil {
		return nil, err
	}
	w := watchFeed(ctx, c, conn.GetName())
	defer w.stop()
	h.sb.ResetCounters()
	loadCtx, stopLoad := context.WithCancel(ctx)
	load := startUpserts(loadCtx, c, conn.GetName(), 200)
	defer func() { stopLoad(); load.wg.Wait() }()

	// Webhooks: after a window of load (the budget busy), an edit a second until 15 s
	// before the first real poll.
	time.Sleep(lim.Window + time.Second)
	wFrom := time.Now()
	wEdits, err := edits(ctx, h, targets, "webhook", time.Second, connected.Add(interval-15*time.Second))
	if err != nil {
		return nil, err
	}
	wTo := time.Now()
	if err := w.waitFor(ctx, 10*time.Second, func() bool { return allArrived(w, wEdits) }); err != nil && !errors.Is(err, errTimeout) {
		return nil, err
	}
	wLat, wSrc := w.latencies(wEdits)
	rateWithout := load.rate(wFrom, wTo)

	// Polling: webhooks off; edits every 2 s over cfg.pollIntervals intervals, from one
	// interval after the baseline poll (when the first real poll comes; every later edit is
	// made in steady state, a poll after each interval) until 5 s before the poll that ends
	// the last interval.
	if err := subscribe(h, srv, false); err != nil {
		return nil, err
	}
	pFrom := connected.Add(interval + time.Second)
	pEnd := connected.Add(time.Duration(cfg.pollIntervals+1)*interval - 5*time.Second)
	select {
	case <-time.After(time.Until(pFrom)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	pEdits, err := edits(ctx, h, targets, "poll", 2*time.Second, pEnd)
	if err != nil {
		return nil, err
	}
	if err := w.waitFor(ctx, interval+30*time.Second, func() bool { return allArrived(w, pEdits) }); err != nil && !errors.Is(err, errTimeout) {
		return nil, err
	}
	pLat, pSrc := w.latencies(pEdits)
	time.Sleep(8 * time.Second) // the poll that brought the last edit goes on with companies and deals
	pTo := time.Now()
	rateWith := load.rate(pFrom, pEnd)
	stopLoad()
	load.wg.Wait()
	counters := h.sb.Counters()
	limited := 0
	for _, v := range counters.RateLimited {
		limited += v
	}
	searches := searchesIn(counters, h.acct.HubID, pFrom.Add(-2*time.Second), pTo)
	w.mu.Lock()
	detected, bySource, byPoll := w.total, fmt.Sprint(w.sources), w.sources["POLL"]
	w.mu.Unlock()
	polled := pTo.Sub(pFrom)
	list := listings(counters)
	// The busiest ten seconds rather than the busiest second: searches a second apart at
	// the sender may arrive a little less than a second apart.
	searchPeak := sandbox.MaxInWindow(counters.SearchReceiptTimes[h.acct.HubID], 10*time.Second)
	fmt.Fprintf(log, "changes: webhooks %d/%d arrived %v p50/p99 %s; polling %d/%d arrived %v p50/p99 %s; upserts %.0f/s without polling, %.0f/s with; 429s %v; %d searches while polling (%v), at most %d in 10 s; %d listings; %d changes on the stream %s; upsert failures %d\n",
		len(wLat), len(wEdits), wSrc, percentiles(wLat), len(pLat), len(pEdits), pSrc, percentiles(pLat), rateWithout, rateWith,
		counters.RateLimited, searches, polled.Round(time.Second), searchPeak, list, detected, bySource, load.failed.Load())
	if err, ok := load.first.Load().(error); ok {
		fmt.Fprintf(log, "  first upsert failure: %v\n", err)
	}
	group := "changes: HubSpot edit → WatchChanges, 200 callers upserting at the Free budget"
	windowBudget := float64(lim.PerWindow) * polled.Seconds() / lim.Window.Seconds()
	return []row{
		{group, fmt.Sprintf("webhooks: latency p50 / p99 (%d of %d edits arrived: %s)", len(wLat), len(wEdits), sourcesText(wSrc)), percentiles(wLat), "p99 ≤ 2 s"},
		{group, fmt.Sprintf("polling at the default %v interval, webhooks off: latency p50 / p99 (%d of %d edits made over %d × %v arrived: %s)", interval, len(pLat), len(pEdits), cfg.pollIntervals, interval, sourcesText(pSrc)),
			percentiles(pLat), fmt.Sprintf("p99 ≤ %v", interval+5*time.Second)},
		{group, "429s seen by the sandbox / failed upserts (whole run)", fmt.Sprintf("%d / %d", limited, load.failed.Load()), "0 / 0"},
		{group, "upserts per second while polling / without polling", fmt.Sprintf("%.2f (%.0f/s vs %.0f/s)", rateWith/max(rateWithout, 1e-9), rateWith, rateWithout), "≥ 0.90"},
		{group, fmt.Sprintf("polling's share of the 10 s window: its requests in it (archived listings, every 5th poll of a type) / the window's budget over %v", polled.Round(time.Second)),
			fmt.Sprintf("%.3f (%d / %.0f)", float64(list)/windowBudget, list, windowBudget), "≤ 0.10"},
		{group, "polling: search requests per 1,000 changes detected by polling (the upserts' own changes included)",
			fmt.Sprintf("%.1f (%d searches, %d changes)", float64(searches)*1000/float64(max(byPoll, 1)), searches, byPoll), "—"},
		{group, "polling's searches per second / HubSpot's 5 per second: mean; busiest 10 s",
			fmt.Sprintf("%.3f (%.2f/s); %.2f (%d in 10 s)", float64(searches)/polled.Seconds()/5, float64(searches)/polled.Seconds(), float64(searchPeak)/10/5, searchPeak),
			"≤ 0.20 (--poll-search-share 1)"},
	}, nil
}

// sourcesText says how many came by each source: "41 by webhook, 9 by poll".
func sourcesText(bySource map[string]int) string {
	var parts []string
	for _, src := range []string{"WEBHOOK", "POLL"} {
		parts = append(parts, fmt.Sprintf("%d by %s", bySource[src], strings.ToLower(src)))
	}
	return strings.Join(parts, ", ")
}

func allArrived(w *feedWatch, edited map[string]time.Time) bool {
	for v := range edited {
		if _, ok := w.arrived[v]; !ok {
			return false
		}
	}
	return true
}

// changesCorrectness runs the two correctness figures against one account polled every
// 10 s (the shortest interval) with polling allowed all 5 searches per second, so that the
// bulk edit is read in under a minute rather than three: first edits while 20% of
// webhooks are dropped, then a bulk edit of cfg.bulk contacts with one timestamp (webhooks
// off: polling alone must find them).
func changesCorrectness(ctx context.Context, log io.Writer, bin string, cfg changesConfig) ([]row, error) {
	h, err := newBenchHub(sandbox.Options{Seed: 15}, sandbox.TierEnterprise)
	if err != nil {
		return nil, err
	}
	defer h.close()
	defer h.sb.Close()
	if _, err := createContacts(h, "bulk", cfg.bulk); err != nil { // the lowest ids: the bulk edit's Count takes them
		return nil, err
	}
	targets, err := createContacts(h, "dropped", cfg.dropped)
	if err != nil {
		return nil, err
	}
	sentinel, err := createContacts(h, "sentinel", 1)
	if err != nil {
		return nil, err
	}
	srv, err := startServerProcess(ctx, bin, h.srv.URL, "--poll-search-share", "5")
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h, client.WithTimeout(10*time.Minute))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	interval := changes.MinPollInterval
	if err := setChangeSettings(ctx, c, conn.GetName(), interval); err != nil {
		return nil, err
	}
	w := watchFeed(ctx, c, conn.GetName())
	defer w.stop()
	// Edits made before a connection's baseline poll are never reported, and nothing
	// tells when it ran but a change that polling found: edit the sentinel contact until
	// one of its edits arrives.
	for i := 0; ; i++ {
		v := fmt.Sprintf("sentinel-%d", i)
		if err := h.sb.EditRecord(h.acct.HubID, "contacts", sentinel[0], map[string]string{"firstname": v}); err != nil {
			return nil, err
		}
		// A poll reads the record as search saw it, a few seconds late: any of the
		// sentinel's values will do.
		err := w.waitFor(ctx, 3*time.Second, func() bool {
			for k := range w.arrived {
				if strings.HasPrefix(k, "sentinel-") {
					return true
				}
			}
			return false
		})
		if err == nil {
			break
		}
		if !errors.Is(err, errTimeout) || i > 20 {
			return nil, fmt.Errorf("polling found no edit of the sentinel contact: %w", err)
		}
	}

	// 20% of webhooks dropped: every edit must still arrive, the dropped ones by polling.
	if err := subscribe(h, srv, true); err != nil {
		return nil, err
	}
	if err := h.sb.SetWebhookFaults(sandbox.WebhookFaults{DropRate: 0.2}); err != nil {
		return nil, err
	}
	dEdits := map[string]time.Time{}
	for i, id := range targets {
		v := fmt.Sprintf("dropped-%d", i)
		if err := h.sb.EditRecord(h.acct.HubID, "contacts", id, map[string]string{"firstname": v}); err != nil {
			return nil, err
		}
		dEdits[v] = time.Now()
	}
	if err := w.waitFor(ctx, 3*interval+30*time.Second, func() bool { return allArrived(w, dEdits) }); err != nil && !errors.Is(err, errTimeout) {
		return nil, err
	}
	dLat, dSrc := w.latencies(dEdits)
	wc := h.sb.WebhookCounters()
	if err := subscribe(h, srv, false); err != nil {
		return nil, err
	}

	// The bulk edit: cfg.bulk contacts stamped with one time. Then one more poll after all
	// arrived (its overlap reads the edit again), so repeats would show.
	h.sb.ResetCounters()
	start := time.Now()
	res, err := h.sb.BulkEdit(h.acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "firstname", Value: bulkValue, Count: cfg.bulk})
	if err != nil {
		return nil, err
	}
	err = w.waitFor(ctx, 5*time.Minute, func() bool { return len(w.ids) >= res.Edited })
	if err != nil && !errors.Is(err, errTimeout) {
		return nil, err
	}
	took := time.Since(start)
	after := h.sb.Counters()
	searches := len(after.SearchReceiptTimes[h.acct.HubID])
	limited := 0
	for _, v := range after.RateLimited {
		limited += v
	}
	// The next polls start within their overlap (30 s, three 10 s intervals here) and so
	// read the edit again: they must report nothing, and what they cost is counted apart
	// (at the default 60 s interval one poll at most does this).
	time.Sleep(interval + 5*time.Second)
	again := len(h.sb.Counters().SearchReceiptTimes[h.acct.HubID]) - searches
	w.mu.Lock()
	distinct, seen := len(w.ids), 0
	for _, n := range w.ids {
		seen += n
	}
	w.mu.Unlock()
	fmt.Fprintf(log, "changes: bulk edit of %d contacts at %v: %d distinct arrived (%d changes) in %v, %d searches (429s %v), %d more in the next poll; dropped webhooks: %d/%d edits arrived %v, p50/p99 %s, sender %+v\n",
		res.Edited, res.ModifiedAt, distinct, seen, took.Round(time.Second), searches, after.RateLimited, again, len(dLat), len(dEdits), dSrc, percentiles(dLat), wc)
	group := "changes: correctness (polling every 10 s with all 5 searches per second)"
	return []row{
		{group, fmt.Sprintf("%s contacts bulk-edited with one timestamp: distinct contacts arrived / edited; repeats", thousands(res.Edited)),
			fmt.Sprintf("%s / %s; %d repeats (all in %v)", thousands(distinct), thousands(res.Edited), seen-distinct, took.Round(time.Second)),
			fmt.Sprintf("%s / %s; 0", thousands(res.Edited), thousands(res.Edited))},
		{group, "bulk edit: search requests per 1,000 changes detected, until all arrived (the next poll, reading it again within its overlap, apart); 429s",
			fmt.Sprintf("%.1f (%d searches; %d more); %d × 429", float64(searches)*1000/float64(max(distinct, 1)), searches, again, limited), "≤ 10; 0 × 429"},
		{group, fmt.Sprintf("%d edits with 20%% of webhooks dropped (%d dropped): arrived / expected, by source", len(dEdits), wc.EventsDropped),
			fmt.Sprintf("%d / %d (%s)", len(dLat), len(dEdits), sourcesText(dSrc)), fmt.Sprintf("%d / %d", len(dEdits), len(dEdits))},
	}, nil
}
