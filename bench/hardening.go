package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// benchHardening reruns the measurements of issue 12's review against the service as its own
// process: the CPU one GetRecord of many unknown property names costs (2.3 s before the
// fix) and the size of its error; and the memory one page of large timeline events costs
// (36 MB → 751 MB before).
func benchHardening(ctx context.Context, env *benchEnv) ([]row, error) {
	bin, err := env.serverBinary(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := benchUnknownNames(ctx, env, bin)
	if err != nil {
		return nil, err
	}
	page, err := benchTimelinePage(ctx, env, bin)
	if err != nil {
		return nil, err
	}
	return append(rows, page...), nil
}

// contactFields is the size of the review's contacts schema: the sandbox's default contact
// properties and custom ones up to this count.
const contactFields = 492

// unknownNamesCalls is how many calls each figure averages: the CPU clock ticks in 10 ms.
const unknownNamesCalls = 40

// benchUnknownNames measures GetRecord calls naming property names the schema lacks: the
// server's CPU per call (from /proc, averaged) and the size of its error answer.
func benchUnknownNames(ctx context.Context, env *benchEnv, bin string) ([]row, error) {
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierEnterprise)
	if err != nil {
		return nil, err
	}
	defer h.close()
	h.sb.SetLimits(sandbox.Limits{PerWindow: 100_000}) // not about rate limits
	srv, err := startServerProcess(ctx, bin, h.srv.URL)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h, client.WithTimeout(time.Minute), client.WithMaxAttempts(1))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	n, err := growContactSchema(ctx, h, c, conn.GetName())
	if err != nil {
		return nil, err
	}
	record := conn.GetName() + "/objects/contacts/records/1"
	idle, err := idleCPU(srv, 2*time.Second)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.log, "hardening: contacts schema of %d fields; server idle CPU %v per second\n", n, idle)
	group := fmt.Sprintf("hardening: GetRecord naming unknown properties (contacts schema of %d fields)", n)
	var rows []row
	for _, sc := range []struct {
		label  string
		names  []string
		target string
	}{
		{"200 names of 250 bytes (review: 2.3 s CPU)", padded(200, 250, "unknown_%04d_"), "milliseconds of CPU"},
		{"2,000 names of 250 bytes (review: 2.6 s CPU, ~1 MB answer)", padded(2000, 250, "unknown_%04d_"), "milliseconds of CPU, a few KB"},
		{"250 names of 100 bytes (the most names, each the longest, that are looked up)", padded(250, 100, "unknown_%04d_"), "milliseconds of CPU"},
		{"250 near misses of existing names (typos: suggestion work)", nearMisses(250), "milliseconds of CPU"},
	} {
		m, err := measureUnknownNames(ctx, srv, c, record, sc.names)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.label, err)
		}
		fmt.Fprintf(env.log, "hardening: %s: %v CPU and %v wall per call (%d calls); %s, reason %s, %d violations listed, answer %d bytes; first: %.160s\n",
			sc.label, m.cpu, m.wall, unknownNamesCalls, m.code, m.reason, m.listed, m.size, m.first)
		rows = append(rows, row{group, sc.label + ": server CPU per call; error answer",
			fmt.Sprintf("%v CPU (%v wall); %s, reason %s, %d violations listed, %s", round(m.cpu), round(m.wall), m.code, m.reason, m.listed, kb(m.size)), sc.target})
	}
	return rows, nil
}

// unknownNamesResult is what one scenario's calls cost and answered.
type unknownNamesResult struct {
	cpu, wall    time.Duration // per call
	code, reason string
	listed, size int
	first        string // the first violation, for the log
}

// measureUnknownNames sends GetRecord naming names unknownNamesCalls times (after one call to
// warm up) and reads the server's CPU before and after. Every call must be refused with
// INVALID_ARGUMENT: an accepted one would measure something else.
func measureUnknownNames(ctx context.Context, srv *serverProcess, c *client.Client, record string, names []string) (unknownNamesResult, error) {
	var r unknownNamesResult
	call := func() error {
		_, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: record, Properties: names})
		if err == nil {
			return fmt.Errorf("GetRecord naming %d unknown properties succeeded", len(names))
		}
		d := client.ErrorDetails(err)
		if d.Code != codes.InvalidArgument {
			return fmt.Errorf("GetRecord naming %d unknown properties: want INVALID_ARGUMENT, got %w", len(names), err)
		}
		r.code, r.reason, r.listed = d.Code.String(), d.Reason, len(d.FieldViolations)
		r.size = proto.Size(status.Convert(err).Proto())
		if len(d.FieldViolations) > 0 {
			r.first = d.FieldViolations[0].Field + ": " + d.FieldViolations[0].Description
		}
		return nil
	}
	if err := call(); err != nil {
		return r, err
	}
	before, err := srv.cpuTime()
	if err != nil {
		return r, err
	}
	start := time.Now()
	for range unknownNamesCalls {
		if err := call(); err != nil {
			return r, err
		}
	}
	r.wall = time.Since(start) / unknownNamesCalls
	after, err := srv.cpuTime()
	if err != nil {
		return r, err
	}
	r.cpu = (after - before) / unknownNamesCalls
	return r, nil
}

// growContactSchema adds custom contact properties until the schema has contactFields
// fields, refreshes the service's copy and returns its field count.
func growContactSchema(ctx context.Context, h *benchHub, c *client.Client, conn string) (int, error) {
	count := func(refresh bool) (int, error) {
		resp, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn, Refresh: refresh})
		if err != nil {
			return 0, err
		}
		for _, s := range resp.GetSchemas() {
			if s.GetObjectType() == "contacts" {
				return len(s.GetFields()), nil
			}
		}
		return 0, fmt.Errorf("DiscoverFields returned no contacts schema")
	}
	have, err := count(false)
	if err != nil {
		return 0, err
	}
	for i := range contactFields - have {
		if _, err := h.sb.CreateProperty(h.acct.HubID, "contacts", sandbox.Property{Name: fmt.Sprintf("bench_contact_%04d", i),
			Label: fmt.Sprintf("Bench contact %d", i), GroupName: "bench", Type: "string", FieldType: "text"}); err != nil {
			return 0, err
		}
	}
	return count(true)
}

// padded is n distinct names made of format's prefix padded with x to size bytes.
func padded(n, size int, format string) []string {
	names := make([]string, n)
	for i := range names {
		p := fmt.Sprintf(format, i)
		names[i] = p + strings.Repeat("x", max(size-len(p), 0))
	}
	return names
}

// nearMisses is n names one transposition away from the custom properties growContactSchema
// creates, so that each is close to a real field.
func nearMisses(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench_contcat_%04d", i)
	}
	return names
}

// idleCPU is the server's CPU per second over d while no call is made: the background
// (delivery polling, the lease) under the per-call figures.
func idleCPU(srv *serverProcess, d time.Duration) (time.Duration, error) {
	before, err := srv.cpuTime()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	after, err := srv.cpuTime()
	if err != nil {
		return 0, err
	}
	return time.Duration(float64(after-before) / d.Seconds()), nil
}

// kb formats a byte count.
func kb(n int) string {
	if n < 10_000 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.0f KB", float64(n)/1000)
}
