package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// benchUpserts measures UpsertContact at HubSpot's Free budget (100 requests per 10 s):
// 40,000 calls from 200 concurrent callers through the typed client, against the theoretical
// minimum time; the same load with batching off (on fewer calls: it runs at ~10 per second);
// and the REST gateway's throughput as a ratio of gRPC's with an unthrottled sandbox.
func benchUpserts(ctx context.Context, env *benchEnv) ([]row, error) {
	log := env.log
	bin, err := env.serverBinary(ctx)
	if err != nil {
		return nil, err
	}
	group := "UpsertContact at the Free budget (100 requests / 10 s)"
	const n, callers = 40000, 200
	on, err := upsertLoad(ctx, log, bin, n, callers)
	if err != nil {
		return nil, err
	}
	const offN = 300
	off, err := upsertLoad(ctx, log, bin, offN, callers, "--upsert-batch-size", "1")
	if err != nil {
		return nil, err
	}
	restRatio, grpcRate, restRate, err := restVersusGRPC(ctx, bin)
	if err != nil {
		return nil, err
	}
	return []row{
		{group, "40,000 calls, 200 callers: theoretical minimum / measured time", fmt.Sprintf("%.3f (%v / %v)", on.ratio, on.minimum, on.measured.Round(10*time.Millisecond)), "≥ 0.95"},
		{group, "429s seen by the sandbox / failed calls", fmt.Sprintf("%d / %d", on.limited, on.failed), "0 / 0"},
		{group, "latency p50 / p99", fmt.Sprintf("%v / %v", on.p50.Round(time.Millisecond), on.p99.Round(time.Millisecond)), "—"},
		{group, "records per second, batched / batching off (300 calls)", fmt.Sprintf("%.0f / %.1f", on.rate, off.rate), "≈1,000 / ≈10"},
		{group, "server peak RSS (batched run)", fmt.Sprintf("%.0f MiB", on.rss), "—"},
		{"UpsertContact, unthrottled sandbox, 200 callers", "REST gateway throughput / gRPC throughput", fmt.Sprintf("%.2f (%.0f/s vs %.0f/s)", restRatio, restRate, grpcRate), "—"},
	}, nil
}

type upsertRun struct {
	ratio             float64
	minimum, measured time.Duration
	limited, failed   int
	p50, p99          time.Duration
	rate, rss         float64
}

// upsertLoad runs n UpsertContact calls from callers goroutines against a Free-tier sandbox.
func upsertLoad(ctx context.Context, log io.Writer, bin string, n, callers int, extra ...string) (upsertRun, error) {
	var run upsertRun
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierFree)
	if err != nil {
		return run, err
	}
	defer h.close()
	sb, tok := h.sb, h.token
	srv, err := startServerProcess(ctx, bin, h.srv.URL, extra...)
	if err != nil {
		return run, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h, client.WithTimeout(10*time.Minute))
	if err != nil {
		return run, err
	}
	defer c.Close()
	time.Sleep(10500 * time.Millisecond) // let Connect's calls leave the rolling window
	sb.ResetCounters()
	lat := make([]time.Duration, n)
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				_, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: fmt.Sprintf("load%d@example.com", i)})
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	counters := sb.Counters()
	receipts := counters.ReceiptTimes[tok.AppID]
	sort.Slice(receipts, func(i, j int) bool { return receipts[i].Before(receipts[j]) })
	batch := 100
	for i, a := range extra {
		if a == "--upsert-batch-size" {
			fmt.Sscan(extra[i+1], &batch)
		}
	}
	requests := int(math.Ceil(float64(n) / float64(batch)))
	run.minimum = time.Duration(math.Ceil(float64(requests)/100)-1) * 10 * time.Second
	run.measured = wall
	if len(receipts) > 1 {
		run.measured = receipts[len(receipts)-1].Sub(receipts[0])
	}
	if run.minimum > 0 {
		run.ratio = float64(run.minimum) / float64(run.measured)
	}
	for _, v := range counters.RateLimited {
		run.limited += v
	}
	run.failed = int(failed.Load())
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	run.p50, run.p99 = lat[n/2], lat[n*99/100]
	run.rate = float64(n) / wall.Seconds()
	run.rss = srv.peakRSS()
	fmt.Fprintf(log, "upserts (%v): %d calls in %v (sandbox %v, %d requests), minimum %v, 429s %d, failed %d, p50 %v p99 %v, RSS %.0f MiB\n",
		extra, n, wall.Round(time.Millisecond), run.measured.Round(time.Millisecond), len(receipts), run.minimum, run.limited, run.failed, run.p50, run.p99, run.rss)
	if err, ok := firstErr.Load().(error); ok {
		fmt.Fprintf(log, "  first failure: %v\n", err)
	}
	return run, nil
}

// restVersusGRPC runs UpsertContact for a fixed time over each transport against an
// unthrottled sandbox and returns REST's throughput as a ratio of gRPC's.
func restVersusGRPC(ctx context.Context, bin string) (ratio, grpcRate, restRate float64, err error) {
	h, err := newBenchHub(sandbox.Options{Limits: sandbox.Limits{PerWindow: 10000000, Window: 10 * time.Second, Daily: 1 << 40}}, sandbox.TierEnterprise)
	if err != nil {
		return 0, 0, 0, err
	}
	defer h.close()
	srv, err := startServerProcess(ctx, bin, h.srv.URL)
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h)
	if err != nil {
		return 0, 0, 0, err
	}
	defer c.Close()
	var seq atomic.Int64
	grpcCall := func(ctx context.Context) error {
		_, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: fmt.Sprintf("g%d@example.com", seq.Add(1))})
		return err
	}
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	url := "http://" + srv.httpAddr + "/v1/" + conn.GetName() + "/contacts:upsert"
	restCall := func(ctx context.Context) error {
		body := fmt.Sprintf(`{"email":"r%d@example.com"}`, seq.Add(1))
		req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+srv.key)
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("REST upsert: HTTP %d", resp.StatusCode)
		}
		return nil
	}
	if grpcRate, err = throughputN(ctx, 200, 5*time.Second, grpcCall); err != nil {
		return 0, 0, 0, err
	}
	if restRate, err = throughputN(ctx, 200, 5*time.Second, restCall); err != nil {
		return 0, 0, 0, err
	}
	return restRate / grpcRate, grpcRate, restRate, nil
}
