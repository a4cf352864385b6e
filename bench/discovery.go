package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/app"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/hubspot/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// benchDiscovery measures field discovery of 3 object types × 1,000 custom properties against
// the sandbox, as a ratio of the sandbox's own response time for the same three calls, and
// cached DiscoverFields throughput as a ratio of a bare grpc-go unary call returning a message
// of the same size.
func benchDiscovery(ctx context.Context, env *benchEnv) ([]row, error) {
	log := env.log
	const customPerType, runs = 1000, 7
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierEnterprise)
	if err != nil {
		return nil, err
	}
	defer h.close()
	sb, hub, acct, tok := h.sb, h.srv, h.acct, h.token
	types := []string{"contacts", "companies", "deals"}
	for _, ot := range types {
		for i := range customPerType {
			p := sandbox.Property{Name: fmt.Sprintf("bench_%s_%04d", ot[:4], i), Label: fmt.Sprintf("Bench %d", i), GroupName: "bench",
				Type: "enumeration", FieldType: "select", Options: []sandbox.Option{{Label: "One", Value: "one"}, {Label: "Two", Value: "two"}}}
			if i%2 == 1 {
				p.Type, p.FieldType, p.Options = "string", "text", nil
			}
			if _, err := sb.CreateProperty(acct.HubID, ot, p); err != nil {
				return nil, err
			}
		}
	}

	// Baseline: the same three calls, bare, concurrently (and one after another, for scale).
	bareConcurrent, bareSequential := make([]time.Duration, runs), make([]time.Duration, runs)
	for r := range runs {
		start := time.Now()
		var wg sync.WaitGroup
		for _, ot := range types {
			wg.Go(func() { rawGet(hub.URL+"/crm/v3/properties/"+ot, tok.Token) })
		}
		wg.Wait()
		bareConcurrent[r] = time.Since(start)
		start = time.Now()
		for _, ot := range types {
			rawGet(hub.URL+"/crm/v3/properties/"+ot, tok.Token)
		}
		bareSequential[r] = time.Since(start)
	}

	srv, key, cleanup, err := startService(ctx, hub.URL)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	c, conn, err := connectBench(ctx, srv, key, h)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ours := make([]time.Duration, runs)
	var size int
	for r := range runs {
		start := time.Now()
		resp, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName(), Refresh: true})
		if err != nil {
			return nil, err
		}
		ours[r] = time.Since(start)
		size = proto.Size(resp)
	}
	fmt.Fprintf(log, "discovery: ours %v, bare concurrent %v, bare sequential %v (medians), response %d bytes\n",
		median(ours), median(bareConcurrent), median(bareSequential), size)

	// Cached reads: ours through the whole stack, against a bare server returning the same message.
	cached, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName()})
	if err != nil {
		return nil, err
	}
	oursRate, err := throughput(ctx, func(ctx context.Context) error {
		_, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName()})
		return err
	})
	if err != nil {
		return nil, err
	}
	bareAddr, stopBare, err := startBareServer(cached)
	if err != nil {
		return nil, err
	}
	defer stopBare()
	bareConn, err := grpc.NewClient(bareAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer bareConn.Close()
	bare := integrationsv1.NewIntegrationServiceClient(bareConn)
	bareRate, err := throughput(ctx, func(ctx context.Context) error {
		_, err := bare.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName()})
		return err
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "cached DiscoverFields: ours %.0f/s, bare %.0f/s (%d-byte responses)\n", oursRate, bareRate, proto.Size(cached))
	group := "discovery (3 object types × 1,000 custom properties)"
	return []row{
		{group, "refresh wall time / sandbox's time for the 3 calls made concurrently", fmt.Sprintf("%.2f× (%v / %v; sequential %v)",
			float64(median(ours))/float64(median(bareConcurrent)), median(ours).Round(time.Millisecond), median(bareConcurrent).Round(time.Millisecond),
			median(bareSequential).Round(time.Millisecond)), "near 1×"},
		{group, "cached DiscoverFields throughput / bare grpc-go unary of the same size", fmt.Sprintf("%.2f (%.0f/s vs %.0f/s, %d KiB)",
			oursRate/bareRate, oursRate, bareRate, proto.Size(cached)/1024), "near 1"},
	}, nil
}

func rawGet(url, token string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// throughput runs call from 8 goroutines for 3 seconds and returns calls per second.
func throughput(ctx context.Context, call func(context.Context) error) (float64, error) {
	return throughputN(ctx, 8, 3*time.Second, call)
}

// throughputN runs call from workers goroutines for d and returns calls per second.
func throughputN(ctx context.Context, workers int, d time.Duration, call func(context.Context) error) (float64, error) {
	var n atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := call(ctx); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	return float64(n.Load()) / d.Seconds(), nil
}

// startService runs the whole service in-process with hubspotURL as HubSpot, and returns its
// gRPC address and an API key of workspace "bench".
func startService(ctx context.Context, hubspotURL string) (addr, key string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		return "", "", nil, err
	}
	cfg := app.DefaultConfig()
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.DBPath = "127.0.0.1:0", "127.0.0.1:0", filepath.Join(dir, "bench.db")
	cfg.KeyFile, cfg.HubSpotBaseURL = filepath.Join(dir, "keys"), hubspotURL
	st, err := store.Open(ctx, cfg.DBPath)
	if err != nil {
		return "", "", nil, err
	}
	key, err = auth.CreateKey(ctx, st, "bench", time.Now())
	st.Close()
	if err != nil {
		return "", "", nil, err
	}
	srv, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { srv.Serve(sctx); close(done) }()
	return srv.GRPCAddr(), key, func() { cancel(); <-done; os.RemoveAll(dir) }, nil
}

// bareService answers DiscoverFields with a fixed message and nothing else.
type bareService struct {
	integrationsv1.UnimplementedIntegrationServiceServer
	resp *integrationsv1.DiscoverFieldsResponse
}

func (b *bareService) DiscoverFields(context.Context, *integrationsv1.DiscoverFieldsRequest) (*integrationsv1.DiscoverFieldsResponse, error) {
	return b.resp, nil
}

func startBareServer(resp *integrationsv1.DiscoverFieldsResponse) (string, func(), error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := grpc.NewServer()
	integrationsv1.RegisterIntegrationServiceServer(s, &bareService{resp: resp})
	go s.Serve(lis)
	return lis.Addr().String(), s.Stop, nil
}
