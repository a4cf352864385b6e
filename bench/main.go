// Command bench measures the service against the HubSpot sandbox and prints a table of
// ratios measured in one run (the machines are shared and noisy, so absolute figures say
// little; ratios to a baseline measured alongside say more). It writes the table, with the
// machine it ran on, to BENCHMARKS.md.
//
//	go run ./bench                 # everything, writes BENCHMARKS.md
//	go run ./bench -only discovery # one group, prints only
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// row is one line of the results table.
type row struct {
	group, metric, value, target string
}

// benchmark is one group of measurements.
type benchmark struct {
	name string
	run  func(ctx context.Context, env *benchEnv) ([]row, error)
}

// benchEnv is what the groups of one run share.
type benchEnv struct {
	log    io.Writer
	dir    string // removed when the run ends
	once   sync.Once
	bin    string
	binErr error
	// changes sizes the changes group.
	changes changesConfig
}

// serverBinary builds the service once per run, for groups that run it as its own process.
func (e *benchEnv) serverBinary(ctx context.Context) (string, error) {
	e.once.Do(func() { e.bin, e.binErr = buildServer(ctx, e.dir) })
	return e.bin, e.binErr
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	out := fs.String("out", "BENCHMARKS.md", "file to write the results to (empty: do not write)")
	only := fs.String("only", "", "run only this group (limiter, discovery, conditions, upserts, timeline, hardening, changes, replicas)")
	var cc changesConfig
	fs.IntVar(&cc.pollIntervals, "changes-poll-intervals", 2, "changes: poll intervals (60 s each) the polling edits span")
	fs.IntVar(&cc.bulk, "changes-bulk", 25000, "changes: contacts bulk-edited with one timestamp")
	fs.IntVar(&cc.dropped, "changes-dropped", 200, "changes: edits made while 20% of webhooks are dropped")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	all := []benchmark{
		{"limiter", benchLimiter},
		{"discovery", benchDiscovery},
		{"conditions", benchConditions},
		{"upserts", benchUpserts},
		{"timeline", benchTimeline},
		{"hardening", benchHardening},
		{"changes", benchChanges},
		{"replicas", benchReplicas},
	}
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cc.pollIntervals < 1 || cc.bulk < 1 || cc.dropped < 1 {
		return fmt.Errorf("the changes flags must be positive")
	}
	env := &benchEnv{log: stderr, dir: dir, changes: cc}
	var rows []row
	for _, b := range all {
		if *only != "" && b.name != *only {
			continue
		}
		fmt.Fprintf(stderr, "== %s\n", b.name)
		got, err := b.run(ctx, env)
		if err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		rows = append(rows, got...)
	}
	table := formatTable(rows)
	fmt.Fprint(stdout, table)
	if *out == "" || *only != "" {
		return nil
	}
	doc := "# Benchmarks\n\nWritten by `go run ./bench` (do not edit by hand). Ratios compare figures measured in the same run. " +
		"The replicas group runs on the PostgreSQL server that " + storetest.PostgresEnv + " names (`scripts/postgres start` prints one), and is skipped without it.\n\n" +
		"Machine: " + machine() + "  \nRun: " + time.Now().UTC().Format(time.RFC3339) + "\n\n" + table
	return os.WriteFile(*out, []byte(doc), 0o644)
}

func formatTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| group | metric | value | target |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.group, r.metric, r.value, r.target)
	}
	return b.String()
}
