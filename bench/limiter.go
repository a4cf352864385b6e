package main

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// benchLimiter queues 1,000 requests at once against the sandbox at a scaled budget of 20 per
// 200 ms and compares the time they take, on the sandbox's own receipt clock, with the
// theoretical minimum (⌈N/B⌉−1)·W: the share of HubSpot's budget the limiter uses.
func benchLimiter(ctx context.Context, env *benchEnv) ([]row, error) {
	log := env.log
	const n, budget, window, workers = 1000, 20, 200 * time.Millisecond, 50
	sb := sandbox.New(sandbox.Options{Limits: sandbox.Limits{Window: window, PerWindow: budget}})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierFree})
	if err != nil {
		return nil, err
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		return nil, err
	}
	id, err := sb.CreateRecord(acct.HubID, "contacts", map[string]string{"email": "bench@example.com"})
	if err != nil {
		return nil, err
	}
	token, err := hubspot.ParseToken(tok.Token)
	if err != nil {
		return nil, err
	}
	client, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: token,
		Limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: budget, Window: window})})
	if err != nil {
		return nil, err
	}
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= n {
				if _, err := client.GetObject(ctx, "contacts", id, hubspot.GetObjectOptions{}); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	c := sb.Counters()
	receipts := c.ReceiptTimes[tok.AppID]
	sort.Slice(receipts, func(i, j int) bool { return receipts[i].Before(receipts[j]) })
	if len(receipts) < 2 {
		return nil, fmt.Errorf("sandbox recorded %d receipts", len(receipts))
	}
	measured := receipts[len(receipts)-1].Sub(receipts[0])
	minimum := time.Duration(math.Ceil(float64(n)/budget)-1) * window
	limited := 0
	for _, v := range c.RateLimited {
		limited += v
	}
	fmt.Fprintf(log, "limiter: %d requests in %v (wall %v), minimum %v, %d failed\n", n, measured, wall, minimum, failed.Load())
	group := "limiter (1,000 queued requests, 20 per 200 ms)"
	return []row{
		{group, "theoretical minimum / measured time", fmt.Sprintf("%.3f", float64(minimum)/float64(measured)), "≥ 0.91 (within 10%)"},
		{group, "most requests the sandbox saw in any 200 ms window", fmt.Sprint(sandbox.MaxInWindow(receipts, window)), "≤ 20"},
		{group, "429s / failed calls", fmt.Sprintf("%d / %d", limited, failed.Load()), "0 / 0"},
	}, nil
}
